import { type Role, ROLES } from './roles.js';

/**
 * What an account may SEE (auth/plans.ts says what each plan may use); what it may DO is its roles (domain/roles.ts).
 * docs/architecture.md §4.
 */
export const PLANS = ['free', 'pro'] as const;
export type Plan = (typeof PLANS)[number];

/**
 * What a user may type where a plan is asked (CLI `--plan`, `socd accounts set-plan`, config grants, issueKey):
 * the plans, and `admin`, the plan of earlier versions, which now means the Pro plan plus the admin role.
 */
export const PLAN_INPUTS = ['free', 'pro', 'admin'] as const;
export type PlanInput = (typeof PLAN_INPUTS)[number];

export function isPlan(v: unknown): v is Plan {
  return typeof v === 'string' && (PLANS as readonly string[]).includes(v);
}

export function isPlanInput(v: unknown): v is PlanInput {
  return typeof v === 'string' && (PLAN_INPUTS as readonly string[]).includes(v);
}

/** The plan a typed plan means, and the roles it adds: `admin` is Pro plus the admin role. */
export function resolvePlan(input: PlanInput): { plan: Plan; roles: Role[] } {
  return input === 'admin' ? { plan: 'pro', roles: ['admin'] } : { plan: input, roles: [] };
}

/** A set of roles in ROLES order, each once. */
export function roleSet(roles: readonly Role[]): Role[] {
  return ROLES.filter((r) => roles.includes(r));
}

/**
 * Which limits of the configuration (`plans.free`, `plans.pro`, `plans.admin`: rate limit and look-up batch) apply to
 * an account: those of its plan, or `admin`'s for an account holding the admin role (what the admin plan had before
 * roles, so upgraded servers keep their admins' limits).
 */
export type LimitTier = Plan | 'admin';

export function limitTier(plan: Plan, roles: readonly Role[]): LimitTier {
  return roles.includes('admin') ? 'admin' : plan;
}
