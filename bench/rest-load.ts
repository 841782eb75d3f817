/**
 * Bench: GET /api/v1/iocs?limit=100 under load — 32 concurrent clients over loopback (keep-alive), each walking pages by
 * `next_cursor` from a start of its own, for --seconds (10 s, the time bench/taxii-walk.ts gives its 32 clients) after
 * --warmup seconds (2 s) of the same walks unmeasured. Prints p50 and p99 latency (ms) and requests/s; then the cost of
 * the first page against a page at the end of the data, and of a search by value (`q`) (median of 21 each).
 *
 *   node dist/bench/rest-load.js [--count 1000000] [--seed 42] [--database URL] [--seconds 10] [--warmup 2] [--clients 32]
 *                                [--fresh] [--no-bare] [--json]
 *
 * Starts: client i asks for one of eight type filters (none, ipv4, url, domain, sha256, md5, ipv6, sha1) with a
 * `since` at the (i/32)th point of the time the IOCs were added over, so that the clients spread over the data and
 * over both kinds of scan (every type, one type). `since` has the grain of the import's transactions (IOCs added
 * together share their time): clients whose start is the same as an earlier client's first walk on, unmeasured, by 5
 * pages per client before them. A client that reaches the end of its walk starts it again.
 *
 * The warm-up: the TAXII bench's clients run after its full walk of the collection, in a process that walk warmed.
 * The measured time is the TAXII load's, so that the two rates are taken alike. (A long run flatters the figure: the
 * clients that start late in the data reach its end and walk their cached first pages again.)
 *
 * Then the bare baseline (bench/bare-server.ts): a node:http server in this process answers, from memory, the very
 * answers (status, headers, body) our server gave during the measured load, keyed by path and query; the same 32
 * clients send each the same sequence of requests to it (the first 100 of each client's, so that the recording stays
 * about 130 MB), with the same client code (after one unmeasured pass over up to 200 of them). Prints its requests/s
 * and ours over it. --no-bare: skip it.
 *
 * The database is the read database of bench/bench-database.ts (bench/out/export-<count>-s<seed>.db, or the schema
 * bench_<count>_s<seed> when --database is a PostgreSQL server URL), made with `socd import` when missing; --fresh
 * makes it again. --json: the last stdout line is `BENCH_JSON {…}`. Prints figures; asserts nothing.
 */
import { Agent, request } from 'node:http';
import { parseArgs } from 'node:util';
import { backendOf, benchDatabase, displayUrl, openBenchStore } from './bench-database.js';
import { pathAndQuery, Recording, startBareServer } from './bare-server.js';
import { emitBenchJson, median, MiB, peakRssBytes, quantile, round } from './bench-output.js';
import { startBenchServer } from './bench-server.js';

const { values: args } = parseArgs({
  options: {
    count: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: '42' },
    database: { type: 'string' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    clients: { type: 'string', default: '32' },
    fresh: { type: 'boolean', default: false },
    'no-bare': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const count = Number(args.count);
const loadSeconds = Number(args.seconds);
const warmupSeconds = Number(args.warmup);
/** Requests of each client kept for the bare server's replay. */
const REPLAYED_PER_CLIENT = 100;
const clients = Number(args.clients);
const LIMIT = 100;
const FILTERS = [undefined, 'ipv4', 'url', 'domain', 'sha256', 'md5', 'ipv6', 'sha1'] as const;
const SKIP_PAGES = 5;

const { url: dbUrl, outDir } = await benchDatabase(count, String(args.seed), args.database, { fresh: args.fresh });
const { store, identity } = await openBenchStore(dbUrl);
const server = await startBenchServer(store, identity, { databaseUrl: dbUrl, dir: outDir, plan: 'pro', email: `rest-bench-${Date.now()}@example.com` });
const { key } = server;
const base = `${server.origin}/api/v1/iocs`;
const agent = new Agent({ keepAlive: true, maxSockets: clients + 8 });
const headers = { authorization: `Bearer ${key}`, accept: 'application/json' };

interface Page {
  data: Array<{ id: string; added_at: string; value: string }>;
  pagination: { next_cursor: string | null; has_more: boolean };
}

/** The answers of our server that the bare server gives again (the measured load's first requests of each client). */
const recorded = args['no-bare'] ? undefined : new Recording();

/**
 * One page. The load phase reads only `pagination` (the last member of the answer), as a client that forwards the data
 * would; `full` parses the whole page. `url`: on our server, or on the bare one.
 */
function getUrl(url: string, full = false, record = false): Promise<{ ms: number; page: Page }> {
  return new Promise((resolvePromise, reject) => {
    const started = process.hrtime.bigint();
    request(url, { headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        const body = Buffer.concat(chunks);
        const text = body.toString('utf8');
        if (res.statusCode !== 200) return reject(new Error(`GET ${url}: ${res.statusCode} ${text.slice(0, 300)}`));
        if (record) recorded?.record(pathAndQuery(url), res.statusCode, res.headers, body);
        const at = text.lastIndexOf('"pagination":');
        resolvePromise({ ms, page: full || at < 0 ? (JSON.parse(text) as Page) : { data: [], ...(JSON.parse(`{${text.slice(at)}`) as Pick<Page, 'pagination'>) } });
      });
      res.on('error', reject);
    }).on('error', reject).end();
  });
}

function urlOf(query: Record<string, string | undefined>): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) qs.set(k, v);
  return `${base}?${qs}`;
}

