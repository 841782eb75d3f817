import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type pg from 'pg';
import type { IocType } from '../../domain/ioc-types.js';
import type { Tlp } from '../../domain/tlp.js';
import { type IocWalkPosition, liveSightingsSql, sightingsWalk } from '../ioc-select.js';
import { countOutcome, decayDue, incomingOf, observationStep, RELIST_BATCH, RELIST_WINDOW, type RelistRow, relistedOf } from '../ingest-rules.js';
import type { IngestWrites } from '../store.js';
import type { DecayResult, Observation, RenderIocVersion, SourceRecord, UpsertOptions, UpsertResult } from '../types.js';
import type { PgConnection } from './connection.js';
import { pgIocDialect } from './ioc-reads.js';
import { column, Params, Sequence, YIELD_EVERY } from './copy-rows.js';
import type { IocRow, IocState, LogWork, SightingRow, SourceFacts } from './log-work.js';

type PoolClient = pg.PoolClient;

/** IOCs per transaction of a decay pass and of a delisting. */
const DECAY_PAGE = 5000;
/** The JS work of a decay page between turns of the event loop, ms. */
const DECAY_TURN_MS = 10;
const DELIST_PAGE = 5000;
/** Observations per statement inside one ingest transaction: bounds the statements and the memory of a large batch. */
const WRITE_SLICE = 5000;
/**
 * Longest wait inside a batch for the producer's next slice before the batch is committed shorter: a bulk import's
 * parser has it ready at once; a feed that trickles must not keep the version-log lock.
 */
const PRODUCER_WAIT_MS = 250;
/** New IOCs in one stream after which the tables are vacuumed and analyzed. */
const ANALYZE_AFTER = 10_000;
/** The tables a load writes and the walks read: analyzed after a bulk load, or when they never were. */
const LOADED_TABLES = ['iocs', 'sightings', 'ioc_sectors', 'object_versions', 'collection_members'] as const;

/** A row of the ingestion look-up: an IOC's columns, then one of its sightings' (all NULL when it has none). */
type LookUpRow = IocRow & {
  s_source_id: string | null;
  s_first_seen: number | null;
  s_last_seen: number | null;
  s_count: number | null;
  s_confidence: number | null;
  s_reference: string | null;
  s_ended_at: number | null;
  s_ioc_added_at: number | null;
  s_seen_run: number | null;
  s_expires_at: number | null;
  src_name: string | null;
  src_reliability: number | null;
  src_aggregate: boolean | null;
  src_redistributable: boolean | null;
  src_no_decay: boolean | null;
};
const LOOKUP_SIGHTING_COLUMNS = [
  ...['source_id', 'first_seen', 'last_seen', 'count', 'confidence', 'reference', 'ended_at', 'ioc_added_at', 'seen_run', 'expires_at'].map((c) => `s.${c} AS s_${c}`),
  ...['name', 'reliability', 'aggregate', 'redistributable', 'no_decay'].map((c) => `src.${c} AS src_${c}`),
].join(', ');

const stateOf = (row: IocRow): IocState => ({ row, sightings: new Map(), isNew: false, dirty: false });

/** Ingestion writes: observations, the end of a snapshot, relisting, decay and revocation (store.ts IngestWrites). */
export class PgIngestWrites implements IngestWrites {
  constructor(private readonly conn: PgConnection) {}

  setVersionRenderer(render: RenderIocVersion): void {
    this.conn.renderVersion = render;
  }

