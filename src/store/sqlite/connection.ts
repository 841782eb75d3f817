import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { sourceOf, type SourceRow } from '../rows.js';
import type { RenderIocVersion, SourceRecord } from '../types.js';
import { WriteLock } from '../write-lock.js';
import { isBusy, whenNotBusy } from './busy-wait.js';
import { AppError } from '../../errors/app-error.js';
import { Checkpointer } from './checkpointer.js';
import { ScanWindows } from '../scan-window.js';

/**
 * A WAL this large after a commit of a streamed load is checkpointed whole before the next transaction begins, so
 * that the WAL starts over instead of growing (drainWal). Without it a 1M import left 1.6-1.9 GB of WAL beside a
 * 1.4 GB database. Each such wait costs the load about half a second (the copy of the last batch and the sync of the
 * database file, 200k import on this machine): 256 MB makes it one wait per three or four 50,000-IOC batches (~75 MB
 * of WAL each). It is also the size the WAL file is cut back to when it starts over (journal_size_limit).
 */
export const WAL_RESTART_BYTES = 256 * 1024 * 1024;

/** Read statements kept by `statement` (cleared when full). */
const STATEMENT_CACHE = 256;

/**
 * What every role of the SQLite store shares: the one connection (WAL, foreign keys on), this process's write lock,
 * the STIX renderer, the source cache and the prepared statements of the ingestion hot path.
 */
export class SqliteConnection {
  readonly db: Database.Database;
  readonly sourceCache = new Map<string, SourceRecord>();
  readonly writes = new WriteLock();
  /** Pages read in windows of their scan (scan-window.ts), which share the event loop's turns. */
  readonly windows = new ScanWindows();
  renderVersion: RenderIocVersion | undefined;
  private readonly checkpointer: Checkpointer | undefined;
  /** A second connection for small administrative writes (sideWrite); none for an in-memory database. */
  private readonly side: Database.Database | undefined;

  /** The WAL file; undefined for an in-memory database. */
  private readonly walPath: string | undefined;
  /** See WAL_RESTART_BYTES. */
  readonly walRestartBytes: number;

  constructor(path: string, opts: { renderVersion?: RenderIocVersion; cacheMb?: number; walRestartBytes?: number } = {}) {
    this.renderVersion = opts.renderVersion;
    this.walRestartBytes = opts.walRestartBytes ?? WAL_RESTART_BYTES;
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    // Only takes effect on a new database: 16 KB pages make bulk loads ~20% faster (fewer pages per commit).
    this.db.pragma('page_size = 16384');
    this.db.pragma('journal_mode = WAL');
    // NORMAL under WAL is durable across application crashes (a SIGKILL loses nothing committed).
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    // Opening may wait for another process (a schema change, WAL recovery); serving never does: see busy-wait.ts.
    this.db.pragma('busy_timeout = 5000');
    // The default 2 MB page cache thrashes on the random inserts of the look-up indexes past ~100k IOCs;
    // 64 MB holds them for millions of IOCs. It is most of the process's memory while a large export runs.
    this.db.pragma(`cache_size = -${Math.round((opts.cacheMb ?? 64) * 1024)}`);
    this.db.pragma('temp_store = MEMORY');
    this.db.pragma('busy_timeout = 0');
    if (path !== ':memory:') {
      // Checkpoints on a thread of their own (checkpointer.ts), never inside this connection's commits.
      this.db.pragma('wal_autocheckpoint = 0');
      // When the WAL starts over, its file is cut back to this size (a commit larger than it keeps what it wrote).
      this.db.pragma(`journal_size_limit = ${this.walRestartBytes}`);
      this.walPath = `${path}-wal`;
      this.checkpointer = new Checkpointer(path);
      this.side = new Database(path);
      this.side.pragma('busy_timeout = 0');
      this.side.pragma('foreign_keys = ON');
      this.side.pragma('wal_autocheckpoint = 0');
    }
  }

