import { randomUUID } from 'node:crypto';
import type { ResolvedSource } from '../connectors/catalog/source-config.js';
import type { RunNotes, RunObserver, RunReport } from '../connectors/pipeline/runner.js';
import { isoMs } from '../domain/iso-time.js';
import type { DeliveryEvent, NewDelivery, Webhook, WebhookEvent } from '../domain/webhooks.js';
import type { AccountStore, SettingStore, SourceRunStore, WebhookStore } from '../store/store.js';
import { envelope, type EventData, MAX_LISTED, renderBody, type RunRef, type SourceRef } from './payloads.js';

/** What the notifier reads and writes. */
export type NotifierStore = WebhookStore & Pick<SourceRunStore, 'listRuns' | 'sourceHealth'> & Pick<AccountStore, 'findAccountById'> & Pick<SettingStore, 'getSetting' | 'setSetting'>;

export interface NotifierSettings {
  /** SOCD_PUBLIC_URL: the `server` of every body. */
  server: string;
  /** Failed runs in a row that make a source `failing` (SOCD_WEBHOOK_FAILING_RUNS, default 3). */
  failingRuns: number;
  /** A source is stale after this many of its schedules without a success (SOCD_WEBHOOK_STALE_FACTOR, default 3). */
  staleFactor: number;
}

export interface NotifierLog {
  warn(obj: object, msg: string): void;
}

/** New IOCs counted per notification at most: past it the body says "at least". */
const COUNT_CAP = 100_000;
/** Runs read back to tell a failing episode (skipped runs are stepped over). */
const RUNS_READ = 50;
/** The settings key of a stale episode already told (its value: the last success's start). */
const STALE_KEY = 'webhook.stale.';

/**
 * Turns ingestion into webhook notifications (the RunObserver of the runner and the scheduler): after a run, the
 * source events (failing after N failed runs in a row, recovered), the new IOCs of the run in watched sectors, the
 * values the allow-list held back; after a scheduler pass, sources gone stale. It only ENQUEUES (one insert per
 * webhook per event, delivered by DeliveryWorker), and never throws: a failure is logged and the run goes on.
 */
export class WebhookNotifier implements RunObserver {
  constructor(
    private readonly store: NotifierStore,
    private readonly settings: NotifierSettings,
    private readonly log: NotifierLog,
    private readonly clock: () => number = Date.now,
  ) {}

  async afterRun(src: ResolvedSource, report: RunReport, notes: RunNotes): Promise<void> {
    if (report.runId === undefined) return;
    try {
      const hooks = await this.subscribers();
      if (hooks.length === 0) return;
      const source: SourceRef = { id: src.def.id, name: src.def.name };
      const run: RunRef = { id: report.runId, started_at: isoMs(notes.startedAt), outcome: report.outcome };
      const out: NewDelivery[] = [];
      const add = <E extends DeliveryEvent>(w: Webhook, event: E, data: EventData[E]) => {
        const uuid = randomUUID();
        out.push({ uuid, webhookId: w.id, event, body: renderBody(w.format, envelope(uuid, event, this.clock(), this.settings.server, data)) });
      };
      const wanting = (e: WebhookEvent) => hooks.filter((w) => w.events.includes(e));
      await this.sourceEvents(src, report, source, run, wanting, add);
      if (report.inserted > 0) {
        for (const w of wanting('iocs.sector')) {
          const found = await this.store.runIocs({ source: src.def.id, since: notes.startedAt, sectors: w.sectors, minScore: w.minConfidence, limit: MAX_LISTED, countCap: COUNT_CAP });
          if (found.count === 0) continue;
          add(w, 'iocs.sector', {
            source, run, count: found.count, count_capped: found.count >= COUNT_CAP, min_confidence: w.minConfidence, sectors: w.sectors,
            iocs: found.items.map((i) => ({ type: i.type, value: i.value, score: i.score, sectors: i.sectors })),
          });
        }
      }
      if (report.allowlisted > 0 && notes.allowlisted.length) {
        const entries = [...new Set(notes.allowlisted.map((v) => v.entry))];
        for (const w of wanting('allowlist.hit')) add(w, 'allowlist.hit', { source, run, count: report.allowlisted, values: notes.allowlisted, entries });
      }
      await this.store.enqueueDeliveries(out, this.clock());
    } catch (err) {
      this.log.warn({ err: (err as Error).message, source: src.def.id }, 'webhook notifications of a run could not be queued');
    }
  }

