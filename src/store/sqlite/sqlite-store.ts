import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { builtinMemberships } from '../../domain/collections.js';
import { BAND_RANGES } from '../../domain/confidence.js';
import { IOC_TYPES, type IocType } from '../../domain/ioc-types.js';
import { decayedScore, scoreOf, validUntil } from '../../domain/scoring.js';
import { TLP_LEVELS, type Tlp } from '../../domain/tlp.js';
import { stixKey, valueKey } from '../lookup-keys.js';
import { logPageOf, logPageSql } from '../log-page.js';
import { dedupeSorted, listJson, parseList } from '../merge.js';
import { WriteLock } from '../write-lock.js';
import { isBusy, whenNotBusy } from './busy-wait.js';
import { Checkpointer } from './checkpointer.js';
import { type IocColumns, type KeyRow, newStixId, parseMediaTypes, runOf, type RunRow, toIoc, toKey } from '../rows.js';
import { decide, type Incoming } from '../ioc-reconcile.js';
import type { Store } from '../store.js';
import type {
  SavedStatus,
  Account,
  ApiKeyRecord,
  ApiKeyWithAccount,
  IocDetail,
  IocPage,
  IocQuery,
  IocStatus,
  IocVersionInput,
  AddOutcome,
  LoadedCollection,
  LoadedRoot,
  LogPage,
  LogQuery,
  NewObject,
  Observation,
  TaxiiLoad,
  SharedObject,
  Plan,
  SourceRecord,
  SourceRun,
  RunResult,
  DecayResult,
  UpsertOptions,
  StixPage,
  StixVersion,
  RenderIocVersion,
  UpsertResult,
} from '../types.js';
import { SQLITE_MIGRATIONS } from './sqlite-migrations.js';

/** An `iocs` row: the columns the API reads, and the state of reconciling and versioning. */
interface IocRow extends IocColumns {
  id: number;
  redistributable: number;
  modified: number | null;
  version_seq: number | null;
  versioned_score: number | null;
  versioned_valid_until: number | null;
  base_score: number | null;
  no_decay: number;
}

interface EvidenceRow {
  source_id: string;
  name: string;
  confidence: number | null;
  reliability: number;
  aggregate: number;
  redistributable: number;
  no_decay: number;
}

interface SourceRow {
  id: string;
  name: string;
  reliability: number;
  redistributable: number;
  aggregate: number;
  tlp: Tlp;
  no_decay: number;
}

const sourceOf = (r: SourceRow): SourceRecord => ({
  id: r.id, name: r.name, reliability: r.reliability, redistributable: r.redistributable === 1, aggregate: r.aggregate === 1,
  tlp: r.tlp, noDecay: r.no_decay === 1,
});

/**
 * Pause after a transaction of a streamed load that held the lock LONG_LOCK_MS or more, so that another process
 * waiting for the lock (busy-wait.ts tries every few ms) gets it. Short transactions go on at once.
 */
const LOCK_GAP_MS = 5;
const LONG_LOCK_MS = 100;

