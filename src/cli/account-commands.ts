import type { Plan } from '../store/types.js';
import { cliActor, withContext } from './context.js';
import { table } from './table.js';

export async function accountsList(opts: { json?: boolean }): Promise<void> {
  await withContext(async ({ store }) => {
    const accounts = await store.listAccounts();
    const keys = await store.listApiKeys();
    const rows = accounts.map((a) => ({
      email: a.email,
      plan: a.plan,
      created_at: new Date(a.createdAt).toISOString(),
      active_keys: keys.filter((k) => k.accountId === a.id && k.revokedAt === null).length,
    }));
    if (opts.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    else process.stdout.write(table(['EMAIL', 'PLAN', 'CREATED', 'ACTIVE KEYS'], rows.map((r) => [r.email, r.plan, r.created_at, String(r.active_keys)])));
  });
}

export async function accountsSetPlan(email: string, plan: Plan): Promise<void> {
  await withContext(async ({ store, audit }) => {
    const account = await store.findAccountByEmail(email.trim());
    if (!account) {
      process.stderr.write(`no account ${email} (socd keys create --email ${email} --plan ${plan} creates it)\n`);
      process.exitCode = 1;
      return;
    }
    await store.setAccountPlan(account.id, plan);
    await audit.record(cliActor(), { action: 'account.update', target: account.email, details: { account_id: account.id, plan: { from: account.plan, to: plan } } });
    process.stderr.write(`${account.email}: ${account.plan} → ${plan}\n`);
  });
}
