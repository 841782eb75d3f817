import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { BUILTIN_COLLECTIONS } from '../../src/domain/collections.js';
import { iocStixRenderer } from '../../src/stix/render-ioc.js';
import { sharedObjects } from '../../src/stix/shared-objects.js';

/** The producer identity of test stores. */
export const TEST_IDENTITY_ID = 'identity--0d6b3e5c-6a57-4c1d-9d3c-6f0f3b8a2e11';

/** The producer identity tests' stores and servers use. */
export const TEST_IDENTITY = { id: TEST_IDENTITY_ID, name: 'SOC Defenders test', created: Date.UTC(2026, 0, 1) };

/** A migrated store with the STIX renderer wired, as `socd` wires it. */
export async function sqliteStore(path = ':memory:'): Promise<SqliteStore> {
  const store = new SqliteStore(path, { renderVersion: iocStixRenderer(TEST_IDENTITY_ID) });
  await store.migrate();
  await store.ensureSharedObjects(sharedObjects(TEST_IDENTITY), BUILTIN_COLLECTIONS.map((c) => c.alias), TEST_IDENTITY.created);
  return store;
}



/**
 * A migrated PostgreSQL store in a schema of its own (created by migrate(); drop it with dropPostgresSchema), with
 * the STIX renderer wired, as `socd` wires it.
 */
export async function postgresStore(url: string, schema: string): Promise<PostgresStore> {
  const store = new PostgresStore(url, { renderVersion: iocStixRenderer(TEST_IDENTITY_ID), schema });
  await store.migrate();
  await store.ensureSharedObjects(sharedObjects(TEST_IDENTITY), BUILTIN_COLLECTIONS.map((c) => c.alias), TEST_IDENTITY.created);
  return store;
}
