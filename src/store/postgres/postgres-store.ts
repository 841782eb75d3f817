import pg from 'pg';
import { adoptRoles } from '../compose.js';
import { PgWebhooks } from './webhooks.js';
import { PgAuditLog } from './audit-log.js';
import { PgSessions } from './sessions.js';
import { PgStats } from './stats.js';
import { PgBlocklists } from './blocklists.js';
import type {
  AccountStore, AllowListStore, AuditLog, IngestWrites, IocLookup, IocReads, PoolUse, SettingStore, SourceRunStore, SessionStore, SourceSettingsStore, StatsReads, BlocklistReads, Store, TaxiiStore, VersionLog, WebhookStore,
} from '../store.js';
import { PgAllowList } from './allowlist.js';
import { PgSourceSettings } from './source-settings.js';
import { PgAccounts } from './accounts.js';
import { PgConnection, type PostgresStoreOptions, SCHEMA_NAME } from './connection.js';
import { PgIngestWrites } from './ingest-writes.js';
import { PgIocLookup } from './ioc-lookup.js';
import { PgIocReads } from './ioc-reads.js';
import { migrate } from './migrations.js';
import { PgSettings } from './settings.js';
import { PgSourceRuns } from './source-runs.js';
import { PgTaxiiCollections } from './taxii-collections.js';
import { PgVersionLog } from './version-log.js';

export type { PostgresStoreOptions } from './connection.js';

/** The roles a PostgresStore takes on from the files of this folder (compose.ts). */
export interface PostgresStore extends SettingStore, IocReads, IocLookup, IngestWrites, VersionLog, TaxiiStore, AccountStore, SourceRunStore, AllowListStore, SourceSettingsStore, AuditLog, SessionStore, StatsReads, BlocklistReads, WebhookStore {}

/**
 * Opens `postgres://…`. One pg.Pool; times are BIGINT epoch ms (date_added µs); migrations applied by `migrate()`.
 * Several nodes may write at once: the version log is serialized by a transaction-level advisory lock
 * (connection.ts). Its roles, one file each: ioc-reads, ingest-writes (with log-work and the COPY paths of
 * copy-rows and copy-binary), version-log, taxii-collections, accounts, source-runs, allowlist, audit-log, sessions, stats, settings; the same files as
 * sqlite/.
 */
export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  /** The pools the roles share (test helpers read them too). */
  readonly conn: PgConnection;

  constructor(connectionString: string, opts: PostgresStoreOptions = {}) {
    const conn = (this.conn = new PgConnection(connectionString, opts));
    adoptRoles(this, [
      new PgSettings(conn), new PgIocReads(conn), new PgIocLookup(conn), new PgIngestWrites(conn), new PgVersionLog(conn),
      new PgTaxiiCollections(conn), new PgAccounts(conn), new PgSourceRuns(conn), new PgAllowList(conn), new PgAuditLog(conn), new PgSourceSettings(conn), new PgSessions(conn), new PgStats(conn), new PgBlocklists(conn), new PgWebhooks(conn),
    ]);
  }

  /** `upTo`: stop after that version (tests of a migration; the application always migrates fully). */
  migrate(upTo?: number): Promise<string[]> {
    return migrate(this.conn, upTo);
  }

  async ping(): Promise<void> {
    await this.conn.pool.query('SELECT 1');
  }

  poolUse(): PoolUse[] {
    const use = (pool: string, p: { totalCount: number; idleCount: number; waitingCount: number }): PoolUse =>
      ({ pool, total: p.totalCount, idle: p.idleCount, waiting: p.waitingCount });
    return [use('requests', this.conn.pool), use('ingest', this.conn.ingestPool)];
  }

  close(): Promise<void> {
    return this.conn.close();
  }
}

/** Drops a schema and all it holds (tests give each store a schema of its own). */
export async function dropPostgresSchema(connectionString: string, schema: string): Promise<void> {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid PostgreSQL schema name ${JSON.stringify(schema)}`);
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}
