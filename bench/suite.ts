/**
 * The benchmark suite: one command that generates the data set, runs every benchmark on SQLite and on PostgreSQL and
 * prints one table.
 *
 *   npm run bench                      # 1,000,000 IOCs
 *   npm run bench -- --quick           # 100,000 IOCs, for everyday use
 *   node dist/bench/suite.js [--quick] [--count N] [--seed 42] [--postgres URL | --no-postgres] [--fresh] [--no-stall]
 *                            [--baseline bench/baseline.json] [--save bench/out/suite-last.json]
 *   node dist/bench/suite.js --from bench/out/suite-last.json [--baseline FILE]
 *
 * Each run's figures are saved (--save, default bench/out/suite-last.json): --from prints that run's table and goals
 * again without measuring, e.g. against another baseline. --baseline takes bench/baseline.json's form or a run saved
 * by the suite: a run of other code on the same machine (goal 6 compares like with like).
 *
 * PostgreSQL: --postgres URL, else BENCH_POSTGRES_URL, else DATABASE_URL when it is a postgres:// URL, else
 * postgres://postgres@127.0.0.1:5432/test if it answers; the output says when PostgreSQL is skipped. A `?schema=` in
 * the URL is ignored: the suite picks its schemas.
 *
 * Each benchmark runs as a child process with --json (so that its peak RSS is its own); its own output is shown on
 * stderr as it runs, and the figures of its last line (`BENCH_JSON {…}`) go into the table, on stdout:
 * - import: bench/import-and-walk.ts --no-walk, the `socd import` pipeline into a fresh database;
 * - ingest: bench/ingest.ts --kind list --again, a <count>-line IPv4 list over HTTP through the connector runner into a
 *   fresh database, then the same unchanged snapshot again (a source's every later run: each IOC re-seen, no new version);
 * - REST: bench/rest-load.ts, GET /api/v1/iocs?limit=100 by 32 concurrent clients (after 2 s unmeasured, 5 s at --quick, 10 s:
 *   the time the TAXII bench gives its clients);
 * - TAXII: bench/taxii-walk.ts, all-iocs walked by `next`, deep/shallow page, 32 concurrent clients (5 s at --quick, 10 s);
 * - STIX export: bench/export.ts, GET /api/v1/iocs/stix and the bare write of the stored JSON;
 * - server CPU: bench/server-cpu.ts, the server's own CPU time per TAXII and REST page (one client, in the server's
 *   process: comparable across versions when the machine is busy);
 * - lookup: bench/lookup.ts, batches of 10,000 values against <count> IOCs of which <count>/10 networks (its own
 *   database, bench/out/lookup-*.db or the schema bench_lookup_*, made once and kept);
 * - small walk: bench/small-walk.ts, a 2,000-object all-iocs (a fresh database of 2,000 IOCs, whatever <count>) walked
 *   by next at limit=100, beside the bare server answering the same recorded pages;
 * - stall (SQLite only, its own 200,000-IOC database, about two minutes; --no-stall skips it): bench/stall.ts, the
 *   latency of /healthz and a REST page while heavy work runs.
 * REST and TAXII also replay their 32-client load against the bare server (bench/bare-server.ts). Before each
 * PostgreSQL benchmark (and the stall bench), the suite waits until PostgreSQL is quiet: a CHECKPOINT, then no
 * autovacuum worker running (at most 3 minutes), so that one benchmark's background work is not measured in the next.
 * Under the table: the stall figures, then the goals of issue 18 (bench/goals.ts), each a ratio with PASS or FAIL,
 * including the comparison of every row with the baseline of the same size in --baseline (goal 6). A goal that fails
 * does not change the exit code: only a benchmark that fails does (1).
 * The fresh databases of import, ingest and the small walk (a temporary SQLite file, a bench_fresh_* schema) are
 * removed after each run. The read databases (bench/out/export-<count>-s<seed>.db, the schema bench_<count>_s<seed>) are made with
 * `socd import` once and kept for the next run; --fresh makes them again. Prints figures; asserts nothing.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import {
  type Backend,
  benchCsv,
  benchDatabase,
  benchIpList,
  displayUrl,
  dropDatabase,
  isPostgresUrl,
  postgresAnswers,
  postgresServer,
  readDatabaseUrl,
  settleDisk,
  withSchema,
} from './bench-database.js';
import { type Figures, parseBenchJson } from './bench-output.js';
import { markdownTable, readBaseline, regressionGoals, type Results, type Row, type SavedRun, STALL_LOADS, stallGoal, speedGoals, TARGETS } from './goals.js';

const DEFAULT_POSTGRES = 'postgres://postgres@127.0.0.1:5432/test';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    count: { type: 'string' },
    seed: { type: 'string', default: '42' },
    postgres: { type: 'string' },
    'no-postgres': { type: 'boolean', default: false },
    fresh: { type: 'boolean', default: false },
    'no-stall': { type: 'boolean', default: false },
    baseline: { type: 'string', default: 'bench/baseline.json' },
    save: { type: 'string', default: 'bench/out/suite-last.json' },
    from: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  process.stdout.write('usage: npm run bench [-- --quick] [--count N] [--seed 42] [--postgres URL | --no-postgres] [--fresh] [--no-stall] [--baseline FILE] [--save FILE]\n' +
    '       node dist/bench/suite.js --from FILE [--baseline FILE]   # the table and goals of a saved run again\n');
  process.exit(0);
}
/** A run saved by --save, printed again instead of measuring (--from). */
const from = args.from === undefined ? undefined : readSavedRun(args.from);
const quick = from?.quick ?? args.quick;
const count = from?.count ?? (args.count !== undefined ? Number(args.count) : args.quick ? 100_000 : 1_000_000);
if (!Number.isSafeInteger(count) || count < 1000) {
  process.stderr.write(`--count: an integer ≥ 1000, got ${args.count}\n`);
  process.exit(2);
}
const seed = from?.seed ?? String(args.seed);
const taxiiSeconds = quick ? 5 : 10;
const log = (line: string) => process.stderr.write(`${line}\n`);

