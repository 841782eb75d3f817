import type { StatsReads, TallyRow } from '../store.js';
import type { PgConnection } from './connection.js';

/** The dashboard's figures (store.ts StatsReads): the tallies the triggers of migration 19 keep, and the runs. */
export class PgStats implements StatsReads {
  constructor(private readonly conn: PgConnection) {}

  async typeTallies(): Promise<TallyRow[]> {
    return (await this.conn.rows<TallyRow>('SELECT type AS key, status, band, n FROM ioc_counts WHERE n <> 0')).map(num);
  }

  async sectorTallies(): Promise<TallyRow[]> {
    return (await this.conn.rows<TallyRow>('SELECT sector AS key, status, band, n FROM ioc_sector_counts WHERE n <> 0')).map(num);
  }

  async addedPerDay(since: number): Promise<Array<{ day: string; source: string; added: number }>> {
    const rows = await this.conn.rows<{ day: string; source: string; added: number | string }>(
      `SELECT to_char(to_timestamp(started_at / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, source_id AS source, sum(inserted) AS added
       FROM source_runs WHERE started_at >= $1 AND inserted > 0 GROUP BY 1, 2 ORDER BY 1, 2`,
      [since],
    );
    return rows.map((r) => ({ ...r, added: Number(r.added) }));
  }

  async versionLogSize(): Promise<number> {
    const row = await this.conn.one<{ seq: string | number }>('SELECT seq FROM log_state');
    return Number(row?.seq ?? 0);
  }
}

const num = (r: TallyRow): TallyRow => ({ ...r, n: Number(r.n) });
