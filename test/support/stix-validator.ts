/**
 * STIX 2.1 test harness: the OASIS JSON schemas (vendored under test/fixtures/stix2-json-schemas, draft 2020-12)
 * through Ajv, plus the SHOULD-level checks a strict STIX 2.1 validator warns about (docs: shared STIX.md).
 *
 * Nothing runs at import time: the schemas are loaded and compiled on the first call.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';

type Obj = Record<string, unknown>;

/** `rec[key]` for own keys only (a `type` of "constructor" must not reach Object.prototype). */
function own<T>(rec: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(rec, key) ? rec[key] : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Schema validation
// ---------------------------------------------------------------------------------------------------------------

/**
 * The schemas' STIX type-name patterns nest quantifiers (`([a-z][a-z0-9]*)+`): a long *non-matching* type or
 * extension key (e.g. 30 letters then `_`) backtracks exponentially (seconds to hours). Same language, linear time.
 */
const SAFE_PATTERNS: Readonly<Record<string, string>> = {
  '^([a-z][a-z0-9]*)+(-[a-z0-9]+)*\\-?$': '^[a-z][a-z0-9]*(?:-[a-z0-9]+)*-?$',
  '^([a-z][a-z0-9]*)+(-[a-z0-9]+)*\\-ext$': '^[a-z][a-z0-9]*(?:-[a-z0-9]+)*-ext$',
};
const safeRegExp = Object.assign(
  (pattern: string, flags: string) => new RegExp(own(SAFE_PATTERNS, pattern) ?? pattern, flags),
  // Anything but "new RegExp": Ajv then calls this function instead of inlining `new RegExp(...)`.
  { code: 'safeRegExp' },
);

/** `format: "idn-hostname"` (domain-name SCO): ajv-formats has no such format. Unicode labels, 1..63, no edge `-`. */
function isIdnHostname(s: string): boolean {
  const host = s.endsWith('.') ? s.slice(0, -1) : s;
  if (host.length === 0 || host.length > 253) return false;
  return host.split('.').every((l) => /^[\p{L}\p{M}\p{N}-]{1,63}$/u.test(l) && !l.startsWith('-') && !l.endsWith('-'));
}

interface Loaded {
  ajv: Ajv2020;
  /** STIX type → `$id` of the schema describing an object of that type. */
  schemaIdByType: Map<string, string>;
}

let loaded: Loaded | undefined;
const validators = new Map<string, ValidateFunction>();

function schemaDir(): string {
  return path.resolve(process.cwd(), 'test/fixtures/stix2-json-schemas/schemas');
}

function jsonFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => {
      const p = path.join(dir, e.name);
      return e.isDirectory() ? jsonFiles(p) : e.isFile() && e.name.endsWith('.json') ? [p] : [];
    });
}

/** The literal `type` a schema pins (`properties.type.enum: [t]`, directly or in an `allOf` member), if any. */
function pinnedType(schema: Obj): string | undefined {
  const parts = [schema, ...(Array.isArray(schema.allOf) ? schema.allOf : [])];
  for (const part of parts) {
    const en = (((part as Obj | null)?.properties as Obj | undefined)?.type as Obj | undefined)?.enum;
    if (Array.isArray(en) && en.length === 1 && typeof en[0] === 'string') return en[0];
  }
  return undefined;
}

function load(): Loaded {
  if (loaded) return loaded;
  const dir = schemaDir();
  if (!fs.existsSync(dir)) throw new Error(`STIX schemas not found at ${dir} (run the tests from the repo root)`);
  const ajv = new Ajv2020({
    strict: false,
    allErrors: true,
    // Several patterns use `\-` outside a character class, a syntax error with the `u` flag.
    unicodeRegExp: false,
    code: { regExp: safeRegExp },
  });
  ajvFormats.default(ajv);
  ajv.addFormat('idn-hostname', isIdnHostname);
  const schemaIdByType = new Map<string, string>();
  for (const file of jsonFiles(dir)) {
    const schema = JSON.parse(fs.readFileSync(file, 'utf8')) as Obj;
    const id = schema.$id;
    if (typeof id !== 'string') throw new Error(`${file}: schema without $id`);
    // Registered under its absolute `$id` (http://raw.githubusercontent.com/oasis-open/...); the relative
    // `$ref`s ("../common/core.json") resolve against that base URI to other registered `$id`s, so no
    // network access and no custom loader. Compilation is deferred to getSchema().
    ajv.addSchema(schema);
    const type = pinnedType(schema);
    // Only files named after the type they pin (sdos/*, sros/*, observables/*, bundle, marking-definition,
    // language-content, extension-definition); shared definitions (core, timestamp, ...) pin none.
    if (type !== undefined && path.basename(file, '.json') === type) schemaIdByType.set(type, id);
  }
  loaded = { ajv, schemaIdByType };
  return loaded;
}

function validatorFor(type: unknown): ValidateFunction | undefined {
  if (typeof type !== 'string') return undefined;
  const cached = validators.get(type);
  if (cached) return cached;
  const { ajv, schemaIdByType } = load();
  const id = schemaIdByType.get(type);
  if (id === undefined) return undefined;
  const v = ajv.getSchema(id);
  if (!v) throw new Error(`schema ${id} did not compile`);
  validators.set(type, v);
  return v;
}

