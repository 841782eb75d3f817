import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Config } from '../config/config.js';
import type { ResolvedSource } from '../connectors/catalog/source-config.js';
import { addressInRanges } from '../domain/network.js';
import { RUN_OUTCOMES } from '../store/types.js';
import type { SourceRunStore, StatsReads, StoreLifecycle } from '../store/store.js';
import { problem, sendProblem } from './problem.js';

/** What a scrape reads from the store: one row per source, the tallies, one probe of the log, the pools in memory. */
export type MetricsStore = Pick<StatsReads, 'typeTallies' | 'versionLogSize'> & Pick<SourceRunStore, 'latestRuns' | 'sourceHealth'> & Pick<StoreLifecycle, 'kind' | 'poolUse'>;

/** The TAXII routes that a poll reads: a collection's objects or manifest (GET, answered 200). */
const TAXII_POLL = /^\/api\/taxii2\/:root\/collections\/:id\/(objects|manifest)\/$/;

/** Latency buckets, seconds: look-ups answer in milliseconds, exports and big TAXII pages in seconds. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The server's figures for Prometheus (GET /metrics, README "Metrics"), on a registry of its own that the composition
 * root makes (never prom-client's global one: several apps in one process, as in the tests, keep theirs apart).
 *
 * Request figures are counted as answers go out, labelled by the route's pattern (`/api/v1/iocs/:id`, never the URL a
 * client sent: the label values stay a bounded set; unrouted requests are `unmatched`). TAXII polls count only answers
 * 200, so a collection label is always a collection that exists. The store's figures are read at scrape time, each
 * from a cheap query: the latest run and the health row of each source (one row per source), the tallies the database
 * keeps by trigger (a few dozen rows), the log's last seq (one probe), the pools' counters (memory). Nothing counts a
 * table. Process memory and event-loop lag come from prom-client's default metrics on the same registry.
 */
export class ServerMetrics {
  private readonly requests: Counter<'method' | 'route' | 'status_code' | 'status_class'>;
  private readonly latency: Histogram<'method' | 'route' | 'status_class'>;
  private readonly refusals: Counter<'surface'>;
  private readonly polls: Counter<'root' | 'collection' | 'endpoint'>;
  private readonly g: Record<string, Gauge<string>>;

