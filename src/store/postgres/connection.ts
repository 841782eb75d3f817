import { availableParallelism } from 'node:os';
import pg from 'pg';
import { sourceOf, type SourceRow } from '../rows.js';
import type { RenderIocVersion, SourceRecord } from '../types.js';
import { WriteLock } from '../write-lock.js';
import { LogWork } from './log-work.js';

type PoolClient = pg.PoolClient;

/** int8 (oid 20: BIGINT, count(*), identity ids) as a JS number: every value we store is a safe integer. */
const INT8_OID = 20;
const pgTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8_OID && format !== 'binary' ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

/**
 * Advisory lock keys (pg_advisory_xact_lock(class, key)). The version log's is taken by every transaction that
 * appends to the log or rewrites IOCs: it serializes seq / date_added assignment across nodes, so date_added is
 * strictly increasing in commit order. The key is the schema's, so that deployments sharing a database in
 * separate schemas do not wait on each other.
 */
const LOG_LOCK_CLASS = 0x736f6364; // 'socd'
const LOG_LOCK_SQL = `SELECT pg_advisory_xact_lock(${LOG_LOCK_CLASS}, hashtext(coalesce(current_schema(), '')))`;

/** The channel of key and plan changes (one per database: a change in another schema only empties a cache). */
export const KEYS_CHANNEL = 'socd_keys';

/** Names of prepared statements, one per text (the texts are built from a bounded set of query shapes). */
const statementNames = new Map<string, string>();
function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (!name) {
    name = `s${statementNames.size}`;
    statementNames.set(sql, name);
  }
  return name;
}

/** Options of a PostgresStore. */
export interface PostgresStoreOptions {
  renderVersion?: RenderIocVersion;
  /** A schema of its own (created by migrate() when missing): the search_path of every connection. */
  schema?: string;
  /**
   * Connections of the pool that serves requests (default: this machine's cores, at least 2). Ingestion writes use one
   * connection of their own besides.
   */
  maxConnections?: number;
}

export const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * What every role of the PostgreSQL store shares: the pool that serves requests, the one connection of ingestion,
 * this process's ingestion write lock, the STIX renderer, the source cache, and the plumbing of queries and
 * transactions.
 */
export class PgConnection {
  readonly pool: pg.Pool;
  /** One connection for the ingestion writes (serialized by `writes`): a long load never holds one of `pool`'s. */
  readonly ingestPool: pg.Pool;
  readonly config: pg.ClientConfig;
  readonly schema: string | undefined;
  readonly sourceCache = new Map<string, SourceRecord>();
  /** Serializes this process's ingestion writes (streams keep a connection and a transaction across awaits). */
  readonly writes = new WriteLock();
  renderVersion: RenderIocVersion | undefined;
  private closed = false;

  constructor(connectionString: string, opts: PostgresStoreOptions = {}) {
    this.renderVersion = opts.renderVersion;
    if (opts.schema !== undefined && !SCHEMA_NAME.test(opts.schema)) throw new Error(`invalid PostgreSQL schema name ${JSON.stringify(opts.schema)}`);
    this.schema = opts.schema;
    const connection = (this.config = {
      connectionString,
      types: pgTypes,
      // No parallel query: a TAXII or REST page is a short index range scan, and a parallel plan near the end of a
      // collection cost 94 ms where the serial one costs 8 (a deep page must cost what the first costs).
      // No JIT: every statement here is short and planned anew or prepared, and once a table passed a few hundred MB
      // the planner's estimates crossed jit_above_cost and LLVM compiled each ingestion look-up afresh: a fifth of the
      // server's time in a 1M load.
      options: `-c max_parallel_workers_per_gather=0 -c jit=off${opts.schema ? ` -c search_path=${opts.schema}` : ''}`,
    });
    // Few connections: one Node.js process cannot keep more than a few queries busy, and every connection more is one
    // more backend process competing for the database server's cores. On 2 cores, 32 TAXII clients got 1,208 req/s
    // (p99 53 ms) from 2 connections, 1,145 from 4, 522 (p99 297 ms) from 32.
    this.pool = new pg.Pool({ ...connection, max: opts.maxConnections ?? Math.max(2, availableParallelism()) });
    this.ingestPool = new pg.Pool({ ...connection, max: 1, idleTimeoutMillis: 30_000 });
    // An idle connection that the server drops emits here; the pool discards it. Without a listener it would throw.
    this.pool.on('error', () => {});
    this.ingestPool.on('error', () => {});
  }

