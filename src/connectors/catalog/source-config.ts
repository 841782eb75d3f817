import { ConfigError } from '../../config/config.js';
import { type ExclusionConfig, Exclusions } from '../../domain/exclusions.js';
import { IOC_TYPES } from '../../domain/ioc-types.js';
import { DEFAULT_SECTOR_RULES, type SectorRule } from '../../domain/sector-rules.js';
import { isSector } from '../../domain/sectors.js';
import { TLP_LEVELS } from '../../domain/tlp.js';
import type { SourceDefinition } from './source-definition.js';
import { GENERIC_KINDS, genericSource, type GenericOptions } from './sources/generic.js';
import { parseDuration } from './url-template.js';

/** A catalog or custom source with what the configuration says of it. */
export interface ResolvedSource {
  def: SourceDefinition;
  enabled: boolean;
  /** Why it does not run: disabled by default (licence…), or a key it needs is missing. */
  reason: string | undefined;
  apiKey: string | undefined;
  /** Where the key comes from: the environment (the operator's last word), an API setting, the configuration file. */
  keyFrom?: 'env' | 'api' | 'config' | null;
  /** The variable that holds the key (SOCD_<ID>_KEY unless the definition names another). */
  keyEnv?: string;
  /** Basic-auth user of a TAXII source. */
  username: string | undefined;
  custom: boolean;
  scheduleMs: number;
  minIntervalMs: number;
}

export interface IngestSettings {
  /** Does `socd serve` run the scheduler (config `ingest.scheduler`, env SOCD_SCHEDULER=off). */
  scheduler: boolean;
  userAgent: string;
  /** Observations per transaction. */
  batchSize: number;
  exclusions: ExclusionConfig;
  sectorRules: SectorRule[];
}

/** Observations per transaction: measured 15k IOCs/s at 5,000, 19.5k at 50,000 (bench/ingest.ts); a crash loses one batch. */
export const DEFAULT_INGEST_BATCH = 25_000;

export const DEFAULT_USER_AGENT = 'SOC-Defenders/1.0 (self-hosted threat-intelligence aggregator; +https://github.com/soc-defenders/soc-defenders)';

const ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
const SHAPES = ['line', 'delimited', 'json', 'ndjson', 'misp', 'stix-bundle', 'taxii'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function fail(where: string, why: string): never {
  throw new ConfigError(`${where}: ${why}`);
}

function urlList(where: string, v: unknown): string | string[] {
  const list = Array.isArray(v) ? v : [v];
  if (list.length === 0) fail(where, 'needs at least one URL');
  for (const u of list) {
    if (typeof u !== 'string' || !/^(https?|file):\/\//i.test(u)) fail(where, `${JSON.stringify(u)} is not an http(s):// or file:// URL`);
  }
  return Array.isArray(v) ? (v as string[]) : (v as string);
}

function regexOk(where: string, v: unknown): void {
  if (v === undefined) return;
  if (typeof v !== 'string') fail(where, 'must be a regular expression string');
  try {
    new RegExp(v);
  } catch (err) {
    fail(where, (err as Error).message);
  }
}

/** Checks a definition (catalog or custom) enough that a mistake is a clear message at start, not a failure at 3 a.m. */
export function checkDefinition(d: SourceDefinition, where: string): void {
  if (!ID.test(d.id)) fail(where, `id ${JSON.stringify(d.id)} must be lowercase letters, digits and dashes`);
  if (typeof d.name !== 'string' || d.name === '') fail(where, 'needs a name');
  if (!(d.reliability >= 0 && d.reliability <= 1)) fail(where, 'reliability must be between 0 and 1');
  if (d.mode !== 'snap' && d.mode !== 'inc') fail(where, 'mode must be "snap" or "inc"');
  if (!(TLP_LEVELS as readonly string[]).includes(d.tlp)) fail(where, `tlp must be one of ${TLP_LEVELS.join(', ')}`);
  if (!((parseDuration(d.schedule) ?? 0) >= 60_000)) fail(where, `schedule ${JSON.stringify(d.schedule)} is not a duration of at least 1m, like 15m, 6h, 1d`);
  if (d.minInterval !== undefined && parseDuration(d.minInterval) === undefined) fail(where, `minInterval ${JSON.stringify(d.minInterval)} is not a duration`);
  if (!isObject(d.fetch)) fail(where, 'needs fetch.url');
  urlList(`${where}.fetch.url`, d.fetch.url);
  if (!isObject(d.shape) || !SHAPES.includes(d.shape.kind)) fail(where, `shape.kind must be one of ${SHAPES.join(', ')}`);
  const s = d.shape;
  if (s.kind === 'line') {
    regexOk(`${where}.shape.keep`, s.keep);
    regexOk(`${where}.shape.pattern`, s.pattern);
    if (s.pattern && !s.pattern.includes('(?<value>')) fail(`${where}.shape.pattern`, 'needs a named group (?<value>…)');
  }
  if (s.kind === 'delimited' || s.kind === 'json' || s.kind === 'ndjson') {
    if (!isObject(s.fields) || s.fields.value === undefined) fail(`${where}.shape.fields`, 'needs a value field');
    for (const v of Object.values(s.fields)) {
      for (const spec of Array.isArray(v) ? v : [v]) if (isObject(spec)) regexOk(`${where}.shape.fields match`, (spec as { match?: unknown }).match);
    }
    if (s.fields.typeMap) {
      for (const [k, t] of Object.entries(s.fields.typeMap)) if (!(IOC_TYPES as readonly string[]).includes(t)) fail(`${where}.shape.fields.typeMap.${k}`, `unknown type ${t}`);
    }
  }
  if (s.kind === 'delimited') {
    if (!['first', 'commented', 'none'].includes(s.header)) fail(`${where}.shape.header`, 'must be first, commented or none');
    if (s.header === 'none' && !s.columns?.length) fail(`${where}.shape.columns`, 'header "none" needs the column names');
  }
  if (s.kind === 'json' && typeof s.records !== 'string') fail(`${where}.shape.records`, 'must be a path string ("" for a top-level array)');
  for (const sector of d.defaults?.sectors ?? []) if (!isSector(sector)) fail(`${where}.defaults.sectors`, `unknown sector ${sector}`);
}

function customSource(v: unknown, i: number, taken: ReadonlySet<string>): SourceDefinition {
  const where = `customSources[${i}]`;
  if (!isObject(v)) fail(where, 'must be an object');
  if (typeof v.id !== 'string') fail(where, 'needs an id');
  if (taken.has(v.id)) fail(where, `id ${v.id} is already used (catalog or another custom source)`);
  let def: SourceDefinition;
  if (v.generic !== undefined) {
    if (!(GENERIC_KINDS as readonly unknown[]).includes(v.generic)) fail(where, `generic must be one of ${GENERIC_KINDS.join(', ')}`);
    urlList(`${where}.url`, v.url);
    if (v.type !== undefined && !(IOC_TYPES as readonly unknown[]).includes(v.type)) fail(`${where}.type`, `must be one of ${IOC_TYPES.join(', ')}`);
    def = genericSource(v as unknown as GenericOptions);
  } else {
    def = { homepage: '', license: 'private', redistributable: true, tlp: 'amber', reliability: 0.7, mode: 'snap', schedule: '1h', ...(v as object) } as SourceDefinition;
    def.name ??= def.id;
  }
  checkDefinition(def, where);
  return def;
}

/** `sources`, `customSources`, `exclusions`, `sectorRules` and `ingest` of the config file, with the environment. */
export function resolveSources(
  catalog: readonly SourceDefinition[],
  file: Record<string, unknown>,
  env: Record<string, string | undefined> = process.env,
): { sources: ResolvedSource[]; ingest: IngestSettings } {
  const settings = file.sources === undefined ? {} : file.sources;
  if (!isObject(settings)) fail('sources', 'must be an object keyed by source id');
  const customs = file.customSources === undefined ? [] : file.customSources;
  if (!Array.isArray(customs)) fail('customSources', 'must be an array of source definitions');
  const taken = new Set(catalog.map((d) => d.id));
  const custom: SourceDefinition[] = [];
  customs.forEach((c, i) => {
    const d = customSource(c, i, taken);
    taken.add(d.id);
    custom.push(d);
  });
  for (const id of Object.keys(settings)) if (!taken.has(id)) fail(`sources.${id}`, `no source has this id (see \`socd sources\`)`);
  const ingest = ingestSettings(file, env);
  // `ingest.catalog: false` (validated above): only custom sources and catalog sources enabled by name (air-gapped).
  const catalogOn = !(isObject(file.ingest) && file.ingest.catalog === false);
  const sources = [...catalog.map((d) => ({ d, custom: false })), ...custom.map((d) => ({ d, custom: true }))].map(({ d, custom: isCustom }): ResolvedSource => {
    const where = `sources.${d.id}`;
    const s = settings[d.id] === undefined ? {} : settings[d.id];
    if (!isObject(s)) fail(where, 'must be an object');
    let def = d;
    if (s.url !== undefined) def = { ...def, fetch: { ...def.fetch, url: urlList(`${where}.url`, s.url) } };
    if (s.schedule !== undefined) {
      if (typeof s.schedule !== 'string' || !((parseDuration(s.schedule) ?? 0) >= 60_000)) fail(`${where}.schedule`, 'must be a duration of at least 1m, like 15m, 6h, 1d');
      def = { ...def, schedule: s.schedule };
    }
    if (s.enabled !== undefined && typeof s.enabled !== 'boolean') fail(`${where}.enabled`, 'must be true or false');
    if (s.apiKey !== undefined && typeof s.apiKey !== 'string') fail(`${where}.apiKey`, 'must be a string');
    const envName = d.apiKey?.env ?? `SOCD_${d.id.toUpperCase().replace(/-/g, '_')}_KEY`;
    const apiKey = env[envName] || (s.apiKey as string | undefined) || undefined;
    const byDefault = isCustom || catalogOn ? (d.enabledByDefault ?? true) : false;
    const enabled = (s.enabled as boolean | undefined) ?? byDefault;
    let reason: string | undefined;
    if (!enabled) {
      reason = s.enabled === false ? 'disabled in the configuration'
        : !isCustom && !catalogOn && (d.enabledByDefault ?? true) ? 'the catalog is off (ingest.catalog: false): enable it by name'
        : (d.disabledReason ?? 'disabled by default');
    }
    else if (d.apiKey && !d.apiKey.optional && !apiKey) reason = `needs-key: set ${envName} or sources.${d.id}.apiKey`;
    const keyFrom = env[envName] ? 'env' : apiKey ? 'config' : null;
    return {
      def, enabled, reason, apiKey, keyFrom, keyEnv: envName, custom: isCustom,
      username: typeof s.username === 'string' ? s.username : d.shape.kind === 'taxii' ? d.shape.username : undefined,
      scheduleMs: parseDuration(def.schedule)!,
      minIntervalMs: def.minInterval ? parseDuration(def.minInterval)! : 0,
    };
  });
  return { sources, ingest };
}

/** `exclusions` of the config file, validated: what ingestion and `socd import` both apply. */
export function exclusionSettings(file: Record<string, unknown>): ExclusionConfig {
  const ex = file.exclusions === undefined ? {} : file.exclusions;
  if (!isObject(ex)) fail('exclusions', 'must be an object');
  for (const k of ['networks', 'domains', 'values'] as const) {
    if (ex[k] !== undefined && !(Array.isArray(ex[k]) && (ex[k] as unknown[]).every((x) => typeof x === 'string'))) fail(`exclusions.${k}`, 'must be a list of strings');
  }
  for (const k of ['builtins', 'cdn'] as const) {
    if (ex[k] !== undefined && typeof ex[k] !== 'boolean') fail(`exclusions.${k}`, 'must be true or false');
  }
  try {
    new Exclusions(ex as ExclusionConfig);
  } catch (err) {
    fail('exclusions.networks', (err as Error).message.replace(/^exclusions: /, ''));
  }
  return ex as ExclusionConfig;
}

function ingestSettings(file: Record<string, unknown>, env: Record<string, string | undefined>): IngestSettings {
  const ingest = file.ingest === undefined ? {} : file.ingest;
  if (!isObject(ingest)) fail('ingest', 'must be an object');
  const envScheduler = env.SOCD_SCHEDULER?.toLowerCase();
  if (ingest.scheduler !== undefined && typeof ingest.scheduler !== 'boolean') fail('ingest.scheduler', 'must be true or false');
  if (ingest.catalog !== undefined && typeof ingest.catalog !== 'boolean') fail('ingest.catalog', 'must be true or false');
  const scheduler = envScheduler !== undefined ? !['off', 'false', '0', 'no'].includes(envScheduler) : ((ingest.scheduler as boolean | undefined) ?? true);
  const batchSize = ingest.batchSize ?? DEFAULT_INGEST_BATCH;
  if (typeof batchSize !== 'number' || !Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1_000_000) fail('ingest.batchSize', 'must be an integer 1–1000000');
  const exclusions = exclusionSettings(file);
  const rules = file.sectorRules === undefined ? [] : file.sectorRules;
  if (!Array.isArray(rules)) fail('sectorRules', 'must be a list of {"malware"?, "tags"?, "sectors"}');
  const strings = (v: unknown) => v === undefined || (Array.isArray(v) && v.every((x) => typeof x === 'string'));
  rules.forEach((r, i) => {
    if (!isObject(r) || !Array.isArray(r.sectors) || !r.sectors.every((s) => typeof s === 'string' && isSector(s))) fail(`sectorRules[${i}].sectors`, 'must list sector ids');
    if (!strings(r.malware) || !strings(r.tags)) fail(`sectorRules[${i}]`, 'malware and tags must be lists of strings');
    if (r.malware === undefined && r.tags === undefined) fail(`sectorRules[${i}]`, 'needs malware or tags to match');
  });
  return {
    scheduler,
    userAgent: typeof ingest.userAgent === 'string' && ingest.userAgent.trim() ? ingest.userAgent : DEFAULT_USER_AGENT,
    batchSize,
    exclusions,
    sectorRules: [...DEFAULT_SECTOR_RULES, ...(rules as SectorRule[])],
  };
}
