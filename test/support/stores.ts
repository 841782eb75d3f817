import { hashApiKey } from '../../src/auth/api-keys.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { BUILTIN_COLLECTIONS } from '../../src/domain/collections.js';
import { iocStixRenderer } from '../../src/stix/render-ioc.js';
import { sharedObjects } from '../../src/stix/shared-objects.js';
import { oneChunk } from '../../src/store/ingest-rules.js';
import { stixKey } from '../../src/store/lookup-keys.js';
import { stixVersionOf, type VersionColumns } from '../../src/store/rows.js';
import type { Store } from '../../src/store/store.js';
import type { Observation, StixVersion, UpsertOptions, UpsertResult } from '../../src/store/types.js';

/** The producer identity of test stores. */
export const TEST_IDENTITY_ID = 'identity--0d6b3e5c-6a57-4c1d-9d3c-6f0f3b8a2e11';

/** The producer identity tests' stores and servers use. */
export const TEST_IDENTITY = { id: TEST_IDENTITY_ID, name: 'SOC Defenders test', created: Date.UTC(2026, 0, 1) };

/** A migrated store with the STIX renderer wired, as `socd` wires it. */
export async function sqliteStore(path = ':memory:'): Promise<TestStore<SqliteStore>> {
  const store = withTestMethods(new SqliteStore(path, { renderVersion: iocStixRenderer(TEST_IDENTITY_ID) }));
  await store.migrate();
  await store.ensureSharedObjects(sharedObjects(TEST_IDENTITY), BUILTIN_COLLECTIONS.map((c) => c.alias), TEST_IDENTITY.created);
  return store;
}

/**
 * A migrated PostgreSQL store in a schema of its own (created by migrate(); drop it with dropPostgresSchema), with
 * the STIX renderer wired, as `socd` wires it.
 */
export async function postgresStore(url: string, schema: string): Promise<TestStore<PostgresStore>> {
  const store = withTestMethods(new PostgresStore(url, { renderVersion: iocStixRenderer(TEST_IDENTITY_ID), schema }));
  await store.migrate();
  await store.ensureSharedObjects(sharedObjects(TEST_IDENTITY), BUILTIN_COLLECTIONS.map((c) => c.alias), TEST_IDENTITY.created);
  return store;
}

/**
 * What tests ask of a store beyond what the application does (so not part of Store): one batch of observations in
 * one transaction, and every version of one STIX object.
 */
export interface TestMethods {
  /** Records what `source` saw, in one transaction: upsertObservationStream with a single batch. */
  upsertObservations(source: string, batch: readonly Observation[], now: number, opts?: UpsertOptions): Promise<UpsertResult>;
  /**
   * Every version of a STIX object, oldest first: those of the IOC that carries this id, or for an object no IOC
   * carries now (revoked, then seen again under a new id; or not an IOC), by its id alone.
   */
  listVersions(stixId: string): Promise<StixVersion[]>;
}

export type TestStore<S extends Store = Store> = S & TestMethods;
export type SqliteTestStore = TestStore<SqliteStore>;

/** A store with the test methods (TestMethods) added. */
export function withTestMethods<S extends SqliteStore | PostgresStore>(store: S): TestStore<S> {
  const methods: TestMethods = {
    upsertObservations: (source, batch, now, opts = {}) =>
      store.upsertObservationStream(source, oneChunk(batch), { ...opts, batchSize: Math.max(1, batch.length), clock: () => now }),
    listVersions: (stixId) => (store instanceof SqliteStore ? sqliteVersions(store, stixId) : postgresVersions(store as PostgresStore, stixId)),
  };
  return Object.assign(store, methods);
}

const VERSION_COLUMNS = 'date_added, modified, latest, revoked, json';

async function sqliteVersions(store: SqliteStore, stixId: string): Promise<StixVersion[]> {
  const { db } = store.conn;
  const ioc = db.prepare('SELECT id FROM iocs WHERE stix_key = ? AND stix_id = ?').pluck().get(stixKey(stixId) ?? -1, stixId) as number | undefined;
  const rows = (ioc !== undefined
    ? db.prepare(`SELECT ${VERSION_COLUMNS} FROM object_versions WHERE ioc_id = ? AND stix_id = ? ORDER BY seq`).all(ioc, stixId)
    : db.prepare(`SELECT ${VERSION_COLUMNS} FROM object_versions WHERE stix_id = ? ORDER BY seq`).all(stixId)) as Array<VersionColumns<number>>;
  return rows.map(stixVersionOf);
}

async function postgresVersions(store: PostgresStore, stixId: string): Promise<StixVersion[]> {
  const rows = await store.conn.rows<VersionColumns<boolean>>(
    `SELECT ${VERSION_COLUMNS} FROM object_versions
     WHERE stix_id = $1 AND (NOT EXISTS (SELECT 1 FROM iocs WHERE stix_id = $1) OR ioc_id = (SELECT id FROM iocs WHERE stix_id = $1))
     ORDER BY seq`,
    [stixId],
  );
  return rows.map(stixVersionOf);
}

/** An account and key of the admin plan, as a server made them before roles (SQLite migration 9, PostgreSQL 12). */
export const LEGACY_ADMIN = { email: 'old-admin@example.com', key: `sk_live_${'L'.repeat(40)}`, createdAt: Date.UTC(2025, 0, 1) };

/**
 * A store whose database was made before roles: migrated up to `before` (the version before the accounts migration),
 * given an admin-plan account with a key (LEGACY_ADMIN) and a free one (free@example.com), then migrated fully.
 */
export async function legacyStore(make: () => SqliteStore | PostgresStore, before: number, insert: (sql: string) => Promise<void>): Promise<TestStore> {
  const store = withTestMethods(make());
  await store.migrate(before);
  const at = LEGACY_ADMIN.createdAt;
  await insert(`INSERT INTO accounts (email, plan, created_at) VALUES ('${LEGACY_ADMIN.email}', 'admin', ${at}), ('free@example.com', 'free', ${at})`);
  const { prefix, hash } = { prefix: LEGACY_ADMIN.key.slice(0, 16), hash: hashApiKey(LEGACY_ADMIN.key) };
  await insert(`INSERT INTO api_keys (account_id, prefix, hash, name, created_at) SELECT id, '${prefix}', '${hash}', 'old', ${at} FROM accounts WHERE plan = 'admin'`);
  await store.migrate();
  await store.ensureSharedObjects(sharedObjects(TEST_IDENTITY), BUILTIN_COLLECTIONS.map((c) => c.alias), TEST_IDENTITY.created);
  return store;
}

export const legacySqliteStore = () => {
  let s!: SqliteStore;
  return legacyStore(() => (s = new SqliteStore(':memory:', { renderVersion: iocStixRenderer(TEST_IDENTITY_ID) })), 8, async (sql) => void s.conn.db.exec(sql));
};

export const legacyPostgresStore = (url: string, schema: string) => {
  let s!: PostgresStore;
  return legacyStore(() => (s = new PostgresStore(url, { renderVersion: iocStixRenderer(TEST_IDENTITY_ID), schema })), 11, async (sql) => void (await s.conn.pool.query(sql)));
};