  async upsertObservationStream(
    sourceId: string,
    chunks: AsyncIterable<readonly Observation[]>,
    opts: UpsertOptions & { batchSize: number; clock?: () => number; onCommit?: (total: Readonly<UpsertResult>) => void },
  ): Promise<UpsertResult> {
    const source = await this.conn.source(sourceId);
    const clock = opts.clock ?? Date.now;
    const total: UpsertResult = { inserted: 0, updated: 0, unchanged: 0, ignored: 0 };
    return this.conn.writes.run(async () => {
      const client = await this.conn.ingestPool.connect();
      const input = new Slices(chunks);
      // The slice a batch ended without, when the producer kept it waiting (writeBatch): the next batch's first.
      let carry: Promise<readonly Observation[]> | undefined;
      let broken: Error | undefined;
      try {
        for (;;) {
          // A batch's transaction (and the version-log lock) opens once its first slice is here: never while the
          // producer makes it. Inside the batch, slices are written as they come (SQLite's store does the same): only
          // a slice or two are held in memory, not the whole batch (a 50,000-observation batch held whole, with the
          // next one filling meanwhile, made a 200k load peak at ~510 MB of RSS).
          const first = await (carry ?? input.take(Math.min(WRITE_SLICE, opts.batchSize)));
          carry = undefined;
          if (first.length === 0) break;
          const { result: r, carry: rest } = await writeBatch(this.conn, source, first, input, opts.batchSize, clock(), opts, client);
          carry = rest;
          total.inserted += r.inserted;
          total.updated += r.updated;
          total.unchanged += r.unchanged;
          total.ignored += r.ignored;
          opts.onCommit?.(total);
        }
        // After a bulk load: statistics for the planner, or the first page of a walk scans and sorts the table; and
        // the visibility map, or a TAXII page reads every member's heap row besides its index entry (a page went from
        // 0.78 to 0.30 ms). Autovacuum does both in time, if it runs; this does it now (1.2 s after 100k new IOCs).
        // A smaller load into tables that were never analyzed (a new deployment; autovacuum off, or not yet round)
        // too: without statistics the planner expects a handful of rows and answers a TAXII page from before the first
        // object by joining and sorting the whole collection (2,000 objects: 5.3–5.9 ms, 0.85 with statistics, both
        // under EXPLAIN ANALYZE). Small tables take milliseconds.
        if (total.inserted >= ANALYZE_AFTER || (total.inserted > 0 && (await neverAnalyzed(client)))) {
          await client.query(`VACUUM (ANALYZE) ${LOADED_TABLES.join(', ')}`);
        }
        return total;
      } catch (e) {
        // A failing producer loses the batch it was in (rolled back); committed ones stay. A failed write may leave the
        // connection in any state: it is not given back to the pool.
        if (e !== input.error) broken = e instanceof Error ? e : new Error(String(e));
        throw e;
      } finally {
        client.release(broken);
        await input.close();
      }
    });
  }

  async endUnseenSightings(sourceId: string, run: number, now: number): Promise<number> {
    await this.conn.source(sourceId);
    return this.conn.writes.run(async () => {
      let ended = 0;
      for (;;) {
        const n = await this.conn.logTx(async (c, work) => {
          const { rows } = await c.query(
            `SELECT i.* FROM iocs i WHERE i.id IN (
               SELECT ioc_id FROM sightings WHERE source_id = $1 AND ended_at IS NULL AND (seen_run IS NULL OR seen_run <> $2)
               ORDER BY ioc_id LIMIT ${DELIST_PAGE})`,
            [sourceId, run],
          );
          const states = (rows as IocRow[]).map(stateOf);
          await loadSightings(c, states);
          for (const st of states) {
            work.endSighting(st, sourceId, now);
            if (st.row.status === 'active') work.reconcile(st, now, undefined, false);
          }
          await work.flush(c);
          return states.length;
        }, undefined, true);
        ended += n;
        if (n < DELIST_PAGE) return ended;
      }
    });
  }

  /**
   * Read in pages of RELIST_WINDOW live sightings, a chunk of observations each: the whole source read at once made an
   * object per sighting before the first was written (1M sightings: 799 MB on SQLite).
   */
  async relistSource(sourceId: string, run: number, now: number, opts: { skip?: (type: IocType, value: string) => boolean } = {}): Promise<UpsertResult> {
    const source = await this.conn.source(sourceId);
    const conn = this.conn;
    async function* chunks(): AsyncGenerator<readonly Observation[]> {
      let after: IocWalkPosition | undefined;
      for (;;) {
        const { p, dialect } = pgIocDialect();
        const sql = liveSightingsSql(sightingsWalk(sourceId, after), dialect, 'tuple', undefined, RELIST_WINDOW);
        const rows = await conn.arrays<RelistRow>(sql, p.values, true);
        const chunk: Observation[] = [];
        for (const [type, value, firstSeen, confidence, reference, tlp] of rows) {
          if (!opts.skip?.(type, value)) chunk.push(relistedOf(type, value, Number(firstSeen), confidence, reference, tlp, now));
        }
        if (chunk.length > 0) yield chunk;
        const last = rows[rows.length - 1];
        if (rows.length < RELIST_WINDOW || !last) return;
        after = { addedAt: Number(last[6]), rowId: Number(last[7]) };
      }
    }
    return this.upsertObservationStream(source.id, chunks(), { batchSize: RELIST_BATCH, run, clock: () => now });
  }