// --- which PostgreSQL -------------------------------------------------------------------------------------------------
async function choosePostgres(): Promise<{ url?: string; note: string }> {
  if (args['no-postgres']) return { note: 'PostgreSQL skipped: --no-postgres' };
  const given: Array<[string | undefined, string]> = [
    [args.postgres, '--postgres'],
    [process.env.BENCH_POSTGRES_URL || undefined, 'BENCH_POSTGRES_URL'],
    [process.env.DATABASE_URL && isPostgresUrl(process.env.DATABASE_URL) ? process.env.DATABASE_URL : undefined, 'DATABASE_URL'],
  ];
  const pick = given.find(([url]) => url !== undefined);
  if (pick) {
    const [url, from] = pick as [string, string];
    if (!isPostgresUrl(url)) throw new Error(`${from}: not a postgres:// URL: ${url}`);
    const server = postgresServer(url);
    if (await postgresAnswers(server)) return { url: server, note: `PostgreSQL: ${displayUrl(server)} (from ${from})` };
    if (from === '--postgres') throw new Error(`--postgres ${displayUrl(server)}: PostgreSQL does not answer`);
    return { note: `PostgreSQL skipped: ${displayUrl(server)} (from ${from}) does not answer` };
  }
  if (await postgresAnswers(DEFAULT_POSTGRES)) return { url: DEFAULT_POSTGRES, note: `PostgreSQL: ${DEFAULT_POSTGRES} (the default; it answers)` };
  return { note: `PostgreSQL skipped: none given (--postgres, BENCH_POSTGRES_URL, DATABASE_URL) and ${DEFAULT_POSTGRES} does not answer` };
}

// --- children ---------------------------------------------------------------------------------------------------------
let running: ChildProcess | undefined;
/** Fresh databases not yet removed (removed on Ctrl-C too). */
const pendingCleanups = new Set<() => Promise<void>>();

