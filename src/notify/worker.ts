import { type AttemptOutcome, backoffMs, type ClaimedDelivery } from '../domain/webhooks.js';
import type { WebhookStore } from '../store/store.js';
import { postDelivery } from './send.js';
import { signature } from './signature.js';
import type { TargetPolicy } from './target.js';

export interface WorkerLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface WorkerOptions {
  policy: TargetPolicy;
  /** Attempts in flight at most (each to a different webhook). */
  concurrency?: number;
  /** How often due deliveries are looked for. */
  pollMs?: number;
  /** One attempt's deadline. */
  timeoutMs?: number;
  /** How long a claim holds a delivery: past it (the worker died), another takes it. Longer than timeoutMs. */
  leaseMs?: number;
  /** Delivered and failed deliveries are kept this long (SOCD_WEBHOOK_RETENTION_DAYS). */
  retentionMs?: number;
  clock?: () => number;
  /** The wait before the next attempt after `attempts` failed ones; undefined: give up (domain/webhooks.ts backoffMs). */
  backoff?: (attempts: number) => number | undefined;
  userAgent?: string;
}

const PRUNE_EVERY_MS = 3_600_000;

/**
 * Sends queued webhook deliveries (README "Webhooks"). Every `socd serve` node runs one: a delivery is claimed
 * atomically in the store (WebhookStore.claimDeliveries) before it is sent, so nodes never send the same one twice,
 * and one that a dead node had claimed comes back when its lease lapses. At most `concurrency` attempts at a time and
 * one per webhook, so a receiver that hangs holds one slot for its timeout, never the others. A failed attempt is
 * tried again with exponential backoff and jitter, until MAX_ATTEMPTS. Ingestion never waits for it: runs only queue.
 */
export class DeliveryWorker {
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Map<number, Promise<void>>();
  private polling: Promise<void> | undefined;
  private stopped = false;
  private lastPrune = 0;
  private lastWarn = 0;
  private readonly o: Required<Omit<WorkerOptions, 'userAgent'>> & { userAgent?: string };

  constructor(private readonly store: WebhookStore, options: WorkerOptions, private readonly log: WorkerLog) {
    this.o = {
      concurrency: 4, pollMs: 2000, timeoutMs: 10_000, leaseMs: 60_000, retentionMs: 30 * 86_400_000, clock: Date.now,
      backoff: (n) => backoffMs(n), ...options,
    };
  }

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => void this.poll(), this.o.pollMs);
    this.timer.unref();
    setImmediate(() => void this.poll());
  }

  /** Stops claiming and waits for the attempts in flight (each ends within its timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.polling;
    await Promise.allSettled([...this.inFlight.values()]);
  }

  /** One look for due deliveries: claims what free slots allow and starts them (not awaited: the next poll goes on). */
  poll(): Promise<void> {
    this.polling ??= this.claimAndStart()
      .catch((err: unknown) => {
        // The database busy for a while (a long `socd import` on SQLite): one line a minute, not one a poll.
        const now = this.o.clock();
        if (now - this.lastWarn < 60_000) return;
        this.lastWarn = now;
        this.log.warn({ err: (err as Error).message }, 'webhook deliveries could not be claimed; trying again');
      })
      .finally(() => {
        this.polling = undefined;
      });
    return this.polling;
  }

  /** Resolves when nothing is in flight (tests). */
  async idle(): Promise<void> {
    await this.polling;
    await Promise.allSettled([...this.inFlight.values()]);
  }

  private async claimAndStart(): Promise<void> {
    if (this.stopped) return;
    const now = this.o.clock();
    if (now - this.lastPrune >= PRUNE_EVERY_MS) {
      this.lastPrune = now;
      const n = await this.store.pruneDeliveries(now - this.o.retentionMs);
      if (n) this.log.info({ deliveries: n }, 'old webhook deliveries removed');
    }
    const free = this.o.concurrency - this.inFlight.size;
    if (free <= 0) return;
    const claimed = await this.store.claimDeliveries({ now, leaseMs: this.o.leaseMs, limit: free, exclude: [...this.inFlight.keys()] });
    for (const d of claimed) {
      const p = this.attempt(d)
        .then(() => undefined)
        .catch((err: unknown) => this.log.warn({ err: (err as Error).message, delivery: d.id }, 'a webhook attempt could not be recorded'))
        .finally(() => this.inFlight.delete(d.webhookId));
      this.inFlight.set(d.webhookId, p);
    }
  }

  /**
   * Attempts one delivery now, whether due or not (POST /api/v1/webhooks/{id}/test); undefined when it is not pending
   * (another node took it, or it is done).
   */
  async deliverNow(deliveryId: number): Promise<AttemptOutcome | undefined> {
    const [d] = await this.store.claimDeliveries({ now: this.o.clock(), leaseMs: this.o.leaseMs, limit: 1, id: deliveryId });
    return d && this.attempt(d);
  }

  /** Signs and POSTs a claimed delivery, then records the outcome: delivered, retried later, or failed for good. */
  private async attempt(d: ClaimedDelivery): Promise<AttemptOutcome> {
    const timestamp = String(Math.floor(this.o.clock() / 1000));
    const result = await postDelivery(d.url, d.body, {
      'x-socd-event': d.event,
      'x-socd-delivery': d.uuid,
      'x-socd-timestamp': timestamp,
      'x-socd-signature': signature(d.secret, timestamp, d.body),
    }, { policy: this.o.policy, timeoutMs: this.o.timeoutMs, ...(this.o.userAgent ? { userAgent: this.o.userAgent } : {}) });
    const at = this.o.clock();
    let outcome: AttemptOutcome;
    if (result.error === null) outcome = { state: 'delivered', status: result.status!, at };
    else {
      const wait = this.o.backoff(d.attempts);
      outcome = wait === undefined
        ? { state: 'failed', status: result.status, error: result.error, at }
        : { state: 'pending', status: result.status, error: result.error, at, retryAt: at + wait };
      // Never the URL (a Slack or Teams URL is itself a credential), never the secret.
      this.log.warn({ webhook: d.webhookId, delivery: d.id, event: d.event, attempt: d.attempts, status: result.status, error: result.error, gaveUp: wait === undefined }, 'webhook delivery failed');
    }
    await this.store.finishAttempt(d.id, outcome);
    return outcome;
  }
}
