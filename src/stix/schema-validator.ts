/**
 * STIX 2.1 objects checked against the OASIS JSON schemas (shipped under schemas/stix2-json-schemas, draft
 * 2020-12) through Ajv: what the TAXII add-objects endpoint accepts, and what tests hold every emitted object to.
 *
 * Nothing runs at import time: the schemas are loaded and compiled on the first call.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
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

/** schemas/stix2-json-schemas/schemas of the package: found upwards from this file (src/ or dist/src/). */
function schemaDir(): string {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'schemas', 'stix2-json-schemas', 'schemas');
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) throw new Error('the OASIS STIX 2.1 schemas (schemas/stix2-json-schemas) are missing from the installation');
  }
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
/**
 * Compiles the validator of every STIX type now, one type per turn of the event loop. Compiling is lazy otherwise, and
 * the first POST of a type held every other request while it ran (0.5 s for the first, up to 0.3 s for another).
 */
export async function warmSchemaValidator(): Promise<void> {
  for (const type of load().schemaIdByType.keys()) {
    await nextTurn();
    validatorFor(type);
  }
}

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

function isObj(x: unknown): x is Obj {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
function describe(x: unknown): string {
  return x === null ? 'null' : Array.isArray(x) ? 'an array' : typeof x;
}