  /** source.failing on the run that makes N failures in a row; source.recovered on the success that ends such a streak. */
  private async sourceEvents(
    src: ResolvedSource, report: RunReport, source: SourceRef, run: RunRef,
    wanting: (e: WebhookEvent) => Webhook[], add: <E extends DeliveryEvent>(w: Webhook, e: E, d: EventData[E]) => void,
  ): Promise<void> {
    const ok = report.outcome === 'ok' || report.outcome === 'not-modified';
    if (report.outcome !== 'failed' && !ok) return;
    if (!wanting('source.failing').length && !wanting('source.recovered').length) return;
    const runs = (await this.store.listRuns(src.def.id, { limit: RUNS_READ })).items.filter((r) => r.outcome !== 'skipped' && r.outcome !== 'queued' && r.outcome !== 'running');
    // Newest first; this run is runs[0]. Failed runs in a row: from it (failing), or just before it (recovered).
    const streak = (from: number) => {
      let n = 0;
      while (from + n < runs.length && runs[from + n]!.outcome === 'failed') n++;
      return n;
    };
    const n = this.settings.failingRuns;
    if (report.outcome === 'failed' && streak(0) === n) {
      for (const w of wanting('source.failing')) add(w, 'source.failing', { source, consecutive_failures: n, threshold: n, last_error: report.error, run });
    }
    if (ok && runs[0]?.id === report.runId) {
      const before = streak(1);
      if (before >= n) for (const w of wanting('source.recovered')) add(w, 'source.recovered', { source, failed_runs: before, run });
    }
  }

  /**
   * source.stale: an enabled source whose last success started longer ago than staleFactor × its schedule. Once per
   * episode: the episode (the last success's start) is kept in the settings, so a restart or another node does not
   * tell it again; a new success starts a new one.
   */
  async afterPass(sources: readonly ResolvedSource[], now: number): Promise<void> {
    try {
      const hooks = (await this.subscribers()).filter((w) => w.events.includes('source.stale'));
      if (hooks.length === 0) return;
      const health = new Map((await this.store.sourceHealth()).map((h) => [h.sourceId, h]));
      const out: NewDelivery[] = [];
      for (const src of sources) {
        const last = health.get(src.def.id)?.lastSuccessStartedAt;
        if (!src.enabled || src.reason || last === null || last === undefined) continue;
        const allowed = this.settings.staleFactor * src.scheduleMs;
        if (now - last <= allowed) continue;
        const key = `${STALE_KEY}${src.def.id}`;
        if ((await this.store.getSetting(key)) === String(last)) continue;
        await this.store.setSetting(key, String(last));
        for (const w of hooks) {
          const uuid = randomUUID();
          const data: EventData['source.stale'] = {
            source: { id: src.def.id, name: src.def.name }, last_success_at: isoMs(last),
            schedule_seconds: Math.round(src.scheduleMs / 1000), stale_after_seconds: Math.round(allowed / 1000),
          };
          out.push({ uuid, webhookId: w.id, event: 'source.stale', body: renderBody(w.format, envelope(uuid, 'source.stale', now, this.settings.server, data)) });
        }
      }
      await this.store.enqueueDeliveries(out, now);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'webhook notifications of stale sources could not be queued');
    }
  }

  /** Enabled webhooks whose account (if any) is not disabled. A few pages of the (small) table. */
  private async subscribers(): Promise<Webhook[]> {
    const all: Webhook[] = [];
    for (let after: number | undefined; ;) {
      const page = await this.store.listWebhooks({ limit: 500, ...(after !== undefined ? { after } : {}) });
      all.push(...page.items.filter((w) => w.enabled && w.events.length));
      if (page.next === null) break;
      after = page.next;
    }
    const disabled = new Map<number, boolean>();
    for (const w of all) {
      if (w.accountId === null || disabled.has(w.accountId)) continue;
      const a = await this.store.findAccountById(w.accountId);
      disabled.set(w.accountId, !a || a.disabledAt !== null);
    }
    return all.filter((w) => w.accountId === null || !disabled.get(w.accountId));
  }
}
