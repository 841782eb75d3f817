/**
 * Bench: GET /api/v1/blocklists/{type}.txt over loopback on the read database of N IOCs — the whole list (first
 * request: entries, seconds, bytes, peak RSS of this process, which holds the server) and the conditional request a
 * device sends every few minutes (If-None-Match → 304, median of 20). All IOC types share the N IOCs: the `ip`, `domain`
 * and `url` lists are each a share of them; `--types` picks the lists.
 *
 *   node dist/bench/blocklist.js [--count 1000000] [--seed 42] [--database URL] [--types ip,domain,url] [--format plain] [--json]
 *
 * The database is the read database of bench/bench-database.ts (bench/out/export-<count>-s<seed>.db, or the schema
 * bench_<count>_s<seed> when --database is a PostgreSQL server URL), made with `socd import` when missing and reused.
 */
import { request } from 'node:http';
import { parseArgs } from 'node:util';
import { backendOf, benchDatabase, displayUrl, openBenchStore } from './bench-database.js';
import { emitBenchJson, mb, quantile, round } from './bench-output.js';
import { startBenchServer } from './bench-server.js';

const { values: args } = parseArgs({
  options: {
    count: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: '42' },
    database: { type: 'string' },
    types: { type: 'string', default: 'ip,domain,url' },
    format: { type: 'string', default: 'plain' },
    json: { type: 'boolean', default: false },
  },
});
const count = Number(args.count);
const { url: dbUrl, outDir } = await benchDatabase(count, String(args.seed), args.database);

/** One request read to its end: status, entries (lines), bytes, seconds, the ETag. */
function fetchList(url: string, headers: Record<string, string>): Promise<{ status: number; lines: number; bytes: number; seconds: number; etag: string }> {
  return new Promise((resolvePromise, reject) => {
    const started = process.hrtime.bigint();
    request(url, { headers }, (res) => {
      let bytes = 0;
      let lines = 0;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        for (let i = c.indexOf(10); i !== -1; i = c.indexOf(10, i + 1)) lines++;
      });
      res.on('end', () => resolvePromise({ status: res.statusCode!, lines, bytes, seconds: Number(process.hrtime.bigint() - started) / 1e9, etag: String(res.headers.etag) }));
      res.on('error', reject);
    }).on('error', reject).end();
  });
}

const { store, identity } = await openBenchStore(dbUrl);
const server = await startBenchServer(store, identity, { databaseUrl: dbUrl, dir: outDir, plan: 'free', email: `bench-blocklist-${process.pid}@example.com` });
const auth = { authorization: `Bearer ${server.key}` };
const figures: Record<string, number> = {};
process.stdout.write(`blocklists ${backendOf(dbUrl)} (${displayUrl(dbUrl)}), ${count} IOCs, format=${args.format}\n`);
try {
  for (const type of args.types.split(',')) {
    const url = `${server.origin}/api/v1/blocklists/${type}.txt?format=${args.format}`;
    let peak = process.memoryUsage.rss();
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
    const first = await fetchList(url, auth);
    clearInterval(timer);
    if (first.status !== 200) throw new Error(`${type}: status ${first.status}`);
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const again = await fetchList(url, { ...auth, 'if-none-match': first.etag });
      if (again.status !== 304) throw new Error(`${type}: conditional request answered ${again.status}`);
      times.push(again.seconds * 1000);
    }
    times.sort((a, b) => a - b);
    const notModified = quantile(times, 0.5);
    process.stdout.write(
      `  ${type}.txt: ${first.lines} entries, ${mb(first.bytes)} in ${first.seconds.toFixed(2)} s (${Math.round(first.lines / first.seconds)} entries/s), ` +
        `peak RSS ${mb(peak)}; 304 median ${notModified.toFixed(1)} ms\n`,
    );
    figures[`blocklist_${type}_entries`] = first.lines;
    figures[`blocklist_${type}_first_s`] = round(first.seconds, 2);
    figures[`blocklist_${type}_304_ms`] = round(notModified, 1);
  }
} finally {
  await server.close();
  await store.close();
}
emitBenchJson(args.json, figures);
