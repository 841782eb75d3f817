import { adoptRoles } from '../compose.js';
import { SqliteWebhooks } from './webhooks.js';
import { SqliteAuditLog } from './audit-log.js';
import { SqliteSessions } from './sessions.js';
import { SqliteStats } from './stats.js';
import { SqliteBlocklists } from './blocklists.js';
import type {
  AccountStore, AllowListStore, AuditLog, IngestWrites, IocLookup, IocReads, SettingStore, SourceRunStore, SessionStore, SourceSettingsStore, StatsReads, BlocklistReads, Store, TaxiiStore, VersionLog, WebhookStore,
} from '../store.js';
import { SqliteAllowList } from './allowlist.js';
import { SqliteSourceSettings } from './source-settings.js';
import type { RenderIocVersion } from '../types.js';
import { SqliteAccounts } from './accounts.js';
import { SqliteConnection } from './connection.js';
import { SqliteIngestWrites } from './ingest-writes.js';
import { SqliteIocLookup } from './ioc-lookup.js';
import { SqliteIocReads } from './ioc-reads.js';
import { migrate } from './migrations.js';
import { SqliteSettings } from './settings.js';
import { SqliteSourceRuns } from './source-runs.js';
import { SqliteTaxiiCollections } from './taxii-collections.js';
import { SqliteVersionLog } from './version-log.js';

/** The roles a SqliteStore takes on from the files of this folder (compose.ts). */
export interface SqliteStore extends SettingStore, IocReads, IocLookup, IngestWrites, VersionLog, TaxiiStore, AccountStore, SourceRunStore, AllowListStore, SourceSettingsStore, AuditLog, SessionStore, StatsReads, BlocklistReads, WebhookStore {}

/**
 * Opens `sqlite:PATH` (or `:memory:`). WAL, foreign keys on, migrations applied by `migrate()`. One connection
 * (connection.ts) shared by its roles, one file each: ioc-reads, ingest-writes (with log-work), version-log,
 * taxii-collections, accounts, source-runs, allowlist, audit-log, sessions, stats, settings; the same files as postgres/.
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  /** The connection the roles share (test helpers read it too). */
  readonly conn: SqliteConnection;

  /**
   * `renderVersion` turns an IOC version into its STIX JSON; it may also be set later (setVersionRenderer).
   * `walRestartBytes`: see connection.ts WAL_RESTART_BYTES (tests set a small one).
   */
  constructor(path: string, opts: { renderVersion?: RenderIocVersion; cacheMb?: number; walRestartBytes?: number } = {}) {
    const conn = (this.conn = new SqliteConnection(path, opts));
    adoptRoles(this, [
      new SqliteSettings(conn), new SqliteIocReads(conn), new SqliteIocLookup(conn), new SqliteIngestWrites(conn), new SqliteVersionLog(conn),
      new SqliteTaxiiCollections(conn), new SqliteAccounts(conn), new SqliteSourceRuns(conn), new SqliteAllowList(conn), new SqliteAuditLog(conn), new SqliteSourceSettings(conn), new SqliteSessions(conn), new SqliteStats(conn), new SqliteBlocklists(conn), new SqliteWebhooks(conn),
    ]);
  }

  /** `upTo`: stop after that version (tests of a migration; the application always migrates fully). */
  migrate(upTo?: number): Promise<string[]> {
    return migrate(this.conn, upTo);
  }

  async ping(): Promise<void> {
    this.conn.db.prepare('SELECT 1').get();
  }

  close(): Promise<void> {
    return this.conn.close();
  }
}
