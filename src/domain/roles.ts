/**
 * What an account may DO, apart from what its plan lets it SEE (domain/plans.ts). docs/architecture.md §4.
 * - `submitter`: POST /api/v1/iocs (its own source);
 * - `analyst`: revoke IOCs, manage the allow-list (and submit);
 * - `admin`: accounts, keys of any account, sources, the audit log (and everything an analyst does).
 * Roles nest: a higher role includes the lower ones (`impliedRoles`).
 */
export const ROLES = ['submitter', 'analyst', 'admin'] as const;
export type Role = (typeof ROLES)[number];

const RANK: Record<Role, number> = { submitter: 0, analyst: 1, admin: 2 };

export function isRole(v: unknown): v is Role {
  return typeof v === 'string' && (ROLES as readonly string[]).includes(v);
}

/** True when an account holding `held` may act as `needed` (a higher role includes the lower ones). */
export function hasRole(held: readonly Role[], needed: Role): boolean {
  return held.some((r) => RANK[r] >= RANK[needed]);
}

/** Every role `held` grants, explicit or implied, in ROLES order. */
export function impliedRoles(held: readonly Role[]): Role[] {
  return ROLES.filter((r) => hasRole(held, r));
}
