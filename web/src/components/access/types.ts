/** Answers of /api/v1/keys, /api/v1/accounts and /api/v1/audit (src/http/routes/account-schemas.ts, audit-routes.ts). */
export interface ApiKey {
  prefix: string;
  name: string | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface NewKey extends ApiKey {
  key: string;
}

export type Role = 'submitter' | 'analyst' | 'admin';
export const ROLES: Role[] = ['submitter', 'analyst', 'admin'];
export const PLANS = ['free', 'pro'] as const;

export interface Account {
  id: number;
  email: string;
  plan: 'free' | 'pro';
  roles: Role[];
  effective_roles: Role[];
  created_at: string;
  disabled: boolean;
  disabled_at: string | null;
  disabled_reason: string | null;
  active_keys: number;
}

export interface AuditRecord {
  id: number;
  at: string;
  action: string;
  target: string | null;
  actor: { via: 'api' | 'cli' | 'system'; account_id: number | null; email: string | null; key_prefix: string | null; origin: string | null };
  details: Record<string, unknown>;
}
