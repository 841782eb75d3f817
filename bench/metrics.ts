/**
 * GET /metrics at scale: a real server (wireApp, loopback) on the look-up bench's database of `--count` IOCs
 * (bench/lookup.ts makes it: bench/out/lookup-<count>-<networks>.db, or its PostgreSQL schema), scraped `--scrapes`
 * times one after another after one warm-up; median, p99 and max of a scrape, and the size of the text. A scrape reads
 * the tallies, one row per source and one probe of the log (http/metrics.ts): its time must not grow with the IOCs.
 *
 *   node dist/bench/metrics.js [--count 1000000] [--networks 100000] [--scrapes 30] [--database URL] [--json]
 *
 * The database is only read (it is migrated if it is behind, as every bench does). Without one, it says how to make it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { Authenticator } from '../src/auth/authenticator.js';
import { TokenSigner } from '../src/auth/signed-token.js';
import { wireApp } from '../src/cli/wiring.js';
import { loadConfig } from '../src/config/config.js';
import { displayUrl, isPostgresUrl, openBenchStore, OUT_DIR, postgresSchema, withSchema } from './bench-database.js';
import { emitBenchJson, quantile, round } from './bench-output.js';

const { values: args } = parseArgs({
  options: {
    count: { type: 'string', default: '1000000' },
    networks: { type: 'string', default: '100000' },
    scrapes: { type: 'string', default: '30' },
    database: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const count = Number(args.count);
const networks = Number(args.networks);
const scrapes = Number(args.scrapes);
const TOKEN = 'bench-metrics-token-0123456789abcdef';

async function main(): Promise<void> {
  let url: string;
  if (args.database === undefined || args.database === 'sqlite' || args.database === '') {
    const path = join(OUT_DIR, `lookup-${count}-${networks}.db`);
    if (!existsSync(path)) {
      process.stderr.write(`no ${path}: make it first with node dist/bench/lookup.js --count ${count} --networks ${networks}\n`);
      process.exit(2);
    }
    url = `sqlite:${path}`;
  } else if (isPostgresUrl(args.database) && !postgresSchema(args.database)) {
    url = withSchema(args.database, `bench_lookup_${count}_${networks}`);
  } else url = args.database;

  const { store, identity } = await openBenchStore(url);
  const iocs = (await store.typeTallies()).reduce((n, t) => n + t.n, 0);
  const config = loadConfig({ DATABASE_URL: url, SOCD_METRICS_TOKEN: TOKEN }, '/nonexistent');
  const app = await wireApp({ store, config, authenticator: new Authenticator(store), signer: new TokenSigner('b'.repeat(32)), identity, logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const scrape = async () => {
    const t0 = performance.now();
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}: ${text.slice(0, 200)}`);
    return { ms: performance.now() - t0, bytes: Buffer.byteLength(text) };
  };
  process.stderr.write(`scraping a server on ${displayUrl(url)} (${iocs} IOCs by the tallies)…\n`);
  await scrape(); // warm-up: statements prepared
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < scrapes; i++) {
    const s = await scrape();
    times.push(s.ms);
    bytes = s.bytes;
  }
  await app.close();
  await store.close();
  times.sort((a, b) => a - b);
  const med = quantile(times, 0.5);
  const p99 = quantile(times, 0.99);
  process.stdout.write(`metrics ${store.kind}: ${iocs} IOCs; ${scrapes} scrapes: median ${med.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${times.at(-1)!.toFixed(1)} ms; ${bytes} bytes of text\n`);
  emitBenchJson(args.json, { metrics_scrape_median_ms: round(med), metrics_scrape_p99_ms: round(p99), metrics_text_bytes: bytes });
}

await main();
