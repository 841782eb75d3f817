import type { StatsReads, TallyRow } from '../store.js';
import type { SqliteConnection } from './connection.js';

/** The dashboard's figures (store.ts StatsReads): the tallies the triggers of migration 16 keep, and the runs. */
export class SqliteStats implements StatsReads {
  constructor(private readonly conn: SqliteConnection) {}

  async typeTallies(): Promise<TallyRow[]> {
    return this.conn.statement('SELECT type AS key, status, band, n FROM ioc_counts WHERE n <> 0').all() as TallyRow[];
  }

  async sectorTallies(): Promise<TallyRow[]> {
    return this.conn.statement('SELECT sector AS key, status, band, n FROM ioc_sector_counts WHERE n <> 0').all() as TallyRow[];
  }

  async addedPerDay(since: number): Promise<Array<{ day: string; source: string; added: number }>> {
    return this.conn.db
      .prepare(
        `SELECT strftime('%Y-%m-%d', started_at / 1000, 'unixepoch') AS day, source_id AS source, sum(inserted) AS added
         FROM source_runs WHERE started_at >= ? AND inserted > 0 GROUP BY 1, 2 ORDER BY 1, 2`,
      )
      .all(since) as Array<{ day: string; source: string; added: number }>;
  }

  async versionLogSize(): Promise<number> {
    const row = this.conn.statement('SELECT max(seq) AS seq FROM object_versions').get() as { seq: number | null };
    return row.seq ?? 0;
  }
}
