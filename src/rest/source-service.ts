import type { ResolvedSource } from '../connectors/catalog/source-config.js';
import type { SourceRunStore } from '../store/store.js';
import type { SourceRun } from '../store/types.js';
import { isoMs } from '../domain/iso-time.js';

/** A source as `GET /api/v1/sources` and `socd sources` show it. */
export interface SourceView {
  id: string;
  name: string;
  homepage: string;
  license: string;
  redistributable: boolean;
  enabled: boolean;
  /** Why it does not run (licence, missing key, disabled in the configuration), else null. */
  status_reason: string | null;
  mode: 'snap' | 'inc';
  schedule: string;
  reliability: number;
  aggregate_of: string[];
  custom: boolean;
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
  /** Values the allow-list held back. */
  allowlisted: number;
  bytes: number;
  duration_ms: number | null;
  error: string | null;
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
    allowlisted: r.allowlisted,
    bytes: r.bytes,
    duration_ms: r.finishedAt === null ? null : r.finishedAt - r.startedAt,
    error: r.error,
  };
}

/** The catalog and custom sources with their configuration and last run. No key material ever leaves here. */
export class SourceService {
  constructor(
    private readonly store: SourceRunStore,
    private readonly sources: readonly ResolvedSource[],
  ) {}

  async list(): Promise<{ data: SourceView[] }> {
    const runs = new Map((await this.store.latestRuns()).map((r) => [r.sourceId, r]));
    return {
      data: this.sources.map(({ def, enabled, reason, custom }) => {
        const run = runs.get(def.id);
        return {
          id: def.id,
          name: def.name,
          homepage: def.homepage,
          license: def.license,
          redistributable: def.redistributable,
          enabled,
          status_reason: reason ?? null,
          mode: def.mode,
          schedule: def.schedule,
          reliability: def.reliability,
          aggregate_of: [...(def.aggregateOf ?? [])],
          custom,
          last_run: run ? runView(run) : null,
        };
      }),
    };
  }
}
