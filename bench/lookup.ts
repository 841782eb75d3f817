/**
 * Look-up batch latency (POST /api/v1/lookup's service, without HTTP): a database of `--count` IOCs of which
 * `--networks` are IPv4/IPv6 networks, then batches of `--batch` mixed values — addresses inside stored networks,
 * listed values, URLs on listed hosts and subdomains, unknown values — timed one after another; median and p99.
 *
 *   node dist/bench/lookup.js [--count 1000000] [--networks 100000] [--batch 10000] [--batches 15] [--database URL] [--json]
 *
 * --database: nothing (or `sqlite`) for bench/out/lookup-<count>-<networks>.db, a postgres:// server URL for its schema
 *   bench_lookup_<count>_<networks>; either is made once (the real write path, upsertObservationStream) and reused.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/config.js';
import { formatIpv4, formatIpv6, bigIntToGroups } from '../src/domain/normalize/ip.js';
import { networkText } from '../src/domain/network.js';
import { LookupService, type Verdict } from '../src/rest/lookup-service.js';
import type { Observation } from '../src/store/types.js';
import { backendOf, displayUrl, isPostgresUrl, openBenchStore, OUT_DIR, postgresSchema, settleDisk, withSchema } from './bench-database.js';
import { emitBenchJson, quantile, round } from './bench-output.js';
import { Rng } from './generator.js';

const { values: args } = parseArgs({
  options: {
    count: { type: 'string', default: '1000000' },
    networks: { type: 'string', default: '100000' },
    batch: { type: 'string', default: '10000' },
    batches: { type: 'string', default: '15' },
    database: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const count = Number(args.count);
const networks = Number(args.networks);
const batch = Number(args.batch);
const batches = Number(args.batches);

const rand = new Rng(42);
const int = (n: number) => rand.below(n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
const v4 = () => BigInt(16_777_216 + int(0xdf000000 - 16_777_216)); // 1.0.0.0 … 223.255.255.255
const v6 = () => (0x2001n << 112n) | (BigInt(int(2 ** 30)) << 80n) | BigInt(int(2 ** 30));
const word = () => Array.from({ length: 6 + int(6) }, () => String.fromCharCode(97 + int(26))).join('');
const V4_LENGTHS = [12, 16, 18, 20, 22, 24, 24, 24, 25, 26, 27, 28, 29];
const V6_LENGTHS = [29, 32, 36, 40, 44, 48, 48, 56, 64];

/** What the batches sample: the stored networks and values. */
const stored = { nets: [] as Array<{ v6: boolean; start: bigint; length: number }>, addresses: [] as string[], domains: [] as string[] };

function makeObservations(): Observation[] {
  const t = Date.UTC(2026, 4, 17);
  const base = { confidence: null, tags: ['bench'], malware: [], sectors: [], tlp: null, firstSeen: t, lastSeen: t, reference: null };
  const seen = new Set<string>();
  const out: Observation[] = [];
  const add = (type: Observation['type'], value: string): boolean => {
    const k = `${type} ${value}`;
    if (seen.has(k)) return false;
    seen.add(k);
    out.push({ ...base, type, value });
    return true;
  };
  while (out.length < networks) {
    const isV6 = int(10) === 0;
    const length = pick(isV6 ? V6_LENGTHS : V4_LENGTHS);
    const start = isV6 ? v6() : v4();
    if (add(isV6 ? 'ipv6' : 'ipv4', networkText(isV6, start, length))) stored.nets.push({ v6: isV6, start, length });
  }
  while (out.length < count) {
    const r = int(10);
    if (r < 5) {
      const a = formatIpv4(Number(v4()));
      if (add('ipv4', a)) stored.addresses.push(a);
    } else if (r < 8) {
      const d = `${word()}.${pick(['com', 'net', 'org', 'ru', 'xyz', 'top'])}`;
      if (add('domain', d)) stored.domains.push(d);
    } else {
      add('url', `http://${word()}.${word()}.com/${word()}/${int(1e6)}`);
    }
  }
  return out;
}

