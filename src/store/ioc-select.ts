import { BAND_RANGES } from '../domain/confidence.js';
import { DAY_MS } from '../domain/durations.js';
import { IOC_TYPES, type IocType } from '../domain/ioc-types.js';
import { TLP_LEVELS } from '../domain/tlp.js';
import { type PositionForm, positionCondition } from './position-seek.js';
import { statusLiteral } from './sql-literals.js';
import type { IocQuery, SourceDay } from './types.js';

/**
 * What the REST-order walk of IOCs needs from a dialect (log-page.ts's habit: the SQL logic written once, the
 * dialect supplies placeholders and the few conditions each database indexes its own way). The dialect collects
 * the bound values in the order it hands out placeholders.
 */
export interface IocSqlDialect {
  /** A placeholder bound to `value`. */
  param(value: number | string, type: 'bigint' | 'integer' | 'text'): string;
  /** The IOC `i` has this exact value, of one of `types` (the look-up of a value by its index). */
  valueIs(types: readonly IocType[], value: string): string;
  /** `i.type` is one of several `types`, as a filter that keeps the planner on the REST-order index. */
  typeIn(types: readonly IocType[]): string;
  /** The boolean column `column` is set, as a filter, never the index that drives the walk. */
  isSet(column: string): string;
  /**
   * `column` as an operand the planner filters on but never drives the walk by (SQLite's unary `+`). The partial
   * indexes iocs_blocklist (status = 'active') and iocs_tlp_shared (redistributable = 1) match these filters: without
   * statistics, SQLite chose one of them for a small LIMIT and sorted every row it holds (`limit=1` at 1M IOCs: 3.1 s).
   */
  filterOnly(column: string): string;
  /**
   * The row count of a LIMIT: a literal in SQLite (sql-literals.ts: a bound LIMIT is prepared again at every page), a
   * placeholder in PostgreSQL (whose named statements, one per SQL text and connection, a literal would multiply).
   */
  limit(n: number): string;
}

/** Where a REST walk is: the (added_at, id) of the last IOC read. */
export type IocWalkPosition = NonNullable<IocQuery['after']>;

/** The index that drives a REST walk: the table read in (added_at, id) order, its order columns, its own conditions. */
interface WalkDrive {
  /** The driving table alone (a window's end is read from it), and how the IOCs join it (empty: it is `iocs i`). */
  table: string;
  join: string;
  k: { at: string; id: string };
  /** Conditions on the driving table alone, in the order their placeholders were handed out. */
  where: string[];
  /** The type filter is the drive's own (the type's index). */
  byType: boolean;
}

/** The most selective index in (added_at, id) order: the sector or source tables when those filters are given, the type's index for one type. */
function walkDrive(q: IocQuery, d: IocSqlDialect): WalkDrive {
  const byIoc = { join: 'JOIN iocs i ON i.id = d.ioc_id', k: { at: 'd.ioc_added_at', id: 'd.ioc_id' }, byType: false };
  if (q.sector !== undefined) return { table: 'ioc_sectors d', ...byIoc, where: [`d.sector = ${d.param(q.sector, 'text')}`] };
  if (q.source !== undefined) return { table: 'sightings d', ...byIoc, where: [`d.source_id = ${d.param(q.source, 'text')}`] };
  // (type, added_at, id) index: a pure range scan for one type. Not beside a value, which its own index finds: for a
  // small LIMIT SQLite preferred this one (no sort) and stepped through every IOC of the type.
  const byType = q.types?.length === 1 && q.value === undefined;
  return { table: 'iocs i', join: '', k: { at: 'i.added_at', id: 'i.id' }, where: byType ? [`i.type = ${d.param(q.types![0]!, 'text')}`] : [], byType };
}

/**
 * The walk's range on its order: after `since` and the position, up to `until` for a window of it (walkWindowEndSql).
 * One range condition on the walk's order, so that the planner seeks to the position: a cursor past `since` (every
 * cursor of a walk with `since`: it was issued for the same filters) makes it redundant, and with both the planner
 * scanned from `since` to the position, a page deep in the walk costing ever more (33 ms at 800k rows).
 */
