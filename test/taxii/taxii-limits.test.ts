import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { jsonDepth } from '../../src/taxii/add-objects.js';
import { startServer, type TestServer } from '../support/server.js';

const TAXII = 'application/taxii+json;version=2.1';
const SHARE = { id: '5b9e7a3c-2f41-4d8e-9c6a-1e2f3a4b5c6d', alias: 'share' };
const id = (n: number) => `note--00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const note = (n: number, content: string, extra: Record<string, unknown> = {}) => ({
  type: 'note', spec_version: '2.1', id: id(n), created: '2026-05-01T00:00:00.000Z', modified: '2026-05-01T00:00:00.000Z',
  content, object_refs: ['indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f'], ...extra,
});
/** A value nested `depth` levels deep in arrays. */
const nested = (depth: number): unknown => {
  let v: unknown = 'x';
  for (let i = 0; i < depth; i++) v = [v];
  return v;
};

describe('TAXII limits: object size and depth on add, a byte budget per page, the Accept header', () => {
  let srv: TestServer;
  let auth: string;
  const objects = `/api/taxii2/api/collections/${SHARE.alias}/objects/`;

  before(async () => {
    srv = await startServer((c) => {
      c.taxii.maxContentLength = 4 * 1024 * 1024;
      c.taxii.maxObjectBytes = 50_000;
      c.taxii.maxObjectDepth = 8;
      c.taxii.maxPageBytes = 65_536;
      c.taxii.collections = [{ ...SHARE, root: 'api', title: 'Share', description: '', read: { plans: ['pro'], accounts: [] }, write: { plans: ['pro'], accounts: [] } }];
    }, async (store) => {
      // Stored before the limits existed: one object far larger than a page.
      const big = note(999, 'y'.repeat(300_000), { modified: '2026-04-01T00:00:00.000Z', created: '2026-04-01T00:00:00.000Z' });
      await store.addObjects(SHARE.alias, [{ stixId: big.id, type: 'note', modified: Date.parse(big.modified), specVersion: '2.1', json: JSON.stringify(big) }], Date.UTC(2026, 3, 1));
    });
    auth = `Bearer ${await srv.keyFor('pro@example.com', 'pro')}`;
  });
  after(() => srv.close());

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}, raw?: string) => {
    const res = await fetch(srv.base + path, {
      method,
      headers: { authorization: auth, ...(body !== undefined ? { 'content-type': TAXII } : {}), ...headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : raw !== undefined ? { body: raw } : {}),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, body: text ? JSON.parse(text) : undefined };
  };

  it('measures depth without recursion', () => {
    assert.equal(jsonDepth('x'), 0);
    assert.equal(jsonDepth({ a: [1, { b: 2 }] }), 3);
    assert.equal(jsonDepth(nested(100_000)), 100_000);
    assert.equal(jsonDepth(nested(100_000), 10), 11, 'stops once past the limit');
  });

  it('refuses an object over maxObjectBytes or nested deeper than maxObjectDepth, each with its reason; the others land', async () => {
    // 5,000 levels: more than JSON writers that recurse can take, so the text is written by hand.
    const envelope = JSON.stringify({ objects: [
      note(1, 'small'),
      note(2, 'z'.repeat(60_000)),
      note(3, 'deep', { x_nest: nested(7) }),
      note(4, 'too deep', { x_nest: nested(8) }),
      note(5, 'far too deep', { x_nest: 'PLACEHOLDER' }),
    ] }).replace('"PLACEHOLDER"', `${'['.repeat(5000)}"x"${']'.repeat(5000)}`);
    const r = await call('POST', objects, undefined, { 'content-type': TAXII }, envelope);
    assert.equal(r.status, 202);
    assert.deepEqual(r.body.successes.map((s: { id: string }) => s.id), [id(1), id(3)]);
    const why = Object.fromEntries(r.body.failures.map((f: { id: string; message: string }) => [f.id, f.message]));
    assert.match(why[id(2)], /larger than the 50000 bytes .*maxObjectBytes/);
    assert.match(why[id(4)], /deeper than 8 .*maxObjectDepth/);
    assert.match(why[id(5)], /deeper than 8/);
  });

  it('ends a page of objects at maxPageBytes (more: true, with next), so that a walk of large objects stays in small pages', async () => {
    const many = Array.from({ length: 10 }, (_, i) => note(100 + i, String(i).repeat(30_000)));
    assert.equal((await call('POST', objects, { objects: many })).body.success_count, 10);
    const seen: string[] = [];
    let url = `${objects}?limit=1000`;
    for (let pages = 0; pages < 50; pages++) {
      const r = await call('GET', url);
      assert.equal(r.status, 200);
      const ids = r.body.objects.map((o: { id: string }) => o.id) as string[];
      if (ids.includes(id(999))) assert.equal(ids.length, 1, 'an object stored over the budget comes alone');
      else assert.ok(Buffer.byteLength(r.text) < 65_536 + 2_000, `page of ${Buffer.byteLength(r.text)} bytes`);
      seen.push(...ids);
      if (!r.body.more) break;
      assert.ok(r.body.next);
      url = `${objects}?limit=1000&next=${encodeURIComponent(r.body.next)}`;
    }
    assert.deepEqual(seen, [id(999), id(1), id(3), ...many.map((o) => o.id)]);
    // The manifest carries no objects: its pages go by limit alone.
    assert.equal((await call('GET', `/api/taxii2/api/collections/${SHARE.alias}/manifest/?limit=1000`)).body.objects.length, 13);
  });

  it('reads at most 4 KB of Accept: a longer one is a 406 TAXII error, answered at once', async () => {
    const long = `${'text/html;q=0.1, '.repeat(300)}application/taxii+json`;
    const r = await call('GET', '/api/taxii2/api/', undefined, { accept: long });
    assert.equal(r.status, 406);
    assert.equal(r.headers.get('content-type'), TAXII);
    assert.equal(r.body.http_status, '406');
    assert.equal((await call('GET', '/api/taxii2/api/', undefined, { accept: 'application/taxii+json;version=2.1' })).status, 200);
  });
});

describe('TAXII discovery URLs come from the configured public URL, not from the Host header', () => {
  const discovery = async (srv: TestServer, host: string, auth: string) => {
    const { request } = await import('node:http');
    const url = new URL(`${srv.base}/taxii2/`);
    return new Promise<{ default: string; api_roots: string[] }>((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, headers: { host, authorization: auth } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(JSON.parse(text)));
      });
      req.on('error', reject);
      req.end();
    });
  };

  it('answers a forged Host with the public URL, and reflects only an allowed Host', async () => {
    const srv = await startServer((c) => {
      c.publicUrl = 'https://intel.example.org/cti';
      c.allowedHosts = ['taxii.internal:8443'];
    });
    try {
      const auth = `Bearer ${await srv.keyFor('pro@example.com', 'pro')}`;
      const forged = await discovery(srv, 'evil.example', auth);
      assert.equal(forged.default, 'https://intel.example.org/cti/api/taxii2/api/');
      assert.deepEqual(forged.api_roots, ['https://intel.example.org/cti/api/taxii2/api/']);
      assert.equal((await discovery(srv, 'TAXII.internal:8443', auth)).default, 'http://TAXII.internal:8443/api/taxii2/api/');
    } finally {
      await srv.close();
    }
  });

  it('defaults to http://localhost:<port> and checks the settings', async () => {
    const { loadConfig } = await import('../../src/config/config.js');
    assert.equal(loadConfig({ PORT: '9090' }, '/nonexistent').publicUrl, 'http://localhost:9090');
    assert.equal(loadConfig({ SOCD_PUBLIC_URL: 'https://intel.example.org/' }, '/nonexistent').publicUrl, 'https://intel.example.org');
    assert.deepEqual(loadConfig({ SOCD_ALLOWED_HOSTS: 'a.example, B.example:8080,[::1]:8080' }, '/nonexistent').allowedHosts, ['a.example', 'b.example:8080', '[::1]:8080']);
    for (const bad of ['ftp://x.example', 'https://x.example/?a=1', 'not a url', 'https://u:p@x.example']) {
      assert.throws(() => loadConfig({ SOCD_PUBLIC_URL: bad }, '/nonexistent'), /SOCD_PUBLIC_URL/, bad);
    }
    assert.throws(() => loadConfig({ SOCD_ALLOWED_HOSTS: 'a b' }, '/nonexistent'), /SOCD_ALLOWED_HOSTS/);
  });
});
