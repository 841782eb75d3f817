/** The plans an account may have: what each may use is auth/plans.ts's. */
export const PLANS = ['free', 'pro', 'admin'] as const;
export type Plan = (typeof PLANS)[number];
