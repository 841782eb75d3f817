import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { IocType } from '../../domain/ioc-types.js';
import type { Tlp } from '../../domain/tlp.js';
import { decayDue, RELIST_BATCH, RELIST_WINDOW, type RelistRow, relistedOf } from '../ingest-rules.js';
import { type IocWalkPosition, liveSightingsSql, sightingsWalk, unseenSightingsSql } from '../ioc-select.js';
import { stixKey } from '../lookup-keys.js';
import type { IngestWrites } from '../store.js';
import type { DecayResult, Observation, RenderIocVersion, UpsertOptions, UpsertResult } from '../types.js';
import { isBusy } from './busy-wait.js';
import type { SqliteConnection } from './connection.js';
import { walkWindowEnd, windowRows } from './ioc-reads.js';
import { IOC_BY_STIX_ID, type IocRow, LogWork } from './log-work.js';

/**
 * Pause after a transaction of a streamed load that held the lock LONG_LOCK_MS or more, so that another process
 * waiting for the lock (busy-wait.ts tries every few ms) gets it. Short transactions go on at once.
 */
const LOCK_GAP_MS = 5;
const LONG_LOCK_MS = 100;
/** Observations applied between two turns of the event loop (upsertObservationStream): about 20 ms of new IOCs. */
const INGEST_SLICE = 500;
/** IOCs (ids, for decay) a transaction of a delisting and of a decay pass covers at most. */
const DELIST_PAGE = 5000;
const DECAY_PAGE = 5000;
/** The work of one delisting or decay transaction: it stops past this many ms. */
const WRITE_TURN_MS = 10;
/** Ids a decay transaction reads at a time. */
const DECAY_PIECE = 100;

/** Ingestion writes: observations, the end of a snapshot, relisting, decay and revocation (store.ts IngestWrites). */
export class SqliteIngestWrites implements IngestWrites {
  constructor(private readonly conn: SqliteConnection) {}

  setVersionRenderer(render: RenderIocVersion): void {
    this.conn.renderVersion = render;
  }

  async upsertObservationStream(
    sourceId: string,
    chunks: AsyncIterable<readonly Observation[]>,
    opts: UpsertOptions & { batchSize: number; clock?: () => number; onCommit?: (total: Readonly<UpsertResult>) => void },
  ): Promise<UpsertResult> {
    const { db } = this.conn;
    const source = this.conn.source(sourceId);
    const clock = opts.clock ?? Date.now;
    const total: UpsertResult = { inserted: 0, updated: 0, unchanged: 0, ignored: 0 };
    return this.conn.writes.run(async () => {
      let open = false;
      let pending = 0;
      let lockedAt = 0;
      // The WAL passed its restart size at the last commit: copied whole before the next transaction, if one comes.
      let drain = false;
      try {
        for await (const chunk of chunks) {
          // Exactly batchSize observations per transaction, whatever the size of the chunks.
          for (let at = 0; at < chunk.length; ) {
            // A turn of the event loop between slices of a chunk (the transaction may stay open across it): a chunk of
            // 2,000 new IOCs, the connector runner's, is about 80 ms of work in `socd serve`'s process.
            if (at > 0) await nextTurn();
            if (!open) {
              // A WAL grown large is copied whole first (awaited, the thread free), so that this transaction's
              // commit starts it over. The wait also lets another process take the lock.
              if (drain) {
                drain = false;
                await this.conn.drainWal();
              }
              // At once when the lock is free (no extra turn between chunks), else waited for on a timer.
              try {
                db.exec('BEGIN IMMEDIATE');
              } catch (err) {
                if (!isBusy(err)) throw err;
                await this.conn.whenFree(() => db.exec('BEGIN IMMEDIATE'));
              }
              open = true;
              lockedAt = performance.now();
            }
            const take = Math.min(chunk.length - at, opts.batchSize - pending, INGEST_SLICE);
            const work = new LogWork(this.conn, clock());
            work.apply(source, at === 0 && take === chunk.length ? chunk : chunk.slice(at, at + take), total, opts);
            work.finish();
            at += take;
            pending += take;
            if (pending >= opts.batchSize) {
              db.exec('COMMIT');
              open = false;
              pending = 0;
              opts.onCommit?.(total);
              drain = this.conn.walBytes() >= this.conn.walRestartBytes;
              if (!drain && performance.now() - lockedAt >= LONG_LOCK_MS) await new Promise<void>((resolve) => setTimeout(resolve, LOCK_GAP_MS));
            }
          }
        }
        if (open) {
          db.exec('COMMIT');
          open = false;
          opts.onCommit?.(total);
        }
        return total;
      } finally {
        // A failing producer or write loses the batch in flight, never a committed one.
        if (open && db.inTransaction) db.exec('ROLLBACK');
      }
    });
  }

