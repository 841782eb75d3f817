import { generateApiKey, KEY_PREFIX } from '../auth/api-keys.js';
import type { Principal } from '../auth/authenticator.js';
import { checkEmail, InvalidEmailError } from '../auth/key-service.js';
import { PLAN_FEATURES } from '../auth/plans.js';
import type { TokenSigner } from '../auth/signed-token.js';
import type { Config } from '../config/config.js';
import type { Actor, AuditTrail } from '../domain/audit.js';
import { isoMs } from '../domain/iso-time.js';
import { isPlan, limitTier, type Plan, PLANS, roleSet } from '../domain/plans.js';
import { impliedRoles, isRole, type Role, ROLES } from '../domain/roles.js';
import { AppError, InvalidParameterError, NotFoundError } from '../errors/app-error.js';
import type { AccountStore } from '../store/store.js';
import type { Account, AccountChange, ApiKeyRecord } from '../store/types.js';

/** An account as the REST API shows it. */
export interface AccountView {
  id: number;
  email: string;
  plan: Plan;
  /** As granted. */
  roles: Role[];
  /** Granted and implied (admin ⊇ analyst ⊇ submitter). */
  effective_roles: Role[];
  created_at: string;
  disabled: boolean;
  disabled_at: string | null;
  disabled_reason: string | null;
  active_keys: number;
}

/** A key as the REST API shows it: never its hash, never the key (shown once, at creation). */
export interface KeyView {
  prefix: string;
  name: string | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export const ACCOUNT_PARAMS = ['limit', 'cursor'] as const;
const MAX_NAME = 100;
const MAX_REASON = 500;
/** Active keys one account may hold: enough for every machine of a team, and a bound on what one account costs. */
export const MAX_ACTIVE_KEYS = 100;
const ONE_LINE = /^[^\u0000-\u001f\u007f]*$/;

const iso = (ms: number | null) => (ms === null ? null : isoMs(ms));

export function keyView(k: ApiKeyRecord): KeyView {
  return { prefix: k.prefix, name: k.name, created_at: isoMs(k.createdAt), last_used_at: iso(k.lastUsedAt), revoked_at: iso(k.revokedAt) };
}

export function accountView(a: Account, activeKeys: number): AccountView {
  return {
    id: a.id, email: a.email, plan: a.plan, roles: a.roles, effective_roles: impliedRoles(a.roles), created_at: isoMs(a.createdAt),
    disabled: a.disabledAt !== null, disabled_at: iso(a.disabledAt), disabled_reason: a.disabledReason, active_keys: activeKeys,
  };
}

/** The fields of a JSON body, refusing any other (a typo must not be silently ignored). */
function fields(body: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new InvalidParameterError('body', 'a JSON object');
  const input = body as Record<string, unknown>;
  for (const k of Object.keys(input)) if (!allowed.includes(k)) throw new InvalidParameterError(k.slice(0, 50), 'unknown field', allowed);
  return input;
}

function planOf(v: unknown): Plan {
  if (isPlan(v)) return v;
  const hint = v === 'admin' ? ': admin is a role now; give "plan": "pro", "roles": ["admin"]' : '';
  throw new InvalidParameterError('plan', `one of ${PLANS.join(', ')}${hint}`, PLANS);
}

function rolesOf(v: unknown): Role[] {
  if (!Array.isArray(v) || v.length > ROLES.length * 2 || !v.every(isRole)) throw new InvalidParameterError('roles', `a list of ${ROLES.join(', ')}`, ROLES);
  return roleSet(v);
}

function oneLine(name: string, v: unknown, max: number): string | null {
  if (v === undefined || v === null) return null;
  const text = typeof v === 'string' ? v.trim() : undefined;
  if (text === undefined || text === '' || text.length > max || !ONE_LINE.test(text)) throw new InvalidParameterError(name, `1 to ${max} characters on one line`);
  return text;
}

/**
 * Accounts and keys over the API (docs/architecture.md §4), without HTTP: what any account may see and do with its
 * own keys, and what an admin may do with every account. Every change is recorded in the audit trail (never a key).
 */
export class AccountService {
  constructor(
    private readonly store: AccountStore,
    private readonly signer: TokenSigner,
    private readonly config: Pick<Config, 'plans' | 'rest'>,
    private readonly audit: AuditTrail,
    private readonly clock: () => number = Date.now,
  ) {}

