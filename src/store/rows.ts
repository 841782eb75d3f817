import { randomUUID } from 'node:crypto';
import { type IocType, stixTypeOf } from '../domain/ioc-types.js';
import { roleSet } from '../domain/plans.js';
import { isRole, type Role } from '../domain/roles.js';
import type { Tlp } from '../domain/tlp.js';
import { parseList } from './merge.js';
import type { IocFacts } from './ioc-reconcile.js';
import type {
  Account, AllowEntry, ApiKeyRecord, ApiKeyWithAccount, Ioc, IocListRow, IocMatch, IocStatus, Plan, RunOutcome, Sighting, SourceRecord, SourceRun, SourceSetting, SourceSettingPatch, StixVersion,
} from './types.js';

/**
 * Rows both stores read the same way (snake_case columns, numbers for times): their shapes and mappers, written
 * once. Booleans differ by driver (SQLite 0/1, PostgreSQL true/false): a row type takes theirs as `B`, and `flag`
 * reads either.
 */

/** A boolean column as the driver returns it: SQLite 0/1, PostgreSQL true/false. */
export type Flag = number | boolean;

export function flag(v: Flag): boolean {
  return v === true || v === 1;
}

export interface SourceRow<B extends Flag> {
  id: string;
  name: string;
  reliability: number;
  redistributable: B;
  aggregate: B;
  tlp: Tlp;
  no_decay: B;
}

export const sourceOf = (r: SourceRow<Flag>): SourceRecord => ({
  id: r.id, name: r.name, reliability: r.reliability, redistributable: flag(r.redistributable), aggregate: flag(r.aggregate),
  tlp: r.tlp, noDecay: flag(r.no_decay),
});

export interface AccountRow {
  id: number;
  email: string;
  plan: Plan;
  roles: string;
  created_at: number;
  disabled_at: number | null;
  disabled_reason: string | null;
}

export const accountOf = (r: AccountRow): Account => ({
  id: r.id, email: r.email, plan: r.plan, roles: rolesFromText(r.roles), createdAt: r.created_at,
  disabledAt: r.disabled_at, disabledReason: r.disabled_reason,
});

/**
 * Roles are stored as one TEXT column, the names comma-separated in ROLES order (`analyst,admin`; '' for none), so
 * both databases hold them alike and a CHECK lists every allowed text (migrations: SQLite 9, PostgreSQL 12).
 */
export const rolesText = (roles: readonly Role[]): string => roleSet(roles).join(',');
export const rolesFromText = (text: string): Role[] => roleSet(text.split(',').filter(isRole));

/** The columns of an account a key row carries (`k.*, ${KEY_ACCOUNT_COLUMNS}` joined on the account). */
export const KEY_ACCOUNT_COLUMNS = 'a.email, a.plan, a.roles, a.disabled_at';

export interface SightingColumns {
  source_id: string;
  first_seen: number;
  last_seen: number;
  count: number;
  confidence: number | null;
  reference: string | null;
  ended_at: number | null;
  /** The source's claim of the end of validity (a submitted valid_until); null: none. */
  expires_at: number | null;
}

export const sightingOf = (s: SightingColumns): Sighting => ({
  source: s.source_id,
  firstSeen: s.first_seen,
  lastSeen: s.last_seen,
  count: s.count,
  confidence: s.confidence,
  reference: s.reference,
  endedAt: s.ended_at,
  expiresAt: s.expires_at === null ? null : Number(s.expires_at),
});

export interface VersionColumns<B extends Flag> {
  date_added: number;
  modified: number;
  latest: B;
  revoked: B;
  json: string;
}

export const stixVersionOf = (r: VersionColumns<Flag>): StixVersion => ({
  dateAdded: r.date_added, modified: r.modified, latest: flag(r.latest), revoked: flag(r.revoked), json: r.json,
});
export interface RunRow {
  id: number;
  source_id: string;
  started_at: number;
  finished_at: number | null;
  outcome: RunOutcome;
  records: number;
  inserted: number;
  updated: number;
  unchanged: number;
  delisted: number;
  rejected: number;
  excluded: number;
  allowlisted: number;
  bytes: number;
  error: string | null;
  etag: string | null;
  last_modified: string | null;
}

