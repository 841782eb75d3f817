/**
 * Bench: does heavy work stall everyone else? A server (bench/stall-server.ts, a process of its own) on a copy of the
 * read database; while each load runs, GET /healthz and GET /api/v1/iocs?limit=100 are sent every `--interval` ms
 * (open loop: a new pair goes out on time even while earlier ones wait), and their latencies printed as p50/p99/max.
 *
 *   npm run bench:stall -- [--count 200000] [--seed 42] [--interval 20] [--objects 20000] [--import-count N]
 *                           [--flush-ms 1000] [--loads idle,export1,export4,taxii,filtered,import] [--json]
 *
 * Loads, one after the other:
 * - idle: nothing else (the floor);
 * - 1 and 4 concurrent full STIX exports (GET /api/v1/iocs/stix, no gzip, read as fast as loopback allows, each by a
 *   worker thread, so that reading them does not hold up the probes);
 * - one TAXII POST of `--objects` indicators (default 20,000) to a writable collection;
 * - 4 clients each asking 5 times for a page whose filter passes over every IOC: two a TAXII page of `all-iocs` at a
 *   version no object has (`match[version]` of a timestamp), two a REST page of a band none has (`confidence=high`);
 * - `socd import` of a generated CSV of `--import-count` new IOCs (default: --count) into the same SQLite file, in a
 *   process of its own, with its default batch (50,000 IOCs per transaction).
 * The server writes key last-use times every `--flush-ms` (`socd serve`: every 30 s), so that one such write falls
 * inside every load. The read database is bench/out/export-<count>-s<seed>.db (bench/bench-database.ts), made with
 * `socd import` when missing; it is copied to a temporary directory (removed at the end) because the loads write.
 * SQLite only. --json: the last stdout line is `BENCH_JSON {…}`. Prints figures; asserts nothing.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { benchCsv, benchDatabase } from './bench-database.js';
import { emitBenchJson, quantile, round } from './bench-output.js';

const { values: args } = parseArgs({
  options: {
    count: { type: 'string', default: '200000' },
    seed: { type: 'string', default: '42' },
    interval: { type: 'string', default: '20' },
    objects: { type: 'string', default: '20000' },
    'import-count': { type: 'string' },
    'flush-ms': { type: 'string', default: '1000' },
    loads: { type: 'string', default: 'idle,export1,export4,taxii,filtered,import' },
    json: { type: 'boolean', default: false },
  },
});
const count = Number(args.count);
const intervalMs = Number(args.interval);
const objectCount = Number(args.objects);
const importCount = Number(args['import-count'] ?? count);
const COLLECTION = 'stall-share';

const { url: readUrl } = await benchDatabase(count, String(args.seed));
const importCsv = await benchCsv(importCount, '7');
const dir = mkdtempSync(join(tmpdir(), 'socd-stall-bench-'));
const dbPath = join(dir, 'socd.db');
const source = readUrl.slice('sqlite:'.length);
for (const suffix of ['', '-wal']) if (existsSync(source + suffix)) copyFileSync(source + suffix, dbPath + suffix);
const dbUrl = `sqlite:${dbPath}`;

/** The server process; resolves with its origin and key once it listens. */
async function startServer(): Promise<{ child: ChildProcess; origin: string; key: string }> {
  const child = spawn(process.execPath, [resolve('dist/bench/stall-server.js'), '--database', dbUrl, '--flush-ms', String(args['flush-ms'])], {
    stdio: ['ignore', 'pipe', 2],
    env: { ...process.env, SOCD_CONFIG: '' },
  });
  const first = await new Promise<string>((resolvePromise, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', resolvePromise);
    child.once('exit', (code) => reject(new Error(`stall server exited (${code}) before listening`)));
  });
  const { origin, key } = JSON.parse(first) as { origin: string; key: string };
  return { child, origin, key };
}

const server = await startServer();
const auth = { authorization: `Bearer ${server.key}` };
const sampleAgent = new Agent({ keepAlive: true, maxSockets: 256 });

function get(path: string, headers: Record<string, string>, agent?: Agent): Promise<{ ms: number; status: number; bytes: number }> {
  return new Promise((resolvePromise, reject) => {
    const started = process.hrtime.bigint();
    request(`${server.origin}${path}`, { headers, ...(agent ? { agent } : {}) }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolvePromise({ ms: Number(process.hrtime.bigint() - started) / 1e6, status: res.statusCode!, bytes }));
      res.on('error', reject);
    }).on('error', reject).end();
  });
}

interface Samples {
  healthz: number[];
  rest: number[];
  errors: number;
}

