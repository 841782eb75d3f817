import { runOf, type RunRow, sourceOf, type SourceRow } from '../rows.js';
import type { SourceRunStore } from '../store.js';
import type { RunResult, SourceRecord, SourceRun } from '../types.js';
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
      return Number(db.prepare("INSERT INTO source_runs (source_id, started_at, outcome) VALUES (?, ?, 'running')").run(sourceId, now).lastInsertRowid);
    }).immediate());
  }

  async finishRun(run: number, r: RunResult): Promise<void> {
    await this.conn.write(() => this.conn.db
      .prepare(
        `UPDATE source_runs SET finished_at = ?, outcome = ?, records = ?, inserted = ?, updated = ?, unchanged = ?, delisted = ?,
           rejected = ?, allowlisted = ?, bytes = ?, error = ?, etag = ?, last_modified = ? WHERE id = ?`,
      )
      .run(r.finishedAt, r.outcome, r.records, r.inserted, r.updated, r.unchanged, r.delisted, r.rejected, r.allowlisted, r.bytes, r.error, r.etag, r.lastModified, run));
  }

  async latestRuns(): Promise<SourceRun[]> {
    const rows = this.conn.db
      .prepare('SELECT r.* FROM source_runs r WHERE r.id = (SELECT max(id) FROM source_runs x WHERE x.source_id = r.source_id) ORDER BY r.source_id')
      .all() as RunRow[];
    return rows.map(runOf);
  }

  async lastRun(sourceId: string, outcomes: readonly string[]): Promise<SourceRun | undefined> {
    if (outcomes.length === 0) return undefined;
    const row = this.conn.db
      .prepare(`SELECT * FROM source_runs WHERE source_id = ? AND outcome IN (${outcomes.map(() => '?').join(', ')}) ORDER BY id DESC LIMIT 1`)
      .get(sourceId, ...outcomes) as RunRow | undefined;
    return row && runOf(row);
  }
}
