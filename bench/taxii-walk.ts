/**
 * Bench: walk the all-iocs TAXII collection of N IOCs with limit=1000 by `next` over loopback (objects/s), the
 * latency of a page at depth 0 and at depth 0.9·N (median of 21), and requests/s of 32 concurrent clients
 * fetching limit=100 pages.
 *
 *   node dist/bench/taxii-walk.js [--count 1000000] [--seed 42] [--database URL] [--seconds 10] [--fresh] [--no-bare] [--json]
 *
 * Then the bare baseline of the 32 clients (bench/bare-server.ts): a node:http server in this process answers, from
 * memory, the very answers (status, headers, body) our server gave for those pages, keyed by path and query (every
 * page the clients can pick: the ones they did not ask for during the load are fetched from our server after it); the
 * same 32 clients, with the same client code and the same random choice of pages, run against it for the same time
 * (after 1 s unmeasured). Prints its requests/s and ours over it. --no-bare: skip it.
 *
 * Uses the read database of bench/bench-database.ts (bench/out/export-<count>-s<seed>.db, or the schema
 * bench_<count>_s<seed> when --database is a PostgreSQL server URL), made with `socd import` if missing; --fresh makes
 * it again. --seconds: how long the 32 clients run. --json: the last stdout line is `BENCH_JSON {…}`.
 */
import { parseArgs } from 'node:util';
import { Agent, request } from 'node:http';
import { formatTaxiiTimestamp } from '../src/taxii/timestamps.js';
import { backendOf, benchDatabase, displayUrl, openBenchStore } from './bench-database.js';
import { pathAndQuery, Recording, startBareServer } from './bare-server.js';
import { emitBenchJson, MiB, peakRssBytes, quantile, round } from './bench-output.js';
import { startBenchServer } from './bench-server.js';

const { values: args } = parseArgs({
  options: {
    count: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: '42' },
    database: { type: 'string' },
    seconds: { type: 'string', default: '10' },
    fresh: { type: 'boolean', default: false },
    'no-bare': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const count = Number(args.count);
const loadSeconds = Number(args.seconds);
const { url: dbUrl, outDir } = await benchDatabase(count, String(args.seed), args.database, { fresh: args.fresh });

const { store, identity } = await openBenchStore(dbUrl);
console.log(`taxii     ${backendOf(dbUrl)} ${displayUrl(dbUrl)}`);
const server = await startBenchServer(store, identity, { databaseUrl: dbUrl, dir: outDir, plan: 'pro', email: `taxii-bench-${Date.now()}@example.com` });
const { key } = server;
const base = `${server.origin}/api/taxii2/api/collections/all-iocs/objects/`;
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
const headers = { authorization: `Bearer ${key}`, accept: 'application/taxii+json;version=2.1' };

/** When set, every answer is kept in it (the 32 clients' pages: the bare server answers them again). */
let recording: Recording | undefined;

function get(url: string): Promise<{ ms: number; body: Buffer; last: string | undefined; status: number }> {
  return new Promise((resolvePromise, reject) => {
    const started = process.hrtime.bigint();
    request(url, { headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        const body = Buffer.concat(chunks);
        recording?.record(pathAndQuery(url), res.statusCode!, res.headers, body);
        resolvePromise({ ms, body, last: res.headers['x-taxii-date-added-last'] as string | undefined, status: res.statusCode! });
      });
      res.on('error', reject);
    }).on('error', reject).end();
  });
}

// Walk by next.
let url = `${base}?limit=1000`;
let objects = 0;
let pages = 0;
const depthMarks = new Map<number, string>();
const t0 = process.hrtime.bigint();
for (;;) {
  const { body, last } = await get(url);
  const page = JSON.parse(body.toString('utf8')) as { more?: boolean; next?: string; objects?: unknown[] };
  objects += page.objects?.length ?? 0;
  pages++;
  if (pages === 1 || (pages - 1) * 1000 <= 0.9 * count) depthMarks.set(pages, last ?? '');
  if (!page.more || !page.next) break;
  url = `${base}?limit=1000&next=${encodeURIComponent(page.next)}`;
}
const walkS = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(`walk      ${objects} objects in ${pages} pages of 1000 in ${walkS.toFixed(2)} s = ${Math.round(objects / walkS).toLocaleString('en')} objects/s`);

// Depth 0 vs depth 0.9·N: the same page fetched again by added_after (what a polling SIEM sends).
const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sample = async (u: string) => {
  await get(u);
  const xs: number[] = [];
  for (let i = 0; i < 21; i++) xs.push((await get(u)).ms);
  return median(xs);
};
const deepPage = Math.floor((0.9 * count) / 1000);
const deepAfter = depthMarks.get(deepPage) ?? depthMarks.get(Math.max(...depthMarks.keys()))!;
const shallow = await sample(`${base}?limit=1000`);
const deep = await sample(`${base}?limit=1000&added_after=${deepAfter}`);
console.log(`pages     depth 0: ${shallow.toFixed(2)} ms, depth ${deepPage * 1000}: ${deep.toFixed(2)} ms (median of 21): ratio ${(deep / shallow).toFixed(2)}`);

