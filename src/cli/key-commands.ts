import { issueKey, PlanMismatchError, PlanRequiredForNewAccountError } from '../auth/key-service.js';
import { PLANS, type Plan } from '../store/types.js';
import { withContext } from './context.js';
import { table } from './table.js';

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());

/**
 * `socd keys create`: the key alone on stdout (scripts read it); notes go to stderr. `--plan` is the plan of a new
 * account; an existing account keeps its own (`socd accounts set-plan` changes it), and a different `--plan` is an
 * error rather than a silent change for every other key of the account.
 */
export async function keysCreate(opts: { email: string; plan?: Plan; name?: string }): Promise<void> {
  await withContext(async ({ store }) => {
    let issued;
    try {
      issued = await issueKey(store, opts.email, opts.plan, opts.name ?? null);
    } catch (err) {
      if (err instanceof PlanMismatchError) {
        const { email, plan } = err.account;
        throw new Error(
          `${email} is on the ${plan} plan; --plan ${err.requested} applies only to a new account, and creating a key never changes a plan. ` +
            `Leave out --plan (or give --plan ${plan}) to add a key to it, or change the plan of the account and all its keys with: socd accounts set-plan ${email} ${err.requested}`,
        );
      }
      if (err instanceof PlanRequiredForNewAccountError) {
        throw new Error(`there is no account ${err.email}: give its plan with --plan ${PLANS.join('|')}`);
      }
      throw err;
    }
    const created = issued.accountCreated ? `new account ${issued.account.email}` : issued.account.email;
    process.stderr.write(`created key ${issued.prefix}… for ${created} (${issued.account.plan}); it is shown only once:\n`);
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
