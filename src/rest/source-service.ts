import type { ResolvedSource } from '../connectors/catalog/source-config.js';
import { apiKeyProblem, scheduleProblem, SourceRegistry } from '../connectors/catalog/source-overrides.js';
import { AppError, InvalidParameterError, NotFoundError } from '../errors/app-error.js';
import type { SourceRunStore, SourceSettingsStore } from '../store/store.js';
import type { SourceHealthRow, SourceRun, SourceSetting, SourceSettingPatch } from '../store/types.js';
import { isoMs } from '../domain/iso-time.js';

/** How a source stands: its last success, the failures since, and whether its data is stale. */
export interface HealthView {
  /** When the last successful run (ok or not-modified) finished; null: none yet. */
  last_success_at: string | null;
  /** Seconds since then; null: none yet. */
  last_success_age_seconds: number | null;
  /** Failed runs since the last success (all of them when none); counted up to 1000. */
  consecutive_failures: number;
  /** A source that runs and has no success within twice its schedule (or none at all yet). */
  stale: boolean;
}

/** A source as `GET /api/v1/sources` and `socd sources` show it. No key material ever: whether one is set, and where. */
export interface SourceView {
  id: string;
  name: string;
  homepage: string;
  license: string;
  redistributable: boolean;
  enabled: boolean;
  /** Why it does not run (licence, missing key, disabled in the configuration or by an administrator), else null. */
  status_reason: string | null;
  mode: 'snap' | 'inc';
  schedule: string;
  reliability: number;
  aggregate_of: string[];
  custom: boolean;
  /** Whether the source has a key, and where it comes from (env > api > config). */
  api_key_set: boolean;
  api_key_from: 'env' | 'api' | 'config' | null;
  /** The fields an administrator set over the API or the CLI, over the configuration file. */
  set_by_api: Array<'enabled' | 'schedule' | 'api_key'>;
  health: HealthView;
  last_run: RunView | null;
}

export interface RunView {
  started_at: string;
  finished_at: string | null;
  outcome: SourceRun['outcome'];
  records: number;
  new: number;
  updated: number;
  unchanged: number;
  delisted: number;
  rejected: number;
  /** Values the exclusion rules refused (read fine, kept out by policy). */
  excluded: number;
  /** Values the allow-list held back. */
  allowlisted: number;
  bytes: number;
  duration_ms: number | null;
  error: string | null;
}

/** A run as the run routes show it: its id and source, and `status` (the outcome: queued, running, then how it ended). */
export interface RunDetailView extends RunView {
  id: number;
  source: string;
  status: SourceRun['outcome'];
}

export function runView(r: SourceRun): RunView {
  return {
    started_at: isoMs(r.startedAt),
    finished_at: r.finishedAt === null ? null : isoMs(r.finishedAt),
    outcome: r.outcome,
    records: r.records,
    new: r.inserted,
    updated: r.updated,
    unchanged: r.unchanged,
    delisted: r.delisted,
    rejected: r.rejected,
    excluded: r.excluded,
    allowlisted: r.allowlisted,
    bytes: r.bytes,
    duration_ms: r.finishedAt === null || r.outcome === 'queued' ? null : r.finishedAt - r.startedAt,
    error: r.error,
  };
}

export const runDetailView = (r: SourceRun): RunDetailView => ({ id: r.id, source: r.sourceId, status: r.outcome, ...runView(r) });

export type SourceServiceStore = SourceRunStore & SourceSettingsStore;

const PATCH_FIELDS = ['enabled', 'schedule', 'api_key'] as const;
export const RUN_LIST_PARAMS = ['limit', 'cursor'] as const;

/** What a change did, for the audit trail: the new values, and for the key only `set` or `cleared`. */
export type SourceChanges = Partial<Record<'enabled' | 'schedule', unknown> & { api_key: 'set' | 'cleared' }>;

/**
 * The catalog and custom sources with their configuration, the settings administrators made over the API, health
 * and runs; changes to settings, and run now. No key material ever leaves here (views say `api_key_set` and where
 * the key comes from). Shared by the REST routes and `socd sources`.
 */
export class SourceService {
  private readonly registry: SourceRegistry;

