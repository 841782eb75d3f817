import { BAND_RANGES } from '../domain/confidence.js';
import { type PositionForm, positionCondition } from './position-seek.js';
import { limitLiteral } from './sql-literals.js';
import type { TallyRow } from './store.js';
import type { BlocklistQuery } from './types.js';

/**
 * A page of a blocklist as SQL, written once for both dialects (ioc-select.ts's habit): the active IOCs of one type
 * in (score, id) order read backwards, so that the partial index iocs_blocklist (type, score, id) WHERE status =
 * 'active' serves it as one range scan. `status = 'active'` stays a literal: SQLite uses a partial index only when
 * the query repeats its condition. `param` returns a placeholder bound to the value. `form`: how the position is
 * written (position-seek.ts; backwards here: `(score, id) < (s, r)`, or `score = s AND id < r`, then `score < s`).
 */
export function blocklistPageSql(q: BlocklistQuery, param: (value: number | string, type: 'bigint' | 'integer' | 'text') => string, form: PositionForm = 'tuple'): string {
  const where = [`i.type = ${param(q.type, 'text')}`, `i.status = 'active'`];
  if (q.band) where.push(`i.score BETWEEN ${param(BAND_RANGES[q.band].min, 'integer')} AND ${param(BAND_RANGES[q.band].max, 'integer')}`);
  if (q.after) {
    const { score, rowId } = q.after;
    where.push(positionCondition(form, 'i.score', 'i.id', '<', param(score, 'integer'), () => param(rowId, 'bigint')));
  }
  if (q.since !== undefined) where.push(`i.added_at > ${param(q.since, 'bigint')}`);
  // Primary-key probes per row: (sector, ioc_added_at, ioc_id) and (ioc_id, source_id).
  if (q.sector !== undefined) where.push(`EXISTS (SELECT 1 FROM ioc_sectors d WHERE d.sector = ${param(q.sector, 'text')} AND d.ioc_added_at = i.added_at AND d.ioc_id = i.id)`);
  if (q.source !== undefined) where.push(`EXISTS (SELECT 1 FROM sightings s WHERE s.ioc_id = i.id AND s.source_id = ${param(q.source, 'text')})`);
  return `SELECT i.value, i.score, i.id FROM iocs i WHERE ${where.join(' AND ')} ORDER BY i.score DESC, i.id DESC LIMIT ${limitLiteral(q.limit)}`;
}

/** The tallies as one canonical text (order-free): part of DataVersion. */
export function talliesText(types: TallyRow[], sectors: TallyRow[]): string {
  const cell = (prefix: string) => (r: TallyRow) => `${prefix}${r.key}/${r.status}/${r.band}=${Number(r.n)}`;
  return [...types.filter((r) => Number(r.n) !== 0).map(cell('t:')), ...sectors.filter((r) => Number(r.n) !== 0).map(cell('s:'))].sort().join(',');
}
