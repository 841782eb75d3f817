import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { FastifyInstance } from 'fastify';
import { Authenticator } from '../../src/auth/authenticator.js';
import { issueKey } from '../../src/auth/key-service.js';
import { TokenSigner } from '../../src/auth/signed-token.js';
import { type Config, loadConfig } from '../../src/config/config.js';
import { wireApp } from '../../src/cli/wiring.js';
import type { SharedCounters } from '../../src/http/rate-limit.js';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { sqliteStore, TEST_IDENTITY } from '../support/stores.js';

const REDIS_URL = process.env.REDIS_URL;

/** Two API nodes on one database: two apps built on the same store, as two `socd serve` processes would be. */
async function twoNodes(
  store: SqliteStore,
  shared: (node: number) => SharedCounters | undefined,
  tune: (config: Config) => void = () => {},
): Promise<FastifyInstance[]> {
  const config = loadConfig({ DATABASE_URL: 'sqlite::memory:' }, '/nonexistent');
  config.plans.free.rateLimit = { max: 3, windowMs: 60_000 };
  tune(config);
  const signer = new TokenSigner('s'.repeat(32));
  const apps: FastifyInstance[] = [];
  for (const node of [0, 1]) {
    const counters = shared(node);
    apps.push(await wireApp({
      store, config, authenticator: new Authenticator(store), signer, identity: TEST_IDENTITY, logger: false,
      ...(counters ? { sharedCounters: counters } : {}),
    }));
  }
  return apps;
}

