import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { observation, source } from '../support/builders.js';
import { startServer, type TestServer } from '../support/server.js';

const TAXII = 'application/taxii+json;version=2.1';
const TEAM = { id: '5b9e7a3c-2f41-4d8e-9c6a-1e2f3a4b5c6d', alias: 'team' };
const OTHER = { id: '6c0f8b4d-3a52-4e9f-8d7b-2f3a4b5c6d7e', alias: 'other' };
const grant = { plans: ['pro' as const], accounts: [] };

/** Issue 13 §1: versions, "latest" and version selection are per collection; our IOCs change only by our hand. */
describe('TAXII collections are isolated from each other', () => {
  let srv: TestServer;
  let auth: string;
  let ours: { id: string; modified: string };

  before(async () => {
    srv = await startServer((c) => {
      c.taxii.collections = [
        { ...TEAM, root: 'api', title: 'Team', description: '', read: grant, write: grant },
        { ...OTHER, root: 'api', title: 'Other', description: '', read: grant, write: grant },
      ];
    }, async (store) => {
      await store.upsertSource(source({ id: 'feed' }));
      await store.upsertObservations('feed', [observation({ type: 'domain', value: 'c2.example.net' })], Date.UTC(2026, 4, 17));
    });
    auth = `Bearer ${await srv.keyFor('writer@example.com', 'pro')}`;
  });
  after(() => srv.close());

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(srv.base + path, {
      method,
      headers: { authorization: auth, ...(body !== undefined ? { 'content-type': TAXII } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const indicators = async (collection: string, manifest = false) =>
    ((await call('GET', `/api/taxii2/api/collections/${collection}/${manifest ? 'manifest' : 'objects'}/?match[type]=indicator`)).body.objects ?? []) as Array<{ id: string; modified?: string; version?: string; name?: string }>;

  it('a later version of one of our indicators posted to a writable collection hides nothing in the built-in collections', async () => {
    const [mine] = await indicators('domains');
    assert.ok(mine?.modified);
    ours = { id: mine.id, modified: mine.modified };
    const forged = {
      ...mine, modified: '2030-01-01T00:00:00.000Z', name: 'forged', pattern: "[domain-name:value = 'c2.example.net']", pattern_type: 'stix',
    };
    const r = await call('POST', `/api/taxii2/api/collections/${TEAM.alias}/objects/`, { objects: [forged] });
    assert.equal(r.body.success_count, 1);
    for (const c of ['all-iocs', 'domains']) {
      assert.deepEqual((await indicators(c)).map((o) => [o.id, o.modified, o.name === 'forged']), [[ours.id, ours.modified, false]], c);
      assert.deepEqual((await indicators(c, true)).map((m) => [m.id, m.version]), [[ours.id, ours.modified]], `${c} manifest`);
    }
    assert.deepEqual((await indicators(TEAM.alias)).map((o) => o.name), ['forged']);
  });

  it('an older version in one collection is not hidden by a newer one in another', async () => {
    const older = { type: 'malware', spec_version: '2.1', id: 'malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b', created: '2026-01-01T00:00:00.000Z', is_family: true };
    await call('POST', `/api/taxii2/api/collections/${OTHER.alias}/objects/`, { objects: [{ ...older, modified: '2026-01-01T00:00:00.000Z', name: 'old' }] });
    await call('POST', `/api/taxii2/api/collections/${TEAM.alias}/objects/`, { objects: [{ ...older, modified: '2026-06-01T00:00:00.000Z', name: 'new' }] });
    const other = (await call('GET', `/api/taxii2/api/collections/${OTHER.alias}/objects/${older.id}/`)).body.objects;
    assert.deepEqual(other.map((o: { name: string }) => o.name), ['old']);
    assert.deepEqual((await call('GET', `/api/taxii2/api/collections/${OTHER.alias}/objects/${older.id}/versions/`)).body.versions, ['2026-01-01T00:00:00.000Z']);
  });
});
