/**
 * Bench: GET /api/v1/iocs/stix of N IOCs over loopback, beside the ceiling of simply writing the same stored
 * JSON to a socket (a bare node:http server reading object_versions). Prints indicators/s, bytes/s and the peak
 * RSS of this process during each export.
 *
 *   node dist/bench/export.js [--count 1000000] [--seed 42] [--database URL] [--fresh] [--json]
 *
 * The database is the read database of bench/bench-database.ts (bench/out/export-<count>-s<seed>.db, or the schema
 * bench_<count>_s<seed> when --database is a PostgreSQL server URL), made with `socd import` when missing and reused;
 * --fresh makes it again. --json: the last stdout line is `BENCH_JSON {…}`.
 */
import { createServer, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { backendOf, benchDatabase, displayUrl, isPostgresUrl, openBenchStore, postgresSchema, postgresServer } from './bench-database.js';
import { emitBenchJson, mb, MiB, round } from './bench-output.js';
import { startBenchServer } from './bench-server.js';

const { values: args } = parseArgs({
  options: {
    count: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: '42' },
    database: { type: 'string' },
    fresh: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const count = Number(args.count);
const { url: dbUrl, outDir } = await benchDatabase(count, String(args.seed), args.database, { fresh: args.fresh });

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

/** The ceiling: writes the stored JSON of every latest version as it is read, in 64 KB chunks. */
interface BareSource {
  objects: number;
  serve(res: ServerResponse): void;
  close(): Promise<void>;
}

function sqliteBare(path: string): BareSource {
  const raw = new Database(path, { readonly: true });
  return {
    objects: raw.prepare('SELECT count(*) FROM object_versions WHERE latest = 1 AND ioc_id IS NOT NULL').pluck().get() as number,
    serve(res) {
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
    },
    close: async () => void raw.close(),
  };
}

/**
 * The same on PostgreSQL, as fast as the server can hand it over: one COPY … TO STDOUT of the stored JSON in log order
 * (the primary key). CSV with control characters for delimiter and quote, which stored JSON never holds (it escapes
 * them), so each row arrives exactly as stored and followed by a newline, and the newlines become the commas.
 */
async function postgresBare(url: string): Promise<BareSource> {
  const schema = postgresSchema(url);
  const client = new pg.Client({ connectionString: postgresServer(url), ...(schema ? { options: `-c search_path=${schema}` } : {}) });
  await client.connect();
  const { rows } = await client.query<{ n: string }>('SELECT count(*)::text AS n FROM object_versions WHERE latest AND ioc_id IS NOT NULL');
  return {
    objects: Number(rows[0]!.n),
    serve(res) {
      void (async () => {
        const copy = client.query(copyTo(`COPY (SELECT json FROM object_versions WHERE latest ORDER BY seq)
          TO STDOUT WITH (FORMAT csv, DELIMITER E'\\x1f', QUOTE E'\\x1e')`));
        res.write('{"type":"bundle","objects":[');
        let owed = false; // the last row of the previous chunk ended: a comma, if another row follows
        for await (const chunk of copy as AsyncIterable<Buffer>) {
          for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) chunk[at] = 44;
          const ends = chunk[chunk.length - 1] === 44;
          const body = ends ? chunk.subarray(0, chunk.length - 1) : chunk;
          const more = owed ? res.write(Buffer.concat([COMMA, body])) : res.write(body);
          owed = ends;
          if (!more) await new Promise((r) => res.once('drain', r));
        }
        res.end(']}');
      })().catch((err: unknown) => res.destroy(err instanceof Error ? err : new Error(String(err))));
    },
    close: () => client.end(),
  };
}
const COMMA = Buffer.from(',');

const backend = backendOf(dbUrl);
const bareSource = isPostgresUrl(dbUrl) ? await postgresBare(dbUrl) : sqliteBare(resolve(dbUrl.slice('sqlite:'.length)));
const objects = bareSource.objects;
const bare = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/stix+json;version=2.1' });
  bareSource.serve(res);
});
await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
const baseline = await withPeakRss(() => download(`http://127.0.0.1:${(bare.address() as AddressInfo).port}/`, {}));
bare.close();
await bareSource.close();

const { store, identity } = await openBenchStore(dbUrl);
const server = await startBenchServer(store, identity, { databaseUrl: dbUrl, dir: outDir, plan: 'pro', email: `bench-${Date.now()}@example.com` });
const { key } = server;
const url = `${server.origin}/api/v1/iocs/stix`;
const exported = await withPeakRss(() => download(url, { authorization: `Bearer ${key}` }));
const gzipped = await withPeakRss(() => download(url, { authorization: `Bearer ${key}`, 'accept-encoding': 'gzip' }));
await server.close();
await store.close();

console.log(`export   ${backend} ${displayUrl(dbUrl)}`);
const line = (name: string, r: { result: { bytes: number; seconds: number }; peak: number }) =>
  console.log(`${name.padEnd(34)} ${objects} objects, ${mb(r.result.bytes)} in ${r.result.seconds.toFixed(2)} s = ` +
    `${Math.round(objects / r.result.seconds).toLocaleString('en')} objects/s, ${mb(r.result.bytes / r.result.seconds)}/s; peak RSS ${mb(r.peak)}`);
line('bare write of the stored JSON', baseline);
line('GET /api/v1/iocs/stix', exported);
line('GET /api/v1/iocs/stix (gzip)', gzipped);
if (exported.result.status !== 200 || gzipped.result.status !== 200) process.stderr.write(`warning: export answered ${exported.result.status} / ${gzipped.result.status}\n`);

const figures = (prefix: string, r: { result: { bytes: number; seconds: number }; peak: number }) => ({
  [`${prefix}_objects_per_s`]: Math.round(objects / r.result.seconds),
  [`${prefix}_mb`]: round(r.result.bytes / MiB, 1),
  [`${prefix}_mb_per_s`]: round(r.result.bytes / MiB / r.result.seconds),
  [`${prefix}_seconds`]: round(r.result.seconds, 2),
  [`${prefix}_peak_rss_mb`]: round(r.peak / MiB),
});
emitBenchJson(args.json, { objects, ...figures('bare', baseline), ...figures('stix', exported), ...figures('gzip', gzipped) });