  /**
   * A small write that must not wait for this process's streamed ingestion, which holds the write lock (this.writes)
   * for a whole run: settings and run-now requests made over the API during a run. It goes through a second
   * connection, like another process would, so it waits only for the run's open batch to commit, never for the run
   * to end (tried again on a timer, BUSY_WAIT_MS at most; then a 503). `fn` is one statement or one immediate
   * transaction. An in-memory database has one connection: there it waits under the write lock.
   */
  async sideWrite<T>(fn: (db: Database.Database) => T): Promise<T> {
    const side = this.side;
    if (!side) return this.write(() => fn(this.db));
    try {
      return await whenNotBusy(() => fn(side), { inTransaction: () => side.inTransaction });
    } catch (err) {
      if (isBusy(err)) throw new AppError(503, 'busy', 'the database is busy writing an ingestion run; try again in a moment');
      throw err;
    }
  }

  /**
   * A write under this process's write lock; while another process holds SQLite's, tried again after a timer (the
   * thread goes on serving). `fn` is one statement or one BEGIN IMMEDIATE transaction: SQLITE_BUSY means nothing
   * was done.
   */
  write<T>(fn: () => T): Promise<T> {
    return this.writes.run(() => this.whenFree(fn));
  }

  /** `fn` tried again while the database is locked by another process (for writes already under this.writes). */
  whenFree<T>(fn: () => T, waitMs?: number): Promise<T> {
    return whenNotBusy(fn, { inTransaction: () => this.db.inTransaction, ...(waitMs !== undefined ? { waitMs } : {}) });
  }

  /** The size of the WAL file, bytes (0 when there is none). */
  walBytes(): number {
    if (this.walPath === undefined) return 0;
    return statSync(this.walPath, { throwIfNoEntry: false })?.size ?? 0;
  }

  /**
   * Between two transactions of a streamed load (the write lock held, no transaction open): when the WAL has grown
   * to walRestartBytes, it is checkpointed whole on the checkpoint thread (Checkpointer.drain), awaited without
   * holding this thread, so that the next commit starts it over. True when it was checkpointed whole.
   */
  async drainWal(): Promise<boolean> {
    if (!this.checkpointer || this.db.inTransaction || this.walBytes() < this.walRestartBytes) return false;
    const answer = await this.checkpointer.drain();
    return answer !== undefined && answer.log >= 0 && answer.checkpointed === answer.log;
  }

  renderer(): RenderIocVersion {
    if (!this.renderVersion) throw new Error('no STIX version renderer: call setVersionRenderer before writing IOCs');
    return this.renderVersion;
  }

  /**
   * A read statement prepared once and kept, in the row mode asked for (REST and TAXII pages, key look-ups: their
   * SQL depends only on which filters are set). Preparing costs about as much as reading a page of 100 IOCs.
   * Only for statements run to completion before the next await (`all`, `get`, a synchronous `iterate`).
   */
  statement(sql: string, mode: 'objects' | 'raw' | 'pluck' = 'objects'): Database.Statement {
    const key = `${mode}\u0000${sql}`;
    let st = this.statements.get(key);
    if (!st) {
      if (this.statements.size >= STATEMENT_CACHE) this.statements.clear();
      st = this.db.prepare(sql);
      if (mode === 'raw') st.raw();
      else if (mode === 'pluck') st.pluck();
      this.statements.set(key, st);
    }
    return st;
  }

  private readonly statements = new Map<string, Database.Statement>();

  /** A registered source, from the cache. */
  source(id: string): SourceRecord {
    let s = this.sourceCache.get(id);
    if (!s) {
      const r = this.db.prepare('SELECT * FROM sources WHERE id = ?').get(id) as SourceRow<number> | undefined;
      if (!r) throw new Error(`unknown source ${id}: register it with upsertSource first`);
      s = sourceOf(r);
      this.sourceCache.set(id, s);
    }
    return s;
  }

  async close(): Promise<void> {
    await this.checkpointer?.close();
    if (this.side?.open) this.side.close();
    if (this.db.open) this.db.close();
  }

