import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type LimitTier, PLAN_INPUTS, type PlanInput } from '../domain/plans.js';
import { isRole, ROLES, type Role } from '../domain/roles.js';
import { type Cidr, parseAddressRange } from '../domain/network.js';

export interface RateLimit {
  /** Requests allowed per window. */
  max: number;
  /** Window length in ms. */
  windowMs: number;
}

export interface Config {
  port: number;
  host: string;
  databaseUrl: string;
  /** Redis for state several API nodes share (rate-limit counters); undefined: in-process. */
  redisUrl: string | undefined;
  /** What every key this deployment writes in Redis starts with (SOCD_REDIS_PREFIX; default `socd:`): deployments sharing one Redis keep apart. */
  redisPrefix: string;
  /** Signs cursors. Unset → one is generated and kept in the database (shared by every node on it). */
  secret: string | undefined;
  logLevel: string;
  /** Request log lines carry the request's headers (Authorization, Cookie, X-API-Key redacted). Default off. */
  logHeaders: boolean;
  /** SQLite page cache per process, MB; undefined: each command's default (64, 256 for bulk imports). */
  sqliteCacheMb: number | undefined;
  /** PostgreSQL connections of this process's request pool (undefined: its cores, at least 2). */
  pgPoolSize: number | undefined;
  adminEmail: string;
  trustProxy: boolean;
  /** How long a console session lasts (SOCD_SESSION_HOURS, server.sessionHours; default 12, 1–720). */
  sessionHours: number;
  /**
   * The URL clients reach this server at (scheme, host, port, any path prefix of a reverse proxy), without a trailing
   * slash: TAXII discovery names the API roots under it. Default `http://localhost:<port>`.
   */
  publicUrl: string;
  /** Host header values (host[:port], lower case) whose requests get URLs built from their own Host instead. */
  allowedHosts: string[];
  /** Where the config file came from, if any. */
  configFile: string | undefined;
  /**
   * GET /metrics (README "Metrics"): served to a Bearer `token` (SOCD_METRICS_TOKEN) or to clients in `allow`
   * (SOCD_METRICS_ALLOW, addresses and CIDRs); with neither set it is off (404).
   */
  metrics: { token: string | undefined; allow: Cidr[]; allowText: string[] };
  /**
   * Per plan, and `admin` for accounts holding the admin role whatever their plan (domain/plans.ts limitTier: the
   * limits of the former admin plan): the request budget, and the most values one look-up (POST /api/v1/lookup) takes.
   */
  plans: Record<LimitTier, { rateLimit: RateLimit; lookupBatch: number; submitBatch: number }>;
  /** Unauthenticated requests (401s included) are limited per client address. */
  anonymousRateLimit: RateLimit;
  rest: { defaultLimit: number; maxLimit: number };
  /** TAXII discovery values (§4.1) and the largest request body (§4.2 max_content_length). */
  taxii: {
    title: string;
    description: string;
    contact: string;
    maxContentLength: number;
    defaultPageLimit: number;
    maxPageLimit: number;
    /** Largest STIX object a client may add, in bytes of UTF-8 JSON (README "Security"). */
    maxObjectBytes: number;
    /** Deepest nesting of objects and arrays in an added STIX object. */
    maxObjectDepth: number;
    /** Bytes of objects in one page of objects or object: a page ends before it would pass this (always ≥ 1 object). */
    maxPageBytes: number;
    /** API roots beside ours (`api`), for writable collections. */
    roots: Array<{ name: string; title: string; description: string | null; maxContentLength: number }>;
    collections: WritableCollectionConfig[];
  };
  /**
   * Webhooks (README "Webhooks"): which non-public targets are allowed (SOCD_WEBHOOK_ALLOW_PRIVATE: `true` for private
   * and loopback addresses, or a list of addresses/CIDRs), when a source is failing (runs failed in a row) or stale
   * (schedules without a success), how long finished deliveries are kept, and attempts in flight per node.
   */
  webhooks: { allowPrivate: boolean; allow: Cidr[]; allowText: string[]; failingRuns: number; staleFactor: number; retentionDays: number; concurrency: number };
  /** The producer identity of every STIX object. No id: one is generated once and kept in the database. */
  stix: { identityId: string | undefined; identityName: string };
  /** Sections owned by later modules (sources, customSources, taxii), validated by them. */
  file: Record<string, unknown>;
}