function runBench(label: string, script: string, scriptArgs: string[]): Promise<{ figures?: Figures; seconds: number; error?: string }> {
  const started = process.hrtime.bigint();
  return new Promise((resolvePromise) => {
    log(`\n── ${label}: node dist/bench/${script} ${scriptArgs.join(' ')}`);
    const child = spawn(process.execPath, [resolve('dist/bench', script), ...scriptArgs, '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
    running = child;
    let out = '';
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      out += `${line}\n`;
      log(`   ${line}`);
    });
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let closed = false;
    const done = () => {
      if (!exit || !closed) return;
      running = undefined;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const figures = parseBenchJson(out);
      if (exit.code !== 0 || !figures) {
        resolvePromise({ seconds, error: exit.code !== 0 ? `${exit.signal ?? `exit ${exit.code}`}` : 'no BENCH_JSON line' });
      } else {
        resolvePromise({ figures, seconds });
      }
    };
    child.on('error', (err) => {
      exit = { code: -1, signal: null };
      out += `error: ${err.message}\n`;
      closed = true;
      done();
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      done();
    });
    lines.on('close', () => {
      closed = true;
      done();
    });
  });
}

/** A fresh database for one run, removed afterwards whatever happens. */
async function withFreshDatabase<T>(backend: Backend, pgServer: string | undefined, label: string, fn: (url: string) => Promise<T>): Promise<T> {
  let url: string;
  let cleanup: () => Promise<void>;
  if (backend === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), `socd-suite-${label}-`));
    url = `sqlite:${join(dir, 'socd.db')}`;
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  } else {
    url = withSchema(pgServer!, `bench_fresh_${process.pid}_${label}`);
    await dropDatabase(url);
    cleanup = () => dropDatabase(url);
  }
  pendingCleanups.add(cleanup);
  try {
    return await fn(url);
  } finally {
    pendingCleanups.delete(cleanup);
    await cleanup().catch((err: unknown) => log(`warning: could not remove ${displayUrl(url)}: ${err instanceof Error ? err.message : String(err)}`));
  }
}

/**
 * Waits until PostgreSQL is quiet before the next benchmark: a CHECKPOINT (the dirty pages of the last load and of a
 * dropped schema are written now, not during the next measurement), then until no autovacuum worker runs, at most
 * `maxSeconds`. Without it, the vacuum of the 1M-row tables the import and ingest benches left behind ran during the
 * small walk that follows them (6.1 ms a page, 2.6 on a quiet server). Returns the seconds waited.
 */
