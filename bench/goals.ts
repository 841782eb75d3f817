/**
 * The speed goals of issue 18, judged on the figures of one run of bench/suite.ts, and the comparison of every row with
 * a recorded baseline (bench/baseline.json). Pure functions of the figures: the suite prints what they return.
 *
 * A goal is one ratio and a bound on it: ≥ (a rate over another rate, or over a target rate) or ≤ (a latency or a
 * memory over its bound, PostgreSQL's latency over SQLite's). PASS or FAIL; `—` when a figure is missing (a bench
 * failed or was skipped). The targets are stated for 1,000,000 IOCs; at other sizes the table is indicative.
 */
import { readFileSync } from 'node:fs';
import type { Backend } from './bench-database.js';
import type { Figures } from './bench-output.js';

export type BenchResult = { figures?: Figures; seconds: number; error?: string };
export type Results = Record<Backend, Record<string, BenchResult>>;

/** A row of the suite's table: which figure, and which way is better. */
export interface Row {
  label: string;
  bench: string;
  key: string;
  digits: number;
  better: 'higher' | 'lower';
  /**
   * A bare baseline (the floor of this machine for the same bytes, no application code): not our server, so left out of
   * the PostgreSQL-within-2× goal and of the regression check.
   */
  floor?: boolean;
}

export interface GoalLine {
  goal: string;
  backend: string;
  measured: string;
  ratio: string;
  target: string;
  result: 'PASS' | 'FAIL' | '—';
}

/** The bounds of issue 18. */
export const TARGETS = {
  restP99Ms: 25,
  bareRatio: 0.5,
  writeIocsPerS: 50_000,
  writePeakRssMb: 400,
  pgThroughput: 0.5,
  pgLatency: 2,
  /** Goal 6: a row regresses when it is worse than its baseline by more than this share (run-to-run noise). */
  regression: 0.15,
  /** Goal 6, npm run bench:stall: p99 of /healthz and of the REST page under every load (README "Heavy requests…"). */
  stallP99Ms: 50,
} as const;