export const runOf = (r: RunRow): SourceRun => ({
  id: r.id, sourceId: r.source_id, startedAt: r.started_at, finishedAt: r.finished_at, outcome: r.outcome, records: r.records,
  inserted: r.inserted, updated: r.updated, unchanged: r.unchanged, delisted: r.delisted, rejected: r.rejected,
  excluded: Number(r.excluded), allowlisted: Number(r.allowlisted), bytes: r.bytes,
  error: r.error, etag: r.etag, lastModified: r.last_modified,
});

/*
 * source_runs is never pruned: at a run every few minutes for each of 40 sources it holds millions of rows within a
 * few years. The two reads below are asked on every /metrics scrape, every scheduler turn and every "run now", so each
 * is a few index probes whatever the history; ordered by id with a LIMIT, SQLite walked back through a source's runs
 * (source_runs_source) past every one of another outcome, and the latest runs were a scan of every run.
 */

/**
 * The last run of a source with one of `outcomes`: one max() probe of source_runs_outcome (source_id, outcome, id)
 * per outcome. `param` hands out a placeholder for a bound text.
 */
export function lastRunSql(source: string, outcomes: readonly string[], param: (v: string) => string): string {
  const probes = outcomes.map((o) => `SELECT (SELECT max(x.id) FROM source_runs x WHERE x.source_id = ${param(source)} AND x.outcome = ${param(o)}) AS m`);
  return `SELECT * FROM source_runs WHERE id = (SELECT max(m) FROM (${probes.join(' UNION ALL ')}) AS probes)`;
}

/** The outcomes of a run not yet ended: at most one such run per source (a queued one, or the one running). */
export const PENDING_OUTCOMES: readonly string[] = ['queued', 'running'];

/**
 * The last run of every source that has run, by source id: the sources found by skipping from one to the next in
 * source_runs_source (source_id, id), then one max() probe each.
 */
export const LATEST_RUNS_SQL = `WITH RECURSIVE ids (s) AS (
    SELECT min(source_id) FROM source_runs
    UNION ALL SELECT (SELECT min(x.source_id) FROM source_runs x WHERE x.source_id > ids.s) FROM ids WHERE ids.s IS NOT NULL)
  SELECT r.* FROM ids JOIN source_runs r ON r.id = (SELECT max(y.id) FROM source_runs y WHERE y.source_id = ids.s)
  ORDER BY r.source_id`;

export interface KeyRow {
  id: number;
  account_id: number;
  prefix: string;
  hash: string;
  name: string | null;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
  email: string;
  plan: Plan;
  roles: string;
  disabled_at: number | null;
}

export function toKey(r: KeyRow): ApiKeyWithAccount {
  return {
    id: r.id, accountId: r.account_id, prefix: r.prefix, hash: r.hash, name: r.name, createdAt: r.created_at,
    lastUsedAt: r.last_used_at, revokedAt: r.revoked_at, email: r.email, plan: r.plan, roles: rolesFromText(r.roles),
    disabledAt: r.disabled_at,
  };
}

/** A key without its account's columns (an `api_keys` row). */
export function keyRecordOf(r: Omit<KeyRow, 'email' | 'plan' | 'roles' | 'disabled_at'>): ApiKeyRecord {
  return {
    id: r.id, accountId: r.account_id, prefix: r.prefix, hash: r.hash, name: r.name, createdAt: r.created_at,
    lastUsedAt: r.last_used_at, revokedAt: r.revoked_at,
  };
}

/** A new STIX id for an IOC: `indicator--<uuid4>`, or `vulnerability--<uuid4>` for a CVE. Made once, never changed. */
export function newStixId(type: IocType): string {
  return `${stixTypeOf(type)}--${randomUUID()}`;
}

/**
 * What an IOC page reads (queryIocs), as one statement: the columns of `IocColumns` with the row id and
 * `redistributable`, the IOC's sources as the JSON list its row keeps (`sources`, sorted, migration 24). Read as
 * arrays in this order (toListedIoc): no wide row objects, and no second query for the sources.
 */
export const LIST_COLUMNS =
  'i.stix_id, i.type, i.value, i.score, i.first_seen, i.last_seen, i.added_at, i.updated_at, i.tags, i.malware, i.sectors, i.tlp, i.status, i.valid_until, i.redistributable, i.sources, i.id';