const get = (query: Record<string, string | undefined>, full = false) => getUrl(urlOf(query), full);

const iso = (ms: number) => new Date(ms).toISOString();

// The span of added_at: the first IOC's, and the last one's by bisection on `since` (is anything added after t?).
const firstPage = (await get({ limit: '1' }, true)).page;
if (firstPage.data.length === 0) throw new Error(`${displayUrl(dbUrl)} holds no active IOCs`);
const minAdded = Date.parse(firstPage.data[0]!.added_at);
let lo = minAdded - 1; // something was added after lo
let hi = Math.max(Date.now(), minAdded) + 1;
while ((await get({ limit: '1', since: iso(hi) }, true)).page.data.length > 0) hi += 365 * 86_400_000;
while (hi - lo > 1) {
  const mid = Math.floor((lo + hi) / 2);
  if ((await get({ limit: '1', since: iso(mid) }, true)).page.data.length > 0) lo = mid;
  else hi = mid;
}
const maxAdded = hi;

// Each client's start: a filter, a since; then, unmeasured, its first page and as many more as it must skip.
interface Client {
  query: Record<string, string | undefined>;
  cursor: string | null;
}
const starts: Client[] = Array.from({ length: clients }, (_, i) => {
  const type = FILTERS[i % FILTERS.length];
  const at = Math.floor((i / clients) * (maxAdded - minAdded + 1));
  return { query: { limit: String(LIMIT), type, since: i === 0 || at === 0 ? undefined : iso(minAdded - 1 + at) }, cursor: null };
});
const firstIds = await Promise.all(starts.map(async (c) => (await get(c.query, true)).page.data[0]?.id ?? 'end'));
const seen = new Map<string, number>();
let distinctStarts = 0;
await Promise.all(starts.map(async (c, i) => {
  const startKey = `${c.query.type ?? '*'} ${firstIds[i]}`;
  const rank = seen.get(startKey) ?? 0;
  seen.set(startKey, rank + 1);
  if (rank === 0) distinctStarts++;
  for (let p = 0; p < rank * SKIP_PAGES; p++) {
    const { page } = await get({ ...c.query, cursor: c.cursor ?? undefined });
    c.cursor = page.pagination.next_cursor;
    if (c.cursor === null) break;
  }
}));

// The load: every client sends its next page as soon as it has the previous one, first for the warm-up, unmeasured,
// then for the measured seconds. The first requests of each client's measured part are noted in order, and their
// answers kept, for the bare server.
let restarts = 0;
const latencies: number[] = [];
const sequences: string[][] = starts.map(() => []);
async function load(seconds: number, measured: boolean): Promise<number> {
  const stopAt = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  const t0 = process.hrtime.bigint();
  await Promise.all(starts.map(async (c, i) => {
    while (process.hrtime.bigint() < stopAt) {
      const url = urlOf({ ...c.query, cursor: c.cursor ?? undefined });
      const replayed = measured && recorded !== undefined && sequences[i]!.length < REPLAYED_PER_CLIENT;
      if (replayed) sequences[i]!.push(url);
      const { ms, page } = await getUrl(url, false, replayed);
      if (measured) {
        latencies.push(ms);
        if (page.pagination.next_cursor === null) restarts++;
      }
      c.cursor = page.pagination.next_cursor;
    }
  }));
  return Number(process.hrtime.bigint() - t0) / 1e9;
}
await load(warmupSeconds, false);
const loadS = await load(loadSeconds, true);
latencies.sort((a, b) => a - b);
const p50 = quantile(latencies, 0.5);
const p99 = quantile(latencies, 0.99);

console.log(`rest      ${backendOf(dbUrl)} ${displayUrl(dbUrl)}; IOCs added from ${iso(minAdded)} to ${iso(maxAdded)}`);
console.log(`rest      ${clients} clients (${distinctStarts} distinct first pages; a client sharing one skipped ${SKIP_PAGES} pages per client before it), ${latencies.length} requests of limit=${LIMIT} (${restarts} walks reached the end and started again) in ${loadS.toFixed(2)} s after ${warmupSeconds} s unmeasured = ` +
  `${Math.round(latencies.length / loadS).toLocaleString('en')} req/s; p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${latencies[latencies.length - 1]!.toFixed(1)} ms`);