/** Runs `load` while sampling both endpoints every intervalMs; the load's own duration is returned too. */
async function sampled(load: () => Promise<unknown>): Promise<Samples & { seconds: number; answer: unknown; clientLagMaxMs: number }> {
  const samples: Samples = { healthz: [], rest: [], errors: 0 };
  const inFlight = new Set<Promise<void>>();
  const probe = (path: string, headers: Record<string, string>, into: number[]) => {
    const p = get(path, headers, sampleAgent)
      .then((r) => (r.status === 200 ? into.push(r.ms) : samples.errors++))
      .catch(() => samples.errors++)
      .then(() => {
        inFlight.delete(p);
      });
    inFlight.add(p);
  };
  const timer = setInterval(() => {
    probe('/healthz', {}, samples.healthz);
    probe('/api/v1/iocs?limit=100', auth, samples.rest);
  }, intervalMs);
  // This process's own event loop, so that a stall of the client is not read as the server's.
  const lag = monitorEventLoopDelay({ resolution: 5 });
  lag.enable();
  const started = process.hrtime.bigint();
  let answer: unknown;
  try {
    answer = await load();
  } finally {
    clearInterval(timer);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await Promise.all(inFlight);
  lag.disable();
  return { ...samples, seconds, answer, clientLagMaxMs: lag.max / 1e6 };
}

/**
 * The export's client in a worker thread of its own: read at loopback speed on the probing thread, the 150 MB answer
 * stalled that thread's own loop by about 30 ms, and the probes waiting on it read as the server's (its own lag probe
 * saw no turn over 20 ms in the same runs).
 */
const EXPORT_CLIENT = `
const { parentPort, workerData } = require('node:worker_threads');
const { request } = require('node:http');
request(workerData.url, { headers: workerData.headers }, (res) => {
  let bytes = 0;
  res.on('data', (c) => (bytes += c.length));
  res.on('end', () => parentPort.postMessage({ status: res.statusCode, bytes }));
  res.on('error', (e) => parentPort.postMessage({ error: String(e) }));
}).on('error', (e) => parentPort.postMessage({ error: String(e) })).end();
`;

const stixExport = async () => {
  const worker = new Worker(EXPORT_CLIENT, { eval: true, workerData: { url: `${server.origin}/api/v1/iocs/stix`, headers: { ...auth, 'accept-encoding': 'identity' } } });
  try {
    const [r] = (await once(worker, 'message')) as [{ status?: number; bytes?: number; error?: string }];
    if (r.status !== 200) throw new Error(`STIX export: ${r.error ?? r.status}`);
    return r.bytes!;
  } finally {
    await worker.terminate();
  }
};

function indicator(i: number): Record<string, unknown> {
  const t = '2026-05-01T00:00:00.000Z';
  return {
    type: 'indicator', spec_version: '2.1', id: `indicator--${randomUUID()}`, created: t, modified: t, name: `stall ${i}`,
    indicator_types: ['malicious-activity'], pattern: `[ipv4-addr:value = '198.18.${(i >> 8) & 255}.${i & 255}']`,
    pattern_type: 'stix', pattern_version: '2.1', valid_from: t,
  };
}

/**
 * The envelope is built (and the status resource read) outside the measured load: a 7 MB JSON.stringify and a 2 MB
 * JSON.parse hold this process's own event loop for tens of milliseconds, which the probes would count against the
 * server.
 */
let taxiiBody = Buffer.alloc(0);
const prepareTaxiiPost = () => {
  taxiiBody = Buffer.from(JSON.stringify({ objects: Array.from({ length: objectCount }, (_, i) => indicator(i)) }));
};

function taxiiPost(): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolvePromise, reject) => {
    const req = request(`${server.origin}/api/taxii2/api/collections/${COLLECTION}/objects/`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/taxii+json;version=2.1', accept: 'application/taxii+json;version=2.1' },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolvePromise({ status: res.statusCode!, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(taxiiBody);
  });
}

function checkTaxiiPost(answer: unknown): void {
  const { status, body } = answer as { status: number; body: Buffer };
  const text = body.toString('utf8');
  if (status !== 202) throw new Error(`TAXII POST: ${status} ${text.slice(0, 300)}`);
  const stored = (JSON.parse(text) as { success_count: number }).success_count;
  if (stored !== objectCount) throw new Error(`TAXII POST: ${stored} of ${objectCount} stored`);
}

function socdImport(): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [resolve('bin/socd.js'), 'import', importCsv, '--source', 'stall', '--max-errors', '0'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, DATABASE_URL: dbUrl, SOCD_CONFIG: '' },
    });
    let tail = '';
    child.stderr!.on('data', (c: Buffer) => (tail = (tail + c.toString()).slice(-2000)));
    child.on('exit', (code) => (code === 0 || code === 2 ? resolvePromise() : reject(new Error(`socd import: exit ${code}\n${tail}`))));
  });
}

