import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Exclusions } from '../../domain/exclusions.js';
import { SectorRules } from '../../domain/sector-rules.js';
import type { AllowListStore, IngestWrites, IocReads, SourceRunStore } from '../../store/store.js';
import type { Observation, RunCounts, SourceRun, UpsertResult } from '../../store/types.js';
import { convertItem, RecordConverter } from './record-converter.js';
import { loadAllowList, type ObservationChunk, writeObservations } from './write-observations.js';
import type { IngestSettings, ResolvedSource } from '../catalog/source-config.js';
import type { SourceDefinition } from '../catalog/source-definition.js';
import { readDelimited } from '../formats/delimited-shape.js';
import type { FetchContext } from '../transport/fetch-context.js';
import { readJson } from '../formats/json-shape.js';
import { readLines } from '../formats/line-shape.js';
import { readMisp } from '../formats/misp-shape.js';
import { readNdjson } from '../formats/ndjson-shape.js';
import type { RecordItem } from '../formats/record.js';
import { readStixBundle, readTaxii } from '../formats/stix-shape.js';
import { FetchError, type FetchFailure, fetchSource, openLocalFile, unzipMember } from '../transport/fetch-source.js';
import { expandUrl, timeWindows, withQuery } from '../catalog/url-template.js';
import { DAY_MS } from '../../domain/durations.js';
import { type AllowEntry, entryText } from '../../domain/allowlist.js';

/** How far back an incremental source reaches on its first run. */
const FIRST_RUN_DAYS = 30;
/** Observations handed to the store at a time. */
const CHUNK = 2000;
/** Problems kept per run for the report (the count is exact). */
const SAMPLE_PROBLEMS = 20;

/** The seams of a run: tests give a clock, a fetch, a sleep and a URL rewriter (fixtures on a local server). */
export interface RunnerDeps {
  store: IngestWrites & Pick<IocReads, 'queryIocs'> & SourceRunStore & AllowListStore;
  settings: IngestSettings;
  clock?: () => number;
  fetchImpl?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Applied to every URL before it is fetched. */
  rewriteUrl?: (url: string) => string;
  /** Transport tuning (tests shorten them). */
  transport?: { retries?: number; backoffMs?: number; idleTimeoutMs?: number; timeoutMs?: number; maxRetryAfterMs?: number };
  onProgress?: (source: string, total: Readonly<UpsertResult>) => void;
  /** Told of every run that started, once recorded (webhooks: src/notify/). Its failures never fail the run. */
  observer?: RunObserver;
}

/** A value the allow-list held back in a run, with the entry (as written) that matched it. */
export interface AllowlistedValue {
  type: Observation['type'];
  value: string;
  entry: string;
}

/** What a run's observer is told beside the report: when it started, and the first values the allow-list held back. */
export interface RunNotes {
  startedAt: number;
  allowlisted: AllowlistedValue[];
}

/**
 * Who hears about runs (the webhook notifier): after each recorded run, and after each scheduler pass (staleness).
 * It only queues work: it must return quickly and never throw (errors are its own to log).
 */
export interface RunObserver {
  afterRun(src: ResolvedSource, report: RunReport, notes: RunNotes): Promise<void>;
  afterPass(sources: readonly ResolvedSource[], now: number): Promise<void>;
}

export interface RunReport extends RunCounts {
  source: string;
  outcome: SourceRun['outcome'] | 'disabled' | 'too-soon';
  runId: number | undefined;
  /** The first excluded and allow-listed values, with their record and reason (the counts are `excluded`, `allowlisted`). */
  exclusions: string[];
  /** Records skipped on purpose (filters, unmapped types), by reason. */
  skipped: Record<string, number>;
  /** The first problems (the count is `rejected`). */
  problems: string[];
  durationMs: number;
  error: string | null;
  /** What kind of download failure failed the run (network, timeout, http…); null when it did not fail on the download. */
  failure: FetchFailure | null;
}