  async endUnseenSightings(sourceId: string, run: number, now: number): Promise<number> {
    const { db } = this.conn;
    this.conn.source(sourceId);
    return this.conn.writes.run(async () => {
      // Read in windows of the source's sightings (scan-window.ts), a turn of the event loop between them: one statement
      // read every sighting of the source at the end of each of its snapshots (1M: 408–627 ms), however few it ends.
      const ids: number[] = [];
      let after: IocWalkPosition | undefined;
      await this.conn.windows.run('unseen:source', 0, (entries) => {
        const q = sightingsWalk(sourceId, after);
        const until = walkWindowEnd(this.conn, q, entries);
        for (const id of windowRows<number>(this.conn, q, 'pluck', (dialect, form) => unseenSightingsSql(q, run, dialect, form, until))) ids.push(id);
        if (until === undefined) return true;
        after = until;
        return false;
      });
      const end = db.prepare('UPDATE sightings SET ended_at = ? WHERE ioc_id = ? AND source_id = ?');
      const get = db.prepare('SELECT * FROM iocs WHERE id = ?');
      // Up to DELIST_PAGE sightings a transaction, which stops after WRITE_TURN_MS of work (an IOC left without a live
      // sighting is revoked: its final version rendered), a turn of the event loop between transactions.
      for (let at = 0; at < ids.length; ) {
        if (at > 0) await nextTurn();
        at = await this.conn.whenFree(() => db.transaction(() => {
          const started = performance.now();
          const work = new LogWork(this.conn, now);
          const upTo = Math.min(at + DELIST_PAGE, ids.length);
          let next = at;
          while (next < upTo && (next === at || performance.now() - started <= WRITE_TURN_MS)) {
            const id = ids[next++]!;
            end.run(now, id, sourceId);
            const row = get.get(id) as IocRow | undefined;
            if (row && row.status === 'active') work.reconcile(row, undefined, false);
          }
          work.finish();
          return next;
        }).immediate());
      }
      return ids.length;
    });
  }

  /**
   * Read in windows of RELIST_WINDOW of the source's sightings, a chunk of observations each, a turn of the event loop
   * between them: the whole source read at once held the event loop 6.9 s and took 799 MB at 1M sightings.
   */
  async relistSource(sourceId: string, run: number, now: number, opts: { skip?: (type: IocType, value: string) => boolean } = {}): Promise<UpsertResult> {
    const source = this.conn.source(sourceId);
    const conn = this.conn;
    async function* chunks(): AsyncGenerator<readonly Observation[]> {
      let after: IocWalkPosition | undefined;
      for (;;) {
        const q = sightingsWalk(sourceId, after);
        const until = walkWindowEnd(conn, q, RELIST_WINDOW);
        const chunk: Observation[] = [];
        for (const [type, value, firstSeen, confidence, reference, tlp] of windowRows<RelistRow>(conn, q, 'raw', (dialect, form) => liveSightingsSql(q, dialect, form, until))) {
          if (!opts.skip?.(type, value)) chunk.push(relistedOf(type, value, firstSeen, confidence, reference, tlp, now));
        }
        if (chunk.length > 0) yield chunk;
        if (until === undefined) return;
        after = until;
        await nextTurn();
      }
    }
    return this.upsertObservationStream(source.id, chunks(), { batchSize: RELIST_BATCH, run, clock: () => now });
  }