/**
 * Pages whose filter passes over every IOC: TAXII pages of `all-iocs` at a version no object has (`match[version]` of a
 * timestamp) and REST pages of a confidence band none of the bench's IOCs has (`confidence=high`). Two clients of
 * each, five pages each, one after the other.
 */
const FILTERED_CLIENTS = 4;
const FILTERED_PAGES = 5;
async function filteredPages(): Promise<number[]> {
  const taxii = { url: `${server.origin}/api/taxii2/api/collections/all-iocs/objects/?match[version]=2000-01-01T00:00:00.000Z&limit=100`, headers: { ...auth, accept: 'application/taxii+json;version=2.1' } };
  const rest = { url: `${server.origin}/api/v1/iocs?confidence=high&limit=100`, headers: auth };
  return Promise.all(Array.from({ length: FILTERED_CLIENTS }, async (_, client) => {
    const { url, headers } = client % 2 ? rest : taxii;
    let objects = 0;
    for (let i = 0; i < FILTERED_PAGES; i++) {
      const res = await fetch(url, { headers });
      const body = (await res.json()) as { objects?: unknown[]; more?: boolean };
      if (res.status !== 200 || body.more) throw new Error(`filtered page: ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
      objects += body.objects?.length ?? 0;
    }
    return objects;
  }));
}

function checkFilteredPages(answer: unknown): void {
  if ((answer as number[]).some((n) => n !== 0)) throw new Error(`filtered TAXII pages: objects of a version none has: ${JSON.stringify(answer)}`);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const loads: Array<{ name: string; key: string; run: () => Promise<unknown>; prepare?: () => void; check?: (answer: unknown) => void }> = [
  { name: 'idle', key: 'idle', run: () => sleep(3000) },
  { name: '1 STIX export, no gzip', key: 'export1', run: stixExport },
  { name: '4 STIX exports at once', key: 'export4', run: () => Promise.all([1, 2, 3, 4].map(stixExport)) },
  { name: `TAXII POST of ${objectCount.toLocaleString('en-US')} objects`, key: 'taxii', run: taxiiPost, prepare: prepareTaxiiPost, check: checkTaxiiPost },
  { name: `${FILTERED_CLIENTS} × ${FILTERED_PAGES} pages passing over all`, key: 'filtered', run: filteredPages, check: checkFilteredPages },
  { name: `socd import of ${importCount.toLocaleString('en-US')} lines`, key: 'import', run: socdImport },
];

const figures: Record<string, number> = {};
const fmt = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  return [quantile(s, 0.5), quantile(s, 0.99), s[s.length - 1] ?? Number.NaN];
};
process.stdout.write(`stall bench: ${count.toLocaleString('en-US')} IOCs, /healthz and a REST page every ${intervalMs} ms, key last-use written every ${args['flush-ms']} ms\n`);
process.stdout.write(`${'load'.padEnd(34)} ${'s'.padStart(6)}   ${'healthz p50 / p99 / max ms'.padEnd(28)} ${'REST page p50 / p99 / max ms'.padEnd(28)} errors  client lag\n`);
// Warm up (compiled code paths, schema validators, the page cache) before anything is measured.
for (let i = 0; i < 20; i++) await Promise.all([get('/healthz', {}, sampleAgent), get('/api/v1/iocs?limit=100', auth, sampleAgent)]);
try {
  for (const load of loads.filter((l) => String(args.loads).split(',').includes(l.key))) {
    load.prepare?.();
    await sleep(1000);
    const r = await sampled(load.run);
    load.check?.(r.answer);
    const h = fmt(r.healthz);
    const p = fmt(r.rest);
    const cell = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(' / ').padEnd(28);
    process.stdout.write(`${load.name.padEnd(34)} ${r.seconds.toFixed(1).padStart(6)}   ${cell(h)} ${cell(p)} ${String(r.errors).padStart(6)} ${r.clientLagMaxMs.toFixed(1).padStart(10)}\n`);
    figures[`${load.key}_seconds`] = round(r.seconds, 2);
    ['p50', 'p99', 'max'].forEach((q, i) => {
      figures[`${load.key}_healthz_${q}_ms`] = round(h[i]!, 1);
      figures[`${load.key}_rest_${q}_ms`] = round(p[i]!, 1);
    });
    figures[`${load.key}_errors`] = r.errors;
    figures[`${load.key}_client_lag_max_ms`] = round(r.clientLagMaxMs, 1);
  }
} finally {
  server.child.kill('SIGTERM');
  await new Promise((r) => server.child.once('exit', r));
  sampleAgent.destroy();
  rmSync(dir, { recursive: true, force: true });
}
emitBenchJson(args.json, figures);
