import { blocklistPageSql, talliesText } from '../blocklist-select.js';
import type { BlocklistReads, TallyRow } from '../store.js';
import type { BlocklistEntry, BlocklistQuery, DataVersion } from '../types.js';
import type { PgConnection } from './connection.js';
import { Params } from './copy-rows.js';

/** Blocklists (store.ts BlocklistReads): pages by score over iocs_blocklist (migration 20), and the data version. */
export class PgBlocklists implements BlocklistReads {
  constructor(private readonly conn: PgConnection) {}

  async blocklistPage(q: BlocklistQuery): Promise<BlocklistEntry[]> {
    const p = new Params();
    const sql = blocklistPageSql(q, (v, type) => p.add(v, type));
    const rows = await this.conn.rows<{ value: string; score: number; id: number | string }>(sql, p.values, true);
    return rows.map((r) => ({ value: r.value, score: Number(r.score), rowId: Number(r.id) }));
  }

  async dataVersion(): Promise<DataVersion> {
    // log_state is one row, moved under the version-log lock with every append: seq and the highest date_added.
    const log = await this.conn.one<{ seq: number | string; date_added: number | string }>('SELECT seq, date_added FROM log_state');
    const types = await this.conn.rows<TallyRow>('SELECT type AS key, status, band, n FROM ioc_counts');
    const sectors = await this.conn.rows<TallyRow>('SELECT sector AS key, status, band, n FROM ioc_sector_counts');
    return { seq: Number(log?.seq ?? 0), lastModified: Math.floor(Number(log?.date_added ?? 0) / 1000), tallies: talliesText(types, sectors) };
  }
}