const NAMES: Record<Backend, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL' };
const n0 = (x: number) => Math.round(x).toLocaleString('en');
const n1 = (x: number) => x.toLocaleString('en', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const n2 = (x: number) => x.toFixed(2);

function judge(value: number | undefined, op: '≥' | '≤', bound: number): GoalLine['result'] {
  if (value === undefined || !Number.isFinite(value)) return '—';
  return (op === '≥' ? value >= bound : value <= bound) ? 'PASS' : 'FAIL';
}

function figure(results: Results, backend: Backend, bench: string, key: string): number | undefined {
  const r = results[backend][bench];
  return r && !r.error ? r.figures?.[key] : undefined;
}

/** Goals 1–5 for the backends that ran. */
export function speedGoals(results: Results, backends: Backend[], rows: Row[]): { lines: GoalLine[]; notes: string[] } {
  const lines: GoalLine[] = [];
  const notes: string[] = [];
  const line = (goal: string, backend: string, measured: string, ratio: number | undefined, op: '≥' | '≤', bound: number, target: string) =>
    lines.push({ goal, backend, measured, ratio: ratio === undefined || !Number.isFinite(ratio) ? '—' : n2(ratio), target: `${op} ${target}`, result: judge(ratio, op, bound) });
  const f = (b: Backend, bench: string, key: string) => figure(results, b, bench, key);
  const div = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || b === 0 ? undefined : a / b);
  const both = (a: number | undefined, b: number | undefined, fmt: (x: number) => string, unit: string) =>
    a === undefined || b === undefined ? '—' : `${fmt(a)} vs ${fmt(b)} ${unit}`;

  for (const b of backends) {
    const name = NAMES[b];
    const rest = f(b, 'rest', 'req_per_s');
    const taxii = f(b, 'taxii', 'clients_req_per_s');
    line('1. REST req/s over TAXII req/s (32 clients, limit=100)', name, both(rest, taxii, n0, 'req/s'), div(rest, taxii), '≥', 1, '1.00');
    const p99 = f(b, 'rest', 'p99_ms');
    line('1. REST p99 over 25 ms (32 clients)', name, p99 === undefined ? '—' : `${n1(p99)} ms`, div(p99, TARGETS.restP99Ms), '≤', 1, '1.00');
  }
  for (const b of backends) {
    const ours = f(b, 'small', 'ms_per_page');
    const bare = f(b, 'small', 'bare_ms_per_page');
    line('2. small walk (2,000 objects, limit=100): ours over bare, pages/s', NAMES[b], both(ours, bare, (x) => x.toFixed(2), 'ms/page'), f(b, 'small', 'bare_ratio'), '≥', TARGETS.bareRatio, n2(TARGETS.bareRatio));
  }
  for (const b of backends) {
    for (const [bench, label, key] of [['taxii', 'TAXII', 'clients_req_per_s'], ['rest', 'REST', 'req_per_s']] as const) {
      const ours = f(b, bench, key);
      const bare = f(b, bench, 'bare_req_per_s');
      line(`3. ${label} 32 clients: ours over bare, req/s`, NAMES[b], both(ours, bare, n0, 'req/s'), f(b, bench, 'bare_ratio'), '≥', TARGETS.bareRatio, n2(TARGETS.bareRatio));
    }
  }
  for (const [bench, label, rateKey, rssKey] of [['import', 'import', 'import_iocs_per_s', 'import_peak_rss_mb'], ['ingest', 'ingest IPv4 list', 'iocs_per_s', 'peak_rss_mb']] as const) {
    const rate = f('sqlite', bench, rateKey);
    line(`4. ${label}: IOCs/s over 50,000`, 'SQLite', rate === undefined ? '—' : `${n0(rate)} IOCs/s`, div(rate, TARGETS.writeIocsPerS), '≥', 1, '1.00');
    for (const b of backends) {
      const rss = f(b, bench, rssKey);
      line(`4. ${label}: peak RSS over 400 MB`, NAMES[b], rss === undefined ? '—' : `${n0(rss)} MB`, div(rss, TARGETS.writePeakRssMb), '≤', 1, '1.00');
    }
    if (backends.includes('postgres')) {
      const pgRate = f('postgres', bench, rateKey);
      line(`4. ${label}: PostgreSQL over SQLite, IOCs/s`, 'both', both(pgRate, rate, n0, 'IOCs/s'), div(pgRate, rate), '≥', TARGETS.pgThroughput, n2(TARGETS.pgThroughput));
    }
  }
  if (backends.includes('postgres')) {
    // Goal 5: every row but the bare floors; a rate within 2× is PG/SQLite ≥ 0.5, a latency or a size PG/SQLite ≤ 2.
    const judged = rows.filter((r) => !r.floor).map((r) => {
      const ratio = div(f('postgres', r.bench, r.key), f('sqlite', r.bench, r.key));
      // How far inside its bound (≥ 1: within 2×), so that rows of both kinds can be ranked.
      const margin = ratio === undefined ? undefined : r.better === 'higher' ? ratio / TARGETS.pgThroughput : TARGETS.pgLatency / ratio;
      return { row: r, ratio, margin };
    });
    const measured = judged.filter((j) => j.margin !== undefined);
    const failing = measured.filter((j) => j.margin! < 1);
    const worst = measured.sort((a, b) => a.margin! - b.margin!)[0];
    const bound = (r: Row) => (r.better === 'higher' ? `≥ ${n2(TARGETS.pgThroughput)}` : `≤ ${n2(TARGETS.pgLatency)}`);
    lines.push({
      goal: `5. PostgreSQL within 2× of SQLite on every row (${failing.length ? `${failing.length} of ` : 'all '}${measured.length} rows${failing.length ? ' outside' : ' within'})`,
      backend: 'both',
      measured: worst ? `worst: ${worst.row.label}` : '—',
      ratio: worst ? n2(worst.ratio!) : '—',
      target: worst ? bound(worst.row) : '≥ 0.50 / ≤ 2.00',
      result: worst ? (failing.length ? 'FAIL' : 'PASS') : '—',
    });
    if (failing.length) notes.push(`Goal 5, rows outside 2×: ${failing.map((j) => `${j.row.label} ${n2(j.ratio!)} (${bound(j.row)})`).join('; ')}.`);
    const missing = judged.length - measured.length;
    if (missing) notes.push(`Goal 5: ${missing} rows without both figures were not judged.`);
  }
  return { lines, notes };
}

