import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startServer, type TestServer } from '../support/server.js';

const TAXII = 'application/taxii+json;version=2.1';
/** One route of each family and prefix: REST, TAXII under /api/taxii2 (an API root), TAXII discovery at /taxii2. */
const ROUTES = ['/api/v1/iocs', '/api/taxii2/api/collections/', '/taxii2/'] as const;
const isTaxii = (path: string) => path.includes('taxii2');

/** What a refusal must look like on `path`: its family's error format, with Retry-After. */
async function assertRefused(res: Response, path: string): Promise<void> {
  assert.equal(res.status, 429, `${path} refused`);
  const retryAfter = Number(res.headers.get('retry-after'));
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `${path}: retry-after ${res.headers.get('retry-after')}`);
  assert.equal(res.headers.get('ratelimit-remaining'), '0');
  const body = (await res.json()) as Record<string, unknown>;
  if (isTaxii(path)) {
    assert.equal(res.headers.get('content-type'), TAXII, `${path}: a TAXII error resource`);
    assert.equal(body.http_status, '429');
    assert.equal(typeof body.title, 'string');
  } else {
    assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.deepEqual([body.status, body.code], [429, 'rate_limited']);
  }
}

describe('one rate-limit budget per key and per address, across REST and both TAXII prefixes', () => {
  const N = 5;
  let server: TestServer;
  before(async () => {
    server = await startServer((config) => {
      config.plans.pro.rateLimit = { max: N, windowMs: 60_000 };
      config.anonymousRateLimit = { max: 2, windowMs: 60_000 };
    });
  });
  after(async () => {
    await server.close();
  });

  it(`a pro key spending alternately on ${ROUTES.join(', ')} gets ${N} requests in all, then 429 on every route`, async () => {
    const key = await server.keyFor('pro@example.com', 'pro');
    const headers = { authorization: `Bearer ${key}`, accept: TAXII };
    const seen: string[] = [];
    for (let i = 0; i < N; i++) {
      const path = ROUTES[i % ROUTES.length]!;
      const res = await fetch(`${server.base}${path}`, { headers: isTaxii(path) ? headers : { authorization: headers.authorization } });
      seen.push(`${path} ${res.status} remaining=${res.headers.get('ratelimit-remaining')}`);
      assert.equal(res.status, 200, seen.join('; '));
      assert.equal(res.headers.get('ratelimit-limit'), String(N), seen.join('; '));
      assert.equal(res.headers.get('ratelimit-remaining'), String(N - 1 - i), `one counter for every route: ${seen.join('; ')}`);
      await res.arrayBuffer();
    }
    // The (N+1)th request overall is refused, on whichever route it comes, in that route's own format.
    for (let i = N; i < N + ROUTES.length; i++) {
      const path = ROUTES[i % ROUTES.length]!;
      await assertRefused(await fetch(`${server.base}${path}`, { headers: isTaxii(path) ? headers : { authorization: headers.authorization } }), path);
    }
  });

  it('requests without a key share one per-address budget across REST and TAXII', async () => {
    const first = await fetch(`${server.base}/api/v1/iocs`);
    assert.equal(first.status, 401);
    assert.equal(first.headers.get('ratelimit-remaining'), '1');
    await first.arrayBuffer();
    const second = await fetch(`${server.base}/taxii2/`, { headers: { accept: TAXII } });
    assert.equal(second.status, 401);
    assert.equal(second.headers.get('ratelimit-remaining'), '0', 'the REST request counted against the same address budget');
    await second.arrayBuffer();
    await assertRefused(await fetch(`${server.base}/api/taxii2/api/collections/`, { headers: { accept: TAXII } }), '/api/taxii2/api/collections/');
    await assertRefused(await fetch(`${server.base}/api/v1/iocs`), '/api/v1/iocs');
  });
});
