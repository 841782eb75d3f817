/**
 * Databases of the benchmarks, on either backend.
 *
 * - `--database` of every bench script takes a DATABASE_URL (`sqlite:PATH` or `postgres://…[?schema=NAME]`); without it
 *   a script does what it always did, on SQLite.
 * - The read benchmarks (export, TAXII walk, REST load) share one database per (count, seed, backend), loaded once by
 *   `socd import` (the real path) and reused: bench/out/export-<count>-s<seed>.db on SQLite, the schema
 *   bench_<count>_s<seed> on PostgreSQL.
 * - The write benchmarks (import, ingest) load into a fresh database: a temporary SQLite file, or a schema of their own
 *   on PostgreSQL, removed at the end (unless asked to keep it).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { openStore } from '../src/store/open-store.js';
import { dropPostgresSchema } from '../src/store/postgres/postgres-store.js';
import type { Store } from '../src/store/store.js';
import type { ProducerIdentity } from '../src/stix/identity.js';
import { iocStixRenderer } from '../src/stix/render-ioc.js';

export type Backend = 'sqlite' | 'postgres';

/** The producer identity of databases the benches make themselves (a `socd import` one keeps its own). */
export const BENCH_IDENTITY: ProducerIdentity = { id: 'identity--7b7d9a0e-8d1c-4a4e-b6a5-0c2b8f3d9e10', name: 'bench', created: Date.UTC(2026, 0, 1) };

export const OUT_DIR = resolve('bench/out');

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

export function backendOf(url: string | undefined): Backend {
  return url !== undefined && isPostgresUrl(url) ? 'postgres' : 'sqlite';
}

/** `sqlite` alone (or nothing) means: SQLite where the script always put it. */
function isBareSqlite(url: string | undefined): boolean {
  return url === undefined || url === '' || url === 'sqlite' || url === 'sqlite:';
}

/** The `?schema=` of a PostgreSQL URL, if any. */
export function postgresSchema(url: string): string | undefined {
  return new URL(url).searchParams.get('schema') ?? undefined;
}

/** The server part of a PostgreSQL URL: the same URL without `?schema=`. */
export function postgresServer(url: string): string {
  const u = new URL(url);
  u.searchParams.delete('schema');
  return u.toString();
}

export function withSchema(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('schema', schema);
  return u.toString();
}

/** A URL without a password, for printing. */
export function displayUrl(url: string): string {
  if (!isPostgresUrl(url)) return url;
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

/** The generated CSV the import and the read databases are made of (generated when missing). */
export async function benchCsv(count: number, seed: string): Promise<string> {
  mkdirSync(OUT_DIR, { recursive: true });
  const csv = join(OUT_DIR, `iocs-${count}-s${seed}.csv`);
  if (!existsSync(csv)) {
    process.stderr.write(`generating ${csv}…\n`);
    await runNode([resolve('dist/bench/generate.js'), '--count', String(count), '--seed', seed, '--out', csv]);
  }
  return csv;
}

/** The 1-type IPv4 list that the ingest benchmark serves (generated when missing). */
export async function benchIpList(count: number, seed: string): Promise<string> {
  mkdirSync(OUT_DIR, { recursive: true });
  const file = join(OUT_DIR, seed === '42' ? `ipv4-${count}.txt` : `ipv4-${count}-s${seed}.txt`);
  if (!existsSync(file)) {
    process.stderr.write(`generating ${file}…\n`);
    await runNode([resolve('dist/bench/generate.js'), '--count', String(count), '--seed', seed, '--out', file, '--format', 'txt', '--mix', 'ipv4=1']);
  }
  return file;
}

/**
 * The URL of the read-benchmark database for (count, seed, backend). `database`: the script's --database — nothing or
 * `sqlite` for bench/out/export-<count>-s<seed>.db, a PostgreSQL server URL for its schema bench_<count>_s<seed>. A URL
 * that names its database exactly (`sqlite:PATH`, `postgres://…?schema=NAME`) is taken as it is.
 */
export function readDatabaseUrl(count: number, seed: string, database?: string): string {
  if (isBareSqlite(database)) return `sqlite:${join(OUT_DIR, `export-${count}-s${seed}.db`)}`;
  if (isPostgresUrl(database!)) return postgresSchema(database!) ? database! : withSchema(database!, `bench_${count}_s${seed}`);
  return database!;
}

/** IOCs in a database; 0 when it does not exist (or has no schema yet). */
export async function countStoredIocs(url: string): Promise<number> {
  if (!isPostgresUrl(url)) {
    const path = sqlitePath(url);
    if (!existsSync(path)) return 0;
  } else {
    const schema = postgresSchema(url) ?? 'public';
    const client = new pg.Client({ connectionString: postgresServer(url) });
    await client.connect();
    try {
      const { rows } = await client.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [`${quoteIdent(schema)}.iocs`]);
      if (rows[0]?.t == null) return 0;
    } finally {
      await client.end();
    }
  }
  const store = await openStore(url);
  try {
    return await store.countIocs();
  } catch {
    return 0; // no tables yet
  } finally {
    await store.close();
  }
}

