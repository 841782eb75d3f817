import type { IocType } from './ioc-types.js';
import { DAY_MS } from './durations.js';

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
 * Noisy-OR of independent sources: 1 − Π(1 − prior·evidence), as a 0–100 integer (docs/sources.md §5).
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


/** How long an IOC of each type stays valid after its last sighting (OpenCTI's decay lifetimes, docs/sources.md §6). */
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

/** An IOC whose decayed score falls below this is revoked (OpenCTI's default revoke score). */
export const REVOKE_BELOW = 20;
/** valid_until of what never decays (CISA KEV): the latest instant STIX timestamps can write. */
export const NO_EXPIRY = Date.UTC(9999, 11, 31, 23, 59, 59);

/**
 * The score `base` (noisy-OR of the live sightings) has `now`, aged from the last sighting: a polynomial decay
 * base × (1 − (age / lifetime)²) — flat at first, steep near the end of the type's lifetime (OpenCTI's shape).
 */
export function decayedScore(base: number, type: IocType, lastSeen: number, now: number, noDecay = false): number {
  if (noDecay || now <= lastSeen) return base;
  const f = Math.min(1, (now - lastSeen) / (LIFETIME_DAYS[type] * DAY_MS));
  return Math.round(base * (1 - f * f));
}

/** The score below which an IOC of this base score is revoked: REVOKE_BELOW, or half its base (rounded up) when lower. */
export function revokeThreshold(base: number): number {
  return Math.min(REVOKE_BELOW, Math.ceil(base / 2));
}

/** However weak, a listing stays valid this long after its last sighting: daily snapshots keep it without churn. */
export const MIN_VALIDITY_MS = DAY_MS;

/**
 * When the decayed score crosses the revoke threshold: the IOC's valid_until. The threshold is REVOKE_BELOW, or half
 * the base score when that is lower, so a weak but current listing lives a while instead of being revoked at once;
 * and never less than MIN_VALIDITY_MS after the last sighting. (An IOC left without any live sighting is revoked by
 * the store at once, whatever this says.)
 */
export function validUntil(base: number, type: IocType, lastSeen: number, noDecay = false): number {
  if (noDecay && base > 0) return NO_EXPIRY;
  // The published score is rounded: it drops below the threshold T when the curve passes T − 0.5.
  const decay = base <= 0 ? 0 : Math.floor(LIFETIME_DAYS[type] * DAY_MS * Math.sqrt(1 - (revokeThreshold(base) - 0.5) / base));
  return lastSeen + Math.max(MIN_VALIDITY_MS, decay);
}
