import { resolve } from 'node:path';
import type { Store } from './store.js';

export class UnsupportedDatabaseError extends Error {
  override name = 'UnsupportedDatabaseError';
}

/**
 * Opens the store a DATABASE_URL names: `sqlite:PATH` (relative to the working directory) or `sqlite::memory:`.
 * Drivers are imported here lazily so that a deployment loads only the one it uses.
 */
export async function openStore(databaseUrl: string, opts: { sqliteCacheMb?: number } = {}, cwd = process.cwd()): Promise<Store> {
  if (databaseUrl.startsWith('sqlite:')) {
    const rest = databaseUrl.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    const path = rest === ':memory:' ? rest : resolve(cwd, rest);
    const { SqliteStore } = await import('./sqlite/sqlite-store.js');
    return new SqliteStore(path, { cacheMb: opts.sqliteCacheMb });
  }
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new UnsupportedDatabaseError('DATABASE_URL names PostgreSQL, which this release does not support yet; use sqlite:PATH');
  }
  throw new UnsupportedDatabaseError(`DATABASE_URL must start with sqlite: (e.g. sqlite:./data/socd.db), got ${JSON.stringify(databaseUrl)}`);
}
