/**
 * STIX 2.1 test harness: the OASIS JSON schemas (src/stix/schema-validator.ts), plus the SHOULD-level checks a strict STIX 2.1 validator warns about (docs/stix-mapping.md §10).
 *
 * Nothing runs at import time: the schemas are loaded and compiled on the first call.
 */
import { schemaErrors } from '../../src/stix/schema-validator.js';

export { schemaErrors };

type Obj = Record<string, unknown>;

/** `rec[key]` for own keys only (a `type` of "constructor" must not reach Object.prototype). */
function own<T>(rec: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(rec, key) ? rec[key] : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Strict (SHOULD-level) checks
// ---------------------------------------------------------------------------------------------------------------

const UUID_ANY = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const UUID_V4_OR_V5 = /^[0-9a-f]{8}-[0-9a-f]{4}-[45][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const MILLIS_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const MARKING_REF = /^marking-definition--[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const IDENTITY_REF = /^identity--[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** STIX Cyber-observable types (§6): ids SHOULD be UUIDv5 (deterministic) and MAY be v4. */
const SCO_TYPES = new Set([
  'artifact', 'autonomous-system', 'directory', 'domain-name', 'email-addr', 'email-message', 'file', 'ipv4-addr',
  'ipv6-addr', 'mac-addr', 'mutex', 'network-traffic', 'process', 'software', 'url', 'user-account',
  'windows-registry-key', 'x509-certificate',
]);

const TLP2_EXTENSION_ID = 'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d';
/** TLP 2.0 (`tlp_2_0` value → id, name), docs/stix-mapping.md §7. */
const TLP2: Readonly<Record<string, { id: string; name: string }>> = {
  clear: { id: 'marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487', name: 'TLP:CLEAR' },
  green: { id: 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb', name: 'TLP:GREEN' },
  amber: { id: 'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421', name: 'TLP:AMBER' },
  'amber+strict': { id: 'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003', name: 'TLP:AMBER+STRICT' },
  red: { id: 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1', name: 'TLP:RED' },
};
/** TLP 1.0 (`definition.tlp` value → id, name), STIX 2.1 §7.2.1.4; accepted on input. */
const TLP1: Readonly<Record<string, { id: string; name: string }>> = {
  white: { id: 'marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9', name: 'TLP:WHITE' },
  green: { id: 'marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da', name: 'TLP:GREEN' },
  amber: { id: 'marking-definition--f88d31f6-486f-44da-b317-01333bde0b82', name: 'TLP:AMBER' },
  red: { id: 'marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed', name: 'TLP:RED' },
};
const TLP_IDS = new Set([...Object.values(TLP2), ...Object.values(TLP1)].map((t) => t.id));

const INDICATOR_TYPE_OV = new Set([
  'anomalous-activity', 'anonymization', 'benign', 'compromised', 'malicious-activity', 'attribution', 'unknown',
]);
const IDENTITY_CLASS_OV = new Set(['individual', 'group', 'system', 'organization', 'class', 'unknown']);
const TIMESTAMP_PROPS = ['created', 'modified', 'valid_from', 'valid_until'] as const;

type Check = (o: Obj) => (string | false | undefined)[];

function isObj(x: unknown): x is Obj {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
function describe(x: unknown): string {
  return x === null ? 'null' : Array.isArray(x) ? 'an array' : typeof x;
}
const nonEmptyString = (x: unknown): x is string => typeof x === 'string' && x.trim().length > 0;
const isMillisUtc = (x: unknown): x is string =>
  typeof x === 'string' && MILLIS_UTC.test(x) && !Number.isNaN(Date.parse(x)) && new Date(x).toISOString() === x;

/** The TLP marking an object describes, if it is one: which table entry its content claims to be. */
function tlpClaim(o: Obj): { version: '1.0' | '2.0'; key: string; expected: { id: string; name: string } | undefined } | undefined {
  const ext = isObj(o.extensions) ? o.extensions[TLP2_EXTENSION_ID] : undefined;
  if (isObj(ext) && 'tlp_2_0' in ext) return { version: '2.0', key: String(ext.tlp_2_0), expected: own(TLP2, String(ext.tlp_2_0)) };
  if (o.definition_type === 'tlp') {
    const key = String(isObj(o.definition) ? o.definition.tlp : undefined);
    return { version: '1.0', key, expected: own(TLP1, key) };
  }
  return undefined;
}

function idChecks(o: Obj): string[] {
  const id = o.id;
  const type = typeof o.type === 'string' ? o.type : '?';
  if (typeof id !== 'string') return [`id missing or not a string`];
  const sep = id.indexOf('--');
  const prefix = sep < 0 ? id : id.slice(0, sep);
  const uuid = sep < 0 ? '' : id.slice(sep + 2);
  if (prefix !== type) return [`id ${id} must be "${type}--<uuid>" (prefix is "${prefix}")`];
  if (!UUID_ANY.test(uuid)) return [`id ${id}: "${uuid}" is not an RFC 4122 UUID`];
  if (type === 'marking-definition') {
    const claim = tlpClaim(o);
    if (claim) {
      if (!claim.expected) return [`id ${id}: unknown TLP ${claim.version} level "${claim.key}"`];
      const out: string[] = [];
      if (id !== claim.expected.id) {
        out.push(`id ${id}: TLP ${claim.version} "${claim.key}" must use the fixed id ${claim.expected.id}`);
      }
      if (o.name !== claim.expected.name) {
        out.push(`name ${JSON.stringify(o.name)}: TLP ${claim.version} "${claim.key}" must be named "${claim.expected.name}"`);
      }
      return out;
    }
    if (TLP_IDS.has(id)) return [`id ${id} is a TLP marking id but the object is not that TLP marking`];
  }
  if (SCO_TYPES.has(type)) {
    return UUID_V4_OR_V5.test(uuid) ? [] : [`id ${id}: SCO ids should be UUIDv5 (or v4), got UUIDv${uuid[14]}`];
  }
  return UUID_V4.test(uuid) ? [] : [`id ${id}: ${type} ids must be UUIDv4, got UUIDv${uuid[14]}`];
}

/** Checks of every object, bundles excepted. */
const COMMON: Check[] = [
  idChecks,
  (o) => [
    !SCO_TYPES.has(String(o.type)) && o.spec_version !== '2.1' && `spec_version must be "2.1", got ${JSON.stringify(o.spec_version)}`,
    SCO_TYPES.has(String(o.type)) && 'spec_version' in o && o.spec_version !== '2.1' && `spec_version must be "2.1", got ${JSON.stringify(o.spec_version)}`,
  ],
  (o) =>
    TIMESTAMP_PROPS.map(
      (p) =>
        p in o &&
        !isMillisUtc(o[p]) &&
        `${p} ${JSON.stringify(o[p])} must be an RFC 3339 UTC timestamp with millisecond precision (YYYY-MM-DDTHH:MM:SS.sssZ)`,
    ),
  (o) => [
    isMillisUtc(o.created) && isMillisUtc(o.modified) && o.modified < o.created && `modified ${o.modified} is before created ${o.created}`,
  ],
  (o) => [
    'confidence' in o &&
      !(Number.isInteger(o.confidence) && (o.confidence as number) >= 0 && (o.confidence as number) <= 100) &&
      `confidence ${JSON.stringify(o.confidence)} must be an integer 0..100`,
  ],
  (o) => [
    'created_by_ref' in o && !(typeof o.created_by_ref === 'string' && IDENTITY_REF.test(o.created_by_ref)) &&
      `created_by_ref ${JSON.stringify(o.created_by_ref)} must be an identity id`,
  ],
  (o) =>
    'external_references' in o && !Array.isArray(o.external_references)
      ? ['external_references must be an array']
      : ((o.external_references as unknown[] | undefined) ?? []).map((r, i) =>
          !isObj(r)
            ? `external_references[${i}] must be an object`
            : 'url' in r && !(isObj(r.hashes) && Object.keys(r.hashes).length > 0) &&
              `external_references[${i}] has url ${JSON.stringify(r.url)} without hashes (§2.5; docs/stix-mapping.md §4: never emit url)`,
        ),
  (o) =>
    'object_marking_refs' in o && !Array.isArray(o.object_marking_refs)
      ? ['object_marking_refs must be an array']
      : ((o.object_marking_refs as unknown[] | undefined) ?? []).map(
          (r, i) =>
            !(typeof r === 'string' && MARKING_REF.test(r)) &&
            `object_marking_refs[${i}] ${JSON.stringify(r)} is not a marking-definition id`,
        ),
];

const BY_TYPE: Readonly<Record<string, Check[]>> = {
  bundle: [
    (o) => [
      'spec_version' in o && 'bundle must not have spec_version in STIX 2.1 (§8)',
      typeof o.id !== 'string' || !/^bundle--/.test(o.id) ? `id ${JSON.stringify(o.id)} must be "bundle--<uuid>"` : undefined,
      typeof o.id === 'string' && /^bundle--/.test(o.id) && !UUID_V4.test(o.id.slice(8)) && `id ${o.id}: bundle ids must be UUIDv4`,
      !(Array.isArray(o.objects) && o.objects.length > 0) && 'bundle objects must be a non-empty array',
    ],
    (o) => (Array.isArray(o.objects) ? o.objects : []).flatMap((m, i) => strictWarnings(m).map((w) => `objects[${i}]: ${w}`)),
  ],
  indicator: [
    (o) => [
      !nonEmptyString(o.name) && 'indicator should have a non-empty name',
      !nonEmptyString(o.description) && 'indicator should have a non-empty description',
      !nonEmptyString(o.pattern) && 'indicator pattern must be a non-empty string',
      o.pattern_type !== 'stix' && `indicator pattern_type must be "stix", got ${JSON.stringify(o.pattern_type)}`,
      o.pattern_version !== '2.1' && `indicator pattern_version must be "2.1", got ${JSON.stringify(o.pattern_version)}`,
      isMillisUtc(o.valid_from) && isMillisUtc(o.valid_until) && !(o.valid_until > o.valid_from) &&
        `indicator valid_until ${o.valid_until} must be later than valid_from ${o.valid_from}`,
    ],
    (o) =>
      'indicator_types' in o && !Array.isArray(o.indicator_types)
        ? ['indicator_types must be an array']
        : ((o.indicator_types as unknown[] | undefined) ?? []).map(
            (t) => !INDICATOR_TYPE_OV.has(t as string) && `indicator_types value ${JSON.stringify(t)} is not in indicator-type-ov`,
          ),
  ],
  identity: [
    (o) => [
      !nonEmptyString(o.name) && 'identity should have a non-empty name',
      !nonEmptyString(o.identity_class)
        ? 'identity should have identity_class'
        : !IDENTITY_CLASS_OV.has(o.identity_class) && `identity_class ${JSON.stringify(o.identity_class)} is not in identity-class-ov`,
    ],
  ],
  vulnerability: [(o) => [!nonEmptyString(o.name) && 'vulnerability should have a non-empty name']],
};

/** What a strict STIX 2.1 validator would warn about (docs/stix-mapping.md §10 "zero warnings" goal), as messages; [] when clean. */
export function strictWarnings(obj: unknown): string[] {
  if (!isObj(obj)) return [`not a STIX object (a JSON object), got ${describe(obj)}`];
  if (typeof obj.type !== 'string') return ['type missing or not a string'];
  const checks = obj.type === 'bundle' ? (own(BY_TYPE, 'bundle') ?? []) : [...COMMON, ...(own(BY_TYPE, obj.type) ?? [])];
  return checks.flatMap((c) => c(obj)).filter((m): m is string => typeof m === 'string');
}