  async decayIocs(now: number): Promise<DecayResult> {
    const result: DecayResult = { rescored: 0, revoked: 0, versions: 0 };
    let after = 0;
    for (;;) {
      const done = await this.conn.writes.run(() => this.conn.logTx(async (c, work) => {
        const { rows } = await c.query(`SELECT * FROM iocs WHERE id > $1 AND status = 'active' ORDER BY id LIMIT ${DECAY_PAGE}`, [after]);
        if (rows.length === 0) return true;
        const seqBefore = work.appended;
        // Cheap test first: most IOCs neither moved a point nor expired since the last pass.
        const due = (rows as IocRow[]).filter((row) => {
          after = row.id;
          return decayDue(row, now);
        }).map(stateOf);
        await loadSightings(c, due);
        // The versions are rendered here: a turn of the event loop every DECAY_TURN_MS of it (revoking 5,000 IOCs takes
        // about 650 ms).
        let turnStarted = performance.now();
        for (const st of due) {
          if (performance.now() - turnStarted > DECAY_TURN_MS) {
            await nextTurn();
            turnStarted = performance.now();
          }
          const outcome = work.reconcile(st, now, undefined, false);
          if (outcome === 'revoked') result.revoked++;
          else if (outcome === 'updated') result.rescored++;
        }
        result.versions += work.appended - seqBefore;
        await work.flush(c);
        return false;
      }, undefined, true));
      if (done) return result;
    }
  }

  async revokeIocs(stixIds: readonly string[], now: number): Promise<number> {
    if (stixIds.length === 0) return 0;
    return this.conn.logTx(async (c, work) => {
      const { rows } = await c.query("SELECT * FROM iocs WHERE stix_id = ANY($1::text[]) AND status = 'active'", [stixIds]);
      const byStix = new Map((rows as IocRow[]).map((r) => [r.stix_id, stateOf(r)]));
      await loadSightings(c, byStix.values());
      let revoked = 0;
      for (const id of stixIds) {
        const st = byStix.get(id);
        if (!st || st.row.status !== 'active') continue;
        work.revokeRow(st, now, work.evidence(st, now).map((e) => ({ id: e.source_id, name: e.src.name })));
        revoked++;
      }
      await work.flush(c);
      return revoked;
    });
  }
}

  /** The sightings (with their sources' facts) of these IOCs, in one query. */
async function loadSightings(c: PoolClient, states: Iterable<IocState>): Promise<void> {
    const byId = new Map<number, IocState>();
    for (const st of states) byId.set(st.row.id, st);
    if (byId.size === 0) return;
    const { rows } = await c.query(
      `SELECT s.ioc_id, s.source_id, s.first_seen, s.last_seen, s.count, s.confidence, s.reference, s.ended_at, s.ioc_added_at,
              s.seen_run, s.expires_at, src.name, src.reliability, src.aggregate, src.redistributable, src.no_decay
       FROM sightings s JOIN sources src ON src.id = s.source_id WHERE s.ioc_id = ANY($1::bigint[])`,
      [[...byId.keys()]],
    );
    for (const r of rows as Array<SightingRow & SourceFacts>) {
      const { name, reliability, aggregate, redistributable, no_decay, ...s } = r;
      byId.get(r.ioc_id)!.sightings.set(r.source_id, { ...s, src: { name, reliability, aggregate, redistributable, no_decay }, dirty: false });
    }
  }

/**
 * The observations of a stream, taken by slices whatever the size of its chunks: a slice is short only at the end of
 * the stream.
 */
class Slices {
  private readonly it: AsyncIterator<readonly Observation[]>;
  private chunk: readonly Observation[] = [];
  private at = 0;
  private done = false;
  /** What the producer threw, if it did: it breaks nothing on the connection. */
  error: unknown;

  constructor(chunks: AsyncIterable<readonly Observation[]>) {
    this.it = chunks[Symbol.asyncIterator]();
  }