function walkRange(q: IocQuery, k: WalkDrive['k'], d: IocSqlDialect, form: PositionForm, until?: IocWalkPosition): string[] {
  const where: string[] = [];
  if (q.since !== undefined && !(q.after && q.after.addedAt > q.since)) where.push(`${k.at} > ${d.param(q.since, 'bigint')}`);
  if (q.after) {
    const { addedAt, rowId } = q.after;
    where.push(positionCondition(form, k.at, k.id, '>', d.param(addedAt, 'bigint'), () => d.param(rowId, 'bigint')));
  }
  if (until) where.push(`(${k.at}, ${k.id}) <= (${d.param(until.addedAt, 'bigint')}, ${d.param(until.rowId, 'bigint')})`);
  return where;
}

/**
 * The REST-order walk of IOCs under a query, as SQL: the driving table is the most selective index in
 * (added_at, id) order — the sector or source tables when those filters are given — so every page is a range scan.
 * `limit + 1` rows, so that the caller knows whether more follow (iocPageOf). `form`: how the position is written
 * (position-seek.ts); `until`: the last position of a window of the walk (walkFiltered, walkWindowEndSql).
 */
export function iocSelectSql(q: IocQuery & { redistributableOnly?: boolean }, columns: string, join: string, d: IocSqlDialect, form: PositionForm = 'tuple', until?: IocWalkPosition): string {
  const { table, join: driveJoin, k, where, byType } = walkDrive(q, d);
  if (q.source !== undefined && q.sector !== undefined) {
    where.push(`EXISTS (SELECT 1 FROM sightings s WHERE s.ioc_id = i.id AND s.source_id = ${d.param(q.source, 'text')})`);
  }
  // A value is of one type: look it up by each type asked for (all when none is).
  if (q.value !== undefined) where.push(d.valueIs(q.types ?? IOC_TYPES, q.value));
  if (q.types && q.types.length > 0 && !byType) where.push(d.typeIn(q.types));
  where.push(...walkRange(q, k, d, form, until));
  if (q.band) where.push(`i.score BETWEEN ${d.param(BAND_RANGES[q.band].min, 'integer')} AND ${d.param(BAND_RANGES[q.band].max, 'integer')}`);
  // A literal (sql-literals.ts): as a placeholder, beside the partial index iocs_blocklist (status = 'active'), SQLite
  // would prepare the statement again at every page.
  if (q.status !== 'all') where.push(`${d.filterOnly('i.status')} = ${statusLiteral(q.status)}`);
  if (q.redistributableOnly) where.push(d.isSet('i.redistributable'));
  const limit = d.limit(q.limit + 1);
  return `SELECT ${columns} FROM ${table} ${driveJoin} ${join} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${k.at}, ${k.id} LIMIT ${limit}`;
}

/**
 * Whether a page of the walk may pass over many entries of the index that drives it: any filter beyond that index's
 * own (a status, a confidence band, several types, a source beside a sector, shareable IOCs only). A value is looked
 * up by its own index. Such a page is read in windows (scan-window.ts) where the statements run on the event loop:
 * the walk of active IOCs passes over every revoked one before it, and IOCs are revoked oldest first.
 */
export function walkFiltered(q: IocQuery & { redistributableOnly?: boolean }): boolean {
  if (q.value !== undefined) return false;
  return q.status !== 'all' || q.band !== undefined || q.redistributableOnly === true || (q.types !== undefined && q.types.length > 1) ||
    (q.source !== undefined && q.sector !== undefined);
}

/**
 * The SELECT over the IOC tallies (`ioc_counts`, `ioc_sector_counts`) of two counts, `drive` and `matching`: the entries
 * of the walk's driving index and those its filters keep. Their difference bounds the entries a page can pass over to
 * find its IOCs. Undefined when the tallies cannot tell: a walk by source, a type filter beside a sector, shareable IOCs
 * only, a source beside a sector.
 */