/** Removes a database: a SQLite file with its WAL, or a PostgreSQL schema. */
export async function dropDatabase(url: string): Promise<void> {
  if (isPostgresUrl(url)) {
    const schema = postgresSchema(url);
    if (!schema) throw new Error(`refusing to drop a PostgreSQL database without ?schema=: ${displayUrl(url)}`);
    await dropPostgresSchema(postgresServer(url), schema);
    return;
  }
  const path = sqlitePath(url);
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
}

const LOADED_MARK = 'bench_loaded_count';

/** The count a finished `socd import` of the bench CSV recorded, if any. */
async function loadedMark(url: string): Promise<string | undefined> {
  const store = await openStore(url);
  try {
    return await store.getSetting(LOADED_MARK);
  } catch {
    return undefined;
  } finally {
    await store.close();
  }
}

/**
 * The read-benchmark database, made with `socd import` when missing — or when it holds fewer than `count` IOCs (an
 * interrupted load): then it is dropped and made again. `fresh`: always made again.
 */
export async function benchDatabase(count: number, seed: string, database?: string, opts: { fresh?: boolean } = {}): Promise<{ url: string; outDir: string }> {
  const url = readDatabaseUrl(count, seed, database);
  const csv = await benchCsv(count, seed);
  const have = opts.fresh ? -1 : await countStoredIocs(url);
  // The import excludes some generated values (CDN ranges): a finished load says so in a setting.
  if (have < count && (have <= 0 || (await loadedMark(url)) !== String(count))) {
    await dropDatabase(url);
    process.stderr.write(`making the read database ${displayUrl(url)} with socd import (${have > 0 ? `it had ${have} IOCs` : opts.fresh ? '--fresh' : 'missing'})…\n`);
    if (!isPostgresUrl(url)) mkdirSync(OUT_DIR, { recursive: true });
    await runNode([resolve('bin/socd.js'), 'import', csv, '--source', 'bench'], { ...process.env, DATABASE_URL: url, SOCD_CONFIG: '' });
    const store = await openStore(url);
    try {
      await store.setSetting(LOADED_MARK, String(count));
    } finally {
      await store.close();
    }
  }
  if (isPostgresUrl(url)) await analyzeIfNever(url);
  return { url, outDir: OUT_DIR };
}

/**
 * PostgreSQL plans by table statistics, which only ANALYZE (or autovacuum's) makes: right after a bulk load, none exist
 * and the planner takes 1M rows for a few, and a page of 100 for a sequential scan and a sort. A server in service has
 * them (autovacuum analyzes a table after its rows change by 10 %); the read database gets them once, here, when its
 * `iocs` table was never analyzed (autovacuum may be off, as on test servers).
 */
