import { checkEmail } from '../auth/key-service.js';
import { type PlanInput, resolvePlan } from '../domain/plans.js';
import { hasRole, isRole, type Role, ROLES } from '../domain/roles.js';
import type { Account } from '../store/types.js';
import { type Context, cliActor, withContext } from './context.js';
import { table } from './table.js';

/**
 * `socd accounts …`: plans (what an account may see), roles (what it may do), disabling. Each change is recorded in
 * the audit trail as the host user (cliActor). `admin` as a plan is Pro plus the admin role (domain/plans.ts).
 */

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const state = (a: Account) => ({ plan: a.plan, roles: a.roles, disabled: a.disabledAt !== null });

function fail(message: string): void {
  process.stderr.write(`${message}\n`);
  process.exitCode = 1;
}

/** The account with this email, or a message naming the command that creates one. */
async function accountOf(ctx: Context, email: string): Promise<Account | undefined> {
  const account = await ctx.store.findAccountByEmail(email.trim());
  if (!account) fail(`no account ${email} (socd accounts create ${email} --plan free|pro creates it)`);
  return account;
}

/** A note when no enabled account holds the admin role any more: nobody could manage accounts over the API. */
async function warnIfNoAdmin(ctx: Context): Promise<void> {
  const admins = (await ctx.store.listAccounts()).filter((a) => a.disabledAt === null && hasRole(a.roles, 'admin'));
  if (admins.length === 0) process.stderr.write('note: no enabled account holds the admin role now; socd accounts set-roles EMAIL admin gives it back\n');
}

/** `ROLE[,ROLE]`, or `none` for no role. */
export function parseRoles(text: string): Role[] {
  if (text.trim() === 'none' || text.trim() === '') return [];
  const names = text.split(',').map((r) => r.trim());
  const bad = names.filter((r) => !isRole(r));
  if (bad.length) throw new Error(`unknown role ${bad.join(', ')}; roles are ${ROLES.join(', ')} (comma-separated), or none`);
  return ROLES.filter((r) => names.includes(r));
}

async function update(email: string, what: (a: Account) => Parameters<Context['store']['updateAccount']>[1], extra: Record<string, unknown> = {}) {
  await withContext(async (ctx) => {
    const before = await accountOf(ctx, email);
    if (!before) return;
    const after = await ctx.store.updateAccount(before.id, what(before));
    if (!after) return fail(`no account ${email}`);
    await ctx.audit.record(cliActor(), {
      action: 'account.update', target: `account:${after.id}`, details: { email: after.email, before: state(before), after: state(after), ...extra },
    });
    const roles = (a: Account) => (a.roles.length ? a.roles.join(',') : 'no role');
    const shown = (a: Account) => `${a.plan}, ${roles(a)}${a.disabledAt !== null ? ', disabled' : ''}`;
    process.stderr.write(`${after.email}: ${shown(before)} → ${shown(after)}\n`);
    await warnIfNoAdmin(ctx);
  });
}

export async function accountsList(opts: { json?: boolean }): Promise<void> {
  await withContext(async ({ store }) => {
    const accounts = await store.listAccounts();
    const keys = await store.listApiKeys();
    const rows = accounts.map((a) => ({
      id: a.id,
      email: a.email,
      plan: a.plan,
      roles: a.roles,
      created_at: new Date(a.createdAt).toISOString(),
      disabled_at: iso(a.disabledAt),
      disabled_reason: a.disabledReason,
      active_keys: keys.filter((k) => k.accountId === a.id && k.revokedAt === null).length,
    }));
    if (opts.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    else {
      process.stdout.write(table(['EMAIL', 'PLAN', 'ROLES', 'CREATED', 'ACTIVE KEYS', 'STATUS'], rows.map((r) => [
        r.email, r.plan, r.roles.join(',') || '-', r.created_at, String(r.active_keys),
        r.disabled_at === null ? 'enabled' : `disabled ${r.disabled_at}${r.disabled_reason ? ` (${r.disabled_reason})` : ''}`,
      ])));
    }
  });
}

/** `socd accounts create EMAIL --plan P [--roles R,R]`: an account without keys (socd keys create adds one). */
export async function accountsCreate(email: string, opts: { plan: PlanInput; roles?: string }): Promise<void> {
  const address = checkEmail(email);
  const roles = opts.roles === undefined ? [] : parseRoles(opts.roles);
  await withContext(async (ctx) => {
    if (await ctx.store.findAccountByEmail(address)) return fail(`there is an account ${address} already (socd accounts set-plan / set-roles change it)`);
    const account = await ctx.store.createAccount(address, opts.plan, Date.now(), roles);
    await ctx.audit.record(cliActor(), { action: 'account.create', target: `account:${account.id}`, details: { email: account.email, plan: account.plan, roles: account.roles } });
    process.stderr.write(`created ${account.email} (${account.plan}${account.roles.length ? `, ${account.roles.join(',')}` : ''}); socd keys create --email ${account.email} makes its key\n`);
  });
}

/** `socd accounts set-plan EMAIL PLAN`: `admin` is Pro plus the admin role (the other roles are kept). */
export async function accountsSetPlan(email: string, plan: PlanInput): Promise<void> {
  const resolved = resolvePlan(plan);
  await update(email, (a) => ({ plan: resolved.plan, roles: [...a.roles, ...resolved.roles] }));
}

/** `socd accounts set-roles EMAIL ROLE[,ROLE]`: the whole set (`none`: no role). */
export async function accountsSetRoles(email: string, rolesText: string): Promise<void> {
  const roles = parseRoles(rolesText);
  await update(email, () => ({ roles }));
}

/** `socd accounts disable EMAIL [--reason]`: every key of the account is refused at once, on every node. */
export async function accountsDisable(email: string, opts: { reason?: string }): Promise<void> {
  const reason = opts.reason?.trim().slice(0, 500) || null;
  await update(email, () => ({ disabled: { at: Date.now(), reason } }), reason ? { reason } : {});
}

export async function accountsEnable(email: string): Promise<void> {
  await update(email, () => ({ disabled: null }));
}
