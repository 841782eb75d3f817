/**
 * Bench: walk the all-iocs TAXII collection of N IOCs with limit=1000 by `next` over loopback (objects/s), the
 * latency of a page at depth 0 and at depth 0.9·N (median of 21), and requests/s of 32 concurrent clients
 * fetching limit=100 pages.
 *
 *   node dist/bench/taxii-walk.js [--count 1000000] [--seed 42]
 *
 * Uses the database of bench/export.ts (bench/out/export-<count>-s<seed>.db), made with `socd import` if missing.
 */
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { benchDatabase } from './bench-database.js';
import { Agent, request } from 'node:http';
import { Authenticator } from '../src/auth/authenticator.js';
import { issueKey } from '../src/auth/key-service.js';
import { TokenSigner } from '../src/auth/signed-token.js';
import { loadConfig } from '../src/config/config.js';
import { buildApp } from '../src/http/app.js';
import { iocStixRenderer } from '../src/stix/render-ioc.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { formatTaxiiTimestamp } from '../src/taxii/timestamps.js';

const { values: args } = parseArgs({ options: { count: { type: 'string', default: '1000000' }, seed: { type: 'string', default: '42' } } });
const count = Number(args.count);
const { dbPath, outDir } = benchDatabase(count, String(args.seed));

const identity = { id: 'identity--7b7d9a0e-8d1c-4a4e-b6a5-0c2b8f3d9e10', name: 'bench', created: Date.UTC(2026, 0, 1) };
const store = new SqliteStore(dbPath, { renderVersion: iocStixRenderer(identity.id) });
await store.migrate();
const config = loadConfig({ DATABASE_URL: `sqlite:${dbPath}`, LOG_LEVEL: 'silent' }, outDir);
config.plans.pro.rateLimit.max = 1e9;
const app = await buildApp({ store, config, authenticator: new Authenticator(store), signer: new TokenSigner('b'.repeat(32)), identity, logger: false });
await app.listen({ port: 0, host: '127.0.0.1' });
const { key } = await issueKey(store, `taxii-bench-${Date.now()}@example.com`, 'pro', null);
const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/api/taxii2/api/collections/all-iocs/objects/`;
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
const headers = { authorization: `Bearer ${key}`, accept: 'application/taxii+json;version=2.1' };

function get(url: string): Promise<{ ms: number; body: Buffer; last: string | undefined }> {
  return new Promise((resolvePromise, reject) => {
    const started = process.hrtime.bigint();
    request(url, { headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolvePromise({ ms: Number(process.hrtime.bigint() - started) / 1e6, body: Buffer.concat(chunks), last: res.headers['x-taxii-date-added-last'] as string | undefined }));
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

// 32 concurrent clients, limit=100 pages at random depths, for 10 s.
const firstAdded = Date.UTC(2026, 0, 1) * 1000;
const stopAt = Date.now() + 10_000;
let requests = 0;
const latencies: number[] = [];
await Promise.all(Array.from({ length: 32 }, async () => {
  while (Date.now() < stopAt) {
    const after = depthMarks.get(1 + Math.floor(Math.random() * Math.max(1, depthMarks.size - 1))) ?? formatTaxiiTimestamp(firstAdded);
    const r = await get(`${base}?limit=100&added_after=${after}`);
    latencies.push(r.ms);
    requests++;
  }
}));
latencies.sort((a, b) => a - b);
console.log(`32 clients ${requests} requests of limit=100 in 10 s = ${Math.round(requests / 10).toLocaleString('en')} req/s; p50 ${latencies[Math.floor(latencies.length / 2)]!.toFixed(1)} ms, p99 ${latencies[Math.floor(latencies.length * 0.99)]!.toFixed(1)} ms`);
agent.destroy();
await app.close();
await store.close();