async function settlePostgres(url: string, maxSeconds = 180): Promise<number> {
  const t0 = Date.now();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('CHECKPOINT');
    while ((Date.now() - t0) / 1000 < maxSeconds) {
      const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'`);
      if (rows[0]!.n === 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await client.end();
  }
  return (Date.now() - t0) / 1000;
}

process.on('SIGINT', () => {
  log('\ninterrupted: removing the fresh databases…');
  running?.kill('SIGINT');
  void Promise.allSettled([...pendingCleanups].map((c) => c())).then(() => process.exit(130));
});

const human = (n: number) => (n % 1_000_000 === 0 ? `${n / 1_000_000}M` : n % 1000 === 0 ? `${n / 1000}k` : n.toLocaleString('en'));

// --- the run ----------------------------------------------------------------------------------------------------------
const NAMES: Record<Backend, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL' };

function readSavedRun(path: string): SavedRun {
  const run = JSON.parse(readFileSync(path, 'utf8')) as SavedRun;
  if (run.kind !== 'socd-bench-run') throw new Error(`--from ${path}: not a run saved by the suite`);
  return run;
}

/** The commit that runs, for the saved run (empty outside a git checkout). */
function codeVersion(): string {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

/** Every benchmark, each in a child process: what the table and the goals are made of. */
async function measure(): Promise<SavedRun> {
  const suiteStarted = Date.now();
  const postgres = await choosePostgres().catch((err: unknown) => {
    log(err instanceof Error ? err.message : String(err));
    process.exit(2);
  });
  const backends: Array<{ backend: Backend; name: string; database: string | undefined }> = [{ backend: 'sqlite', name: 'SQLite', database: undefined }];
  if (postgres.url) backends.push({ backend: 'postgres', name: 'PostgreSQL', database: postgres.url });

  const sqliteVersion = (() => {
    const db = new Database(':memory:');
    try {
      return db.prepare('SELECT sqlite_version()').pluck().get() as string;
    } finally {
      db.close();
    }
  })();
  /** The server's version and the settings that move the figures most (shown under the table). */
  async function postgresVersion(url: string): Promise<string> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string; setting: string }>(
        `SELECT name, current_setting(name) AS setting FROM unnest(ARRAY['server_version', 'shared_buffers', 'max_wal_size', 'autovacuum']) AS name`,
      );
      const s = new Map(rows.map((r) => [r.name, r.setting]));
      return `${s.get('server_version')} (shared_buffers ${s.get('shared_buffers')}, max_wal_size ${s.get('max_wal_size')}, autovacuum ${s.get('autovacuum')})`;
    } finally {
      await client.end();
    }
  }
  const pgVersion = postgres.url ? await postgresVersion(postgres.url).catch(() => '?') : undefined;

  log(`benchmark suite: ${count.toLocaleString('en')} IOCs, seed ${seed}${args.quick ? ' (--quick)' : ''}; ${postgres.note}`);

  // The data, once.
  const csv = await benchCsv(count, seed);
  const ipList = await benchIpList(count, seed);
  log(`data: ${csv}, ${ipList}`);

  const results: Results = { sqlite: {}, postgres: {} };
  const readDbs: string[] = [];

  for (const { backend, name, database } of backends) {
    log(`\n════ ${name} ════`);
    const r = results[backend];
    const common = ['--count', String(count), '--seed', seed];
    const dbArgs = database ? ['--database', database] : [];
    /** The machine quiet before each benchmark: the kernel's writeback (settleDisk), then PostgreSQL (settlePostgres). */
    const settled = async <T>(run: () => Promise<T>): Promise<T> => {
      const disk = settleDisk();
      if (disk > 2) log(`dirty pages written back in ${disk.toFixed(1)} s`);
      if (backend === 'postgres') {
        const s = await settlePostgres(database!).catch((err: unknown) => (log(`warning: ${err instanceof Error ? err.message : String(err)}`), 0));
        if (s > 2) log(`PostgreSQL quiet after ${s.toFixed(1)} s (checkpoint, autovacuum)`);
      }
      return run();
    };

    r.import = await settled(() => withFreshDatabase(backend, database, 'import', (url) => runBench(`${name} import`, 'import-and-walk.js', [...common, '--database', url, '--no-walk'])));
    r.ingest = await settled(() => withFreshDatabase(backend, database, 'ingest', (url) => runBench(`${name} ingest`, 'ingest.js', [...common, '--kind', 'list', '--again', '--database', url])));
    r.small = await settled(() => withFreshDatabase(backend, database, 'small', (url) => runBench(`${name} small walk`, 'small-walk.js', ['--seed', seed, '--database', url])));

    // The read database, shared by the next three (made here once, so that no benchmark's time includes it).
    const readUrl = readDatabaseUrl(count, seed, database);
    try {
      const t0 = Date.now();
      await benchDatabase(count, seed, database, { fresh: args.fresh });
      const s = (Date.now() - t0) / 1000;
      if (s > 2) log(`read database ready in ${s.toFixed(1)} s: ${displayUrl(readUrl)}`);
      readDbs.push(`${name}: ${displayUrl(readUrl)}`);
    } catch (err) {
      const error = `read database: ${err instanceof Error ? err.message : String(err)}`;
      log(error);
      r.rest = r.taxii = r.export = r.cpu = { seconds: 0, error };
      continue;
    }
    r.rest = await settled(() => runBench(`${name} REST load`, 'rest-load.js', [...common, ...dbArgs, '--seconds', String(taxiiSeconds)]));
    r.taxii = await settled(() => runBench(`${name} TAXII walk`, 'taxii-walk.js', [...common, ...dbArgs, '--seconds', String(taxiiSeconds)]));
    r.export = await settled(() => runBench(`${name} STIX export`, 'export.js', [...common, ...dbArgs]));
    r.cpu = await settled(() => runBench(`${name} server CPU`, 'server-cpu.js', [...common, ...dbArgs, '--requests', '2000', '--rounds', '3']));
    // Its own database (N IOCs of which N/10 networks), made once and kept like the read database.
    r.lookup = await settled(() => runBench(`${name} lookup`, 'lookup.js', ['--count', String(count), '--networks', String(Math.round(count / 10)), ...dbArgs]));
  }
  // SQLite only: heavy work and everyone else, at the stall bench's own size.
  // After the PostgreSQL benches: their checkpoint and vacuum must not fall inside it.
  if (!args['no-stall']) settleDisk();
  if (!args['no-stall'] && postgres.url) await settlePostgres(postgres.url).catch(() => 0);
  const stall = args['no-stall'] ? undefined : await runBench('stall (SQLite)', 'stall.js', ['--seed', seed]);
  return {
    kind: 'socd-bench-run',
    started: new Date(suiteStarted).toISOString(),
    count, seed, quick,
    machine: `${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(1)} GB RAM; Node ${process.version}; SQLite ${sqliteVersion}${pgVersion ? `; PostgreSQL ${pgVersion}` : ''}`,
    postgresNote: postgres.note,
    backends: backends.map((b) => b.backend),
    results, stall, readDbs,
    seconds: (Date.now() - suiteStarted) / 1000,
    code: codeVersion(),
  };
}

