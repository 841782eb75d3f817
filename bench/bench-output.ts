/**
 * What a bench script hands to bench/suite.ts: with --json, its LAST stdout line is `BENCH_JSON {…}`, the figures as
 * numbers (figures that could not be measured are left out).
 */
export const BENCH_JSON_PREFIX = 'BENCH_JSON ';

export type Figures = Record<string, number>;

/** Prints the figures line when `enabled`; non-finite values are dropped. */
export function emitBenchJson(enabled: boolean | undefined, figures: Record<string, number | undefined>): void {
  if (!enabled) return;
  const clean: Figures = {};
  for (const [k, v] of Object.entries(figures)) if (typeof v === 'number' && Number.isFinite(v)) clean[k] = v;
  process.stdout.write(`${BENCH_JSON_PREFIX}${JSON.stringify(clean)}\n`);
}

/** The figures of the last `BENCH_JSON` line of some output, if any. */
export function parseBenchJson(output: string): Figures | undefined {
  const lines = output.split('\n').filter((l) => l.startsWith(BENCH_JSON_PREFIX));
  const last = lines[lines.length - 1];
  return last === undefined ? undefined : (JSON.parse(last.slice(BENCH_JSON_PREFIX.length)) as Figures);
}

/** The process's peak resident set size so far, bytes. */
export function peakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

export const MiB = 1024 * 1024;
export const mb = (b: number): string => `${(b / MiB).toFixed(0)} MB`;
export const round = (x: number, digits = 0): number => Number(x.toFixed(digits));

/** The q-quantile (0..1) of ascending-sorted values (nearest rank). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;
}

export function median(xs: number[]): number {
  return quantile(xs.slice().sort((a, b) => a - b), 0.5);
}