/** Opens `sqlite:PATH` (or `:memory:`). WAL, foreign keys on, migrations applied by `migrate()`. */
export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  private readonly db: Database.Database;
  private sourceCache = new Map<string, SourceRecord>();
  private readonly writes = new WriteLock();
  private renderVersion: RenderIocVersion | undefined;
  private readonly checkpointer: Checkpointer | undefined;

  /** `renderVersion` turns an IOC version into its STIX JSON; it may also be set later (setVersionRenderer). */
  constructor(path: string, opts: { renderVersion?: RenderIocVersion; cacheMb?: number } = {}) {
    this.renderVersion = opts.renderVersion;
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
      this.checkpointer = new Checkpointer(path);
    }
  }

  /**
   * A write under this process's write lock; while another process holds SQLite's, tried again after a timer (the
   * thread goes on serving). `fn` is one statement or one BEGIN IMMEDIATE transaction: SQLITE_BUSY means nothing
   * was done.
   */
  private write<T>(fn: () => T): Promise<T> {
    return this.writes.run(() => this.whenFree(fn));
  }

  /** `fn` tried again while the database is locked by another process (for writes already under this.writes). */
  private whenFree<T>(fn: () => T, waitMs?: number): Promise<T> {
    return whenNotBusy(fn, { inTransaction: () => this.db.inTransaction, ...(waitMs !== undefined ? { waitMs } : {}) });
  }

  setVersionRenderer(render: RenderIocVersion): void {
    this.renderVersion = render;
  }

  private renderer(): RenderIocVersion {
    if (!this.renderVersion) throw new Error('no STIX version renderer: call setVersionRenderer before writing IOCs');
    return this.renderVersion;
  }

  async migrate(): Promise<string[]> {
    await this.write(() => this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)'));
    const done = new Set(
      this.db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[],
    );
    const applied: string[] = [];
    for (const m of SQLITE_MIGRATIONS) {
      if (done.has(m.version)) continue;
      await this.write(() => this.db.transaction(() => {
        this.db.exec(m.sql);
        this.db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
      }).immediate());
      applied.push(`${m.version}: ${m.name}`);
    }
    return applied;
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    await this.checkpointer?.close();
    if (this.db.open) this.db.close();
  }

  async getOrCreateSetting(name: string, create: () => string): Promise<string> {
    await this.write(() => this.db.prepare('INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING').run(name, create()));
    return this.db.prepare('SELECT value FROM settings WHERE name = ?').pluck().get(name) as string;
  }

  // --- sources and IOCs -------------------------------------------------------------------------

  async upsertSource(s: SourceRecord): Promise<void> {
    await this.write(() => this.db
      .prepare(
        `INSERT INTO sources (id, name, reliability, redistributable, aggregate, tlp, no_decay) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, reliability = excluded.reliability,
           redistributable = excluded.redistributable, aggregate = excluded.aggregate, tlp = excluded.tlp,
           no_decay = excluded.no_decay`,
      )
      .run(s.id, s.name, s.reliability, s.redistributable ? 1 : 0, s.aggregate ? 1 : 0, s.tlp, s.noDecay ? 1 : 0));
    this.sourceCache.set(s.id, { ...s, noDecay: s.noDecay ?? false });
  }

  async listSources(): Promise<SourceRecord[]> {
    const rows = this.db.prepare('SELECT * FROM sources ORDER BY id').all() as SourceRow[];
    return rows.map(sourceOf);
  }

  private source(id: string): SourceRecord {
    let s = this.sourceCache.get(id);
    if (!s) {
      const r = this.db.prepare('SELECT * FROM sources WHERE id = ?').get(id) as SourceRow | undefined;
      if (!r) throw new Error(`unknown source ${id}: register it with upsertSource first`);
      s = sourceOf(r);
      this.sourceCache.set(id, s);
    }
    return s;
  }

  private readonly stmts = (() => {
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
             versioned_valid_until, base_score, no_decay)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, ?, ?, ?, ?)`,
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
      upsertSighting: lazy(() =>
        db().prepare(
          `INSERT INTO sightings (ioc_id, source_id, first_seen, last_seen, count, confidence, reference, ended_at, ioc_added_at, seen_run)
           VALUES (?, ?, ?, ?, 1, ?, ?, NULL, ?, ?)
           ON CONFLICT (ioc_id, source_id) DO UPDATE SET
             seen_run = excluded.seen_run,
             first_seen = min(first_seen, excluded.first_seen),
             last_seen = max(last_seen, excluded.last_seen),
             count = count + (excluded.last_seen > last_seen),
             confidence = coalesce(excluded.confidence, confidence),
             reference = coalesce(excluded.reference, reference),
             ended_at = NULL`,
        ),
      ),
      evidence: lazy(() =>
        db().prepare(
          `SELECT s.source_id, src.name, s.confidence, src.reliability, src.aggregate, src.redistributable, src.no_decay
           FROM sightings s JOIN sources src ON src.id = s.source_id
           WHERE s.ioc_id = ? AND s.ended_at IS NULL
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

  async upsertObservations(sourceId: string, batch: readonly Observation[], now: number, opts: UpsertOptions = {}): Promise<UpsertResult> {
    const source = this.source(sourceId);
    const result: UpsertResult = { inserted: 0, updated: 0, unchanged: 0, ignored: 0 };
    await this.write(() => this.db.transaction(() => this.apply(source, batch, now, result, opts)).immediate());
    return result;
  }

  async upsertObservationStream(
    sourceId: string,
    chunks: AsyncIterable<readonly Observation[]>,
    opts: UpsertOptions & { batchSize: number; clock?: () => number; onCommit?: (total: Readonly<UpsertResult>) => void },
  ): Promise<UpsertResult> {
    const source = this.source(sourceId);
    const clock = opts.clock ?? Date.now;
    const total: UpsertResult = { inserted: 0, updated: 0, unchanged: 0, ignored: 0 };
    return this.writes.run(async () => {
      let open = false;
      let pending = 0;
      let lockedAt = 0;
      try {
        for await (const chunk of chunks) {
          // Exactly batchSize observations per transaction, whatever the size of the chunks.
          for (let at = 0; at < chunk.length; ) {
            if (!open) {
              // At once when the lock is free (no extra turn between chunks), else waited for on a timer.
              try {
                this.db.exec('BEGIN IMMEDIATE');
              } catch (err) {
                if (!isBusy(err)) throw err;
                await this.whenFree(() => this.db.exec('BEGIN IMMEDIATE'));
              }
              open = true;
              lockedAt = performance.now();
            }
            const take = Math.min(chunk.length - at, opts.batchSize - pending);
            this.apply(source, at === 0 && take === chunk.length ? chunk : chunk.slice(at, at + take), clock(), total, opts);
            at += take;
            pending += take;
            if (pending >= opts.batchSize) {
              this.db.exec('COMMIT');
              open = false;
              pending = 0;
              opts.onCommit?.(total);
              if (performance.now() - lockedAt >= LONG_LOCK_MS) await new Promise<void>((resolve) => setTimeout(resolve, LOCK_GAP_MS));
            }
          }
        }
        if (open) {
          this.db.exec('COMMIT');
          open = false;
          opts.onCommit?.(total);
        }
        return total;
      } finally {
        // A failing producer or write loses the batch in flight, never a committed one.
        if (open && this.db.inTransaction) this.db.exec('ROLLBACK');
      }
    });
  }

  /**
   * Hands out row ids, version seqs and date_added inside the caller's write transaction: the single writer
   * reads the last ones once per batch. date_added is epoch µs, max(now, last + 1): strictly increasing even
   * for a million versions in one second.
   */
  private versionLog(now: number) {
    const s = this.stmts;
    const render = this.renderer();
    const last = s.positions().get() as { ioc: number | null; seq: number | null; added: number | null };
    let iocId = last.ioc ?? 0;
    let seq = last.seq ?? 0;
    let added = last.added ?? 0;
    return {
      nextIocId: () => ++iocId,
      nextSeq: () => seq + 1,
      append: (iocRowId: number, v: IocVersionInput): number => {
        seq++;
        added = Math.max(now * 1000, added + 1);
        s.insertVersion().run(seq, added, v.stixId, stixKey(v.stixId)!, iocRowId, v.type === 'cve' ? 'vulnerability' : 'indicator', v.modified, v.revoked ? 1 : 0, render(v));
        for (const collection of builtinMemberships(v)) s.insertMember().run(collection, added, seq);
        return seq;
      },
    };
  }

  /** The write of a batch, inside the caller's transaction. */
  private apply(source: SourceRecord, batch: readonly Observation[], now: number, result: UpsertResult, opts: UpsertOptions): void {
    const s = this.stmts;
    const log = this.versionLog(now);
    const run = opts.run ?? null;
    for (const o of batch) {
      const key = valueKey(o.type, o.value);
      const row = s.findIoc().get(key, o.type, o.value) as IocRow | undefined;
      const tlp = o.tlp ?? source.tlp;
      if (opts.enrichOnly && row?.status === 'revoked') {
        // Enrichment adds evidence to what is live; it never brings back a withdrawn IOC.
        result.ignored++;
        continue;
      }
      if (!row) {
        if (opts.enrichOnly) {
          result.ignored++;
          continue;
        }
        const sectors = o.sectors.length === 0 ? o.sectors : dedupeSorted(o.sectors);
        const tags = o.tags.length === 0 ? o.tags : dedupeSorted(o.tags);
        const malware = o.malware.length === 0 ? o.malware : dedupeSorted(o.malware);
        const stixId = newStixId(o.type);
        const noDecay = source.noDecay ?? false;
        const base = scoreOf([{ prior: source.reliability, confidence: o.confidence, aggregate: source.aggregate }]);
        const score = decayedScore(base, o.type, o.lastSeen, now, noDecay);
        const until = validUntil(base, o.type, o.lastSeen, noDecay);
        const iocId = log.nextIocId();
        s.insertIoc().run(
          iocId, o.type, o.value, key, stixId, stixKey(stixId)!, score, o.firstSeen, o.lastSeen, now, now,
          listJson(tags), listJson(malware), listJson(sectors), tlp, until, source.redistributable ? 1 : 0,
          now, log.nextSeq(), score, until, base, noDecay ? 1 : 0,
        );
        log.append(iocId, {
          stixId, type: o.type, value: o.value, score, tags, malware, sectors, tlp, revoked: false,
          firstSeen: o.firstSeen, validUntil: until, created: now, modified: now, sources: [{ id: source.id, name: source.name }],
        });
        s.upsertSighting().run(iocId, source.id, o.firstSeen, o.lastSeen, o.confidence, o.reference, now, run);
        for (const sector of sectors) s.insertSector().run(sector, now, iocId);
        result.inserted++;
        continue;
      }
      s.upsertSighting().run(row.id, source.id, o.firstSeen, o.lastSeen, o.confidence, o.reference, row.added_at, run);
      const outcome = this.reconcile(row, now, log, { tags: o.tags, malware: o.malware, sectors: o.sectors, tlp, firstSeen: o.firstSeen, lastSeen: o.lastSeen }, true);
      if (outcome === 'unchanged') result.unchanged++;
      else result.updated++;
    }
  }

  /**
   * Applies the one reconcile rule (ioc-reconcile.ts) to an existing IOC inside the caller's transaction: its live
   * evidence, what `incoming` adds and its age at `now`; appends the STIX version the decision calls for.
   */
  private reconcile(row: IocRow, now: number, log: ReturnType<SqliteStore['versionLog']>, incoming: Incoming | undefined, seen: boolean): 'unchanged' | 'updated' | 'revoked' {
    const s = this.stmts;
    const evidence = (s.evidence().all(row.id) as EvidenceRow[]).map((e) => ({
      sourceId: e.source_id, name: e.name, reliability: e.reliability, confidence: e.confidence, aggregate: e.aggregate === 1,
      redistributable: e.redistributable === 1, noDecay: e.no_decay === 1,
    }));
    const d = decide({
      type: row.type, score: row.score, baseScore: row.base_score, firstSeen: row.first_seen, lastSeen: row.last_seen, tlp: row.tlp,
      redistributable: row.redistributable === 1, noDecay: row.no_decay === 1, tags: row.tags, malware: row.malware, sectors: row.sectors,
      validUntil: row.valid_until, status: row.status, versionedScore: row.versioned_score, versionedValidUntil: row.versioned_valid_until,
    }, evidence, now, incoming, seen);
    if (d.kind === 'unchanged') return 'unchanged';
    if (d.kind === 'revoke') {
      this.revokeRow(row, now, log, d.sources);
      return 'revoked';
    }
    let stixId = row.stix_id;
    let stixKeyValue = stixKey(row.stix_id)!;
    let modified = row.modified ?? row.added_at;
    let versionSeq = row.version_seq;
    if (d.newVersion) {
      let created: number;
      if (d.reactivated) {
        stixId = newStixId(row.type);
        stixKeyValue = stixKey(stixId)!;
        created = now;
        modified = now;
      } else {
        modified = Math.max(now, modified + 1);
        if (row.version_seq !== null) s.supersede().run(row.version_seq);
        created = this.createdOf(row);
      }
      versionSeq = log.append(row.id, {
        stixId, type: row.type, value: row.value, score: d.score, tags: d.tags, malware: d.malware, sectors: d.sectors, tlp: d.tlp,
        revoked: false, firstSeen: d.firstSeen, validUntil: d.validUntil, created, modified, sources: d.sources,
      });
    }
    s.updateIoc().run(
      stixId, stixKeyValue, d.score, d.firstSeen, d.lastSeen, now, JSON.stringify(d.tags), JSON.stringify(d.malware),
      JSON.stringify(d.sectors), d.tlp, 'active', d.validUntil, d.redistributable ? 1 : 0, modified, versionSeq,
      d.versionedScore, d.versionedValidUntil, d.base, d.noDecay ? 1 : 0, row.id,
    );
    for (const sector of d.addedSectors) s.insertSector().run(sector, row.added_at, row.id);
    return 'updated';
  }

  /** The final version of an IOC: `revoked: true`, so that SIEMs remove it (STIX 2.1 §3.6). */
  private revokeRow(row: IocRow, now: number, log: ReturnType<SqliteStore['versionLog']>, sources: ReadonlyArray<{ id: string; name: string }>): void {
    const modified = Math.max(now, (row.modified ?? row.added_at) + 1);
    if (row.version_seq !== null) this.stmts.supersede().run(row.version_seq);
    const seq = log.append(row.id, {
      stixId: row.stix_id, type: row.type, value: row.value, score: row.score, tags: parseList(row.tags),
      malware: parseList(row.malware), sectors: parseList(row.sectors), tlp: row.tlp, revoked: true,
      firstSeen: row.first_seen, validUntil: row.valid_until, created: this.createdOf(row), modified, sources,
    });
    this.db
      .prepare("UPDATE iocs SET status = 'revoked', updated_at = ?, modified = ?, version_seq = ? WHERE id = ?")
      .run(now, modified, seq, row.id);
  }

  async endUnseenSightings(sourceId: string, run: number, now: number): Promise<number> {
    this.source(sourceId);
    return this.writes.run(async () => {
      const ids = this.db
        .prepare('SELECT ioc_id FROM sightings WHERE source_id = ? AND ended_at IS NULL AND (seen_run IS NULL OR seen_run <> ?)')
        .pluck()
        .all(sourceId, run) as number[];
      const end = this.db.prepare('UPDATE sightings SET ended_at = ? WHERE ioc_id = ? AND source_id = ?');
      const get = this.db.prepare('SELECT * FROM iocs WHERE id = ?');
      for (let at = 0; at < ids.length; at += 5000) {
        await this.whenFree(() => this.db.transaction(() => {
          const log = this.versionLog(now);
          for (const id of ids.slice(at, at + 5000)) {
            end.run(now, id, sourceId);
            const row = get.get(id) as IocRow | undefined;
            if (row && row.status === 'active') this.reconcile(row, now, log, undefined, false);
          }
        }).immediate());
      }
      return ids.length;
    });
  }

  async relistSource(sourceId: string, run: number, now: number): Promise<UpsertResult> {
    const source = this.source(sourceId);
    const rows = this.db
      .prepare(
        `SELECT i.type, i.value, s.first_seen, s.confidence, s.reference, i.tlp FROM sightings s JOIN iocs i ON i.id = s.ioc_id
         WHERE s.source_id = ? AND s.ended_at IS NULL`,
      )
      .raw()
      .all(sourceId) as Array<[IocType, string, number, number | null, string | null, Tlp]>;
    // The IOC's own TLP: a relisting says nothing new about markings and must not loosen them.
    const observations: Observation[] = rows.map(([type, value, firstSeen, confidence, reference, tlp]) => ({
      type, value, confidence, reference, firstSeen, lastSeen: now, tags: [], malware: [], sectors: [], tlp,
    }));
    async function* chunks() {
      yield observations;
    }
    return this.upsertObservationStream(source.id, chunks(), { batchSize: 5000, run, clock: () => now });
  }

  async decayIocs(now: number): Promise<DecayResult> {
    const result: DecayResult = { rescored: 0, revoked: 0, versions: 0 };
    const page = this.db.prepare("SELECT * FROM iocs WHERE id > ? AND status = 'active' ORDER BY id LIMIT 5000");
    let after = 0;
    for (;;) {
      const done = await this.write(() => this.db.transaction(() => {
        const rows = page.all(after) as IocRow[];
        if (rows.length === 0) return true;
        const log = this.versionLog(now);
        const seqBefore = log.nextSeq();
        for (const row of rows) {
          after = row.id;
          const base = row.base_score ?? row.score;
          // Cheap test first: most IOCs neither moved a point nor expired since the last pass.
          if (now < row.valid_until && decayedScore(base, row.type, row.last_seen, now, row.no_decay === 1) === row.score) continue;
          const outcome = this.reconcile(row, now, log, undefined, false);
          if (outcome === 'revoked') result.revoked++;
          else if (outcome === 'updated') result.rescored++;
        }
        result.versions += log.nextSeq() - seqBefore;
        return false;
      }).immediate());
      if (done) return result;
      // Let readers in between batches.
      await new Promise<void>((r) => setImmediate(r));
    }
  }

  // --- leadership across processes ----------------------------------------------------------------

  async tryLease(name: string, holder: string, ttlMs: number, now: number): Promise<boolean> {
    return this.write(() => {
      // One statement: take a free or lapsed lease, or renew our own; the write lock of SQLite orders processes.
      const r = this.db
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
    await this.write(() => this.db.prepare('DELETE FROM leases WHERE name = ? AND holder = ?').run(name, holder));
  }

  // --- source runs ------------------------------------------------------------------------------

  async startRun(sourceId: string, now: number): Promise<number> {
    return this.write(() => this.db.transaction(() => {
      this.db
        .prepare("UPDATE source_runs SET outcome = 'failed', finished_at = ?, error = 'interrupted: the process stopped during this run' WHERE source_id = ? AND outcome = 'running'")
        .run(now, sourceId);
      return Number(this.db.prepare("INSERT INTO source_runs (source_id, started_at, outcome) VALUES (?, ?, 'running')").run(sourceId, now).lastInsertRowid);
    }).immediate());
  }

  async finishRun(run: number, r: RunResult): Promise<void> {
    await this.write(() => this.db
      .prepare(
        `UPDATE source_runs SET finished_at = ?, outcome = ?, records = ?, inserted = ?, updated = ?, unchanged = ?, delisted = ?,
           rejected = ?, bytes = ?, error = ?, etag = ?, last_modified = ? WHERE id = ?`,
      )
      .run(r.finishedAt, r.outcome, r.records, r.inserted, r.updated, r.unchanged, r.delisted, r.rejected, r.bytes, r.error, r.etag, r.lastModified, run));
  }

  async latestRuns(): Promise<SourceRun[]> {
    const rows = this.db
      .prepare('SELECT r.* FROM source_runs r WHERE r.id = (SELECT max(id) FROM source_runs x WHERE x.source_id = r.source_id) ORDER BY r.source_id')
      .all() as RunRow[];
    return rows.map(runOf);
  }

  async lastRun(sourceId: string, outcomes: readonly string[]): Promise<SourceRun | undefined> {
    if (outcomes.length === 0) return undefined;
    const row = this.db
      .prepare(`SELECT * FROM source_runs WHERE source_id = ? AND outcome IN (${outcomes.map(() => '?').join(', ')}) ORDER BY id DESC LIMIT 1`)
      .get(sourceId, ...outcomes) as RunRow | undefined;
    return row && runOf(row);
  }

  /** `created` of an IOC's current STIX object: the time of that object's first version. */
  private createdOf(row: IocRow): number {
    const first = this.db
      .prepare('SELECT min(modified) FROM object_versions WHERE ioc_id = ? AND stix_id = ?')
      .pluck()
      .get(row.id, row.stix_id) as number | null;
    return first ?? row.added_at;
  }

  async queryIocs(q: IocQuery): Promise<IocPage> {
    if (q.types?.length === 0) return { items: [], next: null };
    const { sql, params } = iocSelect(q, 'i.*');
    const rows = this.db.prepare(sql).all(...params) as IocRow[];
    const more = rows.length > q.limit;
    if (more) rows.length = q.limit;
    const sources = this.sourcesOf(rows.map((r) => r.id));
    const last = rows[rows.length - 1];
    return {
      items: rows.map((r) => toIoc(r, r.redistributable === 1, sources.get(r.id) ?? [])),
      next: more && last ? { addedAt: last.added_at, rowId: last.id } : null,
    };
  }

  async pageStixObjects(q: IocQuery): Promise<StixPage> {
    if (q.types?.length === 0) return { objects: [], next: null };
    const { sql, params } = iocSelect({ ...q, redistributableOnly: true }, 'v.json, i.added_at, i.id', 'JOIN object_versions v ON v.seq = i.version_seq');
    const rows = this.db.prepare(sql).raw().all(...params) as Array<[string, number, number]>;
    const more = rows.length > q.limit;
    if (more) rows.length = q.limit;
    const last = rows[rows.length - 1];
    return { objects: rows.map((r) => r[0]), next: more && last ? { addedAt: last[1], rowId: last[2] } : null };
  }

  async tlpLevelsInUse(): Promise<Tlp[]> {
    // One query, one probe of iocs_tlp_shared per level.
    const used = new Set(this.db
      .prepare('SELECT t.value FROM json_each(?) t WHERE EXISTS (SELECT 1 FROM iocs i WHERE i.tlp = t.value AND i.redistributable = 1)')
      .pluck()
      .all(JSON.stringify(TLP_LEVELS)) as Tlp[]);
    return TLP_LEVELS.filter((t) => used.has(t));
  }

  async revokeIocs(stixIds: readonly string[], now: number): Promise<number> {
    return this.write(() =>
      this.db.transaction(() => {
        const log = this.versionLog(now);
        let revoked = 0;
        for (const id of stixIds) {
          const key = stixKey(id);
          if (key === undefined) continue;
          const row = this.db.prepare("SELECT * FROM iocs WHERE stix_key = ? AND stix_id = ? AND status = 'active'").get(key, id) as IocRow | undefined;
          if (!row) continue;
          const evidence = this.stmts.evidence().all(row.id) as EvidenceRow[];
          this.revokeRow(row, now, log, evidence.map((e) => ({ id: e.source_id, name: e.name })));
          revoked++;
        }
        return revoked;
      }).immediate(),
    );
  }

  async listVersions(stixId: string): Promise<StixVersion[]> {
    const columns = 'date_added, modified, latest, revoked, json';
    const ioc = this.db.prepare('SELECT id FROM iocs WHERE stix_key = ? AND stix_id = ?').pluck().get(stixKey(stixId) ?? -1, stixId) as number | undefined;
    // An object an IOC no longer carries (it was revoked, then seen again under a new id) is found by a scan.
    const rows = (ioc !== undefined
      ? this.db.prepare(`SELECT ${columns} FROM object_versions WHERE ioc_id = ? AND stix_id = ? ORDER BY seq`).all(ioc, stixId)
      : this.db.prepare(`SELECT ${columns} FROM object_versions WHERE stix_id = ? ORDER BY seq`).all(stixId)) as Array<{
      date_added: number; modified: number; latest: number; revoked: number; json: string;
    }>;
    return rows.map((r) => ({ dateAdded: r.date_added, modified: r.modified, latest: r.latest === 1, revoked: r.revoked === 1, json: r.json }));
  }

  async pageLog(q: LogQuery): Promise<LogPage> {
    if (q.ids?.length === 0 || q.types?.length === 0 || q.specVersions?.length === 0) return { items: [], more: false };
    const params: Record<string, number | string> = {};
    const param = (value: number | string) => {
      const name = `p${Object.keys(params).length}`;
      params[name] = value;
      return `@${name}`;
    };
    const sql = logPageSql(q, {
      param,
      inList: (expr, values) => `${expr} IN (${values.map((v) => param(v)).join(', ')})`,
      sameObject: (a, b) => `${a}.stix_key = ${b}.stix_key AND ${a}.stix_id = ${b}.stix_id`,
      objectIn: (t, ids) => `${t}.stix_key IN (${ids.map((id) => param(stixKey(id) ?? -1)).join(', ')}) AND ${t}.stix_id IN (${ids.map((id) => param(id)).join(', ')})`,
      isLatest: (t) => `${t}.latest = 1`,
      falseCondition: '0',
      budgetInSql: false,
    });
    type Row = [number, number, string, number, string, string];
    let all: Row[];
    let before: number | undefined;
    if (q.maxBytes === undefined) all = this.db.prepare(sql).raw().all(params) as Row[];
    else {
      // Rows as they come, until the next would pass the budget (the first always comes).
      all = [];
      let bytes = 0;
      for (const row of this.db.prepare(sql).raw().iterate(params) as IterableIterator<Row>) {
        bytes += Buffer.byteLength(row[5], 'utf8');
        if (all.length > 0 && bytes > q.maxBytes) {
          before = all.length + 1;
          break;
        }
        all.push(row);
      }
    }
    const { rows, more } = logPageOf(all, q.limit, before);
    return {
      items: rows.map(([dateAdded, seq, stixId, modified, specVersion, json]) => ({ dateAdded, seq, stixId, modified, specVersion, json })),
      more,
    };
  }

  async ensureSharedObjects(objects: readonly SharedObject[], collections: readonly string[], now: number): Promise<number> {
    return this.write(() =>
      this.db.transaction(() => {
        const last = this.stmts.positions().get() as { seq: number | null; added: number | null };
        let seq = last.seq ?? 0;
        let added = last.added ?? 0;
        let appended = 0;
        for (const o of objects) {
          const current = this.db
            .prepare('SELECT seq, json FROM object_versions WHERE stix_key = ? AND stix_id = ? AND latest = 1')
            .get(stixKey(o.stixId) ?? -1, o.stixId) as { seq: number; json: string } | undefined;
          if (current?.json === o.json) continue;
          if (current) this.stmts.supersede().run(current.seq);
          seq++;
          added = Math.max(now * 1000, added + 1);
          this.stmts.insertVersion().run(seq, added, o.stixId, stixKey(o.stixId) ?? -1, null, o.type, o.modified, 0, o.json);
          for (const c of collections) this.stmts.insertMember().run(c, added, seq);
          appended++;
        }
        return appended;
      }).immediate(),
    );
  }

  async addObjects(collection: string, objects: readonly NewObject[], now: number): Promise<AddOutcome[]> {
    return this.write(() =>
      this.db.transaction(() => {
        const last = this.stmts.positions().get() as { seq: number | null; added: number | null };
        let seq = last.seq ?? 0;
        let added = last.added ?? 0;
        // This collection's versions of the object: versions, "latest" and duplicates are per collection. The object
        // first (`+` keeps the planner off the collection's key): a walk of every member of the collection for each
        // object made a 20,000-object POST quadratic.
        const mine = this.db.prepare(
          `SELECT v.modified, v.json FROM object_versions v JOIN collection_members m ON m.seq = v.seq AND +m.collection = ?
           WHERE v.stix_key = ? AND v.stix_id = ?`,
        );
        const insert = this.db.prepare(
          `INSERT INTO object_versions (seq, date_added, stix_id, stix_key, ioc_id, type, modified, spec_version, latest, revoked, json)
           VALUES (?, ?, ?, ?, NULL, ?, ?, ?, 0, ?, ?)`,
        );
        return objects.map((o): AddOutcome => {
          const key = stixKey(o.stixId) ?? -1;
          const there = mine.all(collection, key, o.stixId) as Array<{ modified: number; json: string }>;
          const same = o.modified !== null ? there.find((v) => v.modified === o.modified) : there.find((v) => v.json === o.json);
          if (same) return { outcome: 'duplicate', modified: same.modified };
          seq++;
          added = Math.max(now * 1000, added + 1);
          const modified = o.modified ?? Math.floor(added / 1000);
          insert.run(seq, added, o.stixId, key, o.type, modified, o.specVersion, /"revoked"\s*:\s*true/.test(o.json) ? 1 : 0, o.json);
          this.stmts.insertMember().run(collection, added, seq);
          return { outcome: 'added', modified };
        });
      }).immediate(),
    );
  }

  async deleteObject(collection: string, stixId: string, versions: ReadonlyArray<{ dateAdded: number; seq: number }> | undefined): Promise<number> {
    return this.write(() =>
      this.db.transaction(() => {
        const rows = this.db
          .prepare(`SELECT v.date_added, v.seq FROM object_versions v JOIN collection_members m ON +m.collection = ? AND m.seq = v.seq
                    WHERE v.stix_key = ? AND v.stix_id = ?`)
          .all(collection, stixKey(stixId) ?? -1, stixId) as Array<{ date_added: number; seq: number }>;
        const doomed = versions === undefined ? rows : rows.filter((r) => versions.some((x) => x.seq === r.seq && x.dateAdded === r.date_added));
        const remove = this.db.prepare('DELETE FROM collection_members WHERE collection = ? AND date_added = ? AND seq = ?');
        for (const r of doomed) remove.run(collection, r.date_added, r.seq);
        return doomed.length;
      }).immediate(),
    );
  }

  async saveStatus(status: SavedStatus, now: number, pruneBefore: number): Promise<void> {
    await this.write(() => this.db.transaction(() => {
      this.db.prepare('DELETE FROM statuses WHERE created_at < ?').run(pruneBefore);
      this.db.prepare('INSERT INTO statuses (id, collection, account_id, created_at, json) VALUES (?, ?, ?, ?, ?)')
        .run(status.id, status.collection, status.accountId, now, status.json);
    }).immediate());
  }

  async getStatus(id: string): Promise<SavedStatus | undefined> {
    const row = this.db.prepare('SELECT id, collection, account_id, json FROM statuses WHERE id = ?').get(id) as
      { id: string; collection: string; account_id: number | null; json: string } | undefined;
    return row && { id: row.id, collection: row.collection, accountId: row.account_id, json: row.json };
  }

  async loadTaxii(data: TaxiiLoad, now: number): Promise<{ versions: number; duplicates: number }> {
    return this.write(() =>
      this.db.transaction(() => {
        if (data.discovery) {
          this.db.prepare('INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value').run('taxii_discovery', JSON.stringify(data.discovery));
        }
        const root = this.db.prepare(
          `INSERT INTO taxii_roots (name, title, description, max_content_length) VALUES (?, ?, ?, ?)
           ON CONFLICT (name) DO UPDATE SET title = excluded.title, description = excluded.description, max_content_length = excluded.max_content_length`,
        );
        for (const r of data.roots) root.run(r.name, r.title, r.description, r.maxContentLength);
        const collection = this.db.prepare(
          `INSERT INTO taxii_collections (id, root, title, description, alias, can_read, can_write, media_types) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET root = excluded.root, title = excluded.title, description = excluded.description,
             alias = excluded.alias, can_read = excluded.can_read, can_write = excluded.can_write, media_types = excluded.media_types`,
        );
        for (const c of data.collections) {
          collection.run(c.id, c.root, c.title, c.description, c.alias, c.canRead ? 1 : 0, c.canWrite ? 1 : 0, c.mediaTypes ? JSON.stringify(c.mediaTypes) : null);
        }
        const status = this.db.prepare('INSERT INTO statuses (id, collection, created_at, json) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING');
        for (const st of data.statuses) status.run(st.id, st.root, now, st.json);

        const last = this.stmts.positions().get() as { seq: number | null; added: number | null };
        let seq = last.seq ?? 0;
        let added = last.added ?? 0;
        const existing = this.db.prepare(
          `SELECT 1 FROM object_versions v JOIN collection_members m ON m.seq = v.seq AND +m.collection = ?
           WHERE v.stix_key = ? AND v.stix_id = ? AND v.modified = ?`,
        );
        const insert = this.db.prepare(
          `INSERT INTO object_versions (seq, date_added, stix_id, stix_key, ioc_id, type, modified, spec_version, latest, revoked, json)
           VALUES (?, ?, ?, ?, NULL, ?, ?, ?, 0, ?, ?)`,
        );
        let versions = 0;
        let duplicates = 0;
        // Oldest first, so that seq follows date_added within what is loaded. No latest flag: a loaded collection's
        // last version of an object is chosen within it when read (store/log-page.ts).
        const ordered = [...data.versions].sort((a, b) => (a.dateAdded ?? Number.MAX_SAFE_INTEGER) - (b.dateAdded ?? Number.MAX_SAFE_INTEGER));
        for (const v of ordered) {
          const key = stixKey(v.object.stixId) ?? -1;
          if (v.object.modified !== null && existing.get(v.collection, key, v.object.stixId, v.object.modified)) {
            duplicates++;
            continue;
          }
          seq++;
          // A version without a date_added of its own gets ours: now, strictly after the log's last.
          const dateAdded = v.dateAdded ?? (added = Math.max(now * 1000, added + 1));
          const modified = v.object.modified ?? Math.floor(dateAdded / 1000);
          insert.run(seq, dateAdded, v.object.stixId, key, v.object.type, modified, v.object.specVersion, /"revoked"\s*:\s*true/.test(v.object.json) ? 1 : 0, v.object.json);
          this.stmts.insertMember().run(v.collection, dateAdded, seq);
          versions++;
        }
        return { versions, duplicates };
      }).immediate(),
    );
  }

  async loadedTaxiiRoots(): Promise<LoadedRoot[]> {
    const rows = this.db.prepare('SELECT * FROM taxii_roots ORDER BY name').all() as Array<{ name: string; title: string; description: string | null; max_content_length: number }>;
    return rows.map((r) => ({ name: r.name, title: r.title, description: r.description, maxContentLength: r.max_content_length }));
  }

  async loadedTaxiiCollections(): Promise<LoadedCollection[]> {
    const rows = this.db.prepare('SELECT * FROM taxii_collections ORDER BY root, title, id').all() as Array<{
      id: string; root: string; title: string; description: string | null; alias: string | null; can_read: number; can_write: number; media_types: string | null;
    }>;
    return rows.map((r) => ({
      id: r.id, root: r.root, title: r.title, description: r.description, alias: r.alias, canRead: r.can_read === 1, canWrite: r.can_write === 1,
      mediaTypes: parseMediaTypes(r.media_types),
    }));
  }

  async setSetting(name: string, value: string): Promise<void> {
    await this.write(() =>
      this.db.prepare('INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value').run(name, value),
    );
  }

  async getSetting(name: string): Promise<string | undefined> {
    return this.db.prepare('SELECT value FROM settings WHERE name = ?').pluck().get(name) as string | undefined;
  }

  private sourcesOf(ids: readonly number[]): Map<number, string[]> {
    const out = new Map<number, string[]>();
    if (ids.length === 0) return out;
    const rows = this.db
      .prepare(`SELECT ioc_id, source_id FROM sightings WHERE ioc_id IN (SELECT value FROM json_each(?)) ORDER BY source_id`)
      .all(JSON.stringify(ids)) as Array<{ ioc_id: number; source_id: string }>;
    for (const r of rows) {
      const list = out.get(r.ioc_id);
      if (list) list.push(r.source_id);
      else out.set(r.ioc_id, [r.source_id]);
    }
    return out;
  }

  async getIoc(id: string): Promise<IocDetail | undefined> {
    const key = stixKey(id);
    if (key === undefined) return undefined;
    const row = this.db.prepare('SELECT * FROM iocs WHERE stix_key = ? AND stix_id = ?').get(key, id) as IocRow | undefined;
    if (!row) return undefined;
    const sightings = this.db
      .prepare('SELECT * FROM sightings WHERE ioc_id = ? ORDER BY source_id')
      .all(row.id) as Array<{
        source_id: string; first_seen: number; last_seen: number; count: number; confidence: number | null;
        reference: string | null; ended_at: number | null;
      }>;
    return {
      ...toIoc(row, row.redistributable === 1, sightings.map((s) => s.source_id)),
      sightings: sightings.map((s) => ({
        source: s.source_id,
        firstSeen: s.first_seen,
        lastSeen: s.last_seen,
        count: s.count,
        confidence: s.confidence,
        reference: s.reference,
        endedAt: s.ended_at,
      })),
    };
  }

  async countIocs(): Promise<number> {
    return this.db.prepare('SELECT count(*) FROM iocs').pluck().get() as number;
  }

  // --- accounts and keys ------------------------------------------------------------------------

  async countAccounts(): Promise<number> {
    return this.db.prepare('SELECT count(*) FROM accounts').pluck().get() as number;
  }

  async createAccount(email: string, plan: Plan, now: number): Promise<Account> {
    const info = await this.write(() => this.db.prepare('INSERT INTO accounts (email, plan, created_at) VALUES (?, ?, ?)').run(email, plan, now));
    return { id: Number(info.lastInsertRowid), email, plan, createdAt: now };
  }

  async findAccountByEmail(email: string): Promise<Account | undefined> {
    const r = this.db.prepare('SELECT * FROM accounts WHERE email = ?').get(email) as
      | { id: number; email: string; plan: Plan; created_at: number }
      | undefined;
    return r && { id: r.id, email: r.email, plan: r.plan, createdAt: r.created_at };
  }

  async setAccountPlan(accountId: number, plan: Plan): Promise<void> {
    await this.write(() => this.db.prepare('UPDATE accounts SET plan = ? WHERE id = ?').run(plan, accountId));
  }

  async listAccounts(): Promise<Account[]> {
    const rows = this.db.prepare('SELECT * FROM accounts ORDER BY id').all() as Array<{
      id: number; email: string; plan: Plan; created_at: number;
    }>;
    return rows.map((r) => ({ id: r.id, email: r.email, plan: r.plan, createdAt: r.created_at }));
  }

  async insertApiKey(k: Omit<ApiKeyRecord, 'id' | 'lastUsedAt' | 'revokedAt'>): Promise<ApiKeyRecord> {
    const info = await this.write(() => this.db
      .prepare('INSERT INTO api_keys (account_id, prefix, hash, name, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(k.accountId, k.prefix, k.hash, k.name, k.createdAt));
    return { ...k, id: Number(info.lastInsertRowid), lastUsedAt: null, revokedAt: null };
  }

  async findApiKeyByHash(hash: string): Promise<ApiKeyWithAccount | undefined> {
    const r = this.db
      .prepare('SELECT k.*, a.email, a.plan FROM api_keys k JOIN accounts a ON a.id = k.account_id WHERE k.hash = ?')
      .get(hash) as KeyRow | undefined;
    return r && toKey(r);
  }

  async listApiKeys(): Promise<ApiKeyWithAccount[]> {
    const rows = this.db
      .prepare('SELECT k.*, a.email, a.plan FROM api_keys k JOIN accounts a ON a.id = k.account_id ORDER BY k.id')
      .all() as KeyRow[];
    return rows.map(toKey);
  }

  async revokeApiKey(prefix: string, now: number): Promise<boolean> {
    const info = await this.write(() => this.db.prepare('UPDATE api_keys SET revoked_at = ? WHERE prefix = ? AND revoked_at IS NULL').run(now, prefix));
    return info.changes > 0;
  }

  async touchApiKeys(lastUsed: ReadonlyMap<number, number>, opts: { bestEffort?: boolean } = {}): Promise<boolean> {
    if (lastUsed.size === 0) return true;
    const stmt = this.db.prepare('UPDATE api_keys SET last_used_at = max(coalesce(last_used_at, 0), ?) WHERE id = ?');
    const touch = this.db.transaction(() => {
      for (const [id, at] of lastUsed) stmt.run(at, id);
    });
    try {
      // Best effort: one try, no wait, when another process holds the lock (the caller keeps the times for later).
      await this.writes.run(() => this.whenFree(() => touch.immediate(), opts.bestEffort ? 0 : undefined));
      return true;
    } catch (err) {
      if (opts.bestEffort && isBusy(err)) return false;
      throw err;
    }
  }
}

/**
 * The REST-order walk of IOCs under a query, as SQL: the driving table is the most selective index in
 * (added_at, id) order — the sector or source tables when those filters are given — so every page is a range scan.
 */
function iocSelect(q: IocQuery & { redistributableOnly?: boolean }, columns: string, join = ''): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  let from = 'iocs i';
  let k = { at: 'i.added_at', id: 'i.id' };
  if (q.sector !== undefined) {
    from = 'ioc_sectors d JOIN iocs i ON i.id = d.ioc_id';
    k = { at: 'd.ioc_added_at', id: 'd.ioc_id' };
    where.push('d.sector = ?');
    params.push(q.sector);
  } else if (q.source !== undefined) {
    from = 'sightings d JOIN iocs i ON i.id = d.ioc_id';
    k = { at: 'd.ioc_added_at', id: 'd.ioc_id' };
    where.push('d.source_id = ?');
    params.push(q.source);
  }
  if (q.source !== undefined && q.sector !== undefined) {
    where.push('EXISTS (SELECT 1 FROM sightings s WHERE s.ioc_id = i.id AND s.source_id = ?)');
    params.push(q.source);
  }
  if (q.value !== undefined) {
    // A value is of one type per key: look it up by each type asked for (all when none is).
    const types = q.types ?? IOC_TYPES;
    where.push(`i.value_key IN (${types.map(() => '?').join(', ')}) AND i.value = ?`);
    params.push(...types.map((t) => valueKey(t, q.value!)), q.value);
  }
  if (q.types && q.types.length === 1 && from === 'iocs i') {
    // (type, added_at, id) index: a pure range scan for one type.
    where.push('i.type = ?');
    params.push(q.types[0]);
  } else if (q.types && q.types.length > 0) {
    // Unary + keeps the planner on the REST-order index: a filter, not a sort of every matching row.
    where.push(`+i.type IN (${q.types.map(() => '?').join(', ')})`);
    params.push(...q.types);
  }
  if (q.since !== undefined) {
    where.push(`${k.at} > ?`);
    params.push(q.since);
  }
  if (q.after) {
    where.push(`(${k.at}, ${k.id}) > (?, ?)`);
    params.push(q.after.addedAt, q.after.rowId);
  }
  if (q.band) {
    where.push('i.score BETWEEN ? AND ?');
    params.push(BAND_RANGES[q.band].min, BAND_RANGES[q.band].max);
  }
  if (q.status !== 'all') {
    where.push('i.status = ?');
    params.push(q.status);
  }
  if (q.redistributableOnly) where.push('i.redistributable = 1');
  params.push(q.limit + 1);
  return {
    sql: `SELECT ${columns} FROM ${from} ${join} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${k.at}, ${k.id} LIMIT ?`,
    params,
  };
}

/** Most observations carry no labels: skip the sort and the serializer for them. */

