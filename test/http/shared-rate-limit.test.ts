import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { FastifyInstance } from 'fastify';
import { Authenticator } from '../../src/auth/authenticator.js';
import { issueKey } from '../../src/auth/key-service.js';
import { TokenSigner } from '../../src/auth/signed-token.js';
import { loadConfig } from '../../src/config/config.js';
import { buildApp } from '../../src/http/app.js';
import type { SharedCounters } from '../../src/http/rate-limit.js';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { sqliteStore, TEST_IDENTITY } from '../support/stores.js';

const REDIS_URL = process.env.REDIS_URL;

/** Two API nodes on one database: two apps built on the same store, as two `socd serve` processes would be. */
async function twoNodes(store: SqliteStore, shared: (node: number) => SharedCounters | undefined): Promise<FastifyInstance[]> {
  const config = loadConfig({ DATABASE_URL: 'sqlite::memory:' }, '/nonexistent');
  config.plans.free.rateLimit = { max: 3, windowMs: 60_000 };
  const signer = new TokenSigner('s'.repeat(32));
  const apps: FastifyInstance[] = [];
  for (const node of [0, 1]) {
    const counters = shared(node);
    apps.push(await buildApp({
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
});
