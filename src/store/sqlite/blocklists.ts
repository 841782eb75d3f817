import {
  type BlocklistDrive, blocklistDrive, blocklistDriveCountSql, blocklistPageSql, blocklistWindowEndSql, mergeBlocklistPages, talliesText,
} from '../blocklist-select.js';
import { readPastPosition } from '../position-seek.js';
import type { BlocklistReads, TallyRow } from '../store.js';
import type { BlocklistEntry, BlocklistQuery, DataVersion } from '../types.js';
import type { SqliteConnection } from './connection.js';

/** Blocklists (store.ts BlocklistReads): pages by score over iocs_blocklist (migration 18), and the data version. */
export class SqliteBlocklists implements BlocklistReads {
  constructor(private readonly conn: SqliteConnection) {}

  async blocklistPage(q: BlocklistQuery): Promise<BlocklistEntry[]> {
    const drive = this.driveOf(q);
    if (drive === 'score') return this.blocklistRows(q, drive);
    // A sorting drive reads and sorts every IOC its filter selects: in windows of them (scan-window.ts), a turn of the
    // event loop between, each window's best merged into the page. (A sector's 20,000 IPv4s at 1M: 110 ms a page.)
    let page: BlocklistEntry[] = [];
    let from = q.since;
    await this.conn.windows.run(`blocklist:${drive}`, q.limit, (entries) => {
      const { sql, params } = blocklistWindowEndSql({ ...q, since: from }, drive, entries);
      const end = this.conn.statement(sql, 'pluck').get(...params) as number | undefined;
      page = mergeBlocklistPages(page, this.blocklistRows({ ...q, since: from }, drive, end), q.limit);
      if (end === undefined) return true;
      from = end;
      return false;
    });
    return page;
  }

  /** One statement's page (of a window up to `until`, for a sorting drive), past the position in two seeks. */
  private blocklistRows(q: BlocklistQuery, drive: BlocklistDrive, until?: number): BlocklistEntry[] {
    // Past the position in two seeks (position-seek.ts): a score is shared by thousands of IOCs.
    const rows = readPastPosition(q.after !== undefined, q.limit, (form) => {
      const params: unknown[] = [];
      const sql = blocklistPageSql(q, (v) => {
        params.push(v);
        return '?';
      }, form, drive, (column) => `+${column}`, until);
      return this.conn.statement(sql, 'raw').all(...params) as Array<[string, number, number]>;
    });
    return rows.map(([value, score, rowId]) => ({ value, score, rowId }));
  }

  /** The index that drives the page (blocklist-select.ts blocklistDrive), from the tallies and capped counts. */
  private driveOf(q: BlocklistQuery): BlocklistDrive {
    if (q.since === undefined && q.sector === undefined && q.source === undefined) return 'score';
    const active = this.conn.statement(
      `SELECT coalesce(sum(n) FILTER (WHERE type = ?), 0) AS ofType, coalesce(sum(n), 0) AS "all" FROM ioc_counts WHERE status = 'active'`,
    ).get(q.type) as { ofType: number; all: number };
    return blocklistDrive(q, active, (drive, cap) => {
      const { sql, params } = blocklistDriveCountSql(q, drive, cap);
      return this.conn.statement(sql, 'pluck').get(...params) as number;
    });
  }

  async dataVersion(): Promise<DataVersion> {
    // max() of an indexed column is one probe: seq is the rowid, date_added leads object_versions_added.
    const log = this.conn.statement('SELECT (SELECT max(seq) FROM object_versions) AS seq, (SELECT max(date_added) FROM object_versions) AS added').get() as { seq: number | null; added: number | null };
    const types = this.conn.statement('SELECT type AS key, status, band, n FROM ioc_counts').all() as TallyRow[];
    const sectors = this.conn.statement('SELECT sector AS key, status, band, n FROM ioc_sector_counts').all() as TallyRow[];
    return { seq: log.seq ?? 0, lastModified: Math.floor((log.added ?? 0) / 1000), tallies: talliesText(types, sectors) };
  }
}