const run = from ?? await measure();
if (!from && args.save) {
  writeFileSync(resolve(args.save), `${JSON.stringify(run, null, 1)}\n`);
  log(`\nthis run's figures: ${resolve(args.save)} (print them again with --from)`);
}
const { results, stall, readDbs } = run;
const backends = run.backends.map((backend) => ({ backend, name: NAMES[backend] }));
const baseline = readBaseline(resolve(String(args.baseline)));

// --- the table --------------------------------------------------------------------------------------------------------
const rows: Row[] = [
  { label: 'import, IOCs/s', bench: 'import', key: 'import_iocs_per_s', digits: 0, better: 'higher' },
  { label: 'import, peak RSS MB', bench: 'import', key: 'import_peak_rss_mb', digits: 0, better: 'lower' },
  { label: 'import, database MB', bench: 'import', key: 'db_mb', digits: 0, better: 'lower' },
  { label: 'ingest IPv4 list, IOCs/s', bench: 'ingest', key: 'iocs_per_s', digits: 0, better: 'higher' },
  { label: 'ingest IPv4 list, peak RSS MB', bench: 'ingest', key: 'peak_rss_mb', digits: 0, better: 'lower' },
  { label: 'ingest again (unchanged), IOCs/s', bench: 'ingest', key: 'again_iocs_per_s', digits: 0, better: 'higher' },
  { label: 'REST page, p50 ms', bench: 'rest', key: 'p50_ms', digits: 1, better: 'lower' },
  { label: 'REST page, p99 ms', bench: 'rest', key: 'p99_ms', digits: 1, better: 'lower' },
  { label: 'REST, req/s (32 clients)', bench: 'rest', key: 'req_per_s', digits: 0, better: 'higher' },
  { label: 'REST, bare server req/s (32 clients)', bench: 'rest', key: 'bare_req_per_s', digits: 0, better: 'higher', floor: true },
  { label: 'REST / bare server, req/s', bench: 'rest', key: 'bare_ratio', digits: 2, better: 'higher' },
  { label: 'REST last/first page', bench: 'rest', key: 'last_first_ratio', digits: 2, better: 'lower' },
  { label: 'REST search by value (q), ms', bench: 'rest', key: 'search_ms', digits: 2, better: 'lower' },
  { label: 'TAXII walk, objects/s', bench: 'taxii', key: 'walk_objects_per_s', digits: 0, better: 'higher' },
  { label: 'TAXII deep/shallow page', bench: 'taxii', key: 'deep_shallow_ratio', digits: 2, better: 'lower' },
  { label: 'TAXII, req/s (32 clients)', bench: 'taxii', key: 'clients_req_per_s', digits: 0, better: 'higher' },
  { label: 'TAXII, p99 ms (32 clients)', bench: 'taxii', key: 'clients_p99_ms', digits: 1, better: 'lower' },
  { label: 'TAXII, bare server req/s (32 clients)', bench: 'taxii', key: 'bare_req_per_s', digits: 0, better: 'higher', floor: true },
  { label: 'TAXII / bare server, req/s', bench: 'taxii', key: 'bare_ratio', digits: 2, better: 'higher' },
  { label: 'TAXII small walk (2,000), ms/page', bench: 'small', key: 'ms_per_page', digits: 2, better: 'lower' },
  { label: 'small walk, bare server ms/page', bench: 'small', key: 'bare_ms_per_page', digits: 2, better: 'lower', floor: true },
  { label: 'small walk / bare server, pages/s', bench: 'small', key: 'bare_ratio', digits: 2, better: 'higher' },
  { label: 'server CPU per TAXII page of 100, µs', bench: 'cpu', key: 'taxii_cpu_us', digits: 0, better: 'lower' },
  { label: 'server CPU per REST page of 100, µs', bench: 'cpu', key: 'rest_cpu_us', digits: 0, better: 'lower' },
  { label: 'server CPU per REST page of one type, µs', bench: 'cpu', key: 'rest_typed_cpu_us', digits: 0, better: 'lower' },
  { label: 'STIX export, indicators/s', bench: 'export', key: 'stix_objects_per_s', digits: 0, better: 'higher' },
  { label: 'STIX export, peak RSS MB', bench: 'export', key: 'stix_peak_rss_mb', digits: 0, better: 'lower' },
  { label: 'bare write of stored JSON, obj/s', bench: 'export', key: 'bare_objects_per_s', digits: 0, better: 'higher', floor: true },
  { label: 'lookup of 10,000 values, median ms', bench: 'lookup', key: 'lookup_batch_median_ms', digits: 0, better: 'lower' },
  { label: 'lookup of 10,000 values, p99 ms', bench: 'lookup', key: 'lookup_batch_p99_ms', digits: 0, better: 'lower' },
];