  /**
   * In ranges of DECAY_PAGE ids (a range of rowids is one seek, whatever share of it is revoked: paged by `status =
   * 'active'` alone, the first page stepped over every revoked IOC before it), one transaction each, which stops at
   * WRITE_TURN_MS of work and leaves the rest of its range to the next: revoking 5,000 IOCs (their final versions
   * rendered) took 650 ms. A turn of the event loop between transactions. At 1M IOCs, 800,000 of them revoked, the
   * longest turn was 922 ms.
   */
  async decayIocs(now: number): Promise<DecayResult> {
    const { db } = this.conn;
    const result: DecayResult = { rescored: 0, revoked: 0, versions: 0 };
    const range = db.prepare("SELECT * FROM iocs WHERE id > ? AND id <= ? AND status = 'active' ORDER BY id");
    // IOCs added after this pass began are new: not due.
    const last = (db.prepare('SELECT max(id) FROM iocs').pluck().get() as number | null) ?? 0;
    let after = 0;
    while (after < last) {
      await this.conn.write(() => db.transaction(() => {
        const started = performance.now();
        const upTo = Math.min(after + DECAY_PAGE, last);
        const work = new LogWork(this.conn, now);
        const seqBefore = work.nextSeq();
        // Pieces of DECAY_PIECE ids (better-sqlite3 runs no other statement while one is read row by row), until the
        // range ends or the work has taken WRITE_TURN_MS.
        let reached = after;
        while (reached < upTo && (reached === after || performance.now() - started <= WRITE_TURN_MS)) {
          const to = Math.min(reached + DECAY_PIECE, upTo);
          for (const row of range.all(reached, to) as IocRow[]) {
            if (!decayDue(row, now)) continue;
            const outcome = work.reconcile(row, undefined, false);
            if (outcome === 'revoked') result.revoked++;
            else if (outcome === 'updated') result.rescored++;
          }
          reached = to;
        }
        result.versions += work.nextSeq() - seqBefore;
        work.finish();
        after = reached;
      }).immediate());
      // Let readers in between transactions.
      await nextTurn();
    }
    return result;
  }

  /**
   * In transactions that stop after WRITE_TURN_MS of work, a turn of the event loop between them (each IOC is revoked on
   * its own terms: its status is read again in the transaction that revokes it). 1,000 IOCs at 1M, their final
   * versions rendered, were one transaction of 577 ms.
   */
  async revokeIocs(stixIds: readonly string[], now: number): Promise<number> {
    const { db } = this.conn;
    const find = this.conn.statement(`SELECT i.* FROM ${IOC_BY_STIX_ID} AND i.status = 'active'`);
    let revoked = 0;
    for (let at = 0; at < stixIds.length; ) {
      if (at > 0) await nextTurn();
      // Counted from what each transaction returns (a transaction tried again while another process holds the lock
      // counts once).
      const done = await this.conn.write(() =>
        db.transaction(() => {
          const started = performance.now();
          const work = new LogWork(this.conn, now);
          let next = at;
          let n = 0;
          while (next < stixIds.length && (next === at || performance.now() - started <= WRITE_TURN_MS)) {
            const id = stixIds[next++]!;
            const key = stixKey(id);
            if (key === undefined) continue;
            const row = find.get(key, id, id) as IocRow | undefined;
            if (!row) continue;
            work.revoke(row, work.evidence(row.id).map((e) => ({ id: e.source_id, name: e.name })));
            n++;
          }
          work.finish();
          return { next, n };
        }).immediate(),
      );
      at = done.next;
      revoked += done.n;
    }
    return revoked;
  }
}
