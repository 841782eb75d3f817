import type { AuditTrail } from '../domain/audit.js';

export interface SignInBurstLimits {
  /** Failures from one address within `windowMs` that make a burst. */
  threshold: number;
  windowMs: number;
  /** Addresses followed at most: bounded memory whatever the number of clients. */
  maxAddresses: number;
}

export const SIGN_IN_BURST: SignInBurstLimits = { threshold: 10, windowMs: 60_000, maxAddresses: 10_000 };
/** Distinct reasons kept per address (they come from a small fixed set; the bound is a guard). */
const MAX_REASONS = 8;

/**
 * Failures counted across every API node (http/rate-limit.ts redisFailureCounter, on the deployment's Redis): the
 * count of `address` in the fixed window `window` (a number: time ÷ windowMs) after this one. Throws when the shared
 * store is away; the process then counts alone.
 */
export interface SharedFailureCounter {
  hit(address: string, window: number, windowMs: number): Promise<number>;
}

interface Window {
  start: number;
  count: number;
  reasons: Map<string, number>;
  recorded: boolean;
}

/**
 * Failed sign-ins per client address, in memory, in fixed windows (README "Audit"): `threshold` failures within
 * `windowMs` of the first one make one `auth.failed_burst` record, with the address, the count, the window and the
 * reasons. Never the key, nor its prefix (a key that failed may be someone's real key mistyped, or a guess). At most
 * one record per address per window, and at most `maxAddresses` followed: when full, windows that ended go first,
 * then the oldest. With a shared counter (REDIS_URL), the burst is counted across every node, in fixed windows of
 * the clock, and recorded once: by the node whose failure reaches the threshold (with the reasons it saw); while
 * the shared store is away, each node counts its own share.
 */
export class FailedSignIns {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly audit: AuditTrail,
    private readonly limits: SignInBurstLimits = SIGN_IN_BURST,
    private readonly clock: () => number = Date.now,
    private readonly shared?: SharedFailureCounter,
  ) {}

  /** Counts a failed sign-in from `address`; resolves once a burst it completes is recorded. Never throws. */
  async failed(address: string, reason: string): Promise<void> {
    const now = this.clock();
    let w = this.windows.get(address);
    if (!w || now - w.start >= this.limits.windowMs) {
      if (w) this.windows.delete(address);
      else this.makeRoom(now);
      w = { start: now, count: 0, reasons: new Map(), recorded: false };
      this.windows.set(address, w);
    }
    w.count++;
    const why = reason.slice(0, 200);
    if (w.reasons.has(why) || w.reasons.size < MAX_REASONS) w.reasons.set(why, (w.reasons.get(why) ?? 0) + 1);
    if (this.shared) {
      const window = Math.floor(now / this.limits.windowMs);
      let total: number | undefined;
      try {
        total = await this.shared.hit(address, window, this.limits.windowMs);
      } catch {
        total = undefined; // Redis away: this node's own count decides below
      }
      if (total !== undefined) {
        if (total !== this.limits.threshold) return;
        return this.record(address, w, total, window * this.limits.windowMs);
      }
    }
    if (w.recorded || w.count < this.limits.threshold) return;
    w.recorded = true;
    return this.record(address, w, w.count, w.start);
  }

  private async record(address: string, w: Window, failures: number, since: number): Promise<void> {
    await this.audit.record(
      { accountId: null, email: null, keyPrefix: null, via: 'api', origin: address },
      {
        action: 'auth.failed_burst',
        target: address,
        details: {
          address, failures, window_seconds: this.limits.windowMs / 1000, since: new Date(since).toISOString(),
          reasons: Object.fromEntries(w.reasons),
        },
      },
    );
  }

  /** Addresses followed now (tests check the bound). */
  get size(): number {
    return this.windows.size;
  }

  private makeRoom(now: number): void {
    if (this.windows.size < this.limits.maxAddresses) return;
    for (const [address, w] of this.windows) if (now - w.start >= this.limits.windowMs) this.windows.delete(address);
    // Still full: the oldest windows go (a Map iterates in insertion order), a tenth at a time so this stays rare.
    if (this.windows.size >= this.limits.maxAddresses) {
      let drop = Math.max(1, Math.floor(this.limits.maxAddresses / 10));
      for (const address of this.windows.keys()) {
        if (drop-- <= 0) break;
        this.windows.delete(address);
      }
    }
  }
}
