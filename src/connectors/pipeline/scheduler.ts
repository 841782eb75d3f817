import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { IngestWrites, SourceRunStore } from '../../store/store.js';
import { networkDown, type RunReport, type RunnerDeps, runSource } from './runner.js';
import type { ResolvedSource } from '../catalog/source-config.js';

/** How often the scheduler looks for due sources. */
const TICK_MS = 60_000;
/** How often the holder of the lease looks for runs asked for (run now): one probe of a small partial index. */
const POLL_MS = 2_000;
/** Queued runs taken per look. */
const QUEUED_BATCH = 10;
/** How often IOCs are aged (scores decay, expired ones are revoked). */
const DECAY_EVERY_MS = 3_600_000;
/**
 * The ingestion lease: the holder renews it every LEASE_MS / 3 and the others try to take it as often, so a dead
 * holder's lease lapses within LEASE_MS and another process leads within a minute of the death.
 */
export const INGEST_LEASE = 'ingest';
const LEASE_MS = 45_000;

export interface SchedulerLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** The sources to schedule: a fixed list, or a function reading them (with the API's settings) at each pass. */
export type SourceList = readonly ResolvedSource[] | (() => Promise<readonly ResolvedSource[]>);

/**
 * Runs each enabled source when its schedule says (from its last run, any outcome, so a failing source waits its
 * turn too), one source at a time, and ages IOCs every hour. Inside `socd serve` unless switched off. Several
 * processes on one database elect one scheduler through a lease (docs/design.md §3: one ingestion worker at a time); the
 * others wait and take over within a tick or two of its death. The sources are read again at each pass (SourceRegistry:
 * settings changed over the API on any node apply at the next pass), and the holder starts runs asked for (run now,
 * queued in the store by any node) within POLL_MS, between sources of a pass at the latest (one run at a time).
 */
export class IngestScheduler {
  private timer: NodeJS.Timeout | undefined;
  private poller: NodeJS.Timeout | undefined;
  private renewer: NodeJS.Timeout | undefined;
  private busy: Promise<void> | undefined;
  private stopped = false;
  private lastDecay = 0;
  private leader = false;
  /** Who holds the lease: unique per process. */
  readonly holder = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

  constructor(
    private readonly sources: SourceList,
    private readonly deps: RunnerDeps & { store: IngestWrites & SourceRunStore },
    private readonly log: SchedulerLog,
    private readonly tickMs = TICK_MS,
    private readonly pollMs = POLL_MS,
  ) {}

  private async current(): Promise<readonly ResolvedSource[]> {
    return typeof this.sources === 'function' ? this.sources() : this.sources;
  }

  start(): void {
    const tick = () => {
      if (this.stopped) return;
      this.busy ??= this.runDue()
        .then(() => undefined)
        .catch((err: unknown) => this.log.error({ err }, 'ingest scheduler pass failed'))
        .finally(() => {
          this.busy = undefined;
        });
    };
    this.timer = setInterval(tick, this.tickMs);
    this.timer.unref();
    // Run now: while idle, the holder looks for queued runs (a busy pass takes them between its sources).
    this.poller = setInterval(() => {
      if (this.stopped || !this.leader || this.busy) return;
      this.busy = this.deps.store.queuedRuns(1)
        .then(async (q) => {
          if (q.length) await this.runQueued(new Set());
        })
        .catch((err: unknown) => this.log.error({ err }, 'queued runs failed'))
        .finally(() => {
          this.busy = undefined;
        });
    }, this.pollMs);
    this.poller.unref();
    // The holder renews (a long run — a million-line feed, NVD's paced pages — must not let the lease lapse under
    // it); the others try to take it, and start a pass the moment they do.
    this.renewer = setInterval(() => {
      if (this.stopped) return;
      const was = this.leader;
      this.renew()
        .then((now) => {
          if (now && !was) tick();
        })
        .catch((err: unknown) => this.log.error({ err }, 'could not take or renew the ingestion lease'));
    }, LEASE_MS / 3);
    this.renewer.unref();
    setImmediate(tick);
  }

  /** Stops scheduling and waits for the source in flight (its run is recorded either way). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearInterval(this.poller);
    clearInterval(this.renewer);
    await this.busy;
    if (this.leader) await this.deps.store.releaseLease(INGEST_LEASE, this.holder);
    this.leader = false;
  }

  /** Takes or renews the lease; logs when leadership changes hands. */
  private async renew(): Promise<boolean> {
    const leader = await this.deps.store.tryLease(INGEST_LEASE, this.holder, LEASE_MS, (this.deps.clock ?? Date.now)());
    if (leader !== this.leader) this.log.info({ holder: this.holder }, leader ? 'this process now runs ingestion' : 'another process runs ingestion');
    // Runs left `running` by the previous holder died with it: ended, so a run now is not refused for them forever.
    if (leader && !this.leader) {
      const n = await this.deps.store.interruptRuns((this.deps.clock ?? Date.now)());
      if (n) this.log.warn({ runs: n }, 'runs left running by the previous holder of the lease marked failed');
    }
    this.leader = leader;
    return leader;
  }

  /** Whether this process runs ingestion now (it took or renewed the lease at its last pass). */
  get isLeader(): boolean {
    return this.leader;
  }

  /** One pass: every due source, then the decay when an hour has gone by. Returns the reports (tests). */
  async runDue(): Promise<RunReport[]> {
    const clock = this.deps.clock ?? Date.now;
    if (!(await this.renew())) return [];
    const sources = await this.current();
    const last = new Map((await this.deps.store.latestRuns()).map((r) => [r.sourceId, r]));
    // Sources run from the queue in this pass: their run is newer than `last` says.
    const ranNow = new Set<string>();
    const reports: RunReport[] = [...(await this.runQueued(ranNow))];
    // Failure warnings wait while every run of this pass failed on the network: offline, one line says it all.
    let held: Array<{ fields: object; error: string | null }> = [];
    let offline = true;
    for (const planned of sources) {
      // Lost the lease (it lapsed while the process stalled): leave the rest to the new holder.
      if (this.stopped || !this.leader) break;
      reports.push(...(await this.runQueued(ranNow)));
      if (!planned.enabled || planned.reason || ranNow.has(planned.def.id)) continue;
      const prev = last.get(planned.def.id);
      if (prev && clock() - prev.startedAt < planned.scheduleMs) continue;
      // Read again before it runs (a pass may last long): a source disabled or rescheduled meanwhile is left alone.
      const src = typeof this.sources === 'function' ? (await this.current()).find((s) => s.def.id === planned.def.id) : planned;
      if (!src || !src.enabled || src.reason) continue;
      if (prev && clock() - prev.startedAt < src.scheduleMs) continue;
      const report = await runSource(src, this.deps);
      reports.push(report);
      const fields = { source: report.source, outcome: report.outcome, new: report.inserted, updated: report.updated, delisted: report.delisted, rejected: report.rejected, excluded: report.excluded, allowlisted: report.allowlisted, ms: report.durationMs };
      const onNetwork = report.outcome === 'failed' && (report.failure === 'network' || report.failure === 'timeout');
      if (offline && onNetwork) {
        held.push({ fields, error: report.error });
        continue;
      }
      if (offline && !['disabled', 'too-soon', 'skipped'].includes(report.outcome)) {
        offline = false;
        for (const h of held) this.log.warn({ ...h.fields, error: h.error }, 'source run failed');
        held = [];
      }
      if (report.outcome === 'failed') this.log.warn({ ...fields, error: report.error }, 'source run failed');
      else this.log.info(fields, 'source run');
    }
    reports.push(...(await this.runQueued(ranNow)));
    const down = offline ? networkDown(reports) : undefined;
    if (down) this.log.warn({ sources: reports.filter((r) => r.outcome === 'failed').map((r) => r.source) }, down);
    else for (const h of held) this.log.warn({ ...h.fields, error: h.error }, 'source run failed');
    // Sources gone quiet for too long (webhooks' source.stale): the observer looks once per pass.
    if (!this.stopped && this.deps.observer) await this.deps.observer.afterPass(sources, clock()).catch(() => undefined);
    if (!this.stopped && clock() - this.lastDecay >= DECAY_EVERY_MS) {
      this.lastDecay = clock();
      const d = await this.deps.store.decayIocs(clock());
      this.log.info({ ...d }, 'IOCs aged');
    }
    return reports;
  }

  /**
   * Starts the runs asked for (run now), oldest first. runSource's startRun takes the queued row as its run, so the id
   * the requester follows is this run. A source disabled, unknown or too soon since then ends its request `skipped`
   * with the reason. Cheap when nothing is queued: one probe of the queued index.
   */
  private async runQueued(ranNow: Set<string>): Promise<RunReport[]> {
    const reports: RunReport[] = [];
    for (;;) {
      if (this.stopped || !this.leader) return reports;
      const queued = await this.deps.store.queuedRuns(QUEUED_BATCH);
      if (queued.length === 0) return reports;
      // Read now, not at the start of the pass: a source enabled just before its run was asked for runs.
      const byId = new Map((await this.current()).map((s) => [s.def.id, s]));
      for (const q of queued) {
        if (this.stopped || !this.leader) return reports;
        const src = byId.get(q.sourceId);
        const refused = !src ? 'no source has this id any more' : !src.enabled ? (src.reason ?? 'disabled') : undefined;
        if (refused !== undefined) {
          await this.skipQueued(q.id, refused);
          continue;
        }
        const report = await runSource(src!, this.deps);
        ranNow.add(q.sourceId);
        // Not started (too soon for the provider): the request ends with the reason.
        if (report.runId !== q.id) await this.skipQueued(q.id, report.error ?? report.outcome);
        reports.push(report);
        const fields = { source: report.source, run: q.id, outcome: report.outcome, new: report.inserted, updated: report.updated, ms: report.durationMs, requested: true };
        if (report.outcome === 'failed') this.log.warn({ ...fields, error: report.error }, 'source run failed');
        else this.log.info(fields, 'source run');
      }
    }
  }

  private async skipQueued(run: number, error: string): Promise<void> {
    const zero = { records: 0, inserted: 0, updated: 0, unchanged: 0, delisted: 0, rejected: 0, excluded: 0, allowlisted: 0, bytes: 0 };
    await this.deps.store.finishRun(run, { ...zero, outcome: 'skipped', finishedAt: (this.deps.clock ?? Date.now)(), error: error.slice(0, 1000), etag: null, lastModified: null });
  }
}