  /** GET /api/v1/me: the account of the key in use, what its plan allows, its limits, and the key. */
  async me(who: Principal) {
    const account = await this.store.findAccountById(who.accountId);
    const key = await this.store.findApiKeyByPrefix(who.keyPrefix);
    if (!account || !key) throw new NotFoundError('the account of this key is gone');
    const limits = this.config.plans[limitTier(account.plan, account.roles)];
    const active = (await this.store.listApiKeysOf(account.id)).filter((k) => k.revokedAt === null).length;
    return {
      account: accountView(account, active),
      features: { ...PLAN_FEATURES[account.plan] },
      limits: {
        lookup_batch: limits.lookupBatch,
        rate_limit: { max: limits.rateLimit.max, window_seconds: limits.rateLimit.windowMs / 1000 },
      },
      key: keyView(key),
    };
  }

  async listKeys(accountId: number): Promise<{ data: KeyView[] }> {
    return { data: (await this.store.listApiKeysOf(accountId)).map(keyView) };
  }

  /** A new key of the account: the key itself is in this answer only. */
  async createKey(actor: Actor, accountId: number, body: unknown): Promise<KeyView & { key: string }> {
    const input = fields(body, ['name']);
    const name = oneLine('name', input.name, MAX_NAME);
    const keys = await this.store.listApiKeysOf(accountId);
    if (keys.filter((k) => k.revokedAt === null).length >= MAX_ACTIVE_KEYS) {
      throw new AppError(409, 'conflict', `an account holds at most ${MAX_ACTIVE_KEYS} active keys; revoke one first`, { limit: MAX_ACTIVE_KEYS });
    }
    const g = generateApiKey();
    const record = await this.store.insertApiKey({ accountId, prefix: g.prefix, hash: g.hash, name, createdAt: this.clock() });
    await this.audit.record(actor, { action: 'key.create', target: `account:${accountId}`, details: { prefix: g.prefix, name } });
    return { key: g.key, ...keyView(record) };
  }

  /** Revokes a key of this account; a key of another account is answered as one that does not exist (404). */
  async revokeKey(actor: Actor, accountId: number, given: string): Promise<KeyView> {
    const prefix = /^[0-9A-Za-z]{8}$/.test(given) ? KEY_PREFIX + given : given;
    if (!/^sk_live_[0-9A-Za-z]{8}$/.test(prefix)) throw new InvalidParameterError('prefix', 'a key prefix as listed: sk_live_ and 8 characters');
    const key = await this.store.findApiKeyByPrefix(prefix);
    if (!key || key.accountId !== accountId) throw new NotFoundError(`no key ${prefix} on this account`);
    if (key.revokedAt !== null) throw new AppError(409, 'conflict', `${prefix} was revoked on ${isoMs(key.revokedAt)}`);
    const now = this.clock();
    // Revoked elsewhere between the read and here: the same answer as above.
    if (!(await this.store.revokeApiKey(prefix, now))) throw new AppError(409, 'conflict', `${prefix} is already revoked`);
    await this.audit.record(actor, { action: 'key.revoke', target: `account:${accountId}`, details: { prefix } });
    return keyView({ ...key, revokedAt: now });
  }

  async listAccounts(rawQuery: Record<string, unknown>) {
    for (const name of Object.keys(rawQuery)) {
      if (!(ACCOUNT_PARAMS as readonly string[]).includes(name)) throw new InvalidParameterError(name.slice(0, 50), 'unknown parameter', ACCOUNT_PARAMS);
    }
    const one = (name: string): string | undefined => {
      const v = rawQuery[name];
      if (v !== undefined && typeof v !== 'string') throw new InvalidParameterError(name, 'given more than once; pass it once');
      return v;
    };
    const { defaultLimit, maxLimit } = this.config.rest;
    const limitText = one('limit');
    const limit = limitText === undefined ? defaultLimit : Number(limitText);
    if (!/^\d{1,7}$/.test(limitText ?? '1') || limit < 1 || limit > maxLimit) throw new InvalidParameterError('limit', `an integer from 1 to ${maxLimit}`);
    const cursor = one('cursor');
    let after: number | undefined;
    if (cursor !== undefined) {
      const p = this.signer.verify(cursor) as { v?: unknown; k?: unknown; a?: unknown } | undefined;
      if (!p || p.v !== 1 || p.k !== 'accounts' || !Number.isSafeInteger(p.a)) {
        throw new InvalidParameterError('cursor', 'not a cursor issued by this server', 'the pagination.next_cursor of a previous page');
      }
      after = p.a as number;
    }
    const page = await this.store.listAccountsPage({ ...(after !== undefined ? { after } : {}), limit });
    const next = page.next === null ? null : this.signer.sign({ v: 1, k: 'accounts', a: page.next });
    return { data: page.items.map((a) => accountView(a, a.activeKeys)), pagination: { limit, next_cursor: next, has_more: next !== null } };
  }

