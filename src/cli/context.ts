import { randomBytes } from 'node:crypto';
import { TokenSigner } from '../auth/signed-token.js';
import { type Config, loadConfig } from '../config/config.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';

export interface Context {
  config: Config;
  store: Store;
  /** Migrations applied while opening (empty when the schema was current). */
  migrated: string[];
}

/** Configuration and an open, migrated store: what every command starts from. */
export async function openContext(): Promise<Context> {
  const config = loadConfig();
  const store = await openStore(config.databaseUrl);
  const migrated = await store.migrate();
  return { config, store, migrated };
}

/** SOCD_SECRET, or the one kept in the database so that every node on it signs alike. */
export async function tokenSigner(ctx: Context): Promise<TokenSigner> {
  const secret = ctx.config.secret ?? (await ctx.store.getOrCreateSetting('token_secret', () => randomBytes(32).toString('base64url')));
  return new TokenSigner(secret);
}

/** Runs a command with a context and closes the store whatever happens. */
export async function withContext<T>(fn: (ctx: Context) => Promise<T>): Promise<T> {
  const ctx = await openContext();
  try {
    return await fn(ctx);
  } finally {
    await ctx.store.close();
  }
}
