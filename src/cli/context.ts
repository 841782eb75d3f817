import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { TokenSigner } from '../auth/signed-token.js';
import { type Config, loadConfig } from '../config/config.js';
import { openStore } from '../store/open-store.js';
import type { SettingStore, Store } from '../store/store.js';
import type { ProducerIdentity } from '../stix/identity.js';
import { producerIdentity } from '../stix/producer-identity.js';
import { iocStixRenderer } from '../stix/render-ioc.js';
import { sharedObjects } from '../stix/shared-objects.js';
import { BUILTIN_COLLECTIONS } from '../domain/collections.js';
import type { Actor, AuditTrail } from '../domain/audit.js';
import { StoreAuditTrail } from '../auth/audit-trail.js';
import { AppError } from '../errors/app-error.js';

export interface Context {
  config: Config;
  store: Store;
  identity: ProducerIdentity;
  /** Migrations applied while opening (empty when the schema was current). */
  migrated: string[];
  /** Where commands that change things record them (domain/audit.ts). */
  audit: AuditTrail;
}

export interface ContextOptions {
  /** SQLite page cache when SOCD_SQLITE_CACHE_MB does not say: bulk loads go faster with more. */
  sqliteCacheMb?: number;
}

/** Configuration and an open, migrated store: what every command starts from. */
export async function openContext(opts: ContextOptions = {}): Promise<Context> {
  const config = loadConfig();
  const store = await openStore(config.databaseUrl, { sqliteCacheMb: config.sqliteCacheMb ?? opts.sqliteCacheMb ?? 64, pgPoolSize: config.pgPoolSize });
  const migrated = await store.migrate();
  const identity = await producerIdentity(store, config.stix);
  store.setVersionRenderer(iocStixRenderer(identity.id));
  await store.ensureSharedObjects(sharedObjects(identity), BUILTIN_COLLECTIONS.map((c) => c.alias), Date.now());
  return { config, store, identity, migrated, audit: new StoreAuditTrail(store) };
}

/**
 * Who acts from the shell, for the audit trail: the CLI has no account (whoever can run socd against the database is
 * its administrator), so the record names the operating-system user and host.
 */
export function cliActor(): Actor {
  let user: string;
  try {
    user = os.userInfo().username;
  } catch {
    // No passwd entry (a container running under an arbitrary uid).
    user = process.env.USER ?? process.env.LOGNAME ?? `uid ${process.getuid?.() ?? '?'}`;
  }
  return { accountId: null, email: null, keyPrefix: null, via: 'cli', origin: `${user}@${os.hostname()}` };
}

/** SOCD_SECRET, or the one kept in the database so that every node on it signs alike. */
export async function tokenSigner(ctx: Context): Promise<TokenSigner> {
  const secret = ctx.config.secret ?? (await ctx.store.getOrCreateSetting('token_secret', () => randomBytes(32).toString('base64url')));
  return new TokenSigner(secret);
}

/** Runs a command with a context and closes the store whatever happens. */
export async function withContext<T>(fn: (ctx: Context) => Promise<T>, opts: ContextOptions = {}): Promise<T> {
  const ctx = await openContext(opts);
  try {
    return await fn(ctx);
  } finally {
    await ctx.store.close();
  }
}

/**
 * A refusal the caller can mend (bad value, duplicate, unknown id, a run in progress) is printed as
 * `socd <command>: <message>` with exit status 2; anything else (5xx, unexpected errors) is thrown on.
 */
export async function refusing(command: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (!(err instanceof AppError) || err.status >= 500) throw err;
    process.stderr.write(`socd ${command}: ${err.message}\n`);
    process.exitCode = 2;
  }
}
