import type { Plan } from '../store/types.js';

/** What each plan may use. REST is open to every plan; STIX and TAXII need Pro (admin includes Pro). */
export const PLAN_FEATURES: Record<Plan, { rest: boolean; stix: boolean; taxii: boolean; admin: boolean }> = {
  free: { rest: true, stix: false, taxii: false, admin: false },
  pro: { rest: true, stix: true, taxii: true, admin: false },
  admin: { rest: true, stix: true, taxii: true, admin: true },
};

export type Feature = 'rest' | 'stix' | 'taxii' | 'admin';

export function planAllows(plan: Plan, feature: Feature): boolean {
  return PLAN_FEATURES[plan][feature];
}
