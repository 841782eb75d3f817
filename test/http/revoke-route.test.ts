import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { exclusionSettings, resolveSources } from '../../src/connectors/catalog/source-config.js';
import { genericSource } from '../../src/connectors/catalog/sources/generic.js';
import { CATALOG } from '../../src/connectors/catalog/sources/index.js';
import { importFile } from '../../src/connectors/pipeline/file-import.js';
import { runSource } from '../../src/connectors/pipeline/runner.js';
import { loadAllowList } from '../../src/connectors/pipeline/write-observations.js';
import { Exclusions } from '../../src/domain/exclusions.js';
import { FeedServer } from '../support/feed-server.js';
import { callJson, startServer, type TestServer } from '../support/server.js';

/** Answers as parsed JSON: the tests read them field by field. */
type Json = Record<string, any>;

const call = callJson;

describe('POST /api/v1/iocs/{id}/revoke through a real server, and the audit records of both routes', () => {
  let srv: TestServer;
  let admin: string;
  before(async () => {
    srv = await startServer();
    admin = await srv.keyFor('admin@example.com', 'admin');
  });
  after(() => srv.close());

  it('a submission is audited as ioc.submit with its source and counts, not its body', async () => {
    const r = await call(srv.base, 'POST', '/api/v1/iocs', admin, ['45.135.1.1', 'nope', '45.135.1.2']);
    assert.equal(r.status, 200);
    const rec = srv.audits.find((x) => x.event.action === 'ioc.submit');
    assert.ok(rec, 'recorded');
    assert.equal(rec.actor.email, 'admin@example.com');
    assert.equal(rec.actor.via, 'api');
    assert.equal(rec.event.target, r.body.source);
    assert.deepEqual(rec.event.details, { source: r.body.source, format: 'json', summary: { created: 2, updated: 0, unchanged: 0, rejected: 1, excluded: 0, allowlisted: 0 } });
  });

  it('refuses accounts without the analyst role (403 naming it), and no key (401); revokes nothing', async () => {
    await call(srv.base, 'POST', '/api/v1/iocs', admin, ['45.135.2.1']);
    for (const plan of ['free', 'pro'] as const) {
      const key = await srv.keyFor(`${plan}@example.com`, plan);
      const r = await call(srv.base, 'POST', '/api/v1/iocs/45.135.2.1/revoke', key, { reason: 'x' });
      assert.equal(r.status, 403);
      assert.equal(r.body.code, 'role_required');
      assert.equal(r.body.required_role, 'analyst');
      assert.match(r.body.detail, /revoking IOCs needs the analyst role/);
    }
    assert.equal((await call(srv.base, 'POST', '/api/v1/iocs/45.135.2.1/revoke', null, { reason: 'x' })).status, 401);
    assert.equal((await call(srv.base, 'GET', '/api/v1/iocs/45.135.2.1', admin)).body.status, 'active');
  });

  it('by id: a final revoked STIX version, 200 with the IOC; again: 409; the reason is in the audit record', async () => {
    const sub = await call(srv.base, 'POST', '/api/v1/iocs', admin, [{ value: '45.135.3.1', tlp: 'clear' }]);
    const id = sub.body.items[0].id as string;
    const r = await call(srv.base, 'POST', `/api/v1/iocs/${id}/revoke`, admin, { reason: 'false positive: our scanner' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.id, id);
    assert.equal(r.body.status, 'revoked');
    assert.equal(r.headers.get('content-location'), `/api/v1/iocs/${id}`);
    const versions = await srv.store.listVersions(id);
    assert.equal(versions.at(-1)!.revoked, true);
    assert.equal(JSON.parse(versions.at(-1)!.json).revoked, true);
    const taxii = await fetch(`${srv.base}/api/taxii2/api/collections/all-iocs/objects/?match[id]=${id}`, {
      headers: { authorization: `Bearer ${admin}`, accept: 'application/taxii+json;version=2.1' },
    });
    assert.deepEqual(((await taxii.json()) as Json).objects.map((o: Json) => [o.id, o.revoked]), [[id, true]], 'a polling SIEM reads it revoked');
    const rec = srv.audits.find((x) => x.event.action === 'ioc.revoke' && x.event.target === id);
    assert.deepEqual(rec?.event.details, { id, type: 'ipv4', value: '45.135.3.1', reason: 'false positive: our scanner' });

    const again = await call(srv.base, 'POST', `/api/v1/iocs/${id}/revoke`, admin, { reason: 'again' });
    assert.equal(again.status, 409);
    assert.equal(again.body.code, 'conflict');
    assert.match(again.body.detail, /revoked already/);
    assert.equal((await srv.store.listVersions(id)).length, versions.length, 'no further version');
  });

  it('by value (defanged and percent-encoded forms work); unknown: 404; a reason is required (400)', async () => {
    await call(srv.base, 'POST', '/api/v1/iocs', admin, ['http://bad-login-portal.xyz/revoke-me']);
    const path = `/api/v1/iocs/${encodeURIComponent('hxxp://bad-login-portal[.]xyz/revoke-me')}/revoke`;
    for (const body of [{}, { reason: '' }, { reason: 'x'.repeat(501) }, { reason: 'ok', extra: 1 }]) {
      const bad = await call(srv.base, 'POST', path, admin, body);
      assert.equal(bad.status, 400, JSON.stringify(body));
    }
    const r = await call(srv.base, 'POST', path, admin, { reason: 'taken down' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual([r.body.value, r.body.status], ['http://bad-login-portal.xyz/revoke-me', 'revoked']);
    const unknown = await call(srv.base, 'POST', '/api/v1/iocs/45.135.9.9/revoke', admin, { reason: 'x' });
    assert.equal(unknown.status, 404);
    const noId = await call(srv.base, 'POST', '/api/v1/iocs/indicator--00000000-0000-4000-8000-000000000000/revoke', admin, { reason: 'x' });
    assert.equal(noId.status, 404);
    assert.equal((await call(srv.base, 'POST', '/api/v1/iocs/not%20a%20value/revoke', admin, { reason: 'x' })).status, 400);
  });

  it('a revoked IOC comes back, as a new object, when it is submitted (or listed) again', async () => {
    const first = await call(srv.base, 'POST', '/api/v1/iocs', admin, ['45.135.4.1']);
    await call(srv.base, 'POST', '/api/v1/iocs/45.135.4.1/revoke', admin, { reason: 'cleaned' });
    const back = await call(srv.base, 'POST', '/api/v1/iocs', admin, ['45.135.4.1']);
    assert.equal(back.body.items[0].status, 'updated');
    assert.notEqual(back.body.items[0].id, first.body.items[0].id);
    assert.equal((await call(srv.base, 'GET', '/api/v1/iocs/45.135.4.1', admin)).body.status, 'active');
  });
});

describe('the allow-list holds on every write path: a feed run, a file import and a submission', () => {
  let srv: TestServer;
  const feed = new FeedServer();
  const URL_ = 'https://feeds.example/allow-paths.txt';
  before(async () => {
    srv = await startServer();
    await feed.start();
    feed.handlers.set(URL_, (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('cdn.trusted-partner.net\n45.136.1.1\n'));
  });
  after(async () => {
    await feed.stop();
    await srv.close();
  });

  it('one entry (*.trusted-partner.net) keeps its values out of all three, counted as allow-listed; the rest lands', async () => {
    const admin = await srv.keyFor('admin@example.com', 'admin');
    const added = await call(srv.base, 'POST', '/api/v1/allowlist', admin, { value: '*.trusted-partner.net', reason: 'our partner' });
    assert.equal(added.status, 201);

    const def = genericSource({ id: 'paths-feed', generic: 'text', url: URL_ });
    const { ingest } = resolveSources(CATALOG, {}, {});
    const src = { def, enabled: true, reason: undefined, apiKey: undefined, username: undefined, custom: true, scheduleMs: 3_600_000, minIntervalMs: 0 };
    const run = await runSource(src, { store: srv.store, settings: ingest, rewriteUrl: feed.rewrite, sleep: async () => {} });
    assert.equal(run.outcome, 'ok', run.error ?? '');
    assert.deepEqual([run.inserted, run.allowlisted], [1, 1]);

    const dir = mkdtempSync(join(tmpdir(), 'socd-paths-'));
    const file = join(dir, 'list.csv');
    writeFileSync(file, 'value,tags\nmail.trusted-partner.net,x\n45.136.2.1,y\n');
    await srv.store.upsertSource({ id: 'paths-file', name: 'paths-file', reliability: 1, redistributable: true, aggregate: false, tlp: 'clear' });
    const imported = await importFile(srv.store, file, {
      format: 'csv', source: 'paths-file', parallel: false, confidence: 50, tlp: null,
      exclusions: new Exclusions(exclusionSettings({})), allowlist: await loadAllowList(srv.store, Date.now()),
    });
    assert.deepEqual([imported.inserted, imported.allowlisted], [1, 1]);

    const sub = await call(srv.base, 'POST', '/api/v1/iocs', admin, ['www.trusted-partner.net', '45.136.3.1']);
    assert.deepEqual(sub.body.items.map((i: Json) => i.status), ['allowlisted', 'created']);

    for (const v of ['cdn.trusted-partner.net', 'mail.trusted-partner.net', 'www.trusted-partner.net']) {
      assert.equal((await srv.store.queryIocs({ status: 'all', value: v, limit: 1 })).items.length, 0, `${v} is not stored`);
    }
    for (const v of ['45.136.1.1', '45.136.2.1', '45.136.3.1']) {
      assert.equal((await srv.store.queryIocs({ status: 'active', value: v, limit: 1 })).items.length, 1, `${v} is stored`);
    }
  });
});
