import { BAND_RANGES } from '../domain/confidence.js';
import { type PositionForm, positionCondition } from './position-seek.js';
import { limitLiteral } from './sql-literals.js';
import type { TallyRow } from './store.js';
import type { BlocklistQuery } from './types.js';

/**
 * Which index drives a blocklist page. `score`: iocs_blocklist (type, score, id) WHERE status = 'active', the list's
 * own order, the other filters checked row by row. The others read only the IOCs one filter selects and sort them by
 * score: `since`, the type's IOCs added after it (iocs_type_added); `sector` and `source`, the IOCs of that sector or
 * source from `since` on (ioc_sectors, sightings_source). A filter that selects a few IOCs among many makes `score`
 * walk past thousands of rows for each one listed (a rare source of IPv4s: 245-405 ms a page at 1M); one that selects
 * most of them makes the others sort all of them (a `since` at the start: 145 ms). SQLite, which keeps no statistics,
 * is told which (blocklistDrive); PostgreSQL plans the `score` form by its own.
 */
export type BlocklistDrive = 'score' | 'since' | 'sector' | 'source';

/**
 * A page of a blocklist as SQL, written once for both dialects (ioc-select.ts's habit): the active IOCs of one type
 * in (score, id) order read backwards. `status = 'active'` stays a literal: SQLite uses a partial index only when
 * the query repeats its condition. `param` returns a placeholder bound to the value. `form`: how the position is
 * written (position-seek.ts; backwards here: `(score, id) < (s, r)`, or `score = s AND id < r`, then `score < s`).
 * `drive`: see BlocklistDrive; in any other than `score`, the columns of iocs_blocklist are written as filters only
 * (`filterOnly`, SQLite's unary +), and the driving table comes first in a CROSS JOIN, which SQLite keeps in that order.
 */
export function blocklistPageSql(
  q: BlocklistQuery,
  param: (value: number | string, type: 'bigint' | 'integer' | 'text') => string,
  form: PositionForm = 'tuple',
  drive: BlocklistDrive = 'score',
  filterOnly: (column: string) => string = (column) => column,
  until?: number,
): string {
  const byScore = drive === 'score';
  const score = byScore ? 'i.score' : filterOnly('i.score');
  // Placeholders are handed out in the order of the text.
  const where: string[] = [];
  let from = 'iocs i';
  let added = byScore ? filterOnly('i.added_at') : 'i.added_at';
  if (drive === 'sector' || drive === 'source') {
    from = drive === 'sector' ? 'ioc_sectors d CROSS JOIN iocs i' : 'sightings d CROSS JOIN iocs i';
    where.push(drive === 'sector' ? `d.sector = ${param(q.sector!, 'text')}` : `d.source_id = ${param(q.source!, 'text')}`, 'i.id = d.ioc_id');
    added = 'd.ioc_added_at';
  }
  where.push(`i.type = ${param(q.type, 'text')}`, `${byScore ? 'i.status' : filterOnly('i.status')} = 'active'`);
  if (q.band) where.push(`${score} BETWEEN ${param(BAND_RANGES[q.band].min, 'integer')} AND ${param(BAND_RANGES[q.band].max, 'integer')}`);
  if (q.after) {
    const { score: s, rowId } = q.after;
    where.push(positionCondition(form, score, 'i.id', '<', param(s, 'integer'), () => param(rowId, 'bigint')));
  }
  if (q.since !== undefined) where.push(`${added} > ${param(q.since, 'bigint')}`);
  // A window of a sorting drive (blocklistWindowEndSql): the IOCs it selects up to this added_at.
  if (until !== undefined) where.push(`${added} <= ${param(until, 'bigint')}`);
  // Primary-key probes per row: (sector, ioc_added_at, ioc_id) and (ioc_id, source_id).
  if (q.sector !== undefined && drive !== 'sector') where.push(`EXISTS (SELECT 1 FROM ioc_sectors s WHERE s.sector = ${param(q.sector, 'text')} AND s.ioc_added_at = i.added_at AND s.ioc_id = i.id)`);
  if (q.source !== undefined && drive !== 'source') where.push(`EXISTS (SELECT 1 FROM sightings s WHERE s.ioc_id = i.id AND s.source_id = ${param(q.source, 'text')})`);
  return `SELECT i.value, i.score, i.id FROM ${from} WHERE ${where.join(' AND ')} ORDER BY i.score DESC, i.id DESC LIMIT ${limitLiteral(q.limit)}`;
}

/**
 * The IOCs a blocklist page's filter selects, counted up to `cap`: the driving range of `drive` (other than `score`)
 * without the other filters. SQLite's SQL (`?` placeholders, INDEXED BY), and its values.
 */
