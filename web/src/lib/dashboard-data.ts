/**
 * The Dashboard's figures from GET /api/v1/stats and GET /api/v1/sources, shaped for the chart, its table and the
 * source-health list. Pure: no DOM; unit-tested in test/web/dashboard-data.test.ts.
 */
export interface AddedPerDay {
  day: string;
  source: string;
  new: number;
}

export interface DaySeries {
  /** Every day of the window, oldest first, `YYYY-MM-DD` (UTC). */
  days: string[];
  /** The sources with anything added in the window, sorted by id. */
  sources: string[];
  /** counts[s][d]: IOCs added by sources[s] on days[d] (0 when none). */
  counts: number[][];
  /** Per day, all sources. */
  totals: number[];
}

const DAY_MS = 86_400_000;

/** `YYYY-MM-DD` of a time (UTC). */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * The per-day, per-source grid of the last `days` days ending with `today` (UTC), filled with zeros where a source
 * added nothing. Rows outside the window are left out.
 */
export function perDaySeries(rows: readonly AddedPerDay[], today: string, days = 30): DaySeries {
  const end = Date.parse(`${today}T00:00:00Z`);
  const dayList = Array.from({ length: days }, (_, i) => utcDay(end - (days - 1 - i) * DAY_MS));
  const index = new Map(dayList.map((d, i) => [d, i]));
  const inWindow = rows.filter((r) => index.has(r.day));
  const sources = [...new Set(inWindow.map((r) => r.source))].sort();
  const sIndex = new Map(sources.map((s, i) => [s, i]));
  const counts = sources.map(() => dayList.map(() => 0));
  for (const r of inWindow) counts[sIndex.get(r.source)!]![index.get(r.day)!]! += r.new;
  const totals = dayList.map((_, d) => counts.reduce((sum, row) => sum + row[d]!, 0));
  return { days: dayList, sources, counts, totals };
}

/** The parts of a GET /api/v1/sources item the health list reads. */
export interface SourceHealthInput {
  enabled: boolean;
  health: { last_success_at: string | null; last_success_age_seconds: number | null; consecutive_failures: number; stale: boolean };
  last_run: { outcome: string } | null;
}

export type HealthState = 'disabled' | 'failing' | 'stale' | 'never run' | 'running' | 'ok';

/**
 * One word for a source's health, shown as text (not colour alone): disabled; failing (its last runs failed);
 * never run; stale (no success for longer than its schedule allows); running (first run under way); ok.
 */
export function healthState(s: SourceHealthInput): HealthState {
  if (!s.enabled) return 'disabled';
  if (s.health.consecutive_failures > 0 || s.last_run?.outcome === 'failed') return 'failing';
  if (!s.last_run) return 'never run';
  if (s.health.stale) return s.health.last_success_at === null && (s.last_run.outcome === 'running' || s.last_run.outcome === 'queued') ? 'running' : 'stale';
  return 'ok';
}

/** Health states that need an analyst's attention, listed first. */
export const ATTENTION: ReadonlySet<HealthState> = new Set(['failing', 'stale']);

/** An age in seconds as `5 min`, `3 h`, `2 d` (null: never). */
export function fmtSeconds(seconds: number | null): string {
  if (seconds === null) return 'never';
  const m = Math.round(seconds / 60);
  if (m < 60) return `${m} min`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h} h`;
  return `${Math.round(h / 24)} d`;
}