function blankReport(source: string, outcome: RunReport['outcome'], error: string | null = null): RunReport {
  return {
    source, outcome, runId: undefined, records: 0, inserted: 0, updated: 0, unchanged: 0, delisted: 0, rejected: 0, allowlisted: 0,
    excluded: 0, exclusions: [], skipped: {}, problems: [], bytes: 0, durationMs: 0, error, failure: null,
  };
}

/** The store's record of a source (scoring, redistribution, decay). */
export function sourceRecordOf(def: SourceDefinition) {
  return {
    id: def.id, name: def.name, reliability: def.reliability, redistributable: def.redistributable,
    aggregate: (def.aggregateOf?.length ?? 0) > 0, tlp: def.tlp, noDecay: def.noDecay ?? false,
  };
}

const HTML = /^\s*<(!doctype\s+html|html[\s>]|head[\s>]|body[\s>])/i;

/** Refuses an HTML page where a feed was expected (a captive portal, a login page, a moved URL answering 200). */
async function refuseHtml(body: Readable, def: SourceDefinition): Promise<Readable> {
  if (def.shape.kind === 'line' && def.shape.keep) return body; // a list wrapped in HTML on purpose (VXVault)
  const it = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const first = await it.next();
  if (first.done) return Readable.from([], { objectMode: false });
  if (HTML.test(first.value.subarray(0, 512).toString('utf8'))) {
    body.destroy();
    throw new Error(`the source answered with an HTML page, not a ${def.shape.kind} feed (a login page, a captive portal or a moved URL?)`);
  }
  async function* whole(): AsyncGenerator<Buffer> {
    yield first.value as Buffer;
    for (;;) {
      const next = await it.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return Readable.from(whole(), { objectMode: false });
}

/** Runs one source once: fetch → parse → normalize → upsert, then delisting for snapshots; recorded as a run. */
export async function runSource(src: ResolvedSource, deps: RunnerDeps, opts: { force?: boolean } = {}): Promise<RunReport> {
  const { def } = src;
  const { store } = deps;
  const clock = deps.clock ?? Date.now;
  const started = clock();
  const report = blankReport(def.id, 'running');
  await store.upsertSource(sourceRecordOf(def));
  const converter = new RecordConverter(def.defaults ?? {}, new SectorRules(deps.settings.sectorRules), started);
  if (!src.enabled) return { ...report, outcome: 'disabled', error: src.reason ?? 'disabled' };
  const lastOk = await store.lastRun(def.id, ['ok', 'not-modified']);
  if (!opts.force && lastOk && src.minIntervalMs > 0 && started - lastOk.startedAt < src.minIntervalMs) {
    const at = new Date(lastOk.startedAt + src.minIntervalMs).toISOString();
    return { ...report, outcome: 'too-soon', error: `the provider allows one download per ${def.minInterval}; next at ${at}` };
  }
  const runId = await store.startRun(def.id, started);
  report.runId = runId;
  if (src.reason?.startsWith('needs-key')) {
    await store.finishRun(runId, { ...counts(report), outcome: 'skipped', finishedAt: clock(), error: src.reason, etag: null, lastModified: null });
    return { ...report, outcome: 'skipped', error: src.reason, durationMs: clock() - started };
  }
  const since = Math.max(
    lastOk?.startedAt ?? started - FIRST_RUN_DAYS * DAY_MS,
    def.fetch.sinceMaxDays ? started - def.fetch.sinceMaxDays * DAY_MS : -Infinity,
  );
  const offset = def.shape.kind === 'json' ? def.shape.paging?.offset : undefined;
  // NVD: a long gap since the last success is walked in windows the API accepts, none ending after now.
  const windows = def.fetch.windowDays ? timeWindows(since, started, def.fetch.windowDays * DAY_MS) : [{ since, until: started }];
  const templates = (Array.isArray(def.fetch.url) ? def.fetch.url : [def.fetch.url]) as string[];
  const urls = windows
    .flatMap((w) => templates.map((u) => expandUrl(u, { now: started, since: w.since, until: w.until, apiKey: src.apiKey })))
    .map((u) => (offset ? withQuery(u, { [offset.param]: '0', [offset.sizeParam]: String(offset.size) }) : u));
  const headers: Record<string, string> = { ...def.fetch.headers };
  if (def.apiKey?.header && src.apiKey) headers[def.apiKey.header.toLowerCase()] = src.apiKey;
  if (def.shape.kind === 'taxii' && src.username) {
    headers.authorization = `Basic ${Buffer.from(`${src.username}:${src.apiKey ?? ''}`).toString('base64')}`;
  }
  // Conditional requests only where one answer is the whole list: a 304 for one part of several says nothing of the rest.
  const conditional = urls.length === 1 && ['line', 'delimited', 'json', 'ndjson', 'stix-bundle'].includes(def.shape.kind) && !(def.shape.kind === 'json' && def.shape.paging);
  const validators = conditional ? await store.lastRun(def.id, ['ok']) : undefined;
  let etag: string | null = null;
  let lastModified: string | null = null;
  let notModified = false;

  const transport = deps.transport ?? {};
  const get = async (url: string, extra: Record<string, string> = {}, withValidators = false): Promise<Readable | 'not-modified'> => {
    const target = deps.rewriteUrl ? deps.rewriteUrl(url) : url;
    if (target.startsWith('file:')) {
      // An air-gapped copy: the same cap applies, and a gzip copy is gunzipped as a download would be.
      const local = await openLocalFile(fileURLToPath(target), def.fetch.maxBytes ?? 256 * 1024 * 1024);
      report.bytes += local.size;
      return local.body;
    }
    const res = await fetchSource({
      url: target,
      headers: { ...headers, ...extra },
      userAgent: deps.settings.userAgent,
      timeoutMs: transport.timeoutMs ?? def.fetch.timeoutMs ?? 120_000,
      ...(transport.idleTimeoutMs !== undefined ? { idleTimeoutMs: transport.idleTimeoutMs } : {}),
      ...(def.fetch.maxBytes !== undefined ? { maxBytes: def.fetch.maxBytes } : {}),
      // The key never leaves the configured origin: not in a header (fetchSource drops them all), nor in a redirect's URL.
      ...(src.apiKey ? { secrets: [src.apiKey] } : {}),
      ...(transport.retries !== undefined ? { retries: transport.retries } : {}),
      ...(transport.backoffMs !== undefined ? { backoffMs: transport.backoffMs } : {}),
      ...(transport.maxRetryAfterMs !== undefined ? { maxRetryAfterMs: transport.maxRetryAfterMs } : {}),
      ...(withValidators && validators ? { etag: validators.etag, lastModified: validators.lastModified } : {}),
      ...(deps.fetchImpl ? { fetchImpl: deps.fetchImpl } : {}),
      ...(deps.sleep ? { sleep: deps.sleep } : {}),
    });
    if (res.status === 'not-modified') return 'not-modified';
    if (withValidators) {
      etag = res.etag;
      lastModified = res.lastModified;
    }
    res.body.on('data', (c: Buffer) => (report.bytes += c.length));
    return res.body;
  };
  const ctx: FetchContext = {
    get: async (url, extra) => {
      const body = await get(url, extra);
      if (body === 'not-modified') throw new Error(`unexpected 304 Not Modified for ${url}`);
      return body;
    },
    since,
    now: started,
    sleep: deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
  };

  async function* items(): AsyncGenerator<RecordItem> {
    const pause = def.shape.kind === 'json' ? (def.shape.paging?.delayMs ?? 0) : 0;
    for (const [i, url] of urls.entries()) {
      // A paged API's rate limit holds between its windows as between its pages.
      if (i > 0 && pause > 0) await ctx.sleep(pause);
      if (def.shape.kind === 'taxii') {
        yield* readTaxii(def.shape, url, ctx, {});
        continue;
      }
      const fetched = await get(def.shape.kind === 'misp' ? new URL('manifest.json', url).toString() : url, {}, conditional);
      if (fetched === 'not-modified') {
        notModified = true;
        return;
      }
      // The cap holds for what the member inflates to, as it does for a gzip body.
      let body = def.fetch.zipMember ? unzipMember(fetched, def.fetch.zipMember, def.fetch.maxBytes ?? 256 * 1024 * 1024) : fetched;
      body = await refuseHtml(body, def);
      switch (def.shape.kind) {
        case 'line':
          yield* readLines(body, def.shape);
          break;
        case 'delimited':
          yield* readDelimited(body, def.shape);
          break;
        case 'json':
          yield* readJson(body, def.shape, url, ctx);
          break;
        case 'ndjson':
          yield* readNdjson(body, def.shape);
          break;
        case 'misp':
          yield* readMisp(body, def.shape, url, ctx);
          break;
        case 'stix-bundle':
          yield* readStixBundle(body);
          break;
      }
    }
  }

  let accepted = 0;
  const held: AllowlistedValue[] = [];
  const holdBack = (type: Observation['type'], value: string, entry: AllowEntry | undefined) => {
    if (entry && held.length < SAMPLE_PROBLEMS) held.push({ type, value, entry: entryText(entry) });
  };
  const problem = (reason: string) => {
    report.rejected++;
    if (report.problems.length < SAMPLE_PROBLEMS) report.problems.push(reason);
  };
  async function* observations(): AsyncGenerator<ObservationChunk> {
    let chunk: Observation[] = [];
    let lines: number[] = [];
    for await (const item of items()) {
      const out = convertItem(item, converter, started);
      if (out.read) report.records++;
      if (out.skipped !== undefined) {
        report.skipped[out.skipped] = (report.skipped[out.skipped] ?? 0) + 1;
        continue;
      }
      for (const p of out.problems) problem(p.line ? `record ${p.line}: ${p.reason}` : p.reason);
      accepted += out.observations.length;
      for (const o of out.observations) {
        chunk.push(o);
        lines.push(out.line);
      }
      if (chunk.length >= CHUNK) {
        yield { observations: chunk, lines };
        chunk = [];
        lines = [];
      }
    }
    if (chunk.length) yield { observations: chunk, lines };
  }

  try {
    // Read at the start of each run: an entry added or removed meanwhile counts from the next one.
    const allowlist = await loadAllowList(store, started);
    const total = await writeObservations(store, def.id, observations(), {
      exclusions: new Exclusions(deps.settings.exclusions),
      allowlist,
      onAllowlisted: (e) => {
        report.allowlisted++;
        holdBack(e.type, e.value, e.entry);
        accepted--;
        if (report.exclusions.length < SAMPLE_PROBLEMS) report.exclusions.push(`record ${e.line}: ${e.reason}`);
      },
      onExcluded: (e) => {
        report.excluded++;
        accepted--;
        if (report.exclusions.length < SAMPLE_PROBLEMS) report.exclusions.push(`record ${e.line}: ${e.reason}`);
      },
      batchSize: deps.settings.batchSize,
      run: runId,
      enrichOnly: def.enrichOnly ?? false,
      clock,
      onCommit: (t) => deps.onProgress?.(def.id, t),
    });
    Object.assign(report, { inserted: total.inserted, updated: total.updated, unchanged: total.unchanged });
    let outcome: SourceRun['outcome'] = 'ok';
    if (notModified) {
      outcome = 'not-modified';
      if (def.mode === 'snap') {
        // The list is what it was: everything on it is seen again now.
        // Not what the allow-list holds back: relisting is a write like any other.
        const skip = (type: Observation['type'], value: string) => {
          const entry = allowlist.match(type, value);
          if (!entry) return false;
          holdBack(type, value, entry);
          report.allowlisted++;
          return true;
        };
        const again = await store.relistSource(def.id, runId, clock(), { skip });
        report.updated += again.updated;
        report.unchanged += again.unchanged;
      }
      etag = validators?.etag ?? null;
      lastModified = validators?.lastModified ?? null;
    } else if (def.mode === 'snap' && !def.enrichOnly) {
      // Delisting trusts a snapshot only when it looks like one: a feed that turned into garbage delists nothing.
      // Records skipped as expired were read fine (Feodo's long-offline C2s): the list is a list, however stale.
      if (accepted + report.excluded + report.allowlisted + (report.skipped.expired ?? 0) === 0) throw new Error('the snapshot held no usable record: nothing delisted (is the URL still serving the list?)');
      if (report.rejected > accepted) throw new Error(`${report.rejected} of ${report.records} records were unreadable: nothing delisted`);
      report.delisted = await store.endUnseenSightings(def.id, runId, clock());
    }
    report.outcome = outcome;
    await store.finishRun(runId, { ...counts(report), outcome, finishedAt: clock(), error: null, etag, lastModified });
  } catch (err) {
    report.outcome = 'failed';
    report.error = err instanceof FetchError ? `${err.kind}: ${err.message}` : (err as Error).message;
    report.failure = err instanceof FetchError ? err.kind : null;
    await store.finishRun(runId, { ...counts(report), outcome: 'failed', finishedAt: clock(), error: report.error.slice(0, 1000), etag: null, lastModified: null });
  }
  report.durationMs = clock() - started;
  // The observer queues notifications (one insert per webhook): it never delays the run's record nor fails it.
  await deps.observer?.afterRun(src, report, { startedAt: started, allowlisted: held }).catch(() => undefined);
  return report;
}

function counts(r: RunReport): RunCounts {
  return {
    records: r.records, inserted: r.inserted, updated: r.updated, unchanged: r.unchanged, delisted: r.delisted, rejected: r.rejected,
    excluded: r.excluded, allowlisted: r.allowlisted, bytes: r.bytes,
  };
}

/** Failures that say "this host could not be reached" rather than "this source is broken". */
const NETWORK_FAILURES: ReadonlySet<FetchFailure> = new Set(['network', 'timeout']);
/** Outcomes of sources that were not attempted: they say nothing of the network. */
const NOT_ATTEMPTED: ReadonlySet<RunReport['outcome']> = new Set(['disabled', 'too-soon', 'skipped']);

const failedOnNetwork = (r: RunReport) => r.outcome === 'failed' && r.failure !== null && NETWORK_FAILURES.has(r.failure);

/**
 * One line for a run in which every source that was attempted (two or more) failed on the network (unresolved names,
 * refused or unreachable hosts, timeouts): the machine is offline, not N sources broken. Undefined otherwise.
 */
export function networkDown(reports: readonly RunReport[]): string | undefined {
  const attempted = reports.filter((r) => !NOT_ATTEMPTED.has(r.outcome));
  if (attempted.length < 2 || !attempted.every(failedOnNetwork)) return undefined;
  return `no source could be reached: the network looks down (${attempted.length} sources, first error: ${attempted[0]!.error})`;
}

/**
 * Runs sources one after the other (their writes would queue on the one writer anyway); a failure stays with its
 * source. With `onNetworkDown`, failures on the network are held back while no source has got through: if every
 * source fails so, the run is reported as that one line (see networkDown) instead of one report per source.
 */
export async function runSources(
  sources: readonly ResolvedSource[],
  deps: RunnerDeps,
  opts: { force?: boolean; onReport?: (r: RunReport) => void; onNetworkDown?: (line: string, reports: readonly RunReport[]) => void } = {},
): Promise<RunReport[]> {
  const reports: RunReport[] = [];
  let held: RunReport[] = [];
  let holding = opts.onNetworkDown !== undefined;
  for (const src of sources) {
    let r: RunReport;
    try {
      r = await runSource(src, deps, opts);
    } catch (err) {
      // Only the store failing gets here (the run itself records its failures).
      r = blankReport(src.def.id, 'failed', (err as Error).message);
    }
    reports.push(r);
    if (holding && (failedOnNetwork(r) || NOT_ATTEMPTED.has(r.outcome))) {
      held.push(r);
      continue;
    }
    if (holding) {
      // A source got through (or failed otherwise): the network is up, what was held is reported as usual.
      holding = false;
      for (const h of held) opts.onReport?.(h);
      held = [];
    }
    opts.onReport?.(r);
  }
  const down = networkDown(reports);
  if (holding && down !== undefined) {
    // Sources not attempted (disabled, needing a key…) are still reported; the network failures are the one line.
    for (const h of held) if (NOT_ATTEMPTED.has(h.outcome)) opts.onReport?.(h);
    opts.onNetworkDown!(down, reports);
  } else for (const h of held) opts.onReport?.(h);
  return reports;
}