export type ListedRow = [string, IocType, string, number, number, number, number, number, string, string, string, Tlp, IocStatus, number, Flag, string, number];

/** A row read with `LIST_COLUMNS` as the API's Ioc, its JSON lists parsed. */
export function toListedIoc(r: ListedRow): Ioc {
  return {
    id: r[0], type: r[1], value: r[2], score: r[3], firstSeen: Number(r[4]), lastSeen: Number(r[5]), addedAt: Number(r[6]),
    updatedAt: Number(r[7]), sources: parseList(r[15]), tags: parseList(r[8]), malware: parseList(r[9]), sectors: parseList(r[10]),
    tlp: r[11], status: r[12], validUntil: Number(r[13]), redistributable: flag(r[14]),
  };
}

/**
 * What the REST list reads (listIocs), as one statement: the columns it writes one by one, and between `added_at` and
 * `valid_until` the members it writes as they are, made into one text by the database (`labels`: sources, the three
 * label lists, tlp and status, as `"sources":[…],"tags":[…],"malware":[…],"sectors":[…],"tlp":"…","status":"…"`). Six
 * values fewer per row to hand over, and to write: 10–15% of the page's query. The lists are the JSON the row keeps;
 * `quote` is the dialect's JSON string of a text column, the same as JSON.stringify for the TLP and status names.
 */
export const listTextColumns = (quote: (column: string) => string) =>
  `i.stix_id, i.type, i.value, i.score, i.first_seen, i.last_seen, i.added_at, ` +
  `'"sources":' || i.sources || ',"tags":' || i.tags || ',"malware":' || i.malware || ',"sectors":' || i.sectors || ` +
  `',"tlp":' || ${quote('i.tlp')} || ',"status":' || ${quote('i.status')} AS labels, i.valid_until, i.id`;
export type ListTextRow = [string, IocType, string, number, number, number, number, string, number, number];

/** A row read with `listTextColumns` as the REST list writes it. */
export function toListRow(r: ListTextRow): IocListRow {
  return {
    id: r[0], type: r[1], value: r[2], score: r[3], firstSeen: Number(r[4]), lastSeen: Number(r[5]), addedAt: Number(r[6]),
    labelsJson: r[7], validUntil: Number(r[8]),
  };
}

/** The columns of an `iocs` row that the REST representation reads. */
export interface IocColumns {
  stix_id: string;
  type: IocType;
  value: string;
  score: number;
  first_seen: number;
  last_seen: number;
  added_at: number;
  updated_at: number;
  tags: string;
  malware: string;
  sectors: string;
  /** The IOC's sources: the sorted JSON list of the source ids of its sightings (migration 24; merge.ts withSource). */
  sources: string;
  tlp: Tlp;
  status: IocStatus;
  valid_until: number;
}

/** An `iocs` row: the columns the API reads, and the state of reconciling and versioning. */
export interface IocStateColumns<B extends Flag> extends IocColumns {
  id: number;
  redistributable: B;
  modified: number | null;
  version_seq: number | null;
  versioned_score: number | null;
  versioned_valid_until: number | null;
  base_score: number | null;
  no_decay: B;
}

/** What the reconcile decision reads of a row (ioc-reconcile.ts). */
export const factsOf = (row: IocStateColumns<Flag>): IocFacts => ({
  type: row.type, score: row.score, baseScore: row.base_score, firstSeen: row.first_seen, lastSeen: row.last_seen, tlp: row.tlp,
  redistributable: flag(row.redistributable), noDecay: flag(row.no_decay), tags: row.tags, malware: row.malware, sectors: row.sectors,
  validUntil: row.valid_until, status: row.status, versionedScore: row.versioned_score, versionedValidUntil: row.versioned_valid_until,
});

/** An `iocs` row as the API sees it; `redistributable` is passed normalized (SQLite stores 0/1). */
export function toIoc(r: IocColumns, redistributable: boolean, sources: string[]): Ioc {
  return {
    id: r.stix_id, type: r.type, value: r.value, score: r.score, firstSeen: r.first_seen, lastSeen: r.last_seen,
    addedAt: r.added_at, updatedAt: r.updated_at, sources, tags: parseList(r.tags), malware: parseList(r.malware),
    sectors: parseList(r.sectors), tlp: r.tlp, status: r.status, validUntil: r.valid_until, redistributable,
  };
}

