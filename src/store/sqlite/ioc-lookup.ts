import type Database from 'better-sqlite3';
import type { IocType } from '../../domain/ioc-types.js';
import { valueKey } from '../lookup-keys.js';
import { MATCH_COLUMNS, MATCH_SIGHTING_COLUMNS, type MatchColumns, type MatchSightingColumns, toMatches } from '../rows.js';
import type { IocLookup } from '../store.js';
import type { IocMatch } from '../types.js';
import type { SqliteConnection } from './connection.js';

/** Keys per statement: an IN-list of integer keys bound as one JSON array. */
const CHUNK = 2000;

/** Many values at once by their integer value keys (lookup-keys.ts), and the network prefix lengths (store.ts IocLookup). */
export class SqliteIocLookup implements IocLookup {
  private byKey: Database.Statement | undefined;
  private bySighting: Database.Statement | undefined;

  constructor(private readonly conn: SqliteConnection) {}

  async lookupValues(keys: ReadonlyArray<{ type: IocType; value: string }>): Promise<IocMatch[]> {
    const wanted = new Set(keys.map((k) => `${k.type} ${k.value}`));
    const byKey = this.byKey ??= this.conn.db.prepare(`SELECT ${MATCH_COLUMNS} FROM iocs i WHERE i.value_key IN (SELECT value FROM json_each(?))`);
    const rows: MatchColumns[] = [];
    const all = [...new Set(keys.map((k) => valueKey(k.type, k.value)))];
    for (let at = 0; at < all.length; at += CHUNK) {
      for (const r of byKey.all(JSON.stringify(all.slice(at, at + CHUNK))) as MatchColumns[]) {
        // Keys may collide: the full text decides.
        if (wanted.has(`${r.type} ${r.value}`)) rows.push(r);
      }
    }
    if (rows.length === 0) return [];
    const bySighting = this.bySighting ??= this.conn.db.prepare(
      `SELECT ${MATCH_SIGHTING_COLUMNS} FROM sightings WHERE ioc_id IN (SELECT value FROM json_each(?)) ORDER BY ioc_id, source_id`,
    );
    const sightings: MatchSightingColumns[] = [];
    for (let at = 0; at < rows.length; at += CHUNK) {
      for (const s of bySighting.all(JSON.stringify(rows.slice(at, at + CHUNK).map((r) => r.id))) as MatchSightingColumns[]) sightings.push(s);
    }
    return toMatches(rows, sightings);
  }

  async networksInRanges(type: 'ipv4' | 'ipv6', ranges: ReadonlyArray<readonly [string, string]>): Promise<string[]> {
    // One statement per CHUNK ranges, each a seek of the partial index iocs_network_text (the WHERE repeats the
    // index's own, so SQLite may use it; CROSS JOIN keeps the ranges the outer loop).
    const scan = this.conn.db.prepare(
      `SELECT DISTINCT i.value FROM json_each(?) r CROSS JOIN iocs i
        ON instr(i.value, '/') > 0 AND i.type IN ('ipv4', 'ipv6') AND i.type = ?
       AND i.value >= r.value ->> '$[0]' AND i.value < r.value ->> '$[1]'`,
    ).pluck();
    const out = new Set<string>();
    for (let at = 0; at < ranges.length; at += CHUNK) {
      for (const v of scan.all(JSON.stringify(ranges.slice(at, at + CHUNK)), type) as string[]) out.add(v);
    }
    return [...out];
  }

  async networkPrefixLengths(type: 'ipv4' | 'ipv6'): Promise<number[]> {
    // A loose scan of iocs_network_prefix: the next length above the last, one index probe each (at most 129).
    const prefix = "CAST(substr(value, instr(value, '/') + 1) AS INTEGER)";
    const next = this.conn.db.prepare(
      `SELECT min(${prefix}) FROM iocs WHERE instr(value, '/') > 0 AND type IN ('ipv4', 'ipv6') AND type = ? AND ${prefix} > ?`,
    ).pluck();
    const out: number[] = [];
    for (let last = -1; ;) {
      const n = next.get(type, last) as number | null;
      if (n === null || n === undefined) return out;
      out.push(n);
      last = n;
    }
  }
}
