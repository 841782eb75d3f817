import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { generateIocs } from '../../bench/generator.js';
import type { Observation } from '../../src/store/types.js';
import { TLP2_MARKING_IDS } from '../../src/stix/tlp-markings.js';
import { observation, source } from '../support/builders.js';
import { startServer, type TestServer, rawGet } from '../support/server.js';
import { schemaErrors, strictWarnings } from '../support/stix-validator.js';
import { TEST_IDENTITY_ID } from '../support/stores.js';

const UUID4 = /^[a-z-]+--[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const MS_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;


describe('GET /api/v1/iocs/stix', () => {
  let srv: TestServer;
  let pro: string;
  let free: string;
  const generated: Observation[] = [];

  before(async () => {
    srv = await startServer();
    pro = await srv.keyFor('pro@example.com', 'pro');
    free = await srv.keyFor('free@example.com', 'free');
    await srv.store.upsertSource(source({ id: 'open-feed', name: 'Open Feed', tlp: 'green' }));
    await srv.store.upsertSource(source({ id: 'licensed', name: 'Licensed Feed', redistributable: false, tlp: 'amber' }));
    // A generated data set of every type, with tags, malware families and sectors.
    for (const ioc of generateIocs({ count: 1500, seed: 7 })) {
      generated.push(observation({
        type: ioc.type, value: ioc.value, tags: ioc.tags, malware: ioc.malware ? [ioc.malware] : [], sectors: ioc.sectors,
        firstSeen: Date.parse(ioc.firstSeen), lastSeen: Date.parse(ioc.lastSeen),
      }));
    }
    await srv.store.upsertObservations('open-feed', generated, Date.UTC(2026, 4, 17));
    await srv.store.upsertObservations('licensed', [observation({ type: 'domain', value: 'licensed-only.example' })], Date.UTC(2026, 4, 18));
    // Hostile values must come out as valid patterns.
    await srv.store.upsertObservations('open-feed', [
      observation({ type: 'url', value: "http://x.example/a'b\\c?q=' OR '1'='1", tags: ["it's", 'back\\slash'] }),
      observation({ type: 'email', value: "o'brien@example.com" }),
    ], Date.UTC(2026, 4, 19));
  });
  after(() => srv.close());

  const bundle = async (qs = '', key = pro) => {
    const res = await rawGet(`${srv.base}/api/v1/iocs/stix${qs}`, { authorization: `Bearer ${key}` });
    return { ...res, json: res.status === 200 ? JSON.parse(res.body.toString('utf8')) : JSON.parse(res.body.toString('utf8') || 'null') };
  };

  it('is one bundle: identity, the TLP markings in use, then every redistributable IOC, each object valid STIX 2.1', async () => {
    const { status, headers, json } = await bundle();
    assert.equal(status, 200);
    assert.equal(headers['content-type'], 'application/stix+json;version=2.1');
    assert.equal(json.type, 'bundle');
    assert.match(json.id, UUID4);
    assert.equal(json.spec_version, undefined);
    const objects = json.objects as Array<Record<string, any>>;
    assert.equal(objects[0]!.type, 'identity');
    assert.equal(objects[0]!.id, TEST_IDENTITY_ID);
    assert.deepEqual(objects.slice(1, 2).map((o) => o.id), [TLP2_MARKING_IDS.green]);
    const iocs = objects.slice(2);
    assert.equal(iocs.length, generated.length + 2, 'the licensed-only IOC is left out');
    assert.ok(!JSON.stringify(iocs).includes('licensed-only.example'));
    const problems: string[] = [];
    for (const o of objects) {
      for (const e of [...schemaErrors(o), ...strictWarnings(o)]) problems.push(`${o.id}: ${e}`);
    }
    assert.deepEqual(problems.slice(0, 20), []);
    const types = new Set(iocs.map((o) => o.type));
    assert.deepEqual([...types].sort(), ['indicator', 'vulnerability']);
    for (const o of iocs) {
      assert.match(o.id, UUID4);
      assert.equal(typeof o.name, 'string');
      assert.equal(typeof o.description, 'string');
      assert.match(o.created, MS_TIME);
      assert.match(o.modified, MS_TIME);
      assert.equal(o.created_by_ref, TEST_IDENTITY_ID);
      assert.deepEqual(o.object_marking_refs, [TLP2_MARKING_IDS.green]);
      if (o.type === 'indicator') {
        assert.ok(o.valid_until > o.valid_from);
        assert.equal(o.pattern_type, 'stix');
      }
    }
    const hostile = iocs.find((o) => o.pattern?.startsWith('[url:'))!;
    assert.ok(hostile);
  });

  it('takes the REST filters and an optional limit', async () => {
    const cves = (await bundle('?type=cve')).json.objects.slice(2);
    assert.ok(cves.length > 0);
    assert.ok(cves.every((o: { type: string }) => o.type === 'vulnerability'));
    assert.equal((await bundle('?limit=5')).json.objects.length, 2 + 5);
    const one = (await bundle(`?q=${encodeURIComponent("o'brien@example.com")}`)).json.objects.slice(2);
    assert.deepEqual(one.map((o: { pattern: string }) => o.pattern), ["[email-addr:value = 'o\\'brien@example.com']"]);
    assert.equal((await bundle('?industry=energy')).json.objects.slice(2).every((o: { labels?: string[] }) => o.labels?.includes('sector:energy')), true);
    for (const [qs, parameter] of [['?limit=0', 'limit'], ['?cursor=abc', 'cursor'], ['?type=ip', 'type']] as const) {
      const r = await bundle(qs);
      assert.equal(r.status, 400, qs);
      assert.equal(r.json.parameter, parameter);
    }
  });

  it('is gzip-compressed when the client accepts it', async () => {
    const plain = await bundle('?type=ipv4&limit=200');
    const zipped = await rawGet(`${srv.base}/api/v1/iocs/stix?type=ipv4&limit=200`, { authorization: `Bearer ${pro}`, 'accept-encoding': 'br;q=1, gzip;q=0.8' });
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    assert.equal(zipped.headers['content-type'], 'application/stix+json;version=2.1');
    const unzipped = JSON.parse(gunzipSync(zipped.body).toString('utf8'));
    assert.deepEqual(unzipped.objects, plain.json.objects);
    assert.ok(zipped.body.length < plain.body.length / 3);
    const refused = await rawGet(`${srv.base}/api/v1/iocs/stix?limit=1`, { authorization: `Bearer ${pro}`, 'accept-encoding': 'gzip;q=0' });
    assert.equal(refused.headers['content-encoding'], undefined);
  });

  it('needs the Pro plan: a free key gets 403 naming it', async () => {
    const r = await bundle('', free);
    assert.equal(r.status, 403);
    assert.equal(r.json.code, 'plan_required');
    assert.match(r.json.detail, /Pro plan/);
    assert.equal((await rawGet(`${srv.base}/api/v1/iocs/stix`, {})).status, 401);
  });
});
