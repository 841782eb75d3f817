import { runOf, type RunRow, sourceOf, type SourceRow } from '../rows.js';
import type { SourceRunStore } from '../store.js';
import type { RunResult, SourceRecord, SourceRun } from '../types.js';
import type { PgConnection } from './connection.js';

/** The sources, their runs, and the leases that elect one scheduler across processes (store.ts SourceRunStore). */
export class PgSourceRuns implements SourceRunStore {
  constructor(private readonly conn: PgConnection) {}

  async upsertSource(s: SourceRecord): Promise<void> {
    await this.conn.pool.query(
      `INSERT INTO sources (id, name, reliability, redistributable, aggregate, tlp, no_decay) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, reliability = excluded.reliability,
         redistributable = excluded.redistributable, aggregate = excluded.aggregate, tlp = excluded.tlp, no_decay = excluded.no_decay`,
      [s.id, s.name, s.reliability, s.redistributable, s.aggregate, s.tlp, s.noDecay ?? false],
    );
    this.conn.sourceCache.set(s.id, { ...s, noDecay: s.noDecay ?? false });
  }

  async listSources(): Promise<SourceRecord[]> {
    return (await this.conn.rows<SourceRow<boolean>>('SELECT * FROM sources ORDER BY id')).map(sourceOf);
  }

  async tryLease(name: string, holder: string, ttlMs: number, now: number): Promise<boolean> {
    // One statement: take a free or lapsed lease, or renew our own; the row lock of the conflict orders nodes.
    const r = await this.conn.pool.query(
      `INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
       WHERE leases.holder = excluded.holder OR leases.expires_at <= $4`,
      [name, holder, now + ttlMs, now],
    );
    return r.rowCount === 1;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    await this.conn.pool.query('DELETE FROM leases WHERE name = $1 AND holder = $2', [name, holder]);
  }

  async startRun(sourceId: string, now: number): Promise<number> {
    return this.conn.tx(async (c) => {
      await c.query(
        "UPDATE source_runs SET outcome = 'failed', finished_at = $1, error = 'interrupted: the process stopped during this run' WHERE source_id = $2 AND outcome = 'running'",
        [now, sourceId],
      );
      const { rows } = await c.query("INSERT INTO source_runs (source_id, started_at, outcome) VALUES ($1, $2, 'running') RETURNING id", [sourceId, now]);
      return (rows[0] as { id: number }).id;
    });
  }

  async finishRun(run: number, r: RunResult): Promise<void> {
    await this.conn.pool.query(
      `UPDATE source_runs SET finished_at = $1, outcome = $2, records = $3, inserted = $4, updated = $5, unchanged = $6, delisted = $7,
         rejected = $8, bytes = $9, error = $10, etag = $11, last_modified = $12, allowlisted = $14 WHERE id = $13`,
      [r.finishedAt, r.outcome, r.records, r.inserted, r.updated, r.unchanged, r.delisted, r.rejected, r.bytes, r.error, r.etag, r.lastModified, run, r.allowlisted],
    );
  }

  async latestRuns(): Promise<SourceRun[]> {
    const rows = await this.conn.rows<RunRow>('SELECT DISTINCT ON (source_id) * FROM source_runs ORDER BY source_id, id DESC');
    return rows.map(runOf);
  }

  async lastRun(sourceId: string, outcomes: readonly string[]): Promise<SourceRun | undefined> {
    if (outcomes.length === 0) return undefined;
    const row = await this.conn.one<RunRow>('SELECT * FROM source_runs WHERE source_id = $1 AND outcome = ANY($2::text[]) ORDER BY id DESC LIMIT 1', [sourceId, outcomes]);
    return row && runOf(row);
  }
}