  constructor(
    readonly registry: Registry,
    private readonly store: MetricsStore,
    /** The sources as configured now (the API's settings over them): their ids bound the `source` label. */
    private readonly sources: () => Promise<readonly ResolvedSource[]>,
    private readonly clock: () => number = Date.now,
  ) {
    const registers = [registry];
    collectDefaultMetrics({ register: registry });
    this.requests = new Counter({ name: 'socd_http_requests_total', help: 'HTTP answers by route pattern, method and status', labelNames: ['method', 'route', 'status_code', 'status_class'], registers });
    this.latency = new Histogram({ name: 'socd_http_request_duration_seconds', help: 'Time to answer, by route pattern, method and status class', labelNames: ['method', 'route', 'status_class'], buckets: LATENCY_BUCKETS, registers });
    this.refusals = new Counter({ name: 'socd_rate_limit_refusals_total', help: 'Requests refused by the rate limit (429), by surface (rest, taxii)', labelNames: ['surface'], registers });
    this.polls = new Counter({ name: 'socd_taxii_polls_total', help: 'TAXII objects and manifest pages served (200), by API root and collection', labelNames: ['root', 'collection', 'endpoint'], registers });
    const gauge = (name: string, help: string, labelNames: string[] = []) => new Gauge({ name, help, labelNames, registers });
    this.g = {
      up: gauge('socd_metrics_store_up', '1 when the scrape read the store, 0 when a query failed (the store figures are then absent)'),
      iocs: gauge('socd_iocs', 'IOCs by type and status (the tallies the database keeps)', ['type', 'status']),
      log: gauge('socd_version_log_size', 'The STIX version log\'s last seq: versions ever appended'),
      poolTotal: gauge('socd_db_pool_connections', 'PostgreSQL connections open, per pool (absent on SQLite: one connection, no pool)', ['pool']),
      poolIdle: gauge('socd_db_pool_idle', 'PostgreSQL connections idle, per pool', ['pool']),
      poolWaiting: gauge('socd_db_pool_waiting', 'Callers waiting for a PostgreSQL connection, per pool', ['pool']),
      db: gauge('socd_database_info', 'The database backend (sqlite or postgres), always 1', ['kind']),
      enabled: gauge('socd_source_enabled', '1 when the source runs on its schedule (enabled, nothing missing)', ['source']),
      schedule: gauge('socd_source_schedule_seconds', 'The source\'s schedule: seconds between runs', ['source']),
      started: gauge('socd_source_last_run_start_timestamp_seconds', 'When the source\'s latest run started (Unix time)', ['source']),
      finished: gauge('socd_source_last_run_end_timestamp_seconds', 'When the source\'s latest run ended (Unix time; absent while it runs)', ['source']),
      success: gauge('socd_source_last_success_timestamp_seconds', 'When the source\'s last successful run (ok or not-modified) ended (Unix time)', ['source']),
      outcome: gauge('socd_source_last_run_outcome', '1 for the outcome of the source\'s latest run, 0 for the others', ['source', 'outcome']),
      duration: gauge('socd_source_last_run_duration_seconds', 'How long the source\'s latest finished run took', ['source']),
      failures: gauge('socd_source_consecutive_failures', 'Failed runs since the source\'s last success (up to 1000)', ['source']),
      records: gauge('socd_source_last_run_records', 'Records the source\'s latest run read', ['source']),
      new: gauge('socd_source_last_run_new', 'IOCs the source\'s latest run added', ['source']),
      updated: gauge('socd_source_last_run_updated', 'IOCs the source\'s latest run changed', ['source']),
      rejected: gauge('socd_source_last_run_rejected', 'Records the source\'s latest run could not read', ['source']),
      excluded: gauge('socd_source_last_run_excluded', 'Values the exclusion rules refused in the source\'s latest run', ['source']),
      allowlisted: gauge('socd_source_last_run_allowlisted', 'Values the allow-list held back in the source\'s latest run', ['source']),
      delisted: gauge('socd_source_last_run_delisted', 'Sightings the source\'s latest snapshot no longer listed', ['source']),
    };
  }

  /** Counts an answer (onResponse). */
  observe(request: FastifyRequest, reply: FastifyReply): void {
    const route = request.routeOptions.url ?? 'unmatched';
    const code = reply.statusCode;
    const statusClass = `${Math.floor(code / 100)}xx`;
    this.requests.inc({ method: request.method, route, status_code: String(code), status_class: statusClass });
    this.latency.observe({ method: request.method, route, status_class: statusClass }, reply.elapsedTime / 1000);
    if (code === 429) this.refusals.inc({ surface: /^\/(api\/)?taxii2(\/|$)/.test(route) ? 'taxii' : 'rest' });
    const poll = code === 200 && request.method === 'GET' ? TAXII_POLL.exec(route) : null;
    if (poll) {
      const params = request.params as Record<string, string>;
      this.polls.inc({ root: params.root ?? '', collection: params.id ?? '', endpoint: poll[1]! });
    }
  }

  /** The exposition text: the store's figures read now, then every metric of the registry. */
  async scrape(): Promise<string> {
    try {
      await this.readStore();
      this.g.up!.set(1);
    } catch {
      for (const [name, g] of Object.entries(this.g)) if (name !== 'up') g.reset();
      this.g.up!.set(0);
    }
    return this.registry.metrics();
  }