  /** Up to `n` observations; fewer only when the stream ends, none after. */
  async take(n: number): Promise<readonly Observation[]> {
    const out: Observation[] = [];
    while (out.length < n) {
      if (this.at >= this.chunk.length) {
        if (this.done) break;
        let next: IteratorResult<readonly Observation[]>;
        try {
          next = await this.it.next();
        } catch (e) {
          this.done = true;
          this.error = e;
          throw e;
        }
        if (next.done) {
          this.done = true;
          break;
        }
        this.chunk = next.value;
        this.at = 0;
        // A whole chunk of the right size is passed on as it is.
        if (out.length === 0 && this.chunk.length === n) {
          this.at = n;
          return this.chunk;
        }
        continue;
      }
      const take = Math.min(n - out.length, this.chunk.length - this.at);
      for (let i = this.at; i < this.at + take; i++) out.push(this.chunk[i]!);
      this.at += take;
    }
    if (this.at >= this.chunk.length) this.chunk = [];
    return out;
  }

  /** Ends the producer when the stream is left before its end (as `for await` does when its body throws). */
  async close(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.it.return?.()?.catch(() => {});
  }
}

/**
 * One batch in one transaction: `first`, then up to `limit` observations in all taken from `input` as they come, by
 * slices of WRITE_SLICE observations, each in a fixed number of round trips (its IOCs and their sightings looked up,
 * then its writes), pipelined: a slice's look-ups are sent before the previous slice's writes, so the server writes
 * one slice while this process reconciles the next. What those look-ups cannot see yet (the IOCs of the previous
 * slice) is taken from memory, where it is current.
 */
async function writeBatch(
  conn: PgConnection, source: SourceRecord, first: readonly Observation[], input: Slices, limit: number, now: number, opts: UpsertOptions,
  client?: PoolClient,
): Promise<{ result: UpsertResult; carry?: Promise<readonly Observation[]> }> {
  const result: UpsertResult = { inserted: 0, updated: 0, unchanged: 0, ignored: 0 };
  let carry: Promise<readonly Observation[]> | undefined;
  await conn.logTx(async (c, work) => {
    const writes: Array<Promise<void>> = [];
    let failed: { error: unknown } | undefined;
    const sequence = new Sequence();
    const send = (prepared: (c: PoolClient, sequence: Sequence) => Promise<void>) => {
      const w = prepared(c, sequence);
      w.catch((error: unknown) => {
        failed ??= { error };
      });
      writes.push(w);
    };
    let previous = new Map<string, IocState>();
    let prepared: ((c: PoolClient, sequence: Sequence) => Promise<void>) | undefined;
    try {
      let slice = first;
      let taken = slice.length;
      while (slice.length > 0) {
        const keys = new Map<string, readonly [IocType, string]>();
        for (const o of slice) keys.set(`${o.type}\0${o.value}`, [o.type, o.value]);
        const looked = lookUp(c, sequence, keys);
        looked.catch(() => {}); // awaited below, unless sending the previous slice throws first
        if (prepared) send(prepared);
        prepared = undefined;
        const states = await looked;
        for (const key of keys.keys()) {
          const current = previous.get(key);
          if (current) states.set(key, current);
        }
        await reconcileSlice(work, source, slice, states, now, opts, result);
        previous = states;
        if (taken >= limit) break;
        // The next slice is asked for while this one is encoded; if the producer has none ready, this one is sent at
        // once rather than after the wait.
        const next = input.take(Math.min(WRITE_SLICE, limit - taken));
        next.catch(() => {}); // awaited below
        prepared = await work.prepare();
        const ready = await Promise.race([next.then(() => true, () => true), nextTurn(false)]);
        if (!ready) {
          send(prepared);
          prepared = undefined;
          // A producer that keeps the batch waiting (a feed arriving slowly over the network) ends it here, shorter:
          // the transaction, and the version-log lock that every node's writers share, are not held while it trickles.
          if (!(await settlesWithin(next, PRODUCER_WAIT_MS))) {
            carry = next;
            break;
          }
        }
        slice = await next;
        taken += slice.length;
      }
      // Everything reconciled is sent, unless the loop ended on a slice whose writes are still to prepare.
      if (carry === undefined) send(prepared ?? (await work.prepare()));
      await Promise.all(writes);
    } catch (e) {
      // A write that failed aborts the transaction, and every statement after it fails for that reason: report the
      // first failure, once everything sent has settled.
      await Promise.allSettled(writes);
      throw failed ? failed.error : e;
    }
  }, client, true);
  return carry ? { result, carry } : { result };
}

