import type { Config } from '../config/config.js';
import { WebhookNotifier, type NotifierLog } from '../notify/notifier.js';
import type { TargetPolicy } from '../notify/target.js';
import { DeliveryWorker, type WorkerLog, type WorkerOptions } from '../notify/worker.js';
import type { Store } from '../store/store.js';

/**
 * The webhook pieces the commands build: `socd serve` (worker and notifier) and `socd ingest` (notifier only), kept
 * apart from wiring.ts so that `socd ingest` does not load the HTTP application.
 */

/** Where webhooks may post (config `webhooks`, notify/target.ts). */
export function webhookPolicy(config: Config): TargetPolicy {
  return { allowPrivate: config.webhooks.allowPrivate, allow: config.webhooks.allow };
}

/** The delivery worker of this process (started by `socd serve`). */
export function deliveryWorker(store: Store, config: Config, log: WorkerLog, tune: Partial<WorkerOptions> = {}): DeliveryWorker {
  return new DeliveryWorker(store, {
    policy: webhookPolicy(config), concurrency: config.webhooks.concurrency, retentionMs: config.webhooks.retentionDays * 86_400_000, ...tune,
  }, log);
}

/** What turns runs into queued webhook deliveries (the runner's and the scheduler's observer). */
export function webhookNotifier(store: Store, config: Config, log: NotifierLog): WebhookNotifier {
  return new WebhookNotifier(store, { server: config.publicUrl, failingRuns: config.webhooks.failingRuns, staleFactor: config.webhooks.staleFactor }, log);
}