export function blocklistDriveCountSql(q: BlocklistQuery, drive: Exclude<BlocklistDrive, 'score'>, cap: number): { sql: string; params: unknown[] } {
  const since = q.since !== undefined ? ' AND ioc_added_at > ?' : '';
  const sinceParams = q.since !== undefined ? [q.since] : [];
  const range = drive === 'since'
    ? { sql: 'SELECT 1 FROM iocs INDEXED BY iocs_type_added WHERE type = ? AND added_at > ?', params: [q.type, q.since] }
    : drive === 'sector'
      ? { sql: `SELECT 1 FROM ioc_sectors WHERE sector = ?${since}`, params: [q.sector, ...sinceParams] }
      : { sql: `SELECT 1 FROM sightings INDEXED BY sightings_source WHERE source_id = ?${since}`, params: [q.source, ...sinceParams] };
  return { sql: `SELECT count(*) FROM (${range.sql} LIMIT ${limitLiteral(cap)})`, params: range.params };
}

/**
 * The added_at that ends a window of about `entries` IOCs of a sorting drive (not `score`) after `q.since`: the
 * `entries`-th of the drive's index, no row when fewer follow. A window holds every IOC of its last added_at (a
 * transaction's IOCs share one), so that windows are bounded on that column alone, which each index seeks. SQLite's SQL
 * (`?` placeholders), and its values.
 */
export function blocklistWindowEndSql(q: BlocklistQuery, drive: Exclude<BlocklistDrive, 'score'>, entries: number): { sql: string; params: unknown[] } {
  const after = q.since ?? -1;
  const range = drive === 'since'
    ? { sql: 'SELECT added_at FROM iocs INDEXED BY iocs_type_added WHERE type = ? AND added_at > ? ORDER BY added_at', params: [q.type, after] }
    : drive === 'sector'
      ? { sql: 'SELECT ioc_added_at FROM ioc_sectors WHERE sector = ? AND ioc_added_at > ? ORDER BY ioc_added_at', params: [q.sector, after] }
      : { sql: 'SELECT ioc_added_at FROM sightings INDEXED BY sightings_source WHERE source_id = ? AND ioc_added_at > ? ORDER BY ioc_added_at', params: [q.source, after] };
  return { sql: `${range.sql} LIMIT 1 OFFSET ${limitLiteral(entries - 1)}`, params: range.params };
}

/**
 * Two pages in blocklist order (score, then id, highest first) merged: the first `limit` entries of both. The windows
 * of a sorting drive each give their own best (blocklistWindowEndSql); the page is the best of them.
 */
export function mergeBlocklistPages<T extends { score: number; rowId: number }>(a: T[], b: T[], limit: number): T[] {
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (out.length < limit && (i < a.length || j < b.length)) {
    const x = a[i];
    const y = b[j];
    if (y === undefined || (x !== undefined && (x.score > y.score || (x.score === y.score && x.rowId > y.rowId)))) {
      out.push(x!);
      i++;
    } else {
      out.push(y);
      j++;
    }
  }
  return out;
}

/**
 * Which index should drive a page (BlocklistDrive), from the counts of what each filter selects. Walking by score
 * reads about limit × N / n rows when the filter keeps n of the N IOCs its index holds (`since`: the type's active
 * IOCs; a sector or source: the active IOCs of every type, as their indexes hold every type); reading those n and
 * sorting the page's type among them costs about n. So a filter drives when it selects fewer than √(limit × N): the
 * one that selects fewest. `counted` gives a filter's count capped at `cap` (cap when it selects as many or more).
 */
export function blocklistDrive(
  q: BlocklistQuery,
  active: { ofType: number; all: number },
  counted: (drive: Exclude<BlocklistDrive, 'score'>, cap: number) => number,
): BlocklistDrive {
  let best: BlocklistDrive = 'score';
  let fewest = Number.POSITIVE_INFINITY;
  for (const drive of ['since', 'sector', 'source'] as const) {
    if ((drive === 'since' ? q.since : drive === 'sector' ? q.sector : q.source) === undefined) continue;
    const n = Math.max(drive === 'since' ? active.ofType : active.all, 1);
    const cap = Math.min(fewest, Math.max(q.limit, Math.ceil(Math.sqrt(q.limit * n))));
    const selected = counted(drive, cap);
    if (selected < cap) {
      best = drive;
      fewest = selected;
    }
  }
  return best;
}

/** The tallies as one canonical text (order-free): part of DataVersion. */
export function talliesText(types: TallyRow[], sectors: TallyRow[]): string {
  const cell = (prefix: string) => (r: TallyRow) => `${prefix}${r.key}/${r.status}/${r.band}=${Number(r.n)}`;
  return [...types.filter((r) => Number(r.n) !== 0).map(cell('t:')), ...sectors.filter((r) => Number(r.n) !== 0).map(cell('s:'))].sort().join(',');
}