const hasPg = backends.length > 1;
const cell = (backend: Backend, bench: string, key: string, digits: number): string => {
  if (backend === 'postgres' && !hasPg) return 'skipped';
  const res = results[backend][bench];
  if (!res) return '—';
  if (res.error) return 'failed';
  const v = res.figures?.[key];
  return v === undefined ? '—' : v.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
};
const ratio = (bench: string, key: string): string => {
  const a = results.sqlite[bench]?.figures?.[key];
  const b = results.postgres[bench]?.figures?.[key];
  return a === undefined || b === undefined || a === 0 || results.sqlite[bench]?.error || results.postgres[bench]?.error ? '—' : (b / a).toFixed(2);
};

// The baseline's figures beside (goal 6 judges the row against them): `—` where it has none.
const baseSize = baseline?.sizes[String(count)];
const baseCell = (backend: Backend, row: Row) => {
  const v = baseSize?.[backend]?.[`${row.bench}.${row.key}`];
  return v === undefined ? '—' : v.toLocaleString('en', { minimumFractionDigits: row.digits, maximumFractionDigits: row.digits });
};
const header = ['measure', 'SQLite', 'PostgreSQL', 'PG/SQLite', ...(baseSize ? ['baseline: SQLite / PostgreSQL'] : [])];
const body = rows.map((row) => [
  row.label, cell('sqlite', row.bench, row.key, row.digits), cell('postgres', row.bench, row.key, row.digits), ratio(row.bench, row.key),
  ...(baseSize ? [`${baseCell('sqlite', row)} / ${baseCell('postgres', row)}`] : []),
]);

const out: string[] = [];
out.push('');
out.push(`SOC Defenders benchmark suite — ${count.toLocaleString('en')} IOCs (seed ${seed})${quick ? ', --quick' : ''}, ${run.started.slice(0, 16)}Z${run.code ? `, code ${run.code}` : ''}${from ? ` (saved run: ${args.from})` : ''}`);
out.push(`machine: ${run.machine}`);
out.push(run.postgresNote);
out.push('');
out.push(...markdownTable(header, body));
out.push('');
out.push(`import: the socd import pipeline (parse in a worker, 50,000 per transaction) of the ${human(count)}-row CSV into a fresh database.`);
out.push(`ingest: socd ingest (connector runner, its defaults) of a ${human(count)}-line IPv4 list served over loopback HTTP, fresh database; again: the same unchanged list a second time.`);
out.push(`REST: GET /api/v1/iocs?limit=100, 32 keep-alive clients each walking by next_cursor from its own start, for ${taxiiSeconds} s after 2 s unmeasured; last/first: a page at the end vs the first (median of 21).`);
out.push(`TAXII: all-iocs walked by next with limit=1000; a page at depth 0.9·N vs depth 0 (median of 21); 32 clients on limit=100 pages at random depths for ${taxiiSeconds} s.`);
out.push('STIX export: one GET /api/v1/iocs/stix of every IOC; the bare write streams the same stored JSON with no application code.');
out.push('REST and TAXII bare server: the same 32 clients sending the same requests to a node:http server in the bench process that answers, from memory, the bytes (status, headers, body) our server answered for them; / bare: our req/s over its.');
out.push('small walk: all-iocs of a fresh database of exactly 2,000 IOCs walked by next at limit=100 by one keep-alive client (median of 31 walks), alternating with the same walk on the bare server.');
out.push(`lookup: POST /api/v1/lookup's service, batches of 10,000 mixed values (40 % addresses inside stored networks) against ${human(count)} IOCs of which ${human(Math.round(count / 10))} networks; its own database, kept.`);
out.push("Peak RSS: the benchmark process's (client and server in one; PostgreSQL's own processes are not in it). PG/SQLite: PostgreSQL's figure over SQLite's.");
const failures = backends.flatMap(({ backend, name }) => Object.entries(results[backend]).filter(([, v]) => v.error).map(([k, v]) => `${name} ${k}: ${v.error}`));
if (stall?.error) failures.push(`stall: ${stall.error}`);
if (failures.length) out.push(`Failed: ${failures.join('; ')} (see the output above).`);
out.push(`Read databases kept for the next run (--fresh makes them again): ${readDbs.join('; ') || 'none'}.`);