  constructor(
    private readonly store: SourceServiceStore,
    sources: SourceRegistry | readonly ResolvedSource[],
    private readonly limits: { defaultLimit: number; maxLimit: number } = { defaultLimit: 100, maxLimit: 1000 },
    private readonly clock: () => number = Date.now,
  ) {
    this.registry = sources instanceof SourceRegistry ? sources : new SourceRegistry(sources, store);
  }

  async list(): Promise<{ data: SourceView[] }> {
    // Three queries whatever the number of sources: settings, the latest run of each, the health of each.
    const [sources, settings, runs, health] = await Promise.all([
      this.registry.all(), this.store.listSourceSettings(), this.store.latestRuns(), this.store.sourceHealth(),
    ]);
    const settingOf = new Map(settings.map((s) => [s.sourceId, s]));
    const runOf = new Map(runs.map((r) => [r.sourceId, r]));
    const healthOf = new Map(health.map((h) => [h.sourceId, h]));
    const now = this.clock();
    return { data: sources.map((s) => this.view(s, settingOf.get(s.def.id), runOf.get(s.def.id), healthOf.get(s.def.id), now)) };
  }

  async get(id: string): Promise<SourceView> {
    const found = await this.find(id);
    const [latest] = (await this.store.listRuns(id, { limit: 1 })).items;
    const health = (await this.store.sourceHealth()).find((h) => h.sourceId === id);
    return this.view(found.source, found.setting, latest, health, this.clock());
  }

