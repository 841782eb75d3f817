import { resolve } from 'node:path';
import type { Store } from './store.js';

export class UnsupportedDatabaseError extends Error {
  override name = 'UnsupportedDatabaseError';
}

/**
 * Opens the store a DATABASE_URL names: `sqlite:PATH` (relative to the working directory), `sqlite::memory:`, or
 * `postgres://user:password@host:port/database[?schema=NAME]`.
 * Drivers are imported here lazily so that a deployment loads only the one it uses.
 */
export async function openStore(databaseUrl: string, opts: { sqliteCacheMb?: number; pgPoolSize?: number } = {}, cwd = process.cwd()): Promise<Store> {
  if (databaseUrl.startsWith('sqlite:')) {
    const rest = databaseUrl.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    const path = rest === ':memory:' ? rest : resolve(cwd, rest);
    const { SqliteStore } = await import('./sqlite/sqlite-store.js');
    return new SqliteStore(path, { cacheMb: opts.sqliteCacheMb });
  }
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) {
    // `?schema=NAME` keeps several deployments (or a bench) apart in one database; pg itself does not know it.
    const url = new URL(databaseUrl);
    const schema = url.searchParams.get('schema') ?? undefined;
    url.searchParams.delete('schema');
    const { PostgresStore } = await import('./postgres/postgres-store.js');
    return new PostgresStore(url.toString(), { ...(schema ? { schema } : {}), ...(opts.pgPoolSize ? { maxConnections: opts.pgPoolSize } : {}) });
  }
  throw new UnsupportedDatabaseError(
    `DATABASE_URL must be sqlite:PATH (e.g. sqlite:./data/socd.db) or postgres://user@host:port/database, got ${JSON.stringify(databaseUrl)}`,
  );
}
