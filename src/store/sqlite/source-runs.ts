import { LATEST_RUNS_SQL, lastRunSql, PENDING_OUTCOMES, runOf, type RunRow, sourceOf, type SourceRow } from '../rows.js';
import type { SourceRunStore } from '../store.js';
import { HEALTH_FAILURE_CAP, type RunResult, type SourceHealthRow, type SourceRecord, type SourceRun, type SourceRunPage } from '../types.js';
import type { SqliteConnection } from './connection.js';

/** The sources, their runs, and the leases that elect one scheduler across processes (store.ts SourceRunStore). */
export class SqliteSourceRuns implements SourceRunStore {
  constructor(private readonly conn: SqliteConnection) {}

  async upsertSource(s: SourceRecord): Promise<void> {
    await this.conn.write(() => this.conn.db
      .prepare(
        `INSERT INTO sources (id, name, reliability, redistributable, aggregate, tlp, no_decay) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, reliability = excluded.reliability,
           redistributable = excluded.redistributable, aggregate = excluded.aggregate, tlp = excluded.tlp,
           no_decay = excluded.no_decay`,
      )
      .run(s.id, s.name, s.reliability, s.redistributable ? 1 : 0, s.aggregate ? 1 : 0, s.tlp, s.noDecay ? 1 : 0));
    this.conn.sourceCache.set(s.id, { ...s, noDecay: s.noDecay ?? false });
  }

  async listSources(): Promise<SourceRecord[]> {
    return (this.conn.db.prepare('SELECT * FROM sources ORDER BY id').all() as Array<SourceRow<number>>).map(sourceOf);
  }

  async tryLease(name: string, holder: string, ttlMs: number, now: number): Promise<boolean> {
    return this.conn.write(() => {
      // One statement: take a free or lapsed lease, or renew our own; the write lock of SQLite orders processes.
      const r = this.conn.db
        .prepare(
          `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
           ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
           WHERE leases.holder = excluded.holder OR leases.expires_at <= ?`,
        )
        .run(name, holder, now + ttlMs, now);
      return r.changes === 1;
    });
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    await this.conn.write(() => this.conn.db.prepare('DELETE FROM leases WHERE name = ? AND holder = ?').run(name, holder));
  }

  async startRun(sourceId: string, now: number): Promise<number> {
    const { db } = this.conn;
    return this.conn.write(() => db.transaction(() => {
      db
        .prepare("UPDATE source_runs SET outcome = 'failed', finished_at = ?, error = 'interrupted: the process stopped during this run' WHERE source_id = ? AND outcome = 'running'")
        .run(now, sourceId);
      // A run asked for (run now) is served by this one: the id its requester follows becomes the running run.
      const queued = db.prepare("SELECT id FROM source_runs WHERE source_id = ? AND outcome = 'queued' ORDER BY id LIMIT 1").get(sourceId) as { id: number } | undefined;
      if (queued) {
        db.prepare("UPDATE source_runs SET outcome = 'running', started_at = ? WHERE id = ?").run(now, queued.id);
        return queued.id;
      }
      return Number(db.prepare("INSERT INTO source_runs (source_id, started_at, outcome) VALUES (?, ?, 'running')").run(sourceId, now).lastInsertRowid);
    }).immediate());
  }

  async requestRun(sourceId: string, now: number): Promise<{ run: SourceRun; created: boolean }> {
    const { db } = this.conn;
    /** The source's queued or running run, read on connection `on`. */
    const pending = (on: typeof db) => {
      const params: string[] = [];
      return on.prepare(lastRunSql(sourceId, PENDING_OUTCOMES, (v) => (params.push(v), '?'))).get(...params) as RunRow | undefined;
    };
    // Looked at before the write lock, which a run of this process holds while it streams its writes: asking for the
    // source that is running is answered at once rather than when that run ends.
    const seen = pending(db);
    if (seen) return { run: runOf(seen), created: false };
    // An immediate transaction: SQLite's write lock orders every process, so two requests make one queued run. On
    // the side connection: a run of this process streaming its writes does not hold the request up to its end.
    return this.conn.sideWrite((w) => w.transaction(() => {
      const open = pending(w);
      if (open) return { run: runOf(open), created: false };
      const id = Number(w.prepare("INSERT INTO source_runs (source_id, started_at, outcome) VALUES (?, ?, 'queued')").run(sourceId, now).lastInsertRowid);
      return { run: runOf(w.prepare('SELECT * FROM source_runs WHERE id = ?').get(id) as RunRow), created: true };
    }).immediate());
  }