/** The `iocs` columns a look-up reads (IocMatch), in both stores' SQL as `MATCH_COLUMNS` names them. */
export const MATCH_COLUMNS = 'i.id, i.stix_id, i.type, i.value, i.status, i.score, i.tags, i.malware, i.sectors, i.tlp';
export type MatchColumns = Pick<IocStateColumns<Flag>, 'id' | 'stix_id' | 'type' | 'value' | 'status' | 'score' | 'tags' | 'malware' | 'sectors' | 'tlp'>;
/** The `sightings` columns a look-up reads. */
export const MATCH_SIGHTING_COLUMNS = 'ioc_id, source_id, first_seen, last_seen, ended_at';
export type MatchSightingColumns = Pick<SightingColumns, 'source_id' | 'first_seen' | 'last_seen' | 'ended_at'> & { ioc_id: number };

/** A look-up's rows: each IOC row with its sightings (grouped by ioc_id), as IocMatch. */
export function toMatches(rows: readonly MatchColumns[], sightings: readonly MatchSightingColumns[]): IocMatch[] {
  const byIoc = new Map<number, IocMatch['sightings']>();
  for (const s of sightings) {
    const one = { source: s.source_id, firstSeen: Number(s.first_seen), lastSeen: Number(s.last_seen), endedAt: s.ended_at === null ? null : Number(s.ended_at) };
    const list = byIoc.get(Number(s.ioc_id));
    if (list) list.push(one);
    else byIoc.set(Number(s.ioc_id), [one]);
  }
  return rows.map((r) => ({
    id: r.stix_id, type: r.type, value: r.value, status: r.status, score: r.score, tags: parseList(r.tags), malware: parseList(r.malware),
    sectors: parseList(r.sectors), tlp: r.tlp, sightings: byIoc.get(Number(r.id)) ?? [],
  }));
}

/** The media types column of a loaded TAXII collection (a JSON list of strings), or null when absent or unreadable. */
export function parseMediaTypes(text: string | null): string[] | null {
  if (text === null) return null;
  try {
    const list: unknown = JSON.parse(text);
    return Array.isArray(list) && list.length > 0 && list.every((m) => typeof m === 'string') ? (list as string[]) : null;
  } catch {
    return null;
  }
}

/** An `allowlist` row, as both databases return it (PostgreSQL BIGINTs may come back as strings). */
export interface AllowRow {
  id: number | string;
  kind: AllowEntry['kind'];
  type: AllowEntry['type'];
  value: string;
  reason: string;
  author: number | string | null;
  created_at: number | string;
  expires_at: number | string | null;
}

export const allowEntryOf = (r: AllowRow): AllowEntry => ({
  id: Number(r.id), kind: r.kind, type: r.type, value: r.value, reason: r.reason,
  author: r.author === null ? null : Number(r.author), createdAt: Number(r.created_at),
  expiresAt: r.expires_at === null ? null : Number(r.expires_at),
});

export interface SourceSettingRow {
  source_id: string;
  enabled: number | boolean | null;
  schedule: string | null;
  api_key: string | null;
  updated_at: number;
  updated_by: string | null;
}

export const sourceSettingOf = (r: SourceSettingRow): SourceSetting => ({
  sourceId: r.source_id, enabled: r.enabled === null ? null : Boolean(r.enabled), schedule: r.schedule, apiKey: r.api_key,
  updatedAt: Number(r.updated_at), updatedBy: r.updated_by,
});

/** A setting with a change applied (undefined keeps a field, null clears it); undefined when no field is left set. */
export function patchedSetting(old: SourceSetting | undefined, source: string, p: SourceSettingPatch, now: number, by: string | null): SourceSetting | undefined {
  const pick = <T>(v: T | null | undefined, was: T | null | undefined): T | null => (v === undefined ? (was ?? null) : v);
  const next: SourceSetting = {
    sourceId: source,
    enabled: pick(p.enabled, old?.enabled),
    schedule: pick(p.schedule, old?.schedule),
    apiKey: pick(p.apiKey, old?.apiKey),
    updatedAt: now,
    updatedBy: by,
  };
  return next.enabled === null && next.schedule === null && next.apiKey === null ? undefined : next;
}
