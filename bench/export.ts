/**
 * Bench: GET /api/v1/iocs/stix of N IOCs over loopback, beside the ceiling of simply writing the same stored
 * JSON to a socket (a bare node:http server reading object_versions). Prints indicators/s, bytes/s and the peak
 * RSS of this process during each export.
 *
 *   node dist/bench/export.js [--count 1000000] [--seed 42]
 *
 * The database is made once per count with `socd import` (bench/out/export-<count>.db) and reused.
 */
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { benchDatabase } from './bench-database.js';
import Database from 'better-sqlite3';
import { Authenticator } from '../src/auth/authenticator.js';
import { issueKey } from '../src/auth/key-service.js';
import { TokenSigner } from '../src/auth/signed-token.js';
import { loadConfig } from '../src/config/config.js';
import { buildApp } from '../src/http/app.js';
import { iocStixRenderer } from '../src/stix/render-ioc.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';

const { values: args } = parseArgs({ options: { count: { type: 'string', default: '1000000' }, seed: { type: 'string', default: '42' } } });
const count = Number(args.count);
const { dbPath, outDir } = benchDatabase(count, String(args.seed));
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;

/** Peak RSS of this process while `fn` runs, sampled every 20 ms. */
async function withPeakRss<T>(fn: () => Promise<T>): Promise<{ result: T; peak: number }> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  try {
    const result = await fn();
    return { result, peak: Math.max(peak, process.memoryUsage.rss()) };
  } finally {
    clearInterval(timer);
  }
}

/** Reads a whole answer as a client would, counting its bytes. */
function download(url: string, headers: Record<string, string>): Promise<{ bytes: number; seconds: number; status: number }> {
  return new Promise((resolvePromise, reject) => {
    const started = process.hrtime.bigint();
    request(url, { headers }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolvePromise({ bytes, status: res.statusCode!, seconds: Number(process.hrtime.bigint() - started) / 1e9 }));
      res.on('error', reject);
    }).on('error', reject).end();
  });
}

// The ceiling: the stored JSON of every latest version, written as it is read, in 64 KB chunks.
const raw = new Database(dbPath, { readonly: true });
const objects = raw.prepare('SELECT count(*) FROM object_versions WHERE latest = 1 AND ioc_id IS NOT NULL').pluck().get() as number;
const bare = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/stix+json;version=2.1' });
  const rows = raw.prepare('SELECT json FROM object_versions WHERE latest = 1 ORDER BY date_added').pluck().iterate() as IterableIterator<string>;
  let separator = '';
  let chunk = '{"type":"bundle","objects":[';
  const pump = () => {
    for (let next = rows.next(); !next.done; next = rows.next()) {
      chunk += separator + next.value;
      separator = ',';
      if (chunk.length >= 65536) {
        const more = res.write(chunk);
        chunk = '';
        if (!more) return void res.once('drain', pump);
      }
    }
    res.end(`${chunk}]}`);
  };
  pump();
});
await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
const baseline = await withPeakRss(() => download(`http://127.0.0.1:${(bare.address() as AddressInfo).port}/`, {}));
bare.close();

const store = new SqliteStore(dbPath, { renderVersion: iocStixRenderer('identity--7b7d9a0e-8d1c-4a4e-b6a5-0c2b8f3d9e10') });
await store.migrate();
const config = loadConfig({ DATABASE_URL: `sqlite:${dbPath}`, LOG_LEVEL: 'silent' }, outDir);
config.plans.pro.rateLimit.max = 1e9;
const identity = { id: 'identity--7b7d9a0e-8d1c-4a4e-b6a5-0c2b8f3d9e10', name: 'bench', created: Date.UTC(2026, 0, 1) };
const app = await buildApp({ store, config, authenticator: new Authenticator(store), signer: new TokenSigner('b'.repeat(32)), identity, logger: false });
await app.listen({ port: 0, host: '127.0.0.1' });
const { key } = await issueKey(store, `bench-${Date.now()}@example.com`, 'pro', null);
const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/api/v1/iocs/stix`;
const exported = await withPeakRss(() => download(url, { authorization: `Bearer ${key}` }));
const gzipped = await withPeakRss(() => download(url, { authorization: `Bearer ${key}`, 'accept-encoding': 'gzip' }));
await app.close();
await store.close();

const line = (name: string, r: { result: { bytes: number; seconds: number }; peak: number }) =>
  console.log(`${name.padEnd(34)} ${objects} objects, ${mb(r.result.bytes)} in ${r.result.seconds.toFixed(2)} s = ` +
    `${Math.round(objects / r.result.seconds).toLocaleString('en')} objects/s, ${mb(r.result.bytes / r.result.seconds)}/s; peak RSS ${mb(r.peak)}`);
line('bare write of the stored JSON', baseline);
line('GET /api/v1/iocs/stix', exported);
line('GET /api/v1/iocs/stix (gzip)', gzipped);
