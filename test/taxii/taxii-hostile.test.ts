import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startServer, type TestServer } from '../support/server.js';

const TAXII = 'application/taxii+json;version=2.1';

describe('TAXII under malformed and hostile requests', () => {
  let srv: TestServer;
  let auth: string;

  before(async () => {
    srv = await startServer((c) => {
      c.taxii.collections = [{ id: '5b9e7a3c-2f41-4d8e-9c6a-1e2f3a4b5c6d', root: 'api', alias: 'share', title: 'Share', description: '', read: { plans: ['pro'], accounts: [] }, write: { plans: ['pro'], accounts: [] } }];
    });
    auth = `Bearer ${await srv.keyFor('pro@example.com', 'pro')}`;
  });
  after(() => srv.close());

  it('answers every one with a 4xx TAXII error resource, never a 5xx, and keeps serving', async () => {
    const objects = '/api/taxii2/api/collections/all-iocs/objects/';
    const cases: Array<{ method?: string; path: string; body?: string; type?: string; headers?: Record<string, string> }> = [
      ...['limit=', 'limit=1e3', 'limit=99999999999', `limit=${'9'.repeat(400)}`, 'added_after=', 'added_after=2026-13-01T00:00:00Z',
        `added_after=${'2'.repeat(5000)}`, 'next=', `next=${'a'.repeat(3000)}`, 'next=e30.AAAA', "match[id]=indicator--'%20OR%201=1", 'match[type]=%00',
        `match[type]=${'a,'.repeat(2000)}`, 'match[version]=', 'match[version]=last,,first', 'match[spec_version]=2.1.1',
        'limit=10&limit=20', 'added_after=2026-05-17T00:00:00Z&added_after=2026-05-18T00:00:00Z'].map((qs) => ({ path: `${objects}?${qs}` })),
      ...['/api/taxii2/api/collections/%E0%A4%A/objects/', `/api/taxii2/api/collections/${'x'.repeat(600)}/`, '/api/taxii2/api/collections/../../etc/passwd',
        '/api/taxii2/api/collections/all-iocs/objects/not-an-id/', '/api/taxii2/api/collections/all-iocs/objects/indicator--x/versions/',
        '/api/taxii2/%00/', '/api/taxii2/api/status/../../', '/api/taxii2/api/status/not-a-uuid/', '/taxii2/api/collections/',
        '/api/taxii2/api/collections/all-iocs/manifest/?match[version]=sometime'].map((path) => ({ path })),
      { method: 'PUT', path: objects, body: '{}', type: TAXII },
      { method: 'PATCH', path: '/api/taxii2/api/' },
      { method: 'POST', path: '/api/taxii2/' , body: '{}', type: TAXII },
      { method: 'POST', path: '/api/taxii2/api/collections/share/objects/', body: '{"objects": [', type: TAXII },
      { method: 'POST', path: '/api/taxii2/api/collections/share/objects/', body: JSON.stringify({ objects: Array.from({ length: 50 }, () => ({ type: 'x' })) }), type: TAXII },
      { method: 'POST', path: '/api/taxii2/api/collections/share/objects/', body: JSON.stringify({ objects: [{ type: 'indicator', id: 'indicator--00000000-0000-4000-8000-000000000001', spec_version: '2.1', created: 'x', modified: 'y' }] }), type: TAXII },
      { method: 'POST', path: '/api/taxii2/api/collections/share/objects/', body: 'x'.repeat(100), type: 'application/taxii+json;version=2.1;charset=utf-8' },
      { method: 'DELETE', path: '/api/taxii2/api/collections/all-iocs/objects/indicator--00000000-0000-4000-8000-000000000001/' },
      { method: 'DELETE', path: '/api/taxii2/api/collections/share/objects/indicator--00000000-0000-4000-8000-000000000001/?match[version]=bad' },
      { path: '/api/taxii2/api/', headers: { accept: 'application/taxii+json;version=2.0, text/html' } },
      { path: '/api/taxii2/api/', headers: { accept: ';;;,,,' } },
      { path: '/api/taxii2/api/', headers: { authorization: 'Basic !!!' } },
      { path: '/api/taxii2/api/', headers: { authorization: `Basic ${Buffer.from('a'.repeat(3000)).toString('base64')}` } },
    ];
    const wrong: string[] = [];
    for (const c of cases) {
      const res = await fetch(srv.base + c.path, {
        method: c.method ?? 'GET',
        headers: { authorization: auth, ...(c.type ? { 'content-type': c.type } : {}), ...c.headers },
        ...(c.body !== undefined ? { body: c.body } : {}),
      });
      const text = await res.text();
      const label = `${c.method ?? 'GET'} ${c.path.slice(0, 80)}`;
      if (res.status < 400 || res.status >= 500) {
        // A few are legitimate successes: a 202 status with per-object failures, an ignored unknown filter.
        if (res.status === 202 || res.status === 200) continue;
        wrong.push(`${label}: ${res.status}`);
        continue;
      }
      if (res.headers.get('content-type') !== TAXII) wrong.push(`${label}: content-type ${res.headers.get('content-type')}`);
      const body = JSON.parse(text) as { http_status?: unknown; title?: unknown };
      if (body.http_status !== String(res.status) || typeof body.title !== 'string') wrong.push(`${label}: not an error resource: ${text.slice(0, 100)}`);
    }
    assert.deepEqual(wrong, []);
    assert.ok(cases.length >= 40);
    const ok = await fetch(`${srv.base}/api/taxii2/api/collections/all-iocs/objects/?limit=5`, { headers: { authorization: auth } });
    assert.equal(ok.status, 200);
  });
});