export function walkTallySql(q: IocQuery & { redistributableOnly?: boolean }, param: (value: string) => string): string | undefined {
  if (q.source !== undefined || q.redistributableOnly || (q.sector !== undefined && q.types !== undefined)) return undefined;
  const keep: string[] = [];
  let from: string;
  if (q.sector !== undefined) {
    from = `ioc_sector_counts WHERE sector = ${param(q.sector)}`;
  } else {
    // The drive: the type's index for one type, else every IOC (iocs_added).
    from = q.types?.length === 1 ? `ioc_counts WHERE type = ${param(q.types[0]!)}` : 'ioc_counts';
    if (q.types && q.types.length > 1) keep.push(`type IN (${q.types.map(param).join(', ')})`);
  }
  if (q.status !== 'all') keep.push(`status = ${param(q.status)}`);
  if (q.band) keep.push(`band = ${param(q.band)}`);
  const matching = keep.length ? `sum(n) FILTER (WHERE ${keep.join(' AND ')})` : 'sum(n)';
  return `SELECT coalesce(sum(n), 0) AS drive, coalesce(${matching}, 0) AS matching FROM ${from}`;
}

/**
 * The SELECT of the last position (`added_at, id`) of a window of the walk: the `entries`-th entry of its driving index
 * past the query's position (in `form`), no row when fewer follow. Read from that index alone.
 */
export function walkWindowEndSql(q: IocQuery, d: IocSqlDialect, form: PositionForm, entries: number): string {
  const { table, k, where } = walkDrive(q, d);
  where.push(...walkRange(q, k, d, form));
  return `SELECT ${k.at}, ${k.id} FROM ${table} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${k.at}, ${k.id} LIMIT 1 OFFSET ${entries - 1}`;
}

/**
 * The SELECT of `columns` over a source's sightings `d` (and their IOCs `i` when `withIocs`) past `q`'s position (in
 * `form`), up to `until` for a window of them and at most `limit` rows, in the order of the source's sightings index,
 * with `extra` conditions (a function: their placeholders come after the others').
 */
function sourceSightingsSql(q: IocQuery, d: IocSqlDialect, form: PositionForm, until: IocWalkPosition | undefined, limit: number | undefined,
  columns: string, withIocs: boolean, extra: () => string[]): string {
  const { table, join, k, where } = walkDrive(q, d);
  where.push(...walkRange(q, k, d, form, until), ...extra());
  return `SELECT ${columns} FROM ${table} ${withIocs ? join : ''} WHERE ${where.join(' AND ')} ORDER BY ${k.at}, ${k.id}${limit === undefined ? '' : ` LIMIT ${d.limit(limit)}`}`;
}

/**
 * The SELECT of the ids of a source's live sightings not seen by `run` (the end of a snapshot), among its sightings past
 * `q`'s position (in `form`) and up to `until` for a window of them: the source's sightings index alone with each
 * sighting's row, no IOC read.
 */
export function unseenSightingsSql(q: IocQuery, run: number, d: IocSqlDialect, form: PositionForm = 'tuple', until?: IocWalkPosition): string {
  return sourceSightingsSql(q, d, form, until, undefined, 'd.ioc_id', false,
    () => ['d.ended_at IS NULL', `(d.seen_run IS NULL OR d.seen_run <> ${d.param(run, 'bigint')})`]);
}

/**
 * The SELECT of a source's live sightings as relisting reads them (IngestWrites.relistSource): `type, value, first_seen,
 * confidence, reference, tlp`, then the position `ioc_added_at, ioc_id` (pages continue from the last), past `q`'s
 * position (in `form`), up to `until` and at most `limit` rows.
 */
export function liveSightingsSql(q: IocQuery, d: IocSqlDialect, form: PositionForm = 'tuple', until?: IocWalkPosition, limit?: number): string {
  return sourceSightingsSql(q, d, form, until, limit, 'i.type, i.value, d.first_seen, d.confidence, d.reference, i.tlp, d.ioc_added_at, d.ioc_id', true,
    () => ['d.ended_at IS NULL']);
}

