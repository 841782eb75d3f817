import { hashApiKey, KEY_PREFIX, looksLikeApiKey, publicPrefix } from '../auth/api-keys.js';
import { issueKey, PlanMismatchError, PlanRequiredForNewAccountError } from '../auth/key-service.js';
import { PLAN_INPUTS, type PlanInput } from '../domain/plans.js';
import { cliActor, withContext } from './context.js';
import { table } from './table.js';

/** A date for JSON: ISO 8601, or null when there is none (the table shows `-`). */
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const cell = (ms: number | null) => iso(ms) ?? '-';

/**
 * `socd keys create`: the key alone on stdout (scripts read it); notes go to stderr. `--plan` is the plan of a new
 * account; an existing account keeps its own (`socd accounts set-plan` changes it), and a different `--plan` is an
 * error rather than a silent change for every other key of the account.
 */
export async function keysCreate(opts: { email: string; plan?: PlanInput; name?: string }): Promise<void> {
  await withContext(async ({ store, audit }) => {
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
        throw new Error(`there is no account ${err.email}: give its plan with --plan ${PLAN_INPUTS.join('|')} (admin: pro with the admin role)`);
      }
      throw err;
    }
    const actor = cliActor();
    const { account } = issued;
    if (issued.accountCreated) {
      await audit.record(actor, { action: 'account.create', target: `account:${account.id}`, details: { email: account.email, plan: account.plan, roles: account.roles } });
    }
    await audit.record(actor, { action: 'key.create', target: `account:${account.id}`, details: { prefix: issued.prefix, name: opts.name ?? null } });
    const created = issued.accountCreated ? `new account ${issued.account.email}` : issued.account.email;
    const roles = account.roles.length ? `, ${account.roles.join(',')}` : '';
    process.stderr.write(`created key ${issued.prefix}… for ${created} (${account.plan}${roles}); it is shown only once:\n`);
    process.stdout.write(`${issued.key}\n`);
  });
}

export async function keysList(opts: { json?: boolean }): Promise<void> {
  await withContext(async ({ store }) => {
    const keys = await store.listApiKeys();
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(keys.map((k) => ({ prefix: k.prefix, email: k.email, plan: k.plan, roles: k.roles, account_disabled: k.disabledAt !== null, name: k.name, created_at: iso(k.createdAt), last_used_at: iso(k.lastUsedAt), revoked_at: iso(k.revokedAt) })), null, 2)}\n`);
      return;
    }
    process.stdout.write(
      table(['PREFIX', 'EMAIL', 'PLAN', 'ROLES', 'NAME', 'CREATED', 'LAST USED', 'STATUS'],
        keys.map((k) => [k.prefix, k.email, k.plan, k.roles.join(',') || '-', k.name ?? '-', cell(k.createdAt), cell(k.lastUsedAt),
          k.revokedAt !== null ? `revoked ${cell(k.revokedAt)}` : k.disabledAt !== null ? 'account disabled' : 'active'])),
    );
  });
}

/**
 * `socd keys revoke KEY_OR_PREFIX`: the public prefix as `socd keys list` shows it (`sk_live_AbCd1234`, with or
 * without the `…` of `keys create`, or its 8 characters alone), or the whole key. A whole key is looked up by its
 * hash and never written back: messages name its public prefix only.
 */
export async function keysRevoke(given: string): Promise<void> {
  const input = given.trim().replace(/(…|\.\.\.)$/, '');
  // What may be shown of the argument: never more than a public prefix of something that may be a secret.
  const shown = input.length > publicPrefix(input).length ? `${publicPrefix(input)}…` : input;
  await withContext(async ({ store, audit }) => {
    const fail = (message: string) => {
      process.stderr.write(`${message}\n`);
      process.exitCode = 1;
    };
    let prefix: string;
    if (looksLikeApiKey(input)) {
      const key = await store.findApiKeyByHash(hashApiKey(input));
      if (!key) return fail(`${shown}: no key of this server is that key (see socd keys list)`);
      prefix = key.prefix;
    } else if (/^[0-9A-Za-z]{8}$/.test(input)) {
      prefix = KEY_PREFIX + input;
    } else if (input.length <= publicPrefix(input).length) {
      prefix = input;
    } else {
      return fail(`${shown}: neither an API key (sk_live_ and 40 characters) nor a key prefix as socd keys list shows it (sk_live_ and 8 characters)`);
    }
    if (await store.revokeApiKey(prefix, Date.now())) {
      const key = await store.findApiKeyByPrefix(prefix);
      await audit.record(cliActor(), { action: 'key.revoke', target: key ? `account:${key.accountId}` : null, details: { prefix } });
      process.stderr.write(`revoked ${prefix}\n`);
      return;
    }
    const known = (await store.listApiKeys()).find((k) => k.prefix === prefix);
    if (known?.revokedAt != null) return fail(`${prefix} was already revoked on ${iso(known.revokedAt)}`);
    return fail(`no key with prefix ${prefix} (see socd keys list)`);
  });
}
