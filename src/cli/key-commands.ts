import { issueKey } from '../auth/key-service.js';
import type { Plan } from '../store/types.js';
import { withContext } from './context.js';
import { table } from './table.js';

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());

/** `socd keys create`: the key alone on stdout (scripts read it); notes go to stderr. */
export async function keysCreate(opts: { email: string; plan: Plan; name?: string }): Promise<void> {
  await withContext(async ({ store }) => {
    const issued = await issueKey(store, opts.email, opts.plan, opts.name ?? null);
    if (issued.planChanged) process.stderr.write(`account ${issued.account.email} is now on the ${opts.plan} plan\n`);
    process.stderr.write(`created key ${issued.prefix}… for ${issued.account.email} (${issued.account.plan}); it is shown only once:\n`);
    process.stdout.write(`${issued.key}\n`);
  });
}

export async function keysList(opts: { json?: boolean }): Promise<void> {
  await withContext(async ({ store }) => {
    const keys = await store.listApiKeys();
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(keys.map((k) => ({ prefix: k.prefix, email: k.email, plan: k.plan, name: k.name, created_at: iso(k.createdAt), last_used_at: iso(k.lastUsedAt), revoked_at: iso(k.revokedAt) })), null, 2)}\n`);
      return;
    }
    process.stdout.write(
      table(['PREFIX', 'EMAIL', 'PLAN', 'NAME', 'CREATED', 'LAST USED', 'STATUS'],
        keys.map((k) => [k.prefix, k.email, k.plan, k.name ?? '-', iso(k.createdAt), iso(k.lastUsedAt), k.revokedAt === null ? 'active' : `revoked ${iso(k.revokedAt)}`])),
    );
  });
}

export async function keysRevoke(prefix: string): Promise<void> {
  await withContext(async ({ store }) => {
    if (!(await store.revokeApiKey(prefix.trim(), Date.now()))) {
      process.stderr.write(`no active key with prefix ${prefix} (see socd keys list)\n`);
      process.exitCode = 1;
      return;
    }
    process.stderr.write(`revoked ${prefix}\n`);
  });
}