// --- goal 6: the baseline ---------------------------------------------------------------------------------------------

/** bench/baseline.json: per size (IOCs), per backend, figures by `bench.key`. */
export interface Baseline {
  tolerance?: number;
  sizes: Record<string, { source: string } & Partial<Record<Backend, Record<string, number>>>>;
}

/**
 * What one run of the suite measured, as it saves it (--save) and prints it again (--from): the figures of every
 * benchmark and what the table says of the machine and the run.
 */
export interface SavedRun {
  kind: 'socd-bench-run';
  /** When the run started (ISO). */
  started: string;
  count: number;
  seed: string;
  quick: boolean;
  /** The machine and versions line under the title, and the PostgreSQL line. */
  machine: string;
  postgresNote: string;
  backends: Backend[];
  results: Results;
  stall: BenchResult | undefined;
  readDbs: string[];
  seconds: number;
  /** What code ran (git describe, or what the run was told); empty when unknown. */
  code: string;
}

/** The figures of a saved run as a baseline of its size (goal 6 against a run of other code on the same machine). */
export function baselineOfRun(run: SavedRun): Baseline {
  const of = (b: Backend) => Object.fromEntries(Object.entries(run.results[b]).flatMap(([bench, r]) =>
    Object.entries(r.figures ?? {}).map(([key, v]) => [`${bench}.${key}`, v] as const)));
  return {
    sizes: {
      [String(run.count)]: {
        source: `a saved run of the suite (${run.code || 'code not recorded'}, ${run.started}; ${run.machine})`,
        ...Object.fromEntries(run.backends.map((b) => [b, of(b)])),
      },
    },
  };
}

