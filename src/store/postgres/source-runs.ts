import { LATEST_RUNS_SQL, lastRunSql, PENDING_OUTCOMES, runOf, type RunRow, sourceOf, type SourceRow } from '../rows.js';
import type { SourceRunStore } from '../store.js';
import { HEALTH_FAILURE_CAP, type RunResult, type SourceHealthRow, type SourceRecord, type SourceRun, type SourceRunPage } from '../types.js';
import type pg from 'pg';
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
      await lockSourceRuns(c, sourceId);
      await c.query(
        "UPDATE source_runs SET outcome = 'failed', finished_at = $1, error = 'interrupted: the process stopped during this run' WHERE source_id = $2 AND outcome = 'running'",
        [now, sourceId],
      );
      // A run asked for (run now) is served by this one: the id its requester follows becomes the running run.
      const queued = await c.query("UPDATE source_runs SET outcome = 'running', started_at = $2 WHERE id = (SELECT min(id) FROM source_runs WHERE source_id = $1 AND outcome = 'queued') RETURNING id", [sourceId, now]);
      if (queued.rowCount) return (queued.rows[0] as { id: number }).id;
      const { rows } = await c.query("INSERT INTO source_runs (source_id, started_at, outcome) VALUES ($1, $2, 'running') RETURNING id", [sourceId, now]);
      return (rows[0] as { id: number }).id;
    });
  }

  async requestRun(sourceId: string, now: number): Promise<{ run: SourceRun; created: boolean }> {
    return this.conn.tx(async (c) => {
      await lockSourceRuns(c, sourceId);
      const params: string[] = [];
      const pending = await c.query<RunRow>(lastRunSql(sourceId, PENDING_OUTCOMES, (v) => `$${params.push(v)}::text`), params);
      if (pending.rows[0]) return { run: runOf(pending.rows[0]), created: false };
      const { rows } = await c.query<RunRow>("INSERT INTO source_runs (source_id, started_at, outcome) VALUES ($1, $2, 'queued') RETURNING *", [sourceId, now]);
      return { run: runOf(rows[0]!), created: true };
    });
  }

  async queuedRuns(limit: number): Promise<SourceRun[]> {
    return (await this.conn.rows<RunRow>("SELECT * FROM source_runs WHERE outcome = 'queued' ORDER BY id LIMIT $1", [limit])).map(runOf);
  }

  async interruptRuns(now: number): Promise<number> {
    // By source (the outcome index), not a scan of every run ever recorded.
    const r = await this.conn.pool.query(
      `UPDATE source_runs SET outcome = 'failed', finished_at = $1, error = 'interrupted: the process running it stopped'
       WHERE outcome = 'running' AND source_id IN (SELECT id FROM sources)`,
      [now],
    );
    return r.rowCount ?? 0;
  }

  async getRun(run: number): Promise<SourceRun | undefined> {
    const row = await this.conn.one<RunRow>('SELECT * FROM source_runs WHERE id = $1', [run]);
    return row && runOf(row);
  }

  async listRuns(sourceId: string, opts: { before?: number; limit: number }): Promise<SourceRunPage> {
    const rows = await this.conn.rows<RunRow>(
      'SELECT * FROM source_runs WHERE source_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3',
      [sourceId, opts.before ?? Number.MAX_SAFE_INTEGER, opts.limit + 1],
    );
    const items = rows.slice(0, opts.limit).map(runOf);
    return { items, next: rows.length > opts.limit ? items[items.length - 1]!.id : null };
  }

  async sourceHealth(): Promise<SourceHealthRow[]> {
    // Per source: two max() probes of the outcome index for the last success, then a capped count of the failures
    // after it in the same index.
    const rows = await this.conn.rows<{ source_id: string; started_at: number | null; finished_at: number | null; failures: number }>(
      `WITH last_ok AS (
         SELECT s.id AS source_id, coalesce(greatest(
           (SELECT max(id) FROM source_runs x WHERE x.source_id = s.id AND x.outcome = 'ok'),
           (SELECT max(id) FROM source_runs x WHERE x.source_id = s.id AND x.outcome = 'not-modified')), 0) AS ok_id
         FROM sources s)
       SELECT l.source_id, r.started_at, r.finished_at,
         (SELECT count(*) FROM (SELECT 1 FROM source_runs f WHERE f.source_id = l.source_id AND f.outcome = 'failed' AND f.id > l.ok_id LIMIT $1) c) AS failures
       FROM last_ok l LEFT JOIN source_runs r ON r.id = l.ok_id
       ORDER BY l.source_id`,
      [HEALTH_FAILURE_CAP],
    );
    return rows.map((r) => ({ sourceId: r.source_id, lastSuccessStartedAt: r.started_at, lastSuccessFinishedAt: r.finished_at, consecutiveFailures: Number(r.failures) }));
  }

  async finishRun(run: number, r: RunResult): Promise<void> {
    await this.conn.pool.query(
      `UPDATE source_runs SET finished_at = $1, outcome = $2, records = $3, inserted = $4, updated = $5, unchanged = $6, delisted = $7,
         rejected = $8, bytes = $9, error = $10, etag = $11, last_modified = $12, allowlisted = $14, excluded = $15 WHERE id = $13`,
      [r.finishedAt, r.outcome, r.records, r.inserted, r.updated, r.unchanged, r.delisted, r.rejected, r.bytes, r.error, r.etag, r.lastModified, run, r.allowlisted, r.excluded],
    );
  }

  async latestRuns(): Promise<SourceRun[]> {
    return (await this.conn.rows<RunRow>(LATEST_RUNS_SQL)).map(runOf);
  }

  async lastRun(sourceId: string, outcomes: readonly string[]): Promise<SourceRun | undefined> {
    if (outcomes.length === 0) return undefined;
    const params: string[] = [];
    const row = await this.conn.one<RunRow>(lastRunSql(sourceId, outcomes, (v) => `$${params.push(v)}::text`), params);
    return row && runOf(row);
  }
}

/** The advisory lock space of source runs ('srun'): the two-key form, apart from the one-key locks of migrations and the log. */
const RUN_LOCK_SPACE = 0x7372756e;

/** One writer of a source's runs at a time across nodes: a queued run and a starting run never both open. */
async function lockSourceRuns(c: pg.PoolClient, sourceId: string): Promise<void> {
  await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [RUN_LOCK_SPACE, sourceId]);
}
