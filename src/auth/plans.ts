import type { Plan } from '../store/types.js';

/**
 * What each plan may SEE. REST is open to every plan; STIX and TAXII need Pro. What an account may DO is its roles
 * (domain/roles.ts, guarded by requireRole), not its plan.
 */
export const PLAN_FEATURES: Record<Plan, { rest: boolean; stix: boolean; taxii: boolean }> = {
  free: { rest: true, stix: false, taxii: false },
  pro: { rest: true, stix: true, taxii: true },
};

export type Feature = 'rest' | 'stix' | 'taxii';

export function planAllows(plan: Plan, feature: Feature): boolean {
  return PLAN_FEATURES[plan][feature];
}