async function analyzeIfNever(url: string): Promise<void> {
  const schema = postgresSchema(url) ?? 'public';
  const client = new pg.Client({ connectionString: postgresServer(url) });
  await client.connect();
  try {
    const { rows } = await client.query<{ analyzed: boolean }>(
      `SELECT (last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL) AS analyzed FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'iocs'`,
      [schema],
    );
    if (rows[0]?.analyzed !== false) return;
    const t0 = Date.now();
    const tables = await client.query<{ name: string }>(`SELECT tablename AS name FROM pg_tables WHERE schemaname = $1`, [schema]);
    for (const { name } of tables.rows) await client.query(`ANALYZE ${quoteIdent(schema)}.${quoteIdent(name)}`);
    process.stderr.write(`ANALYZE of ${schema} (never analyzed; autovacuum has not run on it) in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  } finally {
    await client.end();
  }
}

/**
 * The database a write benchmark loads into. `database`: the script's --database — nothing or `sqlite` for a new file in
 * a temporary directory, a PostgreSQL server URL for a new schema bench_fresh_<pid>_<label>; both are removed by
 * `cleanup` (unless kept). A URL naming its database exactly is used as given and left in place.
 */
export async function freshDatabase(database: string | undefined, label: string): Promise<{ url: string; cleanup: (keep: boolean) => Promise<string | undefined> }> {
  // cleanup() removes what this made (unless `keep`) and says what it left, if anything.
  if (isBareSqlite(database)) {
    const dir = mkdtempSync(join(tmpdir(), `socd-${label}-bench-`));
    return {
      url: `sqlite:${join(dir, 'socd.db')}`,
      cleanup: async (keep) => {
        if (keep) return `kept: ${dir}`;
        rmSync(dir, { recursive: true, force: true });
        return undefined;
      },
    };
  }
  if (isPostgresUrl(database!) && !postgresSchema(database!)) {
    const url = withSchema(database!, `bench_fresh_${process.pid}_${label.replace(/[^A-Za-z0-9_]/g, '_')}`);
    await dropDatabase(url);
    return {
      url,
      cleanup: async (keep) => {
        if (keep) return `kept: ${displayUrl(url)}`;
        await dropDatabase(url);
        return undefined;
      },
    };
  }
  const have = await countStoredIocs(database!);
  if (have > 0) process.stderr.write(`warning: ${displayUrl(database!)} already holds ${have} IOCs: this is not a load into an empty database\n`);
  return { url: database!, cleanup: async () => `left in place (named by --database): ${displayUrl(database!)}` };
}

/** Opens and migrates a store, with the STIX renderer of the identity it keeps (the bench identity when it keeps none). */
export async function openBenchStore(url: string, opts: { sqliteCacheMb?: number } = {}): Promise<{ store: Store; identity: ProducerIdentity }> {
  const store = await openStore(url, opts.sqliteCacheMb !== undefined ? { sqliteCacheMb: opts.sqliteCacheMb } : {});
  await store.migrate();
  const id = await store.getSetting('stix_identity_id');
  const created = await store.getSetting('stix_identity_created');
  const identity: ProducerIdentity = id ? { id, name: (await store.getSetting('stix_identity_name')) ?? 'bench', created: Number(created ?? BENCH_IDENTITY.created) } : BENCH_IDENTITY;
  store.setVersionRenderer(iocStixRenderer(identity.id));
  return { store, identity };
}

/** Bytes a database takes on disk: the SQLite file and its WAL, or every relation of the PostgreSQL schema. */
export async function databaseBytes(url: string): Promise<number> {
  if (!isPostgresUrl(url)) {
    const path = sqlitePath(url);
    return ['', '-wal'].reduce((sum, suffix) => sum + (existsSync(path + suffix) ? statSync(path + suffix).size : 0), 0);
  }
  const client = new pg.Client({ connectionString: postgresServer(url) });
  await client.connect();
  try {
    const { rows } = await client.query<{ bytes: string | null }>(
      `SELECT sum(pg_total_relation_size(c.oid))::text AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relkind IN ('r', 'm')`,
      [postgresSchema(url) ?? 'public'],
    );
    return Number(rows[0]?.bytes ?? 0);
  } finally {
    await client.end();
  }
}

/** True when a PostgreSQL server answers at `url` within `timeoutMs`. */
export async function postgresAnswers(url: string, timeoutMs = 3000): Promise<boolean> {
  const client = new pg.Client({ connectionString: postgresServer(url), connectionTimeoutMillis: timeoutMs });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

function sqlitePath(url: string): string {
  return resolve(url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, ''));
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Runs `node args…` with its output shown on stderr (stdout stays the caller's figures); rejects when it fails. */
function runNode(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 2, 2], env });
    child.on('error', reject);
    child.on('exit', (code, signal) => (code === 0 ? resolvePromise() : reject(new Error(`${args.map((a) => a.replace(process.cwd() + '/', '')).join(' ')}: ${signal ?? `exit ${code}`}`))));
  });
}

/**
 * Has the kernel write back every dirty page before the next benchmark (`sync`, which returns when they are on disk).
 * A load leaves gigabytes of them (a 1M import: its database and WAL, 1.6 GB; the read database just made, 1.5 GB): the
 * kernel wrote them back during the reads that followed, which ran far slower (the run of 2026-12-03 22:53Z, whose read
 * database was made in it: the SQLite bare write of stored JSON at 0.26 of its baseline, the TAXII walk at 82,730
 * objects/s against 126,215 in the run before, whose read database was kept from an earlier one). Returns the seconds
 * waited. The suite calls it before each benchmark; a benchmark that loads its own database (lookup.ts) after the load.
 */
export function settleDisk(): number {
  const t0 = Date.now();
  try {
    execFileSync('sync', [], { stdio: 'ignore', timeout: 300_000 });
  } catch {
    // No `sync` on this system (or it failed): the benchmark runs anyway.
  }
  return (Date.now() - t0) / 1000;
}
