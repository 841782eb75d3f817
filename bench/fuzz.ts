/**
 * Long-run fuzzing: the properties of test/fuzz/ with many more runs and a fresh seed, then timings of the parsers
 * at risk of super-linear time on hostile input sizes n and 8n.
 *
 *   npm run fuzz                          # random seed, 20× the runs of `npm test`
 *   npm run fuzz -- --seed 1234 --times 100 normalize
 *   npm run fuzz -- --no-timings
 *
 * Options: --seed N (default: random, printed), --times M (multiplier of each property's `npm test` runs),
 * --minutes T (stop each property after T minutes; default 5), --no-timings, and a filter: only properties whose
 * name contains it. A failure prints the seed, the fast-check replay path and the shrunk counterexample: add that
 * input to test/fuzz/corpus/<target>.json (with `todo` while src is not fixed) so that `npm test` keeps it.
 * Exits 1 when a property failed.
 */
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { readLines } from '../src/connectors/formats/line-shape.js';
import { CATALOG } from '../src/connectors/catalog/sources/index.js';
import { normalize, normalizeAny } from '../src/domain/normalize.js';
import { refang } from '../src/domain/refang.js';
import { checkPatternGrammar } from '../src/stix/pattern-grammar.js';
import { parsePattern } from '../src/stix/pattern-parse.js';
import { parseAccept } from '../src/taxii/accept.js';
import { parseTaxiiQuery } from '../src/taxii/query.js';
import { PROPERTIES as NORMALIZE } from '../test/fuzz/properties/normalize.js';
import { PROPERTIES as PARSERS } from '../test/fuzz/properties/parsers.js';
import { PROPERTIES as PATTERN } from '../test/fuzz/properties/pattern.js';
import { PROPERTIES as TAXII } from '../test/fuzz/properties/taxii.js';
import type { FuzzProperty } from '../test/fuzz/support/fuzz.js';

interface Options {
  seed: number;
  times: number;
  minutes: number;
  timings: boolean;
  filter: string | undefined;
}

function options(argv: readonly string[]): Options {
  const o: Options = { seed: Math.floor(Math.random() * 0x7fffffff), times: 20, minutes: 5, timings: true, filter: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined || !Number.isFinite(Number(v))) throw new Error(`${a} needs a number`);
      return Number(v);
    };
    if (a === '--seed') o.seed = value();
    else if (a === '--times') o.times = value();
    else if (a === '--minutes') o.minutes = value();
    else if (a === '--no-timings') o.timings = false;
    else if (a === '--help' || a === '-h') {
      console.log('npm run fuzz -- [--seed N] [--times M] [--minutes T] [--no-timings] [name filter]');
      process.exit(0);
    } else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else o.filter = a;
  }
  return o;
}

const show = (v: unknown, max = 2000): string => {
  let text: string;
  try {
    text = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x instanceof Map ? Object.fromEntries(x) : x));
  } catch {
    text = String(v);
  }
  return text.length > max ? `${text.slice(0, max)}… (${text.length} characters)` : text;
};

async function runProperties(o: Options): Promise<number> {
  const all: Array<[string, FuzzProperty]> = [
    ...NORMALIZE.map((p) => ['normalize', p] as [string, FuzzProperty]),
    ...PATTERN.map((p) => ['pattern', p] as [string, FuzzProperty]),
    ...TAXII.map((p) => ['taxii', p] as [string, FuzzProperty]),
    ...PARSERS.map((p) => ['parsers', p] as [string, FuzzProperty]),
  ];
  const chosen = all.filter(([, p]) => o.filter === undefined || p.name.includes(o.filter));
  console.log(`seed ${o.seed}, ${o.times}× the test runs, at most ${o.minutes} min per property, ${chosen.length} properties`);
  let failed = 0;
  for (const [group, p] of chosen) {
    const numRuns = Math.max(1, Math.round(p.runs * o.times));
    const started = performance.now();
    const details = await fc.check(p.property, { seed: o.seed, numRuns, endOnFailure: false, plugins: [fc.interruptAfterTimeLimit(o.minutes * 60_000)] });
    const ms = performance.now() - started;
    const runs = details.numRuns;
    const status = details.failed ? 'FAILED' : details.interrupted ? `ok (interrupted after ${runs} runs)` : 'ok';
    console.log(`${status.padEnd(6)} ${group}: ${p.name} — ${runs} runs, ${(ms / 1000).toFixed(1)} s, ${((ms * 1000) / Math.max(1, runs)).toFixed(0)} µs/run`);
    if (details.failed) {
      failed++;
      console.log(`  seed ${details.seed}, path ${JSON.stringify(details.counterexamplePath)} (fc.assert(property, { seed, path }) replays it)`);
      console.log(`  counterexample: ${show(details.counterexample)}`);
      const err = details.errorInstance;
      console.log(`  error: ${err instanceof Error ? err.message.split('\n').slice(0, 12).join('\n         ') : show(err)}`);
    }
  }
  return failed;
}

// ---------------------------------------------------------------------------------------------------------
// Timings: input of size n and 8n; linear code takes about 8× the time, quadratic about 64×.
// ---------------------------------------------------------------------------------------------------------

