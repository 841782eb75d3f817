import type { Migration } from '../types.js';
import { BASE_MIGRATIONS } from './migrations-base.js';
import { RECENT_MIGRATIONS } from './migrations-recent.js';
import type { SqliteConnection } from './connection.js';

/**
 * SQLite schema, one entry per version, applied in order inside a transaction at start (`socd migrate` too).
 * Never edit an applied migration: append a new one.
 */
// The versions live in migrations-base.ts and migrations-recent.ts, in order.
export const SQLITE_MIGRATIONS: readonly Migration[] = [...BASE_MIGRATIONS, ...RECENT_MIGRATIONS];

/**
 * Brings the schema to the latest version (`upTo`: no further, for tests of a migration), one transaction per
 * migration; the names of those applied now.
 */
export async function migrate(conn: SqliteConnection, upTo = Infinity): Promise<string[]> {
  const { db } = conn;
  await conn.write(() => db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)'));
  const done = new Set(
    db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[],
  );
  const applied: string[] = [];
  for (const m of SQLITE_MIGRATIONS) {
    if (done.has(m.version) || m.version > upTo) continue;
    await conn.write(() => db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
    }).immediate());
    applied.push(`${m.version}: ${m.name}`);
  }
  return applied;
}
