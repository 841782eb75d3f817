/** GET /api/v1/sources answers (src/http/routes/source-routes.ts schemas). */
export type RunOutcome = 'queued' | 'running' | 'ok' | 'not-modified' | 'failed' | 'skipped';

export interface RunCounts {
  started_at: string;
  finished_at: string | null;
  outcome: RunOutcome;
  records?: number;
  new?: number;
  updated?: number;
  unchanged?: number;
  delisted?: number;
  rejected?: number;
  excluded?: number;
  allowlisted?: number;
  bytes?: number;
  duration_ms?: number | null;
  error?: string | null;
}

export interface Run extends RunCounts {
  id: number;
  source: string;
  status: RunOutcome;
}

export interface Source {
  id: string;
  name: string;
  homepage?: string;
  license?: string;
  redistributable?: boolean;
  enabled: boolean;
  status_reason?: string | null;
  mode?: 'snap' | 'inc';
  schedule: string;
  reliability?: number;
  aggregate_of?: string[];
  custom?: boolean;
  api_key_set?: boolean;
  api_key_from?: 'env' | 'api' | 'config' | null;
  set_by_api?: Array<'enabled' | 'schedule' | 'api_key'>;
  health?: { last_success_at: string | null; last_success_age_seconds: number | null; consecutive_failures: number; stale: boolean };
  last_run?: RunCounts | null;
}

/** Still going: the run page is asked again. */
export const isActive = (o: RunOutcome | undefined): boolean => o === 'queued' || o === 'running';