/** `${instancePath} ${message} ${params} [schemaPath]`; params left out when the message already states them. */
function formatError(e: ErrorObject, prefix = ''): string {
  const message = e.message ?? e.keyword;
  const values = Object.values(e.params as Obj);
  const redundant = values.every((v) => (typeof v === 'string' || typeof v === 'number') && message.includes(String(v)));
  const params = values.length > 0 && !redundant ? ` ${JSON.stringify(e.params)}` : '';
  return `${prefix + e.instancePath || '(root)'} ${message}${params} [${e.schemaPath}]`;
}

const unique = (xs: string[]): string[] => [...new Set(xs)];

/** Runs `v` without letting its `data is unknown` type guard narrow the caller's variable. */
function run(v: ValidateFunction, data: unknown): ErrorObject[] {
  return v(data) ? [] : (v.errors ?? []);
}

let customMemberValidator: ValidateFunction | undefined;

/**
 * bundle.json's branch for objects of types it does not know (`objects.items.anyOf[1]`: core.json *or*
 * cyber-observable-core.json, type not a spec type). Addressed by JSON pointer into bundle.json's `$id`.
 */
function customMember(): ValidateFunction {
  if (customMemberValidator) return customMemberValidator;
  const { ajv, schemaIdByType } = load();
  const bundleId = schemaIdByType.get('bundle');
  if (bundleId === undefined) throw new Error('no bundle schema');
  customMemberValidator = ajv.compile({ $ref: `${bundleId}#/properties/objects/items/anyOf/1` });
  return customMemberValidator;
}

/** Errors of one bundle member against its type's schema (or bundle.json's custom-object branch), paths prefixed. */
function memberErrors(obj: unknown, prefix: string): string[] {
  const v = (isObj(obj) && obj.type !== 'bundle' && validatorFor(obj.type)) || customMember();
  return unique(
    run(v, obj).map((e) => {
      const msg = formatError(e, prefix);
      // Upstream schema quirk: a custom SDO satisfies both core.json and cyber-observable-core.json.
      const both = v === customMemberValidator && e.keyword === 'oneOf' && JSON.stringify(e.params.passingSchemas) === '[0,1]';
      return both ? `${msg} (bundle.json rejects every custom SDO: it matches core.json and cyber-observable-core.json)` : msg;
    }),
  );
}

/**
 * Errors of `obj` against the OASIS schema for its `type` (bundle, identity, indicator, vulnerability,
 * marking-definition, and any other SDO/SRO/SCO the vendored schemas cover); [] when valid. Unknown type → one error.
 *
 * A bundle is validated against bundle.json. Because its `objects` items are a big `oneOf` over every type, the
 * raw errors of a bad member list every alternative; they are replaced by the member's errors against its own
 * type's schema (`/objects/3 must have required property 'pattern'`), or for a type the schemas do not know against
 * bundle.json's custom-object branch, whenever that explains the failure.
 */
export function schemaErrors(obj: unknown): string[] {
  if (!isObj(obj)) return [`(root) must be a STIX object (a JSON object), got ${describe(obj)}`];
  const v = validatorFor(obj.type);
  if (!v) {
    return [`/type unknown STIX type ${JSON.stringify(obj.type)}: no OASIS schema for it in the vendored set`];
  }
  const errors = run(v, obj);
  if (errors.length === 0) return [];
  if (obj.type !== 'bundle') return unique(errors.map((e) => formatError(e)));

  const out: string[] = [];
  const byMember = new Map<number, ErrorObject[]>();
  for (const e of errors) {
    const m = /^\/objects\/(\d+)(?:\/|$)/.exec(e.instancePath);
    if (!m) out.push(formatError(e));
    else byMember.set(Number(m[1]), [...(byMember.get(Number(m[1])) ?? []), e]);
  }
  const members = Array.isArray(obj.objects) ? obj.objects : [];
  for (const [i, raw] of [...byMember].sort((a, b) => a[0] - b[0])) {
    const memberErrs = memberErrors(members[i], `/objects/${i}`);
    out.push(...(memberErrs.length > 0 ? memberErrs : raw.map((e) => formatError(e))));
  }
  return unique(out);
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
/** TLP 2.0 (`tlp_2_0` value → id, name), STIX.md. */
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
              `external_references[${i}] has url ${JSON.stringify(r.url)} without hashes (§2.5; STIX.md: never emit url)`,
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

/** What a strict STIX 2.1 validator would warn about (STIX.md "zero warnings" goal), as messages; [] when clean. */
export function strictWarnings(obj: unknown): string[] {
  if (!isObj(obj)) return [`not a STIX object (a JSON object), got ${describe(obj)}`];
  if (typeof obj.type !== 'string') return ['type missing or not a string'];
  const checks = obj.type === 'bundle' ? (own(BY_TYPE, 'bundle') ?? []) : [...COMMON, ...(own(BY_TYPE, obj.type) ?? [])];
  return checks.flatMap((c) => c(obj)).filter((m): m is string => typeof m === 'string');
}