  private async readStore(): Promise<void> {
    const [tallies, logSize, runs, health, sources] = await Promise.all([
      this.store.typeTallies(), this.store.versionLogSize(), this.store.latestRuns(), this.store.sourceHealth(), this.sources(),
    ]);
    for (const g of Object.values(this.g)) g.reset();
    const { g } = this;
    g.db!.set({ kind: this.store.kind }, 1);
    const byTypeStatus = new Map<string, { type: string; status: string; n: number }>();
    for (const t of tallies) {
      const k = `${t.key}\u0000${t.status}`;
      const cell = byTypeStatus.get(k) ?? { type: t.key, status: t.status, n: 0 };
      cell.n += t.n;
      byTypeStatus.set(k, cell);
    }
    for (const c of byTypeStatus.values()) g.iocs!.set({ type: c.type, status: c.status }, c.n);
    g.log!.set(logSize);
    for (const p of this.store.poolUse?.() ?? []) {
      g.poolTotal!.set({ pool: p.pool }, p.total);
      g.poolIdle!.set({ pool: p.pool }, p.idle);
      g.poolWaiting!.set({ pool: p.pool }, p.waiting);
    }
    const runOf = new Map(runs.map((r) => [r.sourceId, r]));
    const healthOf = new Map(health.map((h) => [h.sourceId, h]));
    for (const s of sources) {
      const source = s.def.id;
      const l = { source };
      g.enabled!.set(l, s.enabled && !s.reason ? 1 : 0);
      g.schedule!.set(l, s.scheduleMs / 1000);
      const h = healthOf.get(source);
      g.failures!.set(l, h?.consecutiveFailures ?? 0);
      if (h?.lastSuccessFinishedAt != null) g.success!.set(l, h.lastSuccessFinishedAt / 1000);
      const r = runOf.get(source);
      if (!r) continue;
      g.started!.set(l, r.startedAt / 1000);
      for (const o of RUN_OUTCOMES) g.outcome!.set({ source, outcome: o }, r.outcome === o ? 1 : 0);
      if (r.finishedAt !== null && r.outcome !== 'queued') {
        g.finished!.set(l, r.finishedAt / 1000);
        g.duration!.set(l, (r.finishedAt - r.startedAt) / 1000);
      }
      g.records!.set(l, r.records);
      g.new!.set(l, r.inserted);
      g.updated!.set(l, r.updated);
      g.rejected!.set(l, r.rejected);
      g.excluded!.set(l, r.excluded);
      g.allowlisted!.set(l, r.allowlisted);
      g.delisted!.set(l, r.delisted);
    }
  }
}

/** SHA-256 of a token: equal-length buffers for a constant-time comparison. */
const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Who may scrape (README "Metrics"): a Bearer token equal to SOCD_METRICS_TOKEN, or a client address in
 * SOCD_METRICS_ALLOW (the address Fastify gives: behind a proxy, TRUST_PROXY decides whether X-Forwarded-For counts).
 * 0: allowed; else the status of the refusal (401 when a token would do, 403 when only addresses are configured).
 */
export function metricsRefusal(settings: Config['metrics'], request: FastifyRequest): 0 | 401 | 403 {
  if (settings.allow.length > 0 && addressInRanges(request.ip, settings.allow)) return 0;
  if (settings.token === undefined) return 403;
  const header = request.headers.authorization ?? '';
  const m = /^Bearer +(\S{1,1024})$/i.exec(header);
  return m && timingSafeEqual(digest(m[1]!), digest(settings.token)) ? 0 : 401;
}

/** Whether GET /metrics is served at all: a token or addresses are configured. */
export const metricsEnabled = (settings: Config['metrics']): boolean => settings.token !== undefined || settings.allow.length > 0;

/**
 * GET /metrics, beside the REST API (no /api/v1 prefix, no API key, no rate limit: Prometheus scrapes every few
 * seconds), hidden from the OpenAPI document. Every answer is counted by the app's onResponse hook.
 */
export async function metricsRoutes(app: FastifyInstance, opts: { metrics: ServerMetrics; settings: Config['metrics'] }): Promise<void> {
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    const refused = metricsRefusal(opts.settings, request);
    if (refused === 401) {
      reply.header('www-authenticate', 'Bearer realm="metrics"');
      return sendProblem(reply, problem(401, 'unauthorized', 'GET /metrics needs the metrics token: Authorization: Bearer <SOCD_METRICS_TOKEN>'));
    }
    if (refused === 403) return sendProblem(reply, problem(403, 'forbidden', 'this address may not read /metrics (SOCD_METRICS_ALLOW)'));
    const text = await opts.metrics.scrape();
    return reply.header('cache-control', 'no-store').type(opts.metrics.registry.contentType).send(text);
  });
}