/** Whether `p` settles (either way) within `ms`. */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([p.then(() => true, () => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The IOCs of `keys` as stored, with their sightings: one query that probes the (type, md5(value)) index once per key
 * and returns a row per sighting of each IOC found (the IOC's columns, then the sighting's, prefixed `s_`), or one row
 * with no sighting. Two queries, one for each, probed the index twice: a tenth of the server's time in a bulk load.
 */
async function lookUp(c: PoolClient, sequence: Sequence, keys: ReadonlyMap<string, readonly [IocType, string]>): Promise<Map<string, IocState>> {
  const types: string[] = [];
  const values: string[] = [];
  for (const [t, v] of keys.values()) {
    types.push(t);
    values.push(v);
  }
  const p = new Params();
  // LATERAL … LIMIT 1: one index probe per key, whatever the planner believes of a table that a load is growing.
  const { rows } = await sequence.then(() => c.query(
    `SELECT i.*, ${LOOKUP_SIGHTING_COLUMNS}
     FROM unnest(${column(p, types, 'text')}, ${column(p, values, 'text')}) AS k(type, value)
     CROSS JOIN LATERAL (SELECT * FROM iocs i WHERE i.type = k.type AND md5(i.value) = md5(k.value) AND i.value = k.value LIMIT 1) i
     LEFT JOIN LATERAL (SELECT * FROM sightings s WHERE s.ioc_id = i.id OFFSET 0) s ON true
     LEFT JOIN sources src ON src.id = s.source_id`,
    p.values,
  ));
  const states = new Map<string, IocState>();
  const byId = new Map<number, IocState>();
  for (const r of rows as LookUpRow[]) {
    const {
      s_source_id, s_first_seen, s_last_seen, s_count, s_confidence, s_reference, s_ended_at, s_ioc_added_at, s_seen_run, s_expires_at,
      src_name, src_reliability, src_aggregate, src_redistributable, src_no_decay, ...row
    } = r;
    let st = byId.get(row.id);
    if (!st) {
      st = stateOf(row);
      byId.set(row.id, st);
      states.set(`${row.type}\0${row.value}`, st);
    }
    if (s_source_id === null) continue;
    st.sightings.set(s_source_id, {
      ioc_id: row.id, source_id: s_source_id, first_seen: s_first_seen!, last_seen: s_last_seen!, count: s_count!, confidence: s_confidence,
      reference: s_reference, ended_at: s_ended_at, ioc_added_at: s_ioc_added_at!, seen_run: s_seen_run, expires_at: s_expires_at, dirty: false,
      src: { name: src_name!, reliability: src_reliability!, aggregate: src_aggregate!, redistributable: src_redistributable!, no_decay: src_no_decay! },
    });
  }
  return states;
}

/**
 * What one slice of observations does to the IOCs, in memory (`states`: those of the slice that exist). It yields
 * to the event loop every few hundred observations: the previous slice's COPYs go on only as their protocol
 * messages are answered.
 */
async function reconcileSlice(
  work: LogWork, source: SourceRecord, slice: readonly Observation[], states: Map<string, IocState>, now: number, opts: UpsertOptions,
  result: UpsertResult,
): Promise<void> {
  const run = opts.run ?? null;
  let n = 0;
  for (const o of slice) {
    if ((++n & YIELD_EVERY) === 0) await nextTurn();
    const key = `${o.type}\0${o.value}`;
    const st = states.get(key);
    const tlp = o.tlp ?? source.tlp;
    const step = observationStep(st?.row.status, opts);
    if (step === 'ignore') {
      result.ignored++;
      opts.onOutcome?.('ignored');
      continue;
    }
    if (!st) {
      states.set(key, work.insertIoc(source, o, tlp, now, run));
      result.inserted++;
      opts.onOutcome?.('inserted');
      continue;
    }
    work.seen(st, source, o, run);
    countOutcome(result, work.reconcile(st, now, incomingOf(o, tlp), true), opts);
  }
}

/** Whether one of the loaded tables of this schema has no planner statistics yet (never analyzed, by us or autovacuum). */
async function neverAnalyzed(client: PoolClient): Promise<boolean> {
  const { rows } = await client.query<{ never: boolean | null }>(
    `SELECT bool_or(last_analyze IS NULL AND last_autoanalyze IS NULL) AS never FROM pg_stat_user_tables
      WHERE schemaname = current_schema() AND relname = ANY($1::text[])`,
    [LOADED_TABLES],
  );
  return rows[0]?.never === true;
}
