/**
 * Bench: import N generated IOCs into a fresh SQLite database through the same pipeline as `socd import`
 * (CSV file → parse → normalize → batched upserts), then walk GET /api/v1/iocs?limit=1000 to the end over
 * loopback and compare the cost of the first and the last page.
 *
 *   node dist/bench/import-and-walk.js [--count 1000000] [--seed 42] [--batch-size 50000] [--cache-mb 256] [--serial] [--keep]
 *
 * Prints figures; asserts nothing. Peak RSS is the process's maximum resident set size.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Authenticator } from '../src/auth/authenticator.js';
import { issueKey } from '../src/auth/key-service.js';
import { TokenSigner } from '../src/auth/signed-token.js';
import { loadConfig } from '../src/config/config.js';
import { importFile } from '../src/connectors/file-import.js';
import { buildApp } from '../src/http/app.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { iocStixRenderer } from '../src/stix/render-ioc.js';

const { values: args } = parseArgs({
  options: {
    count: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: '42' },
    'batch-size': { type: 'string', default: '50000' },
    serial: { type: 'boolean', default: false },
    'cache-mb': { type: 'string', default: '256' },
    keep: { type: 'boolean', default: false },
  },
});
const count = Number(args.count);
const outDir = resolve('bench/out');
mkdirSync(outDir, { recursive: true });
const csv = join(outDir, `iocs-${count}-s${args.seed}.csv`);
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;
const peakRss = () => process.resourceUsage().maxRSS * 1024;

if (!existsSync(csv)) {
  process.stderr.write(`generating ${csv}…\n`);
  const gen = spawnSync(process.execPath, [resolve('dist/bench/generate.js'), '--count', String(count), '--seed', String(args.seed), '--out', csv], { stdio: 'inherit' });
  if (gen.status !== 0) process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), 'socd-bench-'));
const identity = { id: 'identity--7b7d9a0e-8d1c-4a4e-b6a5-0c2b8f3d9e10', name: 'bench', created: Date.UTC(2026, 0, 1) };
const store = new SqliteStore(join(dir, 'socd.db'), { renderVersion: iocStixRenderer(identity.id), cacheMb: Number(args['cache-mb']) });
await store.migrate();
await store.upsertSource({ id: 'bench', name: 'bench', reliability: 1, redistributable: true, aggregate: false, tlp: 'clear' });

const t0 = process.hrtime.bigint();
const summary = await importFile(store, csv, { format: 'csv', source: 'bench', confidence: 50, batchSize: Number(args['batch-size']), parallel: !args.serial });
const importS = Number(process.hrtime.bigint() - t0) / 1e9;
const rssAfterImport = peakRss();
console.log(`import   (${args.serial ? 'one thread' : 'parse in a worker'}, ${args['batch-size']} per transaction) ${summary.read} records (${mb(statSync(csv).size)} CSV) in ${importS.toFixed(2)} s = ${Math.round(summary.read / importS).toLocaleString('en')} IOCs/s; ` +
  `${summary.inserted} new, ${summary.rejected} rejected; peak RSS ${mb(rssAfterImport)}; db ${mb(statSync(join(dir, 'socd.db')).size)}`);

const config = loadConfig({ DATABASE_URL: 'sqlite::memory:', LOG_LEVEL: 'silent' }, dir);
config.plans.admin.rateLimit.max = 1e9;
const app = await buildApp({ store, config, authenticator: new Authenticator(store), signer: new TokenSigner('b'.repeat(32)), identity, logger: false });
await app.listen({ port: 0, host: '127.0.0.1' });
const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
const { key } = await issueKey(store, 'bench@example.com', 'admin', null);
const headers = { authorization: `Bearer ${key}` };

const fetchPage = async (cursor: string | null) => {
  const started = process.hrtime.bigint();
  const res = await fetch(`${base}/api/v1/iocs?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { headers });
  const body = (await res.json()) as { data: unknown[]; pagination: { next_cursor: string | null } };
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, body };
};

const w0 = process.hrtime.bigint();
let cursor: string | null = null;
let pages = 0;
let items = 0;
let lastCursor: string | null = null;
do {
  lastCursor = cursor;
  const { body } = await fetchPage(cursor);
  pages++;
  items += body.data.length;
  cursor = body.pagination.next_cursor;
} while (cursor);
const walkS = Number(process.hrtime.bigint() - w0) / 1e9;
console.log(`walk     ${items} IOCs in ${pages} pages of 1000 in ${walkS.toFixed(2)} s = ${Math.round(items / walkS).toLocaleString('en')} IOCs/s`);

// First vs last page: the median of repeated fetches, after a warm-up.
const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sample = async (c: string | null) => {
  await fetchPage(c);
  const xs: number[] = [];
  for (let i = 0; i < 21; i++) xs.push((await fetchPage(c)).ms);
  return median(xs);
};
const first = await sample(null);
const last = await sample(lastCursor);
console.log(`pages    first ${first.toFixed(2)} ms, last ${last.toFixed(2)} ms (median of 21): last/first = ${(last / first).toFixed(2)}`);
console.log(`peak RSS ${mb(peakRss())}`);

await app.close();
await store.close();
if (!args.keep) rmSync(dir, { recursive: true, force: true });
else console.log(`database kept in ${dir}`);