function time(fn: () => unknown): number {
  // Best of three, after a warm-up, to keep GC and JIT noise out of the ratio.
  fn();
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    fn();
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

async function timeAsync(fn: () => Promise<unknown>): Promise<number> {
  await fn();
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    await fn();
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

interface Row {
  target: string;
  unit: string;
  n: number;
  small: number;
  large: number;
}

function print(rows: readonly Row[]): void {
  console.log(`${'target'.padEnd(34)} ${'unit'.padEnd(22)} ${'n'.padStart(7)} ${'t(n) ms'.padStart(9)} ${'t(8n) ms'.padStart(9)} ${'ratio'.padStart(6)}`);
  for (const r of rows) {
    const ratio = r.large / Math.max(r.small, 0.001);
    const flag = ratio > 20 && r.large > 5 ? '  <-- super-linear?' : '';
    console.log(`${r.target.padEnd(34)} ${JSON.stringify(r.unit).slice(0, 22).padEnd(22)} ${String(r.n).padStart(7)} ${r.small.toFixed(3).padStart(9)} ${r.large.toFixed(3).padStart(9)} ${ratio.toFixed(1).padStart(6)}${flag}`);
  }
}

/** Every regex a catalog source applies to feed text: line patterns, keep filters, field rules. */
function sourceRegexes(): Array<[string, RegExp]> {
  const out: Array<[string, RegExp]> = [];
  const visit = (id: string, v: unknown, key: string) => {
    if (typeof v === 'string' && (key === 'pattern' || key === 'keep' || key === 'match')) out.push([`${id} ${key}`, new RegExp(v)]);
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) visit(id, x, k);
  };
  for (const def of CATALOG) visit(def.id, def.shape, '');
  return out;
}

async function timings(): Promise<void> {
  const rows: Row[] = [];
  const sizes = (maxInput: number, unit: string) => Math.max(1, Math.floor(maxInput / 8 / unit.length));
  const sync: Array<[string, (s: string) => unknown, number, string[]]> = [
    ['refang', refang, 1_000_000, ['[.', '[[.]', '(dot', '((', 'hxxp', 'a']],
    ['normalize url', (s) => normalize('url', `http://${s}`), 8185, ['[.', 'a.', '%', '@', ':', '[']],
    ['normalize domain', (s) => normalize('domain', s), 8192, ['a.', '\u3002', 'xn--a.', '-', 'ü.']],
    ['normalize ipv6', (s) => normalize('ipv6', s), 8192, [':', '::', '1:', '.']],
    ['normalizeAny', (s) => normalizeAny(s), 8192, ['a.', '1.', ':', '@', '[.]']],
    ['parseAccept', parseAccept, 4096, ['"', '\\', '"\\', ';', ',', ';q=', 'a/b;x="y",']],
    ['checkPatternGrammar', checkPatternGrammar, 65_536, ['(', '[', "'", "\\'", '/*', '/**/', "[a:b = 'x'] OR ", "a:b = 1 AND "]],
    ['checkPatternGrammar in string', (s) => checkPatternGrammar(`[a:b = '${s}']`), 65_500, ["\\'", '\\\\', 'a']],
    ['parsePattern', parsePattern, 100_000, ['(', '[', "'", '/*', "[url:value = 'x'] OR "]],
    ['parseTaxiiQuery match[type]', (s) => { try { parseTaxiiQuery({ 'match[type]': s }, 'objects'); } catch { /* 400 */ } }, 1_000_000, ['a,', 'ab-', ',']],
  ];
  for (const [target, fn, maxInput, units] of sync) {
    for (const unit of units) {
      const n = sizes(maxInput, unit);
      rows.push({ target, unit, n, small: time(() => fn(unit.repeat(n))), large: time(() => fn(unit.repeat(8 * n))) });
    }
  }
  for (const [target, re] of sourceRegexes()) {
    for (const unit of [' ', '\t', 'a', '1.', '# ', '1 ', ':']) {
      const n = 2000;
      rows.push({ target: `regex ${target}`.slice(0, 34), unit, n, small: time(() => re.exec(unit.repeat(n))), large: time(() => re.exec(unit.repeat(8 * n))) });
    }
  }
  const lineSources = CATALOG.filter((d) => d.shape.kind === 'line');
  for (const def of lineSources.slice(0, 3)) {
    if (def.shape.kind !== 'line') continue;
    const shape = def.shape;
    const text = (n: number) => '198.51.100.7 # 2026-05-13 00:00:00\n'.repeat(n);
    const drain = async (n: number) => {
      for await (const _ of readLines(Readable.from([Buffer.from(text(n))]), shape)) void _;
    };
    rows.push({ target: `readLines ${def.id}`, unit: 'line', n: 2000, small: await timeAsync(() => drain(2000)), large: await timeAsync(() => drain(16_000)) });
  }
  print(rows);
}

async function main(): Promise<void> {
  const o = options(process.argv.slice(2));
  const failed = await runProperties(o);
  if (o.timings && o.filter === undefined) {
    console.log('\ntimings (best of 3):');
    await timings();
  }
  console.log(failed === 0 ? `\nall properties held (seed ${o.seed})` : `\n${failed} propert${failed === 1 ? 'y' : 'ies'} failed (seed ${o.seed})`);
  process.exitCode = failed === 0 ? 0 : 1;
}

await main();
