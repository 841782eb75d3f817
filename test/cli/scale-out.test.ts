import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { dropPostgresSchema } from '../../src/store/postgres/postgres-store.js';
import { runSocd, SOCD } from '../support/socd-process.js';

const BASE_URL = process.env.DATABASE_URL ?? '';
const REDIS_URL = process.env.REDIS_URL ?? '';
const ready = /^postgres(ql)?:\/\//.test(BASE_URL) && REDIS_URL !== '';
const TAXII = 'application/taxii+json;version=2.1';

/** A node: a `socd serve` process, with its JSON log lines collected. */
interface Node {
  name: string;
  child: ChildProcess;
  base: string;
  lines: Array<Record<string, unknown>>;
  /** Resolves with the first log line, past or to come, whose msg is `msg`; rejects if the process exits first. */
  line(msg: string): Promise<Record<string, unknown>>;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/**
 * Two `socd serve` processes on one PostgreSQL schema with one Redis (docs/design.md §3, Scale): any node continues any
 * TAXII walk, a key's rate limit holds across both, and one node ingests at a time, the other taking over.
 */
describe('two API nodes on one PostgreSQL', { skip: ready ? false : 'needs DATABASE_URL=postgres://… and REDIS_URL (CI sets both)' }, () => {
  const schema = `socd_so_${randomBytes(5).toString('hex')}`;
  const url = new URL(BASE_URL);
  url.searchParams.set('schema', schema);
  const dir = mkdtempSync(join(tmpdir(), 'socd-scale-'));
  const config = join(dir, 'socd.config.json');
  let feed: Server;
  let feedHits = 0;
  let firstFeedHit!: () => void;
  const fedOnce = new Promise<void>((r) => (firstFeedHit = r));
  const nodes: Node[] = [];
  let env: NodeJS.ProcessEnv = {};
  let proKey = '';
  let freeKey = '';

  const run = (args: string[]) => runSocd(args, { cwd: dir, env });

  async function startNode(name: string): Promise<Node> {
    const port = await freePort();
    const child = spawn(process.execPath, [SOCD, 'serve'], { cwd: dir, env: { ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info' } });
    const waiting: Array<() => boolean> = [];
    const exited = new Promise<never>((_, fail) => child.on('exit', (code, signal) => fail(new Error(`${name} exited (${code ?? signal})`))));
    exited.catch(() => {});
    const node: Node = {
      name, child, base: `http://127.0.0.1:${port}`, lines: [],
      line: (msg) => Promise.race([exited, new Promise<Record<string, unknown>>((found) => {
        const look = () => {
          const l = node.lines.find((x) => x.msg === msg);
          if (!l) return false;
          found(l);
          return true;
        };
        if (!look()) waiting.push(look);
      })]),
    };
    let buffer = '';
    child.stdout!.on('data', (c: Buffer) => {
      buffer += c.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) !== -1) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          node.lines.push(JSON.parse(line) as Record<string, unknown>);
          for (const look of waiting.splice(0)) if (!look()) waiting.push(look);
        } catch {
          // the first admin key banner is not JSON
        }
      }
    });
    await node.line('socd serving');
    nodes.push(node);
    return node;
  }

  const LEADS = 'this process now runs ingestion';
  const leads = (n: Node) => n.lines.some((l) => l.msg === LEADS);

  before(async () => {
    feed = createServer((_req, res) => {
      feedHits++;
      firstFeedHit();
      res.writeHead(200, { 'content-type': 'text/plain' }).end('45.133.30.1\n45.133.30.2\n');
    });
    await new Promise<void>((r) => feed.listen(0, '127.0.0.1', r));
    const feedUrl = `http://127.0.0.1:${(feed.address() as AddressInfo).port}/list.txt`;
    writeFileSync(config, JSON.stringify({
      // Room for the downgraded key's polls below: a key keeps one counter whatever its plan.
      plans: { free: { rateLimit: { max: 40, windowSeconds: 60 } } },
      // No Internet in tests: the catalog is off, the one source is on the local feed server.
      ingest: { catalog: false },
      customSources: [{ id: 'cluster-feed', generic: 'text', url: feedUrl, schedule: '1h' }],
    }));
    // A Redis prefix of this run's own: concurrent runs on one Redis (other checkouts, CI) do not share budgets.
    env = { ...process.env, DATABASE_URL: url.toString(), REDIS_URL, SOCD_REDIS_PREFIX: `socd-test-${randomBytes(4).toString('hex')}:`, SOCD_CONFIG: config, SOCD_SECRET: 'k'.repeat(40), SOCD_SCHEDULER: 'on' };
    assert.equal((await run(['migrate'])).status, 0);
    proKey = (await run(['keys', 'create', '--email', 'siem@example.com', '--plan', 'pro'])).stdout.trim();
    freeKey = (await run(['keys', 'create', '--email', 'script@example.com', '--plan', 'free'])).stdout.trim();
    const list = join(dir, 'iocs.txt');
    writeFileSync(list, `${Array.from({ length: 230 }, (_, i) => `45.134.${i >> 8}.${(i & 255) + 1}`).join('\n')}\n`);
    assert.equal((await run(['import', list, '--source', 'team'])).status, 0);
    await startNode('a');
    await startNode('b');
  });

  after(async () => {
    for (const n of nodes) n.child.kill('SIGKILL');
    feed.closeAllConnections();
    feed.close();
    await dropPostgresSchema(BASE_URL, schema);
  });

  it('a TAXII walk that alternates nodes page by page gets every object exactly once', async () => {
    const seen = new Map<string, number>();
    let next: string | undefined;
    let pages = 0;
    do {
      const node = nodes[pages % 2]!;
      const q = new URLSearchParams({ limit: '17', ...(next ? { next } : {}) });
      const res = await fetch(`${node.base}/api/taxii2/api/collections/all-iocs/objects/?${q}`, { headers: { authorization: `Bearer ${proKey}`, accept: TAXII } });
      assert.equal(res.status, 200, await res.clone().text());
      const body = (await res.json()) as { objects?: Array<{ id: string; modified?: string }>; more?: boolean; next?: string };
      for (const o of body.objects ?? []) seen.set(`${o.id} ${o.modified ?? ''}`, (seen.get(`${o.id} ${o.modified ?? ''}`) ?? 0) + 1);
      next = body.more ? body.next : undefined;
      pages++;
    } while (next && pages < 100);
    assert.ok(pages > 10, `${pages} pages`);
    assert.deepEqual([...seen.values()].filter((n) => n !== 1), [], 'no object twice');
    const indicators = [...seen.keys()].filter((k) => k.startsWith('indicator--')).length;
    assert.ok(indicators >= 230, `${indicators} indicators: every imported IOC`);
  });

  it("a key's rate limit holds across both nodes (Redis), one budget for REST and TAXII", async () => {
    const statuses: string[] = [];
    for (let i = 0; i < 44; i++) {
      // Alternately REST and TAXII (a free key is refused TAXII with 403, after it is counted), on node a then b.
      const path = i % 4 < 2 ? '/api/v1/iocs?limit=1' : '/api/taxii2/api/collections/';
      const res = await fetch(`${nodes[i % 2]!.base}${path}`, { headers: { authorization: `Bearer ${freeKey}`, accept: TAXII } });
      statuses.push(`${path.includes('taxii') ? 'taxii' : 'rest'} ${res.status}`);
      await res.arrayBuffer();
    }
    const expected = Array.from({ length: 44 }, (_, i) => `${i % 4 < 2 ? 'rest' : 'taxii'} ${i >= 40 ? 429 : i % 4 < 2 ? 200 : 403}`);
    assert.deepEqual(statuses, expected);
  });

  // Each node keeps a verified key for 60 s (auth/authenticator.ts CACHE_MS): within this test's time, only the
  // PostgreSQL notification can have made both refuse it, whatever the machine's speed.
  it('a key revoked, or an account downgraded, from the CLI is refused by both nodes without waiting out their caches', { timeout: 45_000 }, async () => {
    // The nodes remember the keys they verified (no look-up per request) until PostgreSQL announces a change.
    const key = (await run(['keys', 'create', '--email', 'leaked@example.com', '--plan', 'pro'])).stdout.trim();
    const planned = (await run(['keys', 'create', '--email', 'downgraded@example.com', '--plan', 'pro'])).stdout.trim();
    const taxii = (node: Node, k: string) =>
      fetch(`${node.base}/api/taxii2/api/collections/`, { headers: { authorization: `Bearer ${k}`, accept: TAXII } }).then(async (r) => {
        await r.arrayBuffer();
        return r.status;
      });
    for (let i = 0; i < 3; i++) for (const n of nodes) assert.deepEqual([await taxii(n, key), await taxii(n, planned)], [200, 200]);
    // Asked again until both answer so: the notification reaches each node in its own time.
    const until = async (k: string, status: number) => {
      while (!(await Promise.all(nodes.map((n) => taxii(n, k)))).every((s) => s === status));
    };
    assert.equal((await run(['keys', 'revoke', key.slice(0, 16)])).status, 0);
    await until(key, 401);
    assert.equal((await run(['accounts', 'set-plan', 'downgraded@example.com', 'free'])).status, 0);
    await until(planned, 403);
  });

  // How soon a lease lapses (45 s after its last renewal, so another leads within a minute) is checked with an
  // injected clock in test/connectors/scheduler.test.ts; here the dead leader's lease is made to lapse at once.
  it('exactly one node ingests; killing it hands ingestion to the other once its lease lapses', { timeout: 120_000 }, async () => {
    await Promise.race(nodes.map((n) => n.line(LEADS)));
    const leaders = nodes.filter(leads);
    assert.equal(leaders.length, 1, 'one leader');
    const [leader] = leaders as [Node];
    const other = nodes.find((n) => n !== leader)!;
    await fedOnce;
    assert.equal(feedHits, 1, `the leader ran the due source, once: ${JSON.stringify(leader.lines.filter((l) => l.component === 'ingest' || (l.level as number) >= 40))}`);
    leader.child.kill('SIGKILL');
    await new Promise((r) => leader.child.once('exit', r));
    assert.equal(leads(other), false, 'the lease still names the dead leader');
    // The lease's time has come: the other node takes it at its next try (every 15 s).
    const db = new pg.Client({ connectionString: BASE_URL });
    await db.connect();
    try {
      assert.equal((await db.query(`UPDATE "${schema}".leases SET expires_at = 0 WHERE name = 'ingest'`)).rowCount, 1);
    } finally {
      await db.end();
    }
    await other.line(LEADS);
  });
});
