import type { Store } from '../store/store.js';
import type { Account, Plan } from '../store/types.js';
import { generateApiKey } from './api-keys.js';

export interface IssuedKey {
  key: string;
  prefix: string;
  account: Account;
  /** True when the account's plan was changed to the one asked for. */
  planChanged: boolean;
}

const EMAIL_SHAPE = /^[^\s@]{1,64}@[^\s@]{1,253}$/;

export class InvalidEmailError extends Error {
  override name = 'InvalidEmailError';
}

/** Creates a key for the account with this email, creating the account (or setting its plan) as needed. */
export async function issueKey(store: Store, email: string, plan: Plan, name: string | null, now = Date.now()): Promise<IssuedKey> {
  const normalized = email.trim();
  if (!EMAIL_SHAPE.test(normalized)) throw new InvalidEmailError(`not an email address: ${JSON.stringify(email)}`);
  let account = await store.findAccountByEmail(normalized);
  let planChanged = false;
  if (!account) account = await store.createAccount(normalized, plan, now);
  else if (account.plan !== plan) {
    await store.setAccountPlan(account.id, plan);
    account = { ...account, plan };
    planChanged = true;
  }
  const generated = generateApiKey();
  await store.insertApiKey({ accountId: account.id, prefix: generated.prefix, hash: generated.hash, name, createdAt: now });
  return { key: generated.key, prefix: generated.prefix, account, planChanged };
}

/** On an empty database, the first admin account and its key; undefined when accounts already exist. */
export async function bootstrapAdmin(store: Store, email: string, now = Date.now()): Promise<IssuedKey | undefined> {
  if ((await store.countAccounts()) > 0) return undefined;
  return issueKey(store, email, 'admin', 'bootstrap', now);
}
