import type { IocType } from './ioc-types.js';

/** Evidence one source gives for one IOC: the source's reliability prior and its own confidence, if any. */
export interface Evidence {
  /** Reliability of the source, 0–1. */
  prior: number;
  /** The source's native confidence for this IOC, 0–100, when it publishes one. */
  confidence: number | null;
  /** Aggregates (lists made of other lists) do not count again next to their components. */
  aggregate?: boolean;
}

const clamp01 = (x: number) => (x < 0 ? 0 : x > 1 ? 1 : x);

/**
 * Noisy-OR of independent sources: 1 − Π(1 − prior·evidence), as a 0–100 integer (SOURCES.md, scoring).
 * An aggregate only counts when none of the other sources saw the value.
 */
export function scoreOf(evidence: readonly Evidence[]): number {
  const independent = evidence.filter((e) => !e.aggregate);
  const counted = independent.length > 0 ? independent : evidence;
  let miss = 1;
  for (const e of counted) {
    const p = clamp01(e.prior) * (e.confidence === null ? 1 : clamp01(e.confidence / 100));
    miss *= 1 - p;
  }
  return Math.round((1 - miss) * 100);
}

const DAY_MS = 86_400_000;

/** How long an IOC of each type stays valid after its last sighting (OpenCTI's decay lifetimes, SOURCES.md). */
export const LIFETIME_DAYS: Record<IocType, number> = {
  ipv4: 47,
  ipv6: 47,
  url: 47,
  domain: 300,
  md5: 460,
  sha1: 460,
  sha256: 460,
  cve: 470,
  email: 470,
};

export function validUntil(type: IocType, lastSeenMs: number): number {
  return lastSeenMs + LIFETIME_DAYS[type] * DAY_MS;
}