// 32 concurrent clients, limit=100 pages at random depths, for --seconds (10 s).
const firstAdded = Date.UTC(2026, 0, 1) * 1000;
const pageAt = (mark: number) => `?limit=100&added_after=${depthMarks.get(mark) ?? formatTaxiiTimestamp(firstAdded)}`;
const marks = Math.max(1, depthMarks.size - 1);
/** 32 clients, each asking for a random page of `origin` as soon as it has the previous one, for `seconds`. */
async function clientsLoad(origin: string, seconds: number): Promise<{ requests: number; seconds: number; latencies: number[]; failed: number }> {
  const started = process.hrtime.bigint();
  const stopAt = Date.now() + seconds * 1000;
  const latencies: number[] = [];
  let failed = 0;
  await Promise.all(Array.from({ length: 32 }, async () => {
    while (Date.now() < stopAt) {
      const r = await get(`${origin}${pageAt(1 + Math.floor(Math.random() * marks))}`);
      latencies.push(r.ms);
      if (r.status !== 200) failed++;
    }
  }));
  latencies.sort((a, b) => a - b);
  return { requests: latencies.length, seconds: Number(process.hrtime.bigint() - started) / 1e9, latencies, failed };
}
const recorded = args['no-bare'] ? undefined : new Recording();
recording = recorded;
const load = await clientsLoad(base, loadSeconds);
const { requests, latencies } = load;
const loadS = load.seconds;
const p50 = quantile(latencies, 0.5);
const p99 = quantile(latencies, 0.99);
console.log(`32 clients ${requests} requests of limit=100 in ${loadS.toFixed(1)} s = ${Math.round(requests / loadS).toLocaleString('en')} req/s; p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms${load.failed ? `; ${load.failed} NOT 200` : ''}`);

// The bare baseline: every page the clients can pick, recorded (those not asked for during the load, now), answered
// from memory to the same clients for the same time.
let bare: { requests: number; seconds: number; p50: number; p99: number; misses: number } | undefined;
if (recorded) {
  for (let mark = 1; mark <= marks; mark++) if (!recorded.has(pathAndQuery(`${base}${pageAt(mark)}`))) await get(`${base}${pageAt(mark)}`);
  recording = undefined;
  const floor = await startBareServer(recorded);
  const bareBase = `${floor.origin}${new URL(base).pathname}`;
  await clientsLoad(bareBase, 1);
  const r = await clientsLoad(bareBase, loadSeconds);
  bare = { requests: r.requests, seconds: r.seconds, p50: quantile(r.latencies, 0.5), p99: quantile(r.latencies, 0.99), misses: floor.misses() };
  await floor.close();
  const ratio = requests / loadS / (bare.requests / bare.seconds);
  console.log(`bare      32 clients, the same random pages from a node:http server answering the recorded bytes (${recorded.size} pages, ${(recorded.bytes / MiB).toFixed(1)} MB` +
    `${bare.misses ? `; ${bare.misses} NOT RECORDED, answered 404` : ''}): ${bare.requests} requests in ${bare.seconds.toFixed(1)} s = ` +
    `${Math.round(bare.requests / bare.seconds).toLocaleString('en')} req/s; p50 ${bare.p50.toFixed(1)} ms, p99 ${bare.p99.toFixed(1)} ms; ours/bare = ${ratio.toFixed(2)}`);
}
agent.destroy();
await server.close();
await store.close();
emitBenchJson(args.json, {
  objects,
  pages,
  walk_seconds: round(walkS, 2),
  walk_objects_per_s: Math.round(objects / walkS),
  shallow_page_ms: round(shallow, 2),
  deep_page_ms: round(deep, 2),
  deep_shallow_ratio: round(deep / shallow, 2),
  clients_requests: requests,
  clients_req_per_s: Math.round(requests / loadS),
  clients_p50_ms: round(p50, 1),
  clients_p99_ms: round(p99, 1),
  bare_req_per_s: bare ? Math.round(bare.requests / bare.seconds) : undefined,
  bare_p50_ms: bare ? round(bare.p50, 1) : undefined,
  bare_p99_ms: bare ? round(bare.p99, 1) : undefined,
  bare_misses: bare?.misses,
  bare_ratio: bare ? round(requests / loadS / (bare.requests / bare.seconds), 3) : undefined,
  peak_rss_mb: round(peakRssBytes() / MiB),
});