  /** The account with this id (a path parameter); 400 when it is no id, 404 when there is none. */
  async account(idText: string | number): Promise<Account> {
    const id = Number(idText);
    if (!/^\d{1,15}$/.test(String(idText)) || !Number.isSafeInteger(id) || id < 1) throw new InvalidParameterError('id', 'an account id (a positive integer)');
    const account = await this.store.findAccountById(id);
    if (!account) throw new NotFoundError(`no account ${id}`);
    return account;
  }

  async view(account: Account): Promise<AccountView> {
    return accountView(account, (await this.store.listApiKeysOf(account.id)).filter((k) => k.revokedAt === null).length);
  }

  async createAccount(actor: Actor, body: unknown): Promise<AccountView> {
    const input = fields(body, ['email', 'plan', 'roles']);
    if (typeof input.email !== 'string') throw new InvalidParameterError('email', 'required: the account email');
    let email: string;
    try {
      email = checkEmail(input.email);
    } catch (err) {
      if (err instanceof InvalidEmailError) throw new InvalidParameterError('email', 'not an email address');
      throw err;
    }
    const plan = planOf(input.plan);
    const roles = input.roles === undefined ? [] : rolesOf(input.roles);
    const exists = () => new AppError(409, 'conflict', `there is an account ${email} already`);
    if (await this.store.findAccountByEmail(email)) throw exists();
    let account: Account;
    try {
      account = await this.store.createAccount(email, plan, this.clock(), roles);
    } catch (err) {
      // Created by another request between the look-up and the insert (the email is unique).
      if (await this.store.findAccountByEmail(email)) throw exists();
      throw err;
    }
    await this.audit.record(actor, { action: 'account.create', target: `account:${account.id}`, details: { email, plan, roles: account.roles } });
    return accountView(account, 0);
  }

  /**
   * PATCH: plan, roles, disabled (with a reason). An admin may not take its own admin role away nor disable itself:
   * the server must never be left without an admin (409).
   */
  async updateAccount(actor: Actor, who: Principal, idText: string, body: unknown): Promise<AccountView> {
    const before = await this.account(idText);
    const input = fields(body, ['plan', 'roles', 'disabled', 'reason']);
    const change: AccountChange = {};
    if (input.plan !== undefined) change.plan = planOf(input.plan);
    if (input.roles !== undefined) change.roles = rolesOf(input.roles);
    if (input.disabled !== undefined && typeof input.disabled !== 'boolean') throw new InvalidParameterError('disabled', 'true or false');
    const reason = oneLine('reason', input.reason, MAX_REASON);
    if (reason !== null && input.disabled !== true) throw new InvalidParameterError('reason', 'only with "disabled": true (why the account is disabled)');
    if (input.disabled === true) change.disabled = { at: this.clock(), reason };
    if (input.disabled === false) change.disabled = null;
    if (Object.keys(change).length === 0) throw new InvalidParameterError('body', 'nothing to change: give plan, roles and/or disabled', ['plan', 'roles', 'disabled', 'reason']);
    if (before.id === who.accountId) {
      if (change.roles && !change.roles.includes('admin')) {
        throw new AppError(409, 'conflict', 'an admin cannot remove its own admin role: another admin must do it, so the server is never left without one');
      }
      if (change.disabled) throw new AppError(409, 'conflict', 'an admin cannot disable its own account: another admin must do it, so the server is never left without one');
    }
    const after = await this.store.updateAccount(before.id, change);
    if (!after) throw new NotFoundError(`no account ${before.id}`);
    const state = (a: Account) => ({ plan: a.plan, roles: a.roles, disabled: a.disabledAt !== null });
    await this.audit.record(actor, {
      action: 'account.update', target: `account:${after.id}`,
      details: { email: after.email, before: state(before), after: state(after), ...(reason !== null ? { reason } : {}) },
    });
    return this.view(after);
  }
}
