import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Baseline, baselineOfRun, type GoalLine, readBaseline, regressionGoals, type Results, type Row, type SavedRun, speedGoals, stallGoal } from '../../bench/goals.js';

const rows: Row[] = [
  { label: 'import, IOCs/s', bench: 'import', key: 'import_iocs_per_s', digits: 0, better: 'higher' },
  { label: 'REST page, p99 ms', bench: 'rest', key: 'p99_ms', digits: 1, better: 'lower' },
  { label: 'bare write', bench: 'export', key: 'bare_objects_per_s', digits: 0, better: 'higher', floor: true },
];

function results(sqlite: Record<string, Record<string, number>>, postgres: Record<string, Record<string, number>> = {}): Results {
  const wrap = (x: Record<string, Record<string, number>>) => Object.fromEntries(Object.entries(x).map(([k, figures]) => [k, { figures, seconds: 1 }]));
  return { sqlite: wrap(sqlite), postgres: wrap(postgres) };
}

const find = (lines: GoalLine[], goal: string, backend: string) => {
  const line = lines.find((l) => l.goal.startsWith(goal) && l.backend === backend);
  assert.ok(line, `${goal} / ${backend}`);
  return line;
};

describe('the goals of issue 18', () => {
  it('judges each goal on its ratio and bound, and leaves a goal without figures unjudged', () => {
    const r = results({
      rest: { req_per_s: 2000, p99_ms: 30, bare_req_per_s: 3000, bare_ratio: 0.667 },
      taxii: { clients_req_per_s: 1500, bare_req_per_s: 4000, bare_ratio: 0.375 },
      small: { ms_per_page: 1.8, bare_ms_per_page: 0.9, bare_ratio: 0.5 },
      import: { import_iocs_per_s: 60_000, import_peak_rss_mb: 401 },
      ingest: { iocs_per_s: 40_000, peak_rss_mb: 300 },
    });
    const { lines } = speedGoals(r, ['sqlite'], rows);
    assert.equal(find(lines, '1. REST req/s over TAXII', 'SQLite').result, 'PASS');
    assert.equal(find(lines, '1. REST req/s over TAXII', 'SQLite').ratio, '1.33');
    assert.equal(find(lines, '1. REST p99', 'SQLite').result, 'FAIL');
    assert.equal(find(lines, '1. REST p99', 'SQLite').ratio, '1.20');
    assert.equal(find(lines, '2. small walk', 'SQLite').result, 'PASS'); // exactly the bound
    assert.equal(find(lines, '3. TAXII', 'SQLite').result, 'FAIL');
    assert.equal(find(lines, '3. REST', 'SQLite').result, 'PASS');
    assert.equal(find(lines, '4. import: IOCs/s', 'SQLite').result, 'PASS');
    assert.equal(find(lines, '4. import: peak RSS', 'SQLite').result, 'FAIL');
    assert.equal(find(lines, '4. ingest IPv4 list: IOCs/s', 'SQLite').result, 'FAIL');
    assert.equal(find(lines, '4. ingest IPv4 list: peak RSS', 'SQLite').result, 'PASS');
    assert.ok(!lines.some((l) => l.goal.startsWith('5.')), 'no PostgreSQL, no goal 5');

    const failed = results({ rest: { req_per_s: 2000 } });
    failed.sqlite.taxii = { seconds: 1, error: 'exit 1', figures: { clients_req_per_s: 1 } };
    const partial = speedGoals(failed, ['sqlite'], rows).lines;
    assert.equal(find(partial, '1. REST req/s over TAXII', 'SQLite').result, '—');
    assert.equal(find(partial, '2. small walk', 'SQLite').result, '—');
  });

  it('holds PostgreSQL within 2× of SQLite on every row but the floors, each row the way it is better', () => {
    const sqlite = { import: { import_iocs_per_s: 10_000 }, rest: { p99_ms: 10 }, export: { bare_objects_per_s: 100 } };
    const within = speedGoals(results(sqlite, { import: { import_iocs_per_s: 5000 }, rest: { p99_ms: 20 }, export: { bare_objects_per_s: 1 } }), ['sqlite', 'postgres'], rows);
    assert.equal(find(within.lines, '5.', 'both').result, 'PASS');
    assert.deepEqual(within.notes, []);

    const outside = speedGoals(results(sqlite, { import: { import_iocs_per_s: 9000 }, rest: { p99_ms: 21 }, export: { bare_objects_per_s: 100 } }), ['sqlite', 'postgres'], rows);
    const line = find(outside.lines, '5.', 'both');
    assert.equal(line.result, 'FAIL');
    assert.match(line.measured, /REST page, p99 ms/);
    assert.equal(line.ratio, '2.10');
    assert.match(outside.notes.join('\n'), /REST page, p99 ms 2\.10/);
  });

  it('compares each row with the baseline of the same size, rates and latencies each their way', () => {
    const baseline: Baseline = {
      tolerance: 0.15,
      sizes: { '1000': { source: 'test', sqlite: { 'import.import_iocs_per_s': 1000, 'rest.p99_ms': 10, 'export.bare_objects_per_s': 1000 } } },
    };
    const ok = regressionGoals(results({ import: { import_iocs_per_s: 860 }, rest: { p99_ms: 11.7 }, export: { bare_objects_per_s: 1 } }), ['sqlite'], rows, baseline, 1000);
    assert.equal(find(ok.lines, '6.', 'SQLite').result, 'PASS');
    assert.match(ok.notes.join('\n'), /bare floors .*: bare write 0\.00\./); // shown as the machine's state, never judged
    const slower = regressionGoals(results({ import: { import_iocs_per_s: 2000 }, rest: { p99_ms: 12 } }), ['sqlite'], rows, baseline, 1000);
    assert.equal(find(slower.lines, '6.', 'SQLite').result, 'FAIL');
    assert.match(slower.notes.join('\n'), /REST page, p99 ms 12 vs 10/);
    assert.equal(find(regressionGoals(results({}), ['sqlite'], rows, baseline, 2000).lines, '6.', 'SQLite').result, '—');
  });

  it('takes a run the suite saved as the baseline of its size: another version of the code on the same machine', () => {
    const run: SavedRun = {
      kind: 'socd-bench-run', started: '2026-12-03T11:53:00.000Z', count: 1000, seed: '42', quick: false, machine: '2 cores', postgresNote: '',
      backends: ['sqlite', 'postgres'], results: results({ import: { import_iocs_per_s: 1000 }, rest: { p99_ms: 10 } }, { import: { import_iocs_per_s: 700 } }),
      stall: undefined, readDbs: [], seconds: 60, code: 'd25b7f5',
    };
    const baseline = baselineOfRun(run);
    assert.deepEqual(baseline.sizes['1000']?.sqlite, { 'import.import_iocs_per_s': 1000, 'rest.p99_ms': 10 });
    assert.deepEqual(baseline.sizes['1000']?.postgres, { 'import.import_iocs_per_s': 700 });
    assert.match(baseline.sizes['1000']!.source, /d25b7f5, 2026-12-03T11:53/);
    // A saved run and a baseline file are both read as baselines.
    const dir = mkdtempSync(join(tmpdir(), 'socd-goals-'));
    writeFileSync(join(dir, 'run.json'), JSON.stringify(run));
    assert.deepEqual(readBaseline(join(dir, 'run.json')), baseline);
    writeFileSync(join(dir, 'baseline.json'), JSON.stringify({ sizes: { '1000': { source: 'file', sqlite: { 'rest.p99_ms': 9 } } } }));
    assert.equal(readBaseline(join(dir, 'baseline.json'))?.sizes['1000']?.source, 'file');
    assert.equal(readBaseline(join(dir, 'missing.json')), undefined);
    const judged = regressionGoals(results({ import: { import_iocs_per_s: 800 }, rest: { p99_ms: 10 } }), ['sqlite'], rows, baseline, 1000);
    assert.equal(find(judged.lines, '6.', 'SQLite').result, 'FAIL');
    assert.match(judged.notes.join('\n'), /import, IOCs\/s 800 vs 1,000/);
  });

  it('bounds the stall bench by the worst p99 over every load and fails on a failed probe', () => {
    const figures = { idle_healthz_p99_ms: 5, idle_rest_p99_ms: 9, idle_errors: 0, import_healthz_p99_ms: 40, import_rest_p99_ms: 49, import_errors: 0 };
    const pass = stallGoal({ seconds: 1, figures });
    assert.equal(pass.lines[0]!.result, 'PASS');
    assert.equal(pass.lines[0]!.ratio, '0.98');
    assert.equal(stallGoal({ seconds: 1, figures: { ...figures, import_rest_p99_ms: 51 } }).lines[0]!.result, 'FAIL');
    assert.equal(stallGoal({ seconds: 1, figures: { ...figures, idle_errors: 1 } }).lines[0]!.result, 'FAIL');
    assert.equal(stallGoal(undefined).lines[0]!.result, '—');
  });
});
