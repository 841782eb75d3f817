import type { IocType } from '../../domain/ioc-types.js';
import { MATCH_COLUMNS, MATCH_SIGHTING_COLUMNS, type MatchColumns, type MatchSightingColumns, toMatches } from '../rows.js';
import type { IocLookup } from '../store.js';
import type { IocMatch } from '../types.js';
import type { PgConnection } from './connection.js';

/** Keys per statement. */
const CHUNK = 1500;

/** Many values at once by the (type, md5(value)) index, and the network prefix lengths (store.ts IocLookup). */
export class PgIocLookup implements IocLookup {
  constructor(private readonly conn: PgConnection) {}

  async lookupValues(keys: ReadonlyArray<{ type: IocType; value: string }>): Promise<IocMatch[]> {
    const seen = new Set<string>();
    const unique = keys.filter((k) => {
      const id = `${k.type} ${k.value}`;
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    });
    // Parts of CHUNK keys sent at once: the pool runs them on as many connections (PostgreSQL probes in parallel).
    const parts: Array<typeof unique> = [];
    for (let at = 0; at < unique.length; at += CHUNK) parts.push(unique.slice(at, at + CHUNK));
    const answers = await Promise.all(parts.map((part) => this.conn.rows<MatchColumns>(
      // One probe of iocs_type_value per key (a nested loop over the unnested keys), never a scan of iocs.
      `SELECT ${MATCH_COLUMNS} FROM unnest($1::text[], $2::text[]) AS k(type, value)
       JOIN iocs i ON i.type = k.type AND md5(i.value) = md5(k.value) AND i.value = k.value`,
      [part.map((k) => k.type), part.map((k) => k.value)],
    )));
    const rows = answers.flat();
    if (rows.length === 0) return [];
    const sightings = await this.conn.rows<MatchSightingColumns>(
      `SELECT ${MATCH_SIGHTING_COLUMNS} FROM sightings WHERE ioc_id = ANY($1::bigint[]) ORDER BY ioc_id, source_id`,
      [rows.map((r) => r.id)],
    );
    return toMatches(rows, sightings);
  }

  async networksInRanges(type: 'ipv4' | 'ipv6', ranges: ReadonlyArray<readonly [string, string]>): Promise<string[]> {
    if (ranges.length === 0) return [];
    // One range scan of iocs_network_text per range (byte order: COLLATE "C", as the index).
    const rows = await this.conn.rows<{ value: string }>(
      `SELECT DISTINCT i.value FROM unnest($2::text[], $3::text[]) AS r(lo, hi)
       JOIN iocs i ON strpos(i.value, '/') > 0 AND i.type IN ('ipv4', 'ipv6') AND i.type = $1
        AND i.value COLLATE "C" >= r.lo COLLATE "C" AND i.value COLLATE "C" < r.hi COLLATE "C"`,
      [type, ranges.map((r) => r[0]), ranges.map((r) => r[1])],
    );
    return rows.map((r) => r.value);
  }

  async networkPrefixLengths(type: 'ipv4' | 'ipv6'): Promise<number[]> {
    // A loose scan of iocs_network_prefix: the next length above the last, one index probe each (at most 129).
    const rows = await this.conn.rows<{ n: number | null }>(
      `WITH RECURSIVE l(n) AS (
         SELECT min(split_part(value, '/', 2)::int) FROM iocs WHERE strpos(value, '/') > 0 AND type IN ('ipv4', 'ipv6') AND type = $1
         UNION ALL
         SELECT (SELECT min(split_part(value, '/', 2)::int) FROM iocs
                 WHERE strpos(value, '/') > 0 AND type IN ('ipv4', 'ipv6') AND type = $1 AND split_part(value, '/', 2)::int > l.n)
         FROM l WHERE l.n IS NOT NULL)
       SELECT n FROM l WHERE n IS NOT NULL ORDER BY n`,
      [type],
    );
    return rows.map((r) => Number(r.n));
  }
}