describe('rate limits shared across API nodes through Redis', { skip: REDIS_URL ? false : 'REDIS_URL is not set (CI sets it)' }, () => {
  let redis: Redis;
  const namespace = `socd-test:${randomBytes(6).toString('hex')}:`;
  before(() => {
    redis = new Redis(REDIS_URL!, { maxRetriesPerRequest: 1 });
  });
  after(async () => {
    const keys = await redis.keys(`${namespace}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it("a key gets its plan's limit across both nodes, not per node", async () => {
    const store = await sqliteStore();
    const apps = await twoNodes(store, () => ({ redis, namespace }));
    const { key } = await issueKey(store, 'analyst@example.com', 'free', null);
    const statuses: number[] = [];
    const remaining: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await apps[i % 2]!.inject({ method: 'GET', url: '/api/v1/iocs', headers: { authorization: `Bearer ${key}` } });
      statuses.push(res.statusCode);
      remaining.push(String(res.headers['ratelimit-remaining']));
    }
    assert.deepEqual(statuses, [200, 200, 200, 429, 429, 429], 'three requests in all, whichever node answers');
    assert.deepEqual(remaining.slice(0, 3), ['2', '1', '0']);
    for (const app of apps) await app.close();
    await store.close();
  });

  it("one budget across both nodes and every route family: REST, /api/taxii2 and /taxii2 draw on the same counter", async () => {
    const store = await sqliteStore();
    // A namespace of its own: key ids restart at 1 in every test's store.
    const apps = await twoNodes(store, () => ({ redis, namespace: `${namespace}budget:` }), (config) => {
      config.plans.pro.rateLimit = { max: 4, windowMs: 60_000 };
    });
    const { key } = await issueKey(store, 'pro@example.com', 'pro', null);
    const headers = { authorization: `Bearer ${key}`, accept: 'application/taxii+json;version=2.1' };
    const routes = ['/api/v1/iocs', '/api/taxii2/api/collections/', '/taxii2/'];
    const seen: string[] = [];
    for (let i = 0; i < 7; i++) {
      const url = routes[i % routes.length]!;
      const res = await apps[i % 2]!.inject({ method: 'GET', url, headers });
      seen.push(`node ${i % 2} ${url} ${res.statusCode} remaining=${String(res.headers['ratelimit-remaining'])}`);
      if (res.statusCode === 429) {
        assert.ok(res.headers['retry-after'], `Retry-After on ${url}`);
        if (url.includes('taxii2')) assert.equal((res.json() as { http_status: string }).http_status, '429', `a TAXII error resource on ${url}`);
        else assert.equal((res.json() as { code: string }).code, 'rate_limited');
      }
    }
    assert.deepEqual(seen.map((s) => s.replace(/ remaining=.*/, '')), [
      'node 0 /api/v1/iocs 200',
      'node 1 /api/taxii2/api/collections/ 200',
      'node 0 /taxii2/ 200',
      'node 1 /api/v1/iocs 200',
      'node 0 /api/taxii2/api/collections/ 429',
      'node 1 /taxii2/ 429',
      'node 0 /api/v1/iocs 429',
    ], seen.join('\n'));
    assert.deepEqual(seen.slice(0, 4).map((s) => s.replace(/.* remaining=/, '')), ['3', '2', '1', '0'], seen.join('\n'));
    for (const app of apps) await app.close();
    await store.close();
  });

  it('without shared counters each node counts alone (what REDIS_URL fixes)', async () => {
    const store = await sqliteStore();
    const apps = await twoNodes(store, () => undefined);
    const { key } = await issueKey(store, 'analyst@example.com', 'free', null);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push((await apps[i % 2]!.inject({ method: 'GET', url: '/api/v1/iocs', headers: { authorization: `Bearer ${key}` } })).statusCode);
    }
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200]);
    for (const app of apps) await app.close();
    await store.close();
  });

  it('when Redis is unreachable, requests are served, not refused', async () => {
    const store = await sqliteStore();
    const down = new Redis('redis://127.0.0.1:1', { enableOfflineQueue: false, maxRetriesPerRequest: 0, lazyConnect: true, retryStrategy: () => null });
    down.on('error', () => {});
    const apps = await twoNodes(store, () => ({ redis: down, namespace }));
    const { key } = await issueKey(store, 'analyst@example.com', 'free', null);
    const res = await apps[0]!.inject({ method: 'GET', url: '/api/v1/iocs', headers: { authorization: `Bearer ${key}` } });
    assert.equal(res.statusCode, 200);
    for (const app of apps) await app.close();
    down.disconnect();
    await store.close();
  });
  it('a failed sign-in burst is counted across both nodes and recorded once (auth/failed-sign-ins.ts)', async () => {
    const store = await sqliteStore();
    const records: string[] = [];
    const apps: FastifyInstance[] = [];
    const config = loadConfig({ DATABASE_URL: 'sqlite::memory:' }, '/nonexistent');
    for (const node of [0, 1]) {
      apps.push(await wireApp({
        store, config, authenticator: new Authenticator(store), signer: new TokenSigner('s'.repeat(32)), identity: TEST_IDENTITY, logger: false,
        sharedCounters: { redis, namespace: `${namespace}burst:` }, signInBurst: { threshold: 4, windowMs: 3_600_000, maxAddresses: 100 },
        audit: { record: async (_actor, event) => void records.push(`${node} ${event.action} ${(event.details as { failures: number }).failures}`) },
      }));
    }
    for (let i = 0; i < 3; i++) {
      const res = await apps[i % 2]!.inject({ method: 'GET', url: '/api/v1/iocs', headers: { authorization: `Bearer sk_live_${'x'.repeat(40)}` } });
      assert.equal(res.statusCode, 401);
    }
    assert.deepEqual(records, [], 'three failures, two on one node, one on the other: below the threshold of four');
    await apps[1]!.inject({ method: 'GET', url: '/api/v1/iocs', headers: { authorization: `Bearer sk_live_${'y'.repeat(40)}` } });
    assert.deepEqual(records, ['1 auth.failed_burst 4'], 'the node whose failure reached four records it, once');
    for (let i = 0; i < 4; i++) await apps[i % 2]!.inject({ method: 'GET', url: '/api/v1/iocs', headers: { authorization: `Bearer sk_live_${'z'.repeat(40)}` } });
    assert.equal(records.length, 1, 'one record per window across the nodes');
    for (const app of apps) await app.close();
    await store.close();
  });
});