/** A baseline file (bench/baseline.json), or a run saved by the suite (its figures, at its size). */
export function readBaseline(path: string): Baseline | undefined {
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as Baseline | SavedRun;
    return 'kind' in value && value.kind === 'socd-bench-run' ? baselineOfRun(value) : (value as Baseline);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Goal 6, rows: each row with a baseline figure of the same size is worse than it by at most the tolerance. */
export function regressionGoals(results: Results, backends: Backend[], rows: Row[], baseline: Baseline | undefined, count: number): { lines: GoalLine[]; notes: string[] } {
  const tolerance = baseline?.tolerance ?? TARGETS.regression;
  const size = baseline?.sizes[String(count)];
  const lines: GoalLine[] = [];
  const notes: string[] = [];
  const target = `≥ ${n2(1 - tolerance)}`;
  for (const b of backends) {
    const base = size?.[b];
    if (!base) {
      lines.push({ goal: '6. no regression against the baseline (rows)', backend: NAMES[b], measured: `no baseline at ${count.toLocaleString('en')} IOCs`, ratio: '—', target, result: '—' });
      continue;
    }
    // Each row's figure against its baseline, the way it is better: now/base for a rate, base/now for a latency.
    const judged = rows.filter((r) => !r.floor && base[`${r.bench}.${r.key}`] !== undefined).flatMap((r) => {
      const now = figure(results, b, r.bench, r.key);
      const was = base[`${r.bench}.${r.key}`]!;
      if (now === undefined || now === 0 || was === 0) return [];
      return [{ row: r, now, was, score: r.better === 'higher' ? now / was : was / now }];
    });
    const worse = judged.filter((j) => j.score < 1 - tolerance);
    const worst = judged.sort((x, y) => x.score - y.score)[0];
    const show = (j: (typeof judged)[number]) => `${j.row.label} ${j.now.toLocaleString('en')} vs ${j.was.toLocaleString('en')}`;
    lines.push({
      goal: `6. no regression against the baseline (${worse.length ? `${worse.length} of ` : 'all '}${judged.length} rows${worse.length ? ' worse' : ' within'})`,
      backend: NAMES[b],
      measured: worst ? `worst: ${show(worst)}` : 'no row to compare',
      ratio: worst ? n2(worst.score) : '—',
      target,
      result: worst ? (worse.length ? 'FAIL' : 'PASS') : '—',
    });
    if (worse.length) notes.push(`Goal 6, ${NAMES[b]} rows worse than the baseline by more than ${Math.round(tolerance * 100)} %: ${worse.map(show).join('; ')}.`);
    // The floors measure the machine, not our code: far below their baseline, the machine was busier than then.
    const floors = rows.filter((r) => r.floor && base[`${r.bench}.${r.key}`] !== undefined).flatMap((r) => {
      const now = figure(results, b, r.bench, r.key);
      const was = base[`${r.bench}.${r.key}`]!;
      return now === undefined || now === 0 ? [] : [`${r.label} ${n2(r.better === 'higher' ? now / was : was / now)}`];
    });
    if (floors.length) notes.push(`Goal 6, ${NAMES[b]}: the bare floors against the same baseline (the machine, not our code: under 1, the machine was slower or busier than when the baseline was taken; over 1, faster): ${floors.join('; ')}.`);
  }
  return { lines, notes };
}

/** The loads of npm run bench:stall (bench/stall.ts), in its order. */
export const STALL_LOADS = [
  ['idle', 'idle'],
  ['export1', '1 STIX export, no gzip'],
  ['export4', '4 STIX exports at once'],
  ['taxii', 'TAXII POST of 20,000 objects'],
  ['filtered', '4 × 5 pages passing over all'],
  ['import', 'socd import beside the server'],
] as const;

/** Goal 6, the stall bench: p99 of /healthz and of the REST page within 50 ms under every load, no failed probe. */
export function stallGoal(stall: BenchResult | undefined): { lines: GoalLine[]; notes: string[] } {
  const goal = `6. stall bench: p99 of /healthz and a REST page under every load ≤ ${TARGETS.stallP99Ms} ms`;
  if (!stall) return { lines: [{ goal, backend: 'SQLite', measured: 'not run (--no-stall)', ratio: '—', target: '≤ 1.00', result: '—' }], notes: [] };
  const fig = stall.figures;
  if (stall.error || !fig) return { lines: [{ goal, backend: 'SQLite', measured: 'failed', ratio: '—', target: '≤ 1.00', result: '—' }], notes: [] };
  const probes = STALL_LOADS.flatMap(([key, name]) => (['healthz', 'rest'] as const).flatMap((probe) => {
    const p99 = fig[`${key}_${probe}_p99_ms`];
    return p99 === undefined ? [] : [{ what: `${name}, ${probe === 'rest' ? 'REST page' : '/healthz'}`, p99 }];
  }));
  const errors = STALL_LOADS.reduce((sum, [key]) => sum + (fig[`${key}_errors`] ?? 0), 0);
  const worst = probes.sort((a, b) => b.p99 - a.p99)[0];
  const over = probes.filter((p) => p.p99 > TARGETS.stallP99Ms);
  const notes: string[] = [];
  if (over.length) notes.push(`Stall bench over ${TARGETS.stallP99Ms} ms p99: ${over.map((p) => `${p.what} ${n1(p.p99)} ms`).join('; ')}.`);
  if (errors) notes.push(`Stall bench: ${errors} probes failed (a probe must never fail).`);
  const ratio = worst ? worst.p99 / TARGETS.stallP99Ms : undefined;
  return {
    lines: [{
      goal, backend: 'SQLite',
      measured: worst ? `worst: ${worst.what} ${n1(worst.p99)} ms${errors ? `; ${errors} failed probes` : ''}` : '—',
      ratio: ratio === undefined ? '—' : n2(ratio),
      target: '≤ 1.00',
      result: ratio === undefined ? '—' : ratio <= 1 && errors === 0 ? 'PASS' : 'FAIL',
    }],
    notes,
  };
}

/** A Markdown table, the first `left` columns aligned left and the others right. */
export function markdownTable(header: string[], body: string[][], left = 1): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const fmt = (cols: string[]) => `| ${cols.map((c, i) => (i < left ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i < left ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [fmt(header), rule, ...body.map(fmt)];
}
