import type { AccountStore } from '../store/store.js';
import { resolvePlan } from '../domain/plans.js';
import type { Account, PlanInput } from '../store/types.js';
import { generateApiKey } from './api-keys.js';

export interface IssuedKey {
  key: string;
  prefix: string;
  account: Account;
  /** True when the account was created for this key. */
  accountCreated: boolean;
}

const EMAIL_SHAPE = /^[^\s@]{1,64}@[^\s@]{1,253}$/;

export class InvalidEmailError extends Error {
  override name = 'InvalidEmailError';
}

/** A plan was asked for an account that exists on another one: issuing a key never changes a plan. */
export class PlanMismatchError extends Error {
  override name = 'PlanMismatchError';
  constructor(
    readonly account: Account,
    readonly requested: PlanInput,
  ) {
    super(`${account.email} is on the ${account.plan} plan, not ${requested}; a key's plan is its account's`);
  }
}

/** A new account was asked for without a plan. */
export class PlanRequiredForNewAccountError extends Error {
  override name = 'PlanRequiredForNewAccountError';
  constructor(readonly email: string) {
    super(`there is no account ${email}; a new account needs a plan`);
  }
}

/** The email trimmed; an InvalidEmailError when it does not look like one. */
export function checkEmail(email: string): string {
  const normalized = email.trim();
  if (!EMAIL_SHAPE.test(normalized)) throw new InvalidEmailError(`not an email address: ${JSON.stringify(email.slice(0, 320))}`);
  return normalized;
}

/**
 * Creates a key for the account with this email, creating the account on `plan` when it is new. An existing
 * account keeps its plan whatever is asked (every key of an account shares its plan, so changing it here would
 * silently change what the account's other keys may do): a different `plan` is a PlanMismatchError, and no key is
 * made. `plan` may be omitted for an existing account. `admin` (the plan of earlier versions) means Pro plus the admin
 * role (domain/plans.ts resolvePlan).
 */
export async function issueKey(store: AccountStore, email: string, plan: PlanInput | undefined, name: string | null, now = Date.now()): Promise<IssuedKey> {
  const normalized = checkEmail(email);
  let account = await store.findAccountByEmail(normalized);
  let accountCreated = false;
  if (!account) {
    if (plan === undefined) throw new PlanRequiredForNewAccountError(normalized);
    account = await store.createAccount(normalized, plan, now);
    accountCreated = true;
  } else if (plan !== undefined && !samePlan(account, plan)) {
    throw new PlanMismatchError(account, plan);
  }
  const generated = generateApiKey();
  await store.insertApiKey({ accountId: account.id, prefix: generated.prefix, hash: generated.hash, name, createdAt: now });
  return { key: generated.key, prefix: generated.prefix, account, accountCreated };
}

/** True when an account is on what `input` means: `admin` is Pro with the admin role. */
function samePlan(account: Account, input: PlanInput): boolean {
  const { plan, roles } = resolvePlan(input);
  return account.plan === plan && roles.every((r) => account.roles.includes(r));
}

/** On an empty database, the first admin account (Pro plus the admin role) and its key; undefined when accounts already exist. */
export async function bootstrapAdmin(store: AccountStore, email: string, now = Date.now()): Promise<IssuedKey | undefined> {
  if ((await store.countAccounts()) > 0) return undefined;
  return issueKey(store, email, 'admin', 'bootstrap', now);
}