  async queuedRuns(limit: number): Promise<SourceRun[]> {
    return (this.conn.db.prepare("SELECT * FROM source_runs WHERE outcome = 'queued' ORDER BY id LIMIT ?").all(limit) as RunRow[]).map(runOf);
  }

  async interruptRuns(now: number): Promise<number> {
    // By source (the outcome index), not a scan of every run ever recorded.
    return this.conn.write(() => this.conn.db
      .prepare(
        `UPDATE source_runs SET outcome = 'failed', finished_at = ?, error = 'interrupted: the process running it stopped'
         WHERE outcome = 'running' AND source_id IN (SELECT id FROM sources)`,
      )
      .run(now).changes);
  }

  async getRun(run: number): Promise<SourceRun | undefined> {
    const row = this.conn.db.prepare('SELECT * FROM source_runs WHERE id = ?').get(run) as RunRow | undefined;
    return row && runOf(row);
  }

  async listRuns(sourceId: string, opts: { before?: number; limit: number }): Promise<SourceRunPage> {
    const rows = this.conn.db
      .prepare('SELECT * FROM source_runs WHERE source_id = ? AND id < ? ORDER BY id DESC LIMIT ?')
      .all(sourceId, opts.before ?? Number.MAX_SAFE_INTEGER, opts.limit + 1) as RunRow[];
    const items = rows.slice(0, opts.limit).map(runOf);
    return { items, next: rows.length > opts.limit ? items[items.length - 1]!.id : null };
  }

  async sourceHealth(): Promise<SourceHealthRow[]> {
    // Per source: two max() probes of the outcome index for the last success, then a capped count of the failures
    // after it in the same index.
    const rows = this.conn.db
      .prepare(
        `WITH last_ok AS (
           SELECT s.id AS source_id, max(
             coalesce((SELECT max(id) FROM source_runs x WHERE x.source_id = s.id AND x.outcome = 'ok'), 0),
             coalesce((SELECT max(id) FROM source_runs x WHERE x.source_id = s.id AND x.outcome = 'not-modified'), 0)) AS ok_id
           FROM sources s)
         SELECT l.source_id, r.started_at, r.finished_at,
           (SELECT count(*) FROM (SELECT 1 FROM source_runs f WHERE f.source_id = l.source_id AND f.outcome = 'failed' AND f.id > l.ok_id LIMIT ?)) AS failures
         FROM last_ok l LEFT JOIN source_runs r ON r.id = l.ok_id
         ORDER BY l.source_id`,
      )
      .all(HEALTH_FAILURE_CAP) as Array<{ source_id: string; started_at: number | null; finished_at: number | null; failures: number }>;
    return rows.map((r) => ({ sourceId: r.source_id, lastSuccessStartedAt: r.started_at, lastSuccessFinishedAt: r.finished_at, consecutiveFailures: r.failures }));
  }

  async finishRun(run: number, r: RunResult): Promise<void> {
    await this.conn.write(() => this.conn.db
      .prepare(
        `UPDATE source_runs SET finished_at = ?, outcome = ?, records = ?, inserted = ?, updated = ?, unchanged = ?, delisted = ?,
           rejected = ?, excluded = ?, allowlisted = ?, bytes = ?, error = ?, etag = ?, last_modified = ? WHERE id = ?`,
      )
      .run(r.finishedAt, r.outcome, r.records, r.inserted, r.updated, r.unchanged, r.delisted, r.rejected, r.excluded, r.allowlisted, r.bytes, r.error, r.etag, r.lastModified, run));
  }

  async latestRuns(): Promise<SourceRun[]> {
    return (this.conn.db.prepare(LATEST_RUNS_SQL).all() as RunRow[]).map(runOf);
  }

  async lastRun(sourceId: string, outcomes: readonly string[]): Promise<SourceRun | undefined> {
    if (outcomes.length === 0) return undefined;
    const params: string[] = [];
    const row = this.conn.db.prepare(lastRunSql(sourceId, outcomes, (v) => (params.push(v), '?'))).get(...params) as RunRow | undefined;
    return row && runOf(row);
  }
}