// --- the stall figures ------------------------------------------------------------------------------------------------
if (stall?.figures) {
  const q = (key: string, probe: string) => ['p50', 'p99', 'max'].map((x) => stall.figures![`${key}_${probe}_${x}_ms`]?.toFixed(1) ?? '—').join(' / ');
  out.push('');
  out.push('Heavy requests and everyone else (npm run bench:stall: SQLite, 200,000 IOCs; /healthz and a REST page every 20 ms while each load runs):');
  out.push('');
  // The bench process's own longest event-loop delay (a run older than the figure shows —).
  out.push(...markdownTable(['load', 's', '/healthz p50 / p99 / max ms', 'REST page p50 / p99 / max ms', 'failed', 'bench lag max ms'],
    STALL_LOADS.filter(([key]) => stall.figures![`${key}_seconds`] !== undefined).map(([key, name]) =>
      [name, stall.figures![`${key}_seconds`]!.toFixed(1), q(key, 'healthz'), q(key, 'rest'), String(stall.figures![`${key}_errors`] ?? '—'),
        stall.figures![`${key}_client_lag_max_ms`]?.toFixed(1) ?? '—'])));
}

// --- the goals --------------------------------------------------------------------------------------------------------
const ran = backends.map((b) => b.backend);
const judged = [speedGoals(results, ran, rows), regressionGoals(results, ran, rows, baseline, count), stallGoal(stall)];
const goalLines = judged.flatMap((j) => j.lines);
out.push('');
out.push(`Goals of issue 18 (stated for 1,000,000 IOCs${count === 1_000_000 ? '' : `; this run is at ${human(count)}: indicative`}):`);
out.push('');
out.push(...markdownTable(['goal', 'backend', 'measured', 'ratio', 'target', 'result'], goalLines.map((g) => [g.goal, g.backend, g.measured, g.ratio, g.target, g.result]), 3));
out.push('');
for (const note of judged.flatMap((j) => j.notes)) out.push(note);
out.push(`Baseline (goal 6): ${baseline ? `${resolve(String(args.baseline))}, ${baseline.sizes[String(count)] ? baseline.sizes[String(count)]!.source : `nothing at ${human(count)} IOCs (it has ${Object.keys(baseline.sizes).map((k) => human(Number(k))).join(', ')})`}` : `none (${args.baseline} not found)`}; ` +
  `a row fails when worse than its baseline by more than ${Math.round((baseline?.tolerance ?? TARGETS.regression) * 100)} % (run-to-run noise on a shared machine); the bare floors are not judged.`);
const passed = goalLines.filter((g) => g.result === 'PASS').length;
const failedGoals = goalLines.filter((g) => g.result === 'FAIL').length;
out.push(`Goals: ${passed} PASS, ${failedGoals} FAIL, ${goalLines.length - passed - failedGoals} not judged. A goal FAIL does not change the exit code (only a failed benchmark does).`);
out.push(`Total ${run.seconds.toFixed(0)} s.`);
process.stdout.write(`${out.join('\n')}\n`);
if (failures.length) process.exitCode = 1;