/**
 * A walk of a source's sightings, active IOCs or revoked, past `after` if given, of IOCs added after `since` if given:
 * what sourceSightingsSql's readers and sourceDaysSql read.
 */
export function sightingsWalk(source: string, after?: IocWalkPosition, since?: number): IocQuery {
  return { source, status: 'all', limit: 1, ...(after ? { after } : {}), ...(since !== undefined ? { since } : {}) };
}

/** The TLP of `i` as its index in TLP_LEVELS (the levels are constants of ours, written as literals). */
const TLP_RANK = `CASE i.tlp ${TLP_LEVELS.map((t, n) => `WHEN '${t}' THEN ${n}`).join(' ')} END`;

/**
 * The SELECT of the redistributable IOCs of `q` (sightingsWalk since `from` - 1), past its position in `form` and up to `until` for a window
 * of the walk, summed per UTC day since `from` (a midnight): `day, n, updated_at, score, tlp` (IocReads.sourceDays). It
 * reads the walk's driving index (the source's sightings in (added_at, id) order) and each IOC's row, and builds no
 * object per IOC: the MISP manifest of 1M IOCs cost 3.6–4.4 s of CPU as a walk of their pages.
 */
export function sourceDaysSql(q: IocQuery, from: number, d: IocSqlDialect, form: PositionForm = 'tuple', until?: IocWalkPosition): string {
  // Placeholders are handed out in the order of the text (SQLite binds `?` so): the select list's first. An integer
  // (SQLite binds a JS number as a real, and the day would be a fraction).
  const start = `CAST(${d.param(from, 'bigint')} AS BIGINT)`;
  const { table, join, k, where } = walkDrive(q, d);
  where.push(...walkRange(q, k, d, form, until), d.isSet('i.redistributable'));
  return `SELECT (${k.at} - ${start}) / ${DAY_MS} AS day, count(*) AS n, max(i.updated_at) AS updated_at, max(i.score) AS score,
            max(${TLP_RANK}) AS tlp
          FROM ${table} ${join} WHERE ${where.join(' AND ')} GROUP BY 1 ORDER BY 1`;
}

/** Adds the rows of sourceDaysSql to `days` (the sums of several windows, or of both seeks past a position, merged). */
export function addSourceDays(days: Map<number, SourceDay>, rows: ReadonlyArray<{ day: number; n: number; updated_at: number; score: number; tlp: number | null }>): void {
  for (const r of rows) {
    const day = Number(r.day);
    const had = days.get(day);
    const tlp = r.tlp ?? 0;
    if (!had) days.set(day, { day, count: Number(r.n), updatedAt: Number(r.updated_at), maxScore: Number(r.score), tlp });
    else {
      had.count += Number(r.n);
      had.updatedAt = Math.max(had.updatedAt, Number(r.updated_at));
      had.maxScore = Math.max(had.maxScore, Number(r.score));
      had.tlp = Math.max(had.tlp, tlp);
    }
  }
}

/** The days addSourceDays gathered, in order. */
export function sourceDaysOf(days: Map<number, SourceDay>): SourceDay[] {
  return [...days.values()].sort((a, b) => a.day - b.day);
}

/** The columns of a page of shared values (pageSharedValues). */
export const VALUE_PAGE_COLUMNS = 'i.value, i.added_at, i.id';

/** The columns and join of a STIX export page (pageStixObjects): the JSON of each IOC's latest version. */
export const STIX_PAGE = { columns: 'v.json, i.added_at, i.id', join: 'JOIN object_versions v ON v.seq = i.version_seq' } as const;

/** A page read with iocSelectSql: `limit` rows at most, and the position of the last when more follow. */
export function iocPageOf<T>(rows: T[], limit: number, position: (row: T) => { addedAt: number; rowId: number }): { rows: T[]; next: { addedAt: number; rowId: number } | null } {
  const more = rows.length > limit;
  if (more) rows.length = limit;
  const last = rows[rows.length - 1];
  return { rows, next: more && last ? position(last) : null };
}