/**
 * Who may read or write a configured collection: plans, roles (held or implied) and/or account emails. `admin` among
 * the plans (the plan of earlier versions) means the admin role (taxii/collection-registry.ts).
 */
export interface Grant {
  plans: PlanInput[];
  roles?: Role[];
  accounts: string[];
}

/** A writable TAXII collection for sharing between teams (`taxii.collections` of the config file). */
export interface WritableCollectionConfig {
  id: string;
  /** The API root it is served under: `api` unless a configured root is named. */
  root: string;
  alias: string;
  title: string;
  description: string;
  read: Grant;
  write: Grant;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const DEFAULT_PLANS: Config['plans'] = {
  free: { rateLimit: { max: 60, windowMs: 60_000 }, lookupBatch: 100, submitBatch: 100 },
  pro: { rateLimit: { max: 600, windowMs: 60_000 }, lookupBatch: 10_000, submitBatch: 10_000 },
  admin: { rateLimit: { max: 6000, windowMs: 60_000 }, lookupBatch: 10_000, submitBatch: 10_000 },
};

type Env = Record<string, string | undefined>;

/**
 * Configuration from environment variables and the optional JSON file (`SOCD_CONFIG` or ./socd.config.json).
 * Environment wins. Validated once here: the rest of the code trusts these values.
 */
export function loadConfig(env: Env = process.env, cwd = process.cwd()): Config {
  const configFile = env.SOCD_CONFIG ? resolve(cwd, env.SOCD_CONFIG) : resolve(cwd, 'socd.config.json');
  let file: Record<string, unknown> = {};
  let usedFile: string | undefined;
  if (env.SOCD_CONFIG || existsSync(configFile)) {
    let text: string;
    try {
      text = readFileSync(configFile, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read config file ${configFile}: ${(err as Error).message}`);
    }
    try {
      const parsed: unknown = JSON.parse(text);
      if (!isObject(parsed)) throw new Error('the top level must be a JSON object');
      file = parsed;
    } catch (err) {
      throw new ConfigError(`config file ${configFile} is not valid: ${(err as Error).message}`);
    }
    usedFile = configFile;
  }
  const server = isObject(file.server) ? file.server : {};
  return {
    port: int('PORT', env.PORT ?? server.port, 8080, 0, 65535),
    host: str(env.HOST ?? server.host, '0.0.0.0'),
    databaseUrl: str(env.DATABASE_URL ?? server.databaseUrl, 'sqlite:./data/socd.db'),
    redisUrl: redisUrl(env.REDIS_URL ?? server.redisUrl),
    redisPrefix: redisPrefix(env.SOCD_REDIS_PREFIX ?? server.redisPrefix),
    secret: secret(env.SOCD_SECRET),
    logLevel: oneOf('LOG_LEVEL', str(env.LOG_LEVEL ?? server.logLevel, 'info'), ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    logHeaders: bool('LOG_HEADERS', env.LOG_HEADERS ?? server.logHeaders, false),
    adminEmail: str(env.SOCD_ADMIN_EMAIL ?? server.adminEmail, 'admin@localhost'),
    sqliteCacheMb: optionalInt('SOCD_SQLITE_CACHE_MB', env.SOCD_SQLITE_CACHE_MB ?? server.sqliteCacheMb, 2, 65536),
    pgPoolSize: optionalInt('SOCD_PG_POOL_SIZE', env.SOCD_PG_POOL_SIZE ?? server.pgPoolSize, 1, 1000),
    trustProxy: bool('TRUST_PROXY', env.TRUST_PROXY ?? server.trustProxy, false),
    sessionHours: int('SOCD_SESSION_HOURS', env.SOCD_SESSION_HOURS ?? server.sessionHours, 12, 1, 720),
    publicUrl: publicUrl(env.SOCD_PUBLIC_URL ?? server.publicUrl, int('PORT', env.PORT ?? server.port, 8080, 0, 65535)),
    allowedHosts: allowedHosts(env.SOCD_ALLOWED_HOSTS ?? server.allowedHosts),
    configFile: usedFile,
    metrics: metricsSettings(env.SOCD_METRICS_TOKEN ?? server.metricsToken, env.SOCD_METRICS_ALLOW ?? server.metricsAllow),
    plans: plans(file.plans),
    anonymousRateLimit: rateLimit('anonymousRateLimit', server.anonymousRateLimit, { max: 120, windowMs: 60_000 }),
    rest: { defaultLimit: 100, maxLimit: 1000 },
    webhooks: webhookSettings(env, isObject(file.webhooks) ? file.webhooks : {}),
    stix: stixSettings(file.stix),
    taxii: taxiiSettings(file.taxii, str(env.SOCD_ADMIN_EMAIL ?? server.adminEmail, 'admin@localhost')),
    file,
  };
}

function redisPrefix(v: unknown): string {
  if (v === undefined || v === '') return 'socd:';
  if (typeof v !== 'string' || !/^[A-Za-z0-9:_.-]{1,64}$/.test(v)) throw new ConfigError(`SOCD_REDIS_PREFIX must be 1–64 characters of letters, digits and :_.-, got ${JSON.stringify(v)}`);
  return v;
}

function redisUrl(v: unknown): string | undefined {
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string' || !/^rediss?:\/\//.test(v)) throw new ConfigError(`REDIS_URL must be redis://host:port (or rediss:// for TLS), got ${JSON.stringify(v)}`);
  return v;
}

function publicUrl(v: unknown, port: number): string {
  if (v === undefined || v === '') return `http://localhost:${port}`;
  let url: URL;
  try {
    if (typeof v !== 'string') throw new Error('not a string');
    url = new URL(v.trim());
  } catch {
    throw new ConfigError(`SOCD_PUBLIC_URL (server.publicUrl) must be an http(s) URL like https://intel.example.com, got ${JSON.stringify(v)}`);
  }
  if (!/^https?:$/.test(url.protocol) || url.search || url.hash || url.username || url.password) {
    throw new ConfigError(`SOCD_PUBLIC_URL (server.publicUrl) must be an http(s) URL without query, fragment or credentials, got ${JSON.stringify(v)}`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function allowedHosts(v: unknown): string[] {
  if (v === undefined || v === '') return [];
  const list = typeof v === 'string' ? v.split(',') : v;
  if (!Array.isArray(list)) throw new ConfigError('SOCD_ALLOWED_HOSTS (server.allowedHosts) must be a comma-separated list of host[:port]');
  return list.map((h) => {
    const host = typeof h === 'string' ? h.trim().toLowerCase() : '';
    if (!/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/.test(host)) throw new ConfigError(`SOCD_ALLOWED_HOSTS (server.allowedHosts): ${JSON.stringify(h)} is not host[:port]`);
    return host;
  });
}

/** The shortest metrics token taken: a guessable one would expose the server's figures. */
const METRICS_TOKEN_MIN = 16;

function metricsSettings(token: unknown, allow: unknown): Config['metrics'] {
  if (token !== undefined && token !== '' && (typeof token !== 'string' || token.length < METRICS_TOKEN_MIN || token.length > 1024 || !/^[\x21-\x7e]+$/.test(token))) {
    throw new ConfigError(`SOCD_METRICS_TOKEN (server.metricsToken) must be ${METRICS_TOKEN_MIN}–1024 printable characters without spaces (e.g. \`openssl rand -hex 32\`)`);
  }
  const list = allow === undefined || allow === '' ? [] : typeof allow === 'string' ? allow.split(',') : allow;
  if (!Array.isArray(list)) throw new ConfigError('SOCD_METRICS_ALLOW (server.metricsAllow) must be a comma-separated list of addresses or CIDRs');
  const ranges = list.map((a) => {
    const range = typeof a === 'string' ? parseAddressRange(a) : undefined;
    if (!range) throw new ConfigError(`SOCD_METRICS_ALLOW (server.metricsAllow): ${JSON.stringify(a)} is not an IP address or CIDR (e.g. 10.0.0.0/8, ::1)`);
    return range;
  });
  return { token: typeof token === 'string' && token !== '' ? token : undefined, allow: ranges, allowText: list.map((a) => String(a).trim()) };
}

function webhookSettings(env: Env, file: Record<string, unknown>): Config['webhooks'] {
  const allowRaw = env.SOCD_WEBHOOK_ALLOW_PRIVATE ?? file.allowPrivate;
  let allowPrivate = false;
  let list: unknown[] = [];
  if (allowRaw === true || (typeof allowRaw === 'string' && ['1', 'true', 'yes', 'on'].includes(allowRaw.trim().toLowerCase()))) allowPrivate = true;
  else if (allowRaw === false || allowRaw === undefined || allowRaw === '' || (typeof allowRaw === 'string' && ['0', 'false', 'no', 'off'].includes(allowRaw.trim().toLowerCase()))) list = [];
  else if (typeof allowRaw === 'string') list = allowRaw.split(',');
  else if (Array.isArray(allowRaw)) list = allowRaw;
  else throw new ConfigError('SOCD_WEBHOOK_ALLOW_PRIVATE (webhooks.allowPrivate) must be true, false, or a comma-separated list of addresses or CIDRs');
  const allow = list.map((a) => {
    const range = typeof a === 'string' ? parseAddressRange(a) : undefined;
    if (!range) throw new ConfigError(`SOCD_WEBHOOK_ALLOW_PRIVATE (webhooks.allowPrivate): ${JSON.stringify(a)} is not an IP address or CIDR (e.g. 10.20.0.0/16)`);
    return range;
  });
  return {
    allowPrivate, allow, allowText: list.map((a) => String(a).trim()),
    failingRuns: int('SOCD_WEBHOOK_FAILING_RUNS', env.SOCD_WEBHOOK_FAILING_RUNS ?? file.failingRuns, 3, 1, 100),
    staleFactor: int('SOCD_WEBHOOK_STALE_FACTOR', env.SOCD_WEBHOOK_STALE_FACTOR ?? file.staleFactor, 3, 2, 100),
    retentionDays: int('SOCD_WEBHOOK_RETENTION_DAYS', env.SOCD_WEBHOOK_RETENTION_DAYS ?? file.retentionDays, 30, 1, 3650),
    concurrency: int('SOCD_WEBHOOK_CONCURRENCY', env.SOCD_WEBHOOK_CONCURRENCY ?? file.concurrency, 4, 1, 64),
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown, fallback: string): string {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : fallback;
}

function int(name: string, v: unknown, fallback: number, min: number, max: number): number {
  if (v === undefined || v === '') return fallback;
  const n = typeof v === 'number' ? v : Number(String(v).trim());
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
  return n;
}

function optionalInt(name: string, v: unknown, min: number, max: number): number | undefined {
  return v === undefined || v === '' ? undefined : int(name, v, min, min, max);
}

function bool(name: string, v: unknown, fallback: boolean): boolean {
  if (v === undefined || v === '') return fallback;
  if (typeof v === 'boolean') return v;
  const s = String(v).toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(s)) return true;
  if (['0', 'false', 'no', 'off'].includes(s)) return false;
  throw new ConfigError(`${name} must be true or false, got ${JSON.stringify(v)}`);
}

function oneOf<T extends string>(name: string, v: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(v)) throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  return v as T;
}

function secret(v: string | undefined): string | undefined {
  if (v === undefined || v === '') return undefined;
  if (v.length < 32) throw new ConfigError('SOCD_SECRET must be at least 32 characters (e.g. `openssl rand -hex 32`)');
  return v;
}

function rateLimit(name: string, v: unknown, fallback: RateLimit): RateLimit {
  if (v === undefined) return fallback;
  if (!isObject(v)) throw new ConfigError(`${name} must be an object like {"max": 600, "windowSeconds": 60}`);
  return {
    max: int(`${name}.max`, v.max, fallback.max, 1, 1_000_000_000),
    windowMs: int(`${name}.windowSeconds`, v.windowSeconds, fallback.windowMs / 1000, 1, 86_400) * 1000,
  };
}

function plans(v: unknown): Config['plans'] {
  if (v === undefined) return structuredClone(DEFAULT_PLANS);
  if (!isObject(v)) throw new ConfigError('plans must be an object keyed by plan (free, pro; admin: accounts with the admin role)');
  for (const k of Object.keys(v)) {
    if (!(PLAN_INPUTS as readonly string[]).includes(k)) throw new ConfigError(`plans.${k}: unknown plan; plans are ${PLAN_INPUTS.join(', ')} (admin: accounts with the admin role)`);
  }
  const out = structuredClone(DEFAULT_PLANS);
  for (const plan of PLAN_INPUTS) {
    const p = v[plan];
    if (p === undefined) continue;
    if (!isObject(p)) throw new ConfigError(`plans.${plan} must be an object`);
    out[plan] = {
      rateLimit: rateLimit(`plans.${plan}.rateLimit`, p.rateLimit, DEFAULT_PLANS[plan].rateLimit),
      lookupBatch: int(`plans.${plan}.lookupBatch`, p.lookupBatch, DEFAULT_PLANS[plan].lookupBatch, 1, 100_000),
      // IOCs per POST /api/v1/iocs: written in one transaction (rest/submit-service.ts), so bounded lower than a look-up.
      submitBatch: int(`plans.${plan}.submitBatch`, p.submitBatch, DEFAULT_PLANS[plan].submitBatch, 1, 50_000),
    };
  }
  return out;
}

const IDENTITY_ID = /^identity--[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function stixSettings(v: unknown): Config['stix'] {
  if (v === undefined) return { identityId: undefined, identityName: 'SOC Defenders' };
  if (!isObject(v)) throw new ConfigError('stix must be an object like {"identity": {"id": "identity--<uuid4>", "name": "Our CTI team"}}');
  const identity = v.identity === undefined ? {} : v.identity;
  if (!isObject(identity)) throw new ConfigError('stix.identity must be an object with id and/or name');
  const id = identity.id;
  if (id !== undefined && (typeof id !== 'string' || !IDENTITY_ID.test(id))) {
    throw new ConfigError(`stix.identity.id must be identity--<UUIDv4> (lowercase), got ${JSON.stringify(id)}`);
  }
  const name = identity.name;
  if (name !== undefined && (typeof name !== 'string' || name.trim() === '' || name.length > 256)) {
    throw new ConfigError('stix.identity.name must be a non-empty string of at most 256 characters');
  }
  return { identityId: id as string | undefined, identityName: (name as string | undefined)?.trim() ?? 'SOC Defenders' };
}

function taxiiSettings(v: unknown, contact: string): Config['taxii'] {
  const t = v === undefined ? {} : v;
  if (!isObject(t)) throw new ConfigError('taxii must be an object like {"title": "…", "description": "…", "contact": "…"}');
  const text = (name: string, fallback: string) => {
    const x = t[name];
    if (x === undefined) return fallback;
    if (typeof x !== 'string' || x.length > 1000) throw new ConfigError(`taxii.${name} must be a string of at most 1000 characters`);
    return x;
  };
  const maxPageLimit = int('taxii.maxPageLimit', t.maxPageLimit, 10_000, 1, 100_000);
  const roots = taxiiRoots(t.roots);
  return {
    title: text('title', 'SOC Defenders TAXII 2.1 server'),
    description: text('description', 'Aggregated threat intelligence from 30+ cybersecurity sources: indicators of compromise as STIX 2.1.'),
    contact: text('contact', contact),
    maxContentLength: int('taxii.maxContentLength', t.maxContentLength, 10 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    defaultPageLimit: int('taxii.defaultPageLimit', t.defaultPageLimit, Math.min(1000, maxPageLimit), 1, maxPageLimit),
    maxPageLimit,
    maxObjectBytes: int('taxii.maxObjectBytes', t.maxObjectBytes, 1024 * 1024, 1024, 64 * 1024 * 1024),
    maxObjectDepth: int('taxii.maxObjectDepth', t.maxObjectDepth, 32, 4, 256),
    maxPageBytes: int('taxii.maxPageBytes', t.maxPageBytes, 4 * 1024 * 1024, 64 * 1024, 256 * 1024 * 1024),
    roots,
    collections: writableCollections(t.collections, new Set(['api', ...roots.map((r) => r.name)])),
  };
}

function taxiiRoots(v: unknown): Config['taxii']['roots'] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new ConfigError('taxii.roots must be a list of {"name", "title", "description"}');
  return v.map((r, i) => {
    const where = `taxii.roots[${i}]`;
    if (!isObject(r) || typeof r.name !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(r.name) || r.name === 'api') {
      throw new ConfigError(`${where}.name must be letters, digits, _ . - (and not api, this server's own root)`);
    }
    if (typeof r.title !== 'string' || r.title.trim() === '') throw new ConfigError(`${where}.title must be a non-empty string`);
    return {
      name: r.name,
      title: r.title,
      description: typeof r.description === 'string' ? r.description : null,
      maxContentLength: int(`${where}.maxContentLength`, r.maxContentLength, 10 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    };
  });
}

const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ALIAS = /^[a-z0-9][a-z0-9-]{0,62}$/;

function grant(where: string, v: unknown, fallback: Grant): Grant {
  if (v === undefined) return fallback;
  if (!isObject(v)) throw new ConfigError(`${where} must be an object like {"plans": ["pro"], "roles": ["analyst"], "accounts": ["a@example.com"]}`);
  const plansList = v.plans === undefined ? [] : v.plans;
  const rolesList = v.roles === undefined ? [] : v.roles;
  const accounts = v.accounts === undefined ? [] : v.accounts;
  if (!Array.isArray(plansList) || !plansList.every((p) => typeof p === 'string' && (PLAN_INPUTS as readonly string[]).includes(p))) {
    throw new ConfigError(`${where}.plans must be a list of ${PLAN_INPUTS.join(', ')} (admin: the admin role)`);
  }
  if (!Array.isArray(rolesList) || !rolesList.every(isRole)) throw new ConfigError(`${where}.roles must be a list of ${ROLES.join(', ')}`);
  if (!Array.isArray(accounts) || !accounts.every((a) => typeof a === 'string' && a.includes('@'))) {
    throw new ConfigError(`${where}.accounts must be a list of account emails`);
  }
  return { plans: plansList as PlanInput[], roles: rolesList as Role[], accounts: (accounts as string[]).map((a) => a.toLowerCase()) };
}

function writableCollections(v: unknown, roots: ReadonlySet<string>): WritableCollectionConfig[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new ConfigError('taxii.collections must be a list of {"id", "alias", "title", "read", "write"}');
  return v.map((c, i) => {
    const where = `taxii.collections[${i}]`;
    if (!isObject(c)) throw new ConfigError(`${where} must be an object`);
    if (typeof c.id !== 'string' || !UUID4.test(c.id)) throw new ConfigError(`${where}.id must be a lowercase UUIDv4 (clients such as Sentinel require one), e.g. from \`uuidgen\``);
    if (typeof c.alias !== 'string' || !ALIAS.test(c.alias)) throw new ConfigError(`${where}.alias must be lowercase letters, digits and dashes`);
    if (typeof c.title !== 'string' || c.title.trim() === '') throw new ConfigError(`${where}.title must be a non-empty string`);
    const root = c.root === undefined ? 'api' : c.root;
    if (typeof root !== 'string' || !roots.has(root)) throw new ConfigError(`${where}.root must be api or a root of taxii.roots`);
    return {
      id: c.id,
      root,
      alias: c.alias,
      title: c.title,
      description: typeof c.description === 'string' ? c.description : '',
      read: grant(`${where}.read`, c.read, { plans: ['pro'], roles: ['admin'], accounts: [] }),
      write: grant(`${where}.write`, c.write, { plans: [], roles: ['admin'], accounts: [] }),
    };
  });
}