  /** The statements of the ingestion hot path, prepared once, when first used. */
  readonly stmts = (() => {
    const db = () => this.db;
    const lazy = <T>(make: () => T) => {
      let v: T | undefined;
      return () => (v ??= make());
    };
    return {
      findIoc: lazy(() => db().prepare('SELECT * FROM iocs WHERE value_key = ? AND type = ? AND value = ?')),
      insertIoc: lazy(() =>
        db().prepare(
          `INSERT INTO iocs (id, type, value, value_key, stix_id, stix_key, score, first_seen, last_seen, added_at, updated_at,
             tags, malware, sectors, tlp, status, valid_until, redistributable, modified, version_seq, versioned_score,
             versioned_valid_until, base_score, no_decay, sources)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ),
      ),
      updateIoc: lazy(() =>
        db().prepare(
          `UPDATE iocs SET stix_id = ?, stix_key = ?, score = ?, first_seen = ?, last_seen = ?, updated_at = ?, tags = ?,
             malware = ?, sectors = ?, tlp = ?, status = ?, valid_until = ?, redistributable = ?, modified = ?,
             version_seq = ?, versioned_score = ?, versioned_valid_until = ?, base_score = ?, no_decay = ?
           WHERE id = ?`,
        ),
      ),
      setSources: lazy(() => db().prepare('UPDATE iocs SET sources = ? WHERE id = ?')),
      upsertSighting: lazy(() =>
        db().prepare(
          // The last parameter: 1 when the observation says what the source claims of its validity (expires_at
          // replaced, by null too), 0 when it says nothing (a feed, a relisting: the claim is kept).
          `INSERT INTO sightings (ioc_id, source_id, first_seen, last_seen, count, confidence, reference, ended_at, ioc_added_at, seen_run, expires_at)
           VALUES (?, ?, ?, ?, 1, ?, ?, NULL, ?, ?, ?)
           ON CONFLICT (ioc_id, source_id) DO UPDATE SET
             seen_run = excluded.seen_run,
             first_seen = min(first_seen, excluded.first_seen),
             last_seen = max(last_seen, excluded.last_seen),
             count = count + (excluded.last_seen > last_seen),
             confidence = coalesce(excluded.confidence, confidence),
             reference = coalesce(excluded.reference, reference),
             ended_at = NULL,
             expires_at = iif(?, excluded.expires_at, expires_at)`,
        ),
      ),
      evidence: lazy(() =>
        db().prepare(
          // Live: not ended, and not past the end of validity its source claimed (the second parameter: now).
          `SELECT s.source_id, src.name, s.confidence, src.reliability, src.aggregate, src.redistributable, src.no_decay, s.expires_at
           FROM sightings s JOIN sources src ON src.id = s.source_id
           WHERE s.ioc_id = ? AND s.ended_at IS NULL AND (s.expires_at IS NULL OR s.expires_at > ?)
           ORDER BY s.source_id`,
        ),
      ),
      positions: lazy(() =>
        db().prepare(
          `SELECT (SELECT max(id) FROM iocs) AS ioc, (SELECT max(seq) FROM object_versions) AS seq,
             (SELECT max(date_added) FROM object_versions) AS added`,
        ),
      ),
      insertVersion: lazy(() =>
        db().prepare(
          `INSERT INTO object_versions (seq, date_added, stix_id, stix_key, ioc_id, type, modified, spec_version, latest, revoked, json)
           VALUES (?, ?, ?, ?, ?, ?, ?, '2.1', 1, ?, ?)`,
        ),
      ),
      insertMember: lazy(() => db().prepare('INSERT INTO collection_members (collection, date_added, seq) VALUES (?, ?, ?)')),
      supersede: lazy(() => db().prepare('UPDATE object_versions SET latest = 0 WHERE seq = ?')),
      insertSector: lazy(() => db().prepare('INSERT OR IGNORE INTO ioc_sectors (sector, ioc_added_at, ioc_id) VALUES (?, ?, ?)')),
    };
  })();

  /** Where the log stands: the last IOC row id, version seq and date_added (for the single writer, per transaction). */
  positions(): { ioc: number | null; seq: number | null; added: number | null } {
    return this.stmts.positions().get() as { ioc: number | null; seq: number | null; added: number | null };
  }
}