  readonly renderer = (): RenderIocVersion => {
    if (!this.renderVersion) throw new Error('no STIX version renderer: call setVersionRenderer before writing IOCs');
    return this.renderVersion;
  };

  /**
   * `prepared`: the statement is parsed and planned once per connection and kept (for the hot read paths: a TAXII
   * page, a key's look-up), instead of at every call.
   */
  async rows<T>(sql: string, params: unknown[] = [], prepared = false): Promise<T[]> {
    if (prepared) return (await this.pool.query({ name: statementName(sql), text: sql, values: params })).rows as T[];
    return (await this.pool.query(sql, params)).rows as T[];
  }

  /** `rows` as arrays in the order of the select list (no object per row). */
  async arrays<T extends unknown[]>(sql: string, params: unknown[] = [], prepared = false): Promise<T[]> {
    const config = { text: sql, values: params, rowMode: 'array' as const, ...(prepared ? { name: statementName(sql) } : {}) };
    return (await this.pool.query(config)).rows as T[];
  }

  async one<T>(sql: string, params: unknown[] = [], prepared = false): Promise<T | undefined> {
    return (await this.rows<T>(sql, params, prepared))[0];
  }

  /**
   * `fn` inside a transaction on one connection (`client` when given, else one of the pool's). `begin` opens it: a
   * simple query that may run more statements in the same round trip (their results go to `fn`).
   */
  async tx<T>(fn: (c: PoolClient, begun: pg.QueryResult[]) => Promise<T>, client?: PoolClient, begin = 'BEGIN', pool = this.pool): Promise<T> {
    const c = client ?? (await pool.connect());
    let broken: Error | undefined;
    try {
      let begun: pg.QueryResult | pg.QueryResult[];
      try {
        begun = (await c.query(begin)) as pg.QueryResult | pg.QueryResult[];
      } catch (e) {
        await c.query('ROLLBACK').catch(() => {});
        throw e;
      }
      try {
        const out = await fn(c, Array.isArray(begun) ? begun : [begun]);
        await c.query('COMMIT');
        return out;
      } catch (e) {
        await c.query('ROLLBACK').catch((rollback: unknown) => {
          broken = rollback instanceof Error ? rollback : new Error(String(rollback));
        });
        throw e;
      }
    } finally {
      if (!client) c.release(broken);
    }
  }

  /**
   * A transaction that writes the version log or IOCs: takes the log's advisory lock first, then reads where the
   * log stands (a statement of its own, so under the lock: no other node appends until this one commits). One
   * round trip opens it all.
   */
  async logTx<T>(fn: (c: PoolClient, work: LogWork) => Promise<T>, client?: PoolClient, ingestion = false): Promise<T> {
    // Ingestion can be fetched again from its sources: its commits do not wait for the WAL flush (~25 % faster).
    // A PostgreSQL crash may lose the last fraction of a second of them, never corrupt anything; TAXII writes,
    // accounts and keys stay fully durable.
    const relaxed = ingestion ? "SET LOCAL synchronous_commit TO OFF; SET LOCAL work_mem TO '64MB'; " : '';
    return this.tx(async (c, begun) => {
      const pos = begun[begun.length - 1]!.rows[0] as { ioc: number | null; seq: number; date_added: number };
      return fn(c, new LogWork(this.renderer, pos));
    }, client, `BEGIN; ${relaxed}${LOG_LOCK_SQL}; SELECT (SELECT max(id) FROM iocs) AS ioc, seq, date_added FROM log_state`, ingestion ? this.ingestPool : this.pool);
  }

  /** A registered source, from the cache. */
  async source(id: string): Promise<SourceRecord> {
    let s = this.sourceCache.get(id);
    if (!s) {
      const r = await this.one<SourceRow<boolean>>('SELECT * FROM sources WHERE id = $1', [id]);
      if (!r) throw new Error(`unknown source ${id}: register it with upsertSource first`);
      s = sourceOf(r);
      this.sourceCache.set(id, s);
    }
    return s;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.pool.end(), this.ingestPool.end()]);
  }
}