  /**
   * PATCH: `enabled` (true/false; null: back to the configuration), `schedule` (a duration ≥ 1m; null: back), `api_key`
   * (1–1024 printable characters; null clears the API's key). Checked like the configuration file. The source as it
   * is now, and the changes for the audit trail (the key as `set` or `cleared`, never its value).
   */
  async update(id: string, body: unknown, by: string | null): Promise<{ source: SourceView; changes: SourceChanges }> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidParameterError('body', 'must be a JSON object', [...PATCH_FIELDS]);
    const input = body as Record<string, unknown>;
    for (const k of Object.keys(input)) {
      if (!(PATCH_FIELDS as readonly string[]).includes(k)) throw new InvalidParameterError(k.slice(0, 50), 'unknown field', [...PATCH_FIELDS]);
    }
    if (Object.keys(input).length === 0) throw new InvalidParameterError('body', 'nothing to change', [...PATCH_FIELDS]);
    const patch: SourceSettingPatch = {};
    const changes: SourceChanges = {};
    if ('enabled' in input) {
      if (input.enabled !== null && typeof input.enabled !== 'boolean') throw new InvalidParameterError('enabled', 'must be true, false or null (back to the configuration)');
      patch.enabled = input.enabled;
      changes.enabled = input.enabled;
    }
    if ('schedule' in input) {
      const why = input.schedule === null ? undefined : scheduleProblem(input.schedule);
      if (why) throw new InvalidParameterError('schedule', `${why}, or null (back to the configuration)`);
      patch.schedule = input.schedule as string | null;
      changes.schedule = input.schedule;
    }
    if ('api_key' in input) {
      // The message never repeats the value: it may be a real key with a typo.
      const why = input.api_key === null ? undefined : apiKeyProblem(input.api_key);
      if (why) throw new InvalidParameterError('api_key', `${why}, or null (clears the key set over the API)`);
      patch.apiKey = input.api_key as string | null;
      changes.api_key = input.api_key === null ? 'cleared' : 'set';
    }
    await this.find(id);
    await this.store.updateSourceSetting(id, patch, this.clock(), by);
    return { source: await this.get(id), changes };
  }

  /**
   * Run now: a queued run the process holding the ingestion lease starts within seconds (scheduler.ts). 404: no such
   * source; 409: it does not run (disabled, a key missing, too soon for its provider), or a run of it is queued or
   * running already (the problem names that run: `run_id`).
   */
  async requestRun(id: string): Promise<RunDetailView> {
    const { source } = await this.find(id);
    if (!source.enabled || source.reason) {
      throw new AppError(409, 'source_not_runnable', `${id} does not run: ${source.reason ?? 'disabled'}`, { reason: source.reason ?? 'disabled' });
    }
    const now = this.clock();
    if (source.minIntervalMs > 0) {
      const lastOk = await this.store.lastRun(id, ['ok', 'not-modified']);
      if (lastOk && now - lastOk.startedAt < source.minIntervalMs) {
        const reason = `the provider allows one download per ${source.def.minInterval}; next at ${isoMs(lastOk.startedAt + source.minIntervalMs)}`;
        throw new AppError(409, 'source_not_runnable', `${id} cannot run now: ${reason}`, { reason });
      }
    }
    const { run, created } = await this.store.requestRun(id, now);
    if (!created) {
      throw new AppError(409, 'run_in_progress', `a run of ${id} is ${run.outcome} already (run ${run.id}): follow it at /api/v1/sources/${id}/runs/${run.id}`, { run_id: run.id });
    }
    return runDetailView(run);
  }

  async getRun(id: string, runId: string): Promise<RunDetailView> {
    await this.find(id);
    const n = /^[1-9]\d{0,15}$/.test(runId) ? Number(runId) : undefined;
    const run = n === undefined ? undefined : await this.store.getRun(n);
    if (!run || run.sourceId !== id) throw new NotFoundError(`${id} has no run ${runId.slice(0, 20)}`);
    return runDetailView(run);
  }

  /** A source's runs, newest first, with their errors; keyset pages (`cursor`: the previous page's next_cursor). */
  async listRuns(id: string, query: Record<string, unknown>): Promise<{ data: RunDetailView[]; pagination: { limit: number; next_cursor: string | null; has_more: boolean } }> {
    for (const k of Object.keys(query)) {
      if (!(RUN_LIST_PARAMS as readonly string[]).includes(k)) throw new InvalidParameterError(k.slice(0, 50), 'unknown parameter', [...RUN_LIST_PARAMS]);
    }
    const limitText = query.limit;
    let limit = this.limits.defaultLimit;
    if (limitText !== undefined) {
      if (typeof limitText !== 'string' || !/^\d{1,7}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > this.limits.maxLimit) {
        throw new InvalidParameterError('limit', `an integer 1–${this.limits.maxLimit}`);
      }
      limit = Number(limitText);
    }
    let before: number | undefined;
    if (query.cursor !== undefined) {
      if (typeof query.cursor !== 'string' || !/^[1-9]\d{0,15}$/.test(query.cursor)) throw new InvalidParameterError('cursor', 'not a cursor of this list (pagination.next_cursor)');
      before = Number(query.cursor);
    }
    await this.find(id);
    const page = await this.store.listRuns(id, { ...(before !== undefined ? { before } : {}), limit });
    return {
      data: page.items.map(runDetailView),
      pagination: { limit, next_cursor: page.next === null ? null : String(page.next), has_more: page.next !== null },
    };
  }

  private async find(id: string): Promise<{ source: ResolvedSource; setting: SourceSetting | undefined }> {
    const found = this.registry.has(id) ? await this.registry.get(id) : undefined;
    if (!found) throw new NotFoundError(`no source has the id ${JSON.stringify(id.slice(0, 64))} (GET /api/v1/sources lists them)`);
    return found;
  }

  private view(s: ResolvedSource, setting: SourceSetting | undefined, run: SourceRun | undefined, h: SourceHealthRow | undefined, now: number): SourceView {
    const { def } = s;
    const lastOk = h?.lastSuccessFinishedAt ?? null;
    const runs = s.enabled && !s.reason;
    return {
      id: def.id,
      name: def.name,
      homepage: def.homepage,
      license: def.license,
      redistributable: def.redistributable,
      enabled: s.enabled,
      status_reason: s.reason ?? null,
      mode: def.mode,
      schedule: def.schedule,
      reliability: def.reliability,
      aggregate_of: [...(def.aggregateOf ?? [])],
      custom: s.custom,
      api_key_set: s.apiKey !== undefined && s.apiKey !== '',
      api_key_from: s.apiKey ? (s.keyFrom ?? 'config') : null,
      set_by_api: setting ? PATCH_FIELDS.filter((f) => (f === 'api_key' ? setting.apiKey : setting[f]) !== null) : [],
      health: {
        last_success_at: lastOk === null ? null : isoMs(lastOk),
        last_success_age_seconds: lastOk === null ? null : Math.max(0, Math.floor((now - lastOk) / 1000)),
        consecutive_failures: h?.consecutiveFailures ?? 0,
        stale: runs && (lastOk === null || now - lastOk > 2 * s.scheduleMs),
      },
      last_run: run ? runView(run) : null,
    };
  }
}
