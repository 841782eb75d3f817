import type { Migration } from '../types.js';
import { BASE_MIGRATIONS } from './migrations-base.js';
import { RECENT_MIGRATIONS } from './migrations-recent.js';
import type { PgConnection } from './connection.js';

/**
 * PostgreSQL schema, one entry per version, applied in order by `migrate()` (each in its own transaction, under an
 * advisory lock so that several nodes may start at once). Never edit an applied migration: append a new one.
 *
 * Times are epoch ms in BIGINT; date_added is epoch µs in BIGINT, kept exactly. Text keys are COLLATE "C": byte
 * order, as SQLite compares, and the cheapest comparisons for the b-tree indexes.
 */
// The versions live in migrations-base.ts and migrations-recent.ts, in order.
export const POSTGRES_MIGRATIONS: readonly Migration[] = [...BASE_MIGRATIONS, ...RECENT_MIGRATIONS];

/** The advisory lock of migrations: one bigint key, 'socdmig'. */
const MIGRATION_LOCK = 0x736f6364_6d6967n.toString();

/**
 * Brings the schema to the latest version, each migration in its own transaction under the migration lock (several
 * nodes may start at once); the names of those applied now. `upTo`: no further (tests of a migration).
 */
export async function migrate(conn: PgConnection, upTo = Infinity): Promise<string[]> {
  const c = await conn.pool.connect();
  const lock = `SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`;
  let failed: Error | undefined;
  try {
    await conn.tx(async () => {
      await c.query(lock);
      if (conn.schema) await c.query(`CREATE SCHEMA IF NOT EXISTS ${conn.schema}`);
      await c.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
    }, c);
    const applied: string[] = [];
    for (const m of POSTGRES_MIGRATIONS.filter((x) => x.version <= upTo)) {
      const done = await conn.tx(async () => {
        await c.query(lock);
        // Read under the lock: another node may have applied it while this one waited.
        if ((await c.query('SELECT 1 FROM schema_migrations WHERE version = $1', [m.version])).rowCount) return true;
        await c.query(m.sql);
        await c.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()]);
        return false;
      }, c);
      if (!done) applied.push(`${m.version}: ${m.name}`);
    }
    return applied;
  } catch (e) {
    failed = e instanceof Error ? e : new Error(String(e));
    throw e;
  } finally {
    c.release(failed);
  }
}