/** 40 % addresses inside stored networks, 20 % listed values, 20 % URLs (half on listed domains), 20 % unknown. */
function makeBatch(): string[] {
  const out: string[] = [];
  for (let i = 0; i < batch; i++) {
    const r = int(10);
    if (r < 4) {
      const n = pick(stored.nets);
      const host = (1n << BigInt((n.v6 ? 128 : 32) - n.length)) - 1n;
      const a = ((n.start >> BigInt((n.v6 ? 128 : 32) - n.length)) << BigInt((n.v6 ? 128 : 32) - n.length)) | (BigInt(int(2 ** 30)) & host);
      out.push(n.v6 ? formatIpv6(bigIntToGroups(a)) : formatIpv4(Number(a)));
    } else if (r < 6) out.push(int(2) ? pick(stored.addresses) : pick(stored.domains));
    else if (r < 8) out.push(int(2) ? `hxxp://www.${pick(stored.domains)}/${word()}` : `https://${word()}.example.org/${word()}`);
    else out.push(int(2) ? formatIpv4(Number(v4())) : `${word()}.${word()}.net`);
  }
  return out;
}

async function main(): Promise<void> {
  const tag = `${count}-${networks}`;
  let url: string;
  if (args.database === undefined || args.database === 'sqlite' || args.database === '') {
    mkdirSync(OUT_DIR, { recursive: true });
    url = `sqlite:${join(OUT_DIR, `lookup-${tag}.db`)}`;
  } else if (isPostgresUrl(args.database) && !postgresSchema(args.database)) {
    url = withSchema(args.database, `bench_lookup_${count}_${networks}`);
  } else url = args.database;
  const backend = backendOf(url);
  // Dropped once loaded: a million observations kept alive would make every garbage collection of the timed batches
  // walk them (seconds of GC per run, none of it the look-up's).
  let observations: Observation[] | undefined = makeObservations();
  let { store } = await openBenchStore(url);
  const mark = await store.getSetting('bench_lookup_loaded');
  if (mark !== tag) {
    const all = observations;
    process.stderr.write(`loading ${all.length} IOCs (${networks} networks) into ${displayUrl(url)}…\n`);
    const t0 = performance.now();
    await store.upsertSource({ id: 'bench', name: 'bench', reliability: 0.8, redistributable: true, aggregate: false, tlp: 'clear' });
    async function* chunks() {
      for (let at = 0; at < all.length; at += 25_000) yield all.slice(at, at + 25_000);
    }
    await store.upsertObservationStream('bench', chunks(), { batchSize: 25_000 });
    await store.setSetting('bench_lookup_loaded', tag);
    const sql = (text: string) => (store as unknown as { conn: { rows(sql: string): Promise<unknown[]> } }).conn.rows(text);
    if (backend === 'postgres') await sql('ANALYZE iocs');
    process.stderr.write(`loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    // The load settled before the timed batches: PostgreSQL checkpointed, the store closed (SQLite copies its WAL into
    // the database), the dirty pages written back, the store opened again. The suite run of 2026-12-04 03:45Z loaded
    // this database and timed it at once: its slowest SQLite batch took 960 ms against a median of 484 (532–569 in runs
    // on the database kept).
    if (backend === 'postgres') await sql('CHECKPOINT');
    await store.close();
    const waited = settleDisk();
    if (waited > 1) process.stderr.write(`dirty pages written back in ${waited.toFixed(1)} s\n`);
    ({ store } = await openBenchStore(url));
  } else process.stderr.write(`reusing ${displayUrl(url)} (${count} IOCs, ${networks} networks)\n`);

  observations = undefined;
  const plans = loadConfig({}, '/nonexistent').plans;
  plans.pro.lookupBatch = Math.max(plans.pro.lookupBatch, batch);
  const service = new LookupService(store, plans);
  const times: number[] = [];
  const verdicts = new Map<Verdict, number>();
  for (let b = 0; b <= batches; b++) {
    const values = makeBatch();
    const t0 = performance.now();
    const { data } = await service.lookupMany({ json: values }, 'pro');
    const ms = performance.now() - t0;
    if (b === 0) continue; // warm-up: statements prepared, caches filled
    times.push(ms);
    for (const d of data) verdicts.set(d.verdict, (verdicts.get(d.verdict) ?? 0) + 1);
  }
  await store.close();
  times.sort((a, b) => a - b);
  const med = quantile(times, 0.5);
  const p99 = quantile(times, 0.99);
  process.stdout.write(`lookup ${backend}: ${count} IOCs, ${networks} networks; ${batches} batches of ${batch} values: median ${med.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms, min ${times[0]!.toFixed(0)} ms\n`);
  process.stdout.write(`  verdicts: ${[...verdicts].map(([v, n]) => `${v} ${n}`).join(', ')}\n`);
  emitBenchJson(args.json, { lookup_batch_median_ms: round(med), lookup_batch_p99_ms: round(p99) });
}

await main();