// First page against a page at the end: the last IOCs added at the same time as the last one, walked by cursor (limit
// 1000, at most 200 pages: else the ratio is not cheap and is left out); the cursor before the last full 100.
const sample = async (q: Record<string, string | undefined>) => {
  await get(q);
  const xs: number[] = [];
  for (let i = 0; i < 21; i++) xs.push((await get(q)).ms);
  return median(xs);
};
let lastQuery: Record<string, string | undefined> | undefined;
{
  const since = iso(maxAdded - 1);
  let cursor: string | null = null;
  const cursors: Array<{ cursor: string | null; n: number }> = [];
  for (let pages = 0; pages < 200; pages++) {
    const { page } = await get({ limit: '1000', since, cursor: cursor ?? undefined }, true);
    cursors.push({ cursor, n: page.data.length });
    cursor = page.pagination.next_cursor;
    if (cursor === null) {
      // The last page of 1,000 has ≥ 100 IOCs: start there; else the page before it.
      const at = cursors.length >= 2 && cursors[cursors.length - 1]!.n < LIMIT ? cursors[cursors.length - 2]! : cursors[cursors.length - 1]!;
      lastQuery = { limit: String(LIMIT), since, cursor: at.cursor ?? undefined };
      break;
    }
  }
}
const firstMs = await sample({ limit: String(LIMIT) });
const lastMs = lastQuery ? await sample(lastQuery) : Number.NaN;
// A search by value (`q`, "is this bad?" on the list): the IOC in the middle of the data, found by its value.
const middle = (await get({ limit: '1', since: iso(Math.floor((minAdded + maxAdded) / 2)) }, true)).page.data[0]!;
const searchMs = await sample({ q: middle.value });
console.log(lastQuery
  ? `pages     first ${firstMs.toFixed(2)} ms, last ${lastMs.toFixed(2)} ms (median of 21, limit=${LIMIT}): last/first = ${(lastMs / firstMs).toFixed(2)}`
  : `pages     first ${firstMs.toFixed(2)} ms; the last page is more than 200 pages from the last \`since\` step: not measured`);
console.log(`search    GET /api/v1/iocs?q=<a value in the middle of the data>: ${searchMs.toFixed(2)} ms (median of 21)`);

await server.close();
await store.close();

// The bare baseline: the same clients send the same sequences to a server answering the recorded bytes.
let bare: { requests: number; seconds: number; p50: number; p99: number; misses: number } | undefined;
if (recorded) {
  const floor = await startBareServer(recorded);
  const onBare = (url: string) => `${floor.origin}${pathAndQuery(url)}`;
  const warm = sequences.flatMap((s) => s.slice(0, Math.ceil(200 / clients)));
  await Promise.all(Array.from({ length: clients }, async (_, i) => {
    for (let j = i; j < warm.length; j += clients) await getUrl(onBare(warm[j]!));
  }));
  const bareLatencies: number[] = [];
  const b0 = process.hrtime.bigint();
  await Promise.all(sequences.map(async (seq) => {
    for (const url of seq) bareLatencies.push((await getUrl(onBare(url))).ms);
  }));
  const seconds = Number(process.hrtime.bigint() - b0) / 1e9;
  bareLatencies.sort((a, b) => a - b);
  bare = { requests: bareLatencies.length, seconds, p50: quantile(bareLatencies, 0.5), p99: quantile(bareLatencies, 0.99), misses: floor.misses() };
  await floor.close();
  const ours = latencies.length / loadS;
  const theirs = bareLatencies.length / seconds;
  console.log(`bare      the same ${bareLatencies.length} requests by the same ${clients} clients to a node:http server answering the recorded bytes ` +
    `(${recorded.size} pages, ${(recorded.bytes / MiB).toFixed(1)} MB${bare.misses ? `; ${bare.misses} NOT RECORDED, answered 404` : ''}) in ${seconds.toFixed(2)} s = ` +
    `${Math.round(theirs).toLocaleString('en')} req/s; p50 ${bare.p50.toFixed(1)} ms, p99 ${bare.p99.toFixed(1)} ms; ours/bare = ${(ours / theirs).toFixed(2)}`);
}
agent.destroy();
const bareReqPerS = bare ? bare.requests / bare.seconds : undefined;
emitBenchJson(args.json, {
  clients,
  distinct_starts: distinctStarts,
  requests: latencies.length,
  seconds: round(loadS, 2),
  req_per_s: Math.round(latencies.length / loadS),
  p50_ms: round(p50, 1),
  p99_ms: round(p99, 1),
  max_ms: round(latencies[latencies.length - 1]!, 1),
  first_page_ms: round(firstMs, 2),
  last_page_ms: lastQuery ? round(lastMs, 2) : undefined,
  last_first_ratio: lastQuery ? round(lastMs / firstMs, 2) : undefined,
  search_ms: round(searchMs, 2),
  bare_req_per_s: bareReqPerS !== undefined ? Math.round(bareReqPerS) : undefined,
  bare_p50_ms: bare ? round(bare.p50, 1) : undefined,
  bare_p99_ms: bare ? round(bare.p99, 1) : undefined,
  bare_misses: bare?.misses,
  bare_ratio: bareReqPerS !== undefined ? round(latencies.length / loadS / bareReqPerS, 3) : undefined,
  peak_rss_mb: round(peakRssBytes() / MiB),
});
