import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseMedallionData } from '../../src/taxii/medallion-load.js';
import { startServer, type TestServer } from '../support/server.js';

/**
 * A medallion data file as the OASIS reference server ships it: STIX 2.0 objects (no spec_version) beside 2.1 ones,
 * one object with versions of both, an SCO without spec_version or timestamps, a collection of both media types.
 */
const MIXED = '91a7b528-80eb-42ed-a74d-c6fbd5a26116';
const TWO = 'indicator--6770298f-0fd8-471a-ab8c-1c658a46574e';
const OLD = 'attack-pattern--389735f1-f21c-4208-b8f0-f8031e7169b8';
const SCO = 'ipv4-addr--f8b1bd3e-5cb5-5fd8-9d4c-2a8a0c1d8e1f';
const V20 = 'application/stix+json;version=2.0';
const V21 = 'application/stix+json;version=2.1';

const indicator = (modified: string, spec: '2.0' | '2.1', name: string) => ({
  type: 'indicator', ...(spec === '2.1' ? { spec_version: '2.1', pattern_type: 'stix' } : { labels: ['malicious-activity'] }),
  id: TWO, created: '2016-11-03T12:30:59.000Z', modified, name, pattern: "[ipv4-addr:value = '198.51.100.10']", valid_from: '2016-11-03T12:30:59.000Z',
});

const data = {
  '/discovery': { title: 'Reference data', default: 'http://localhost:5000/trustgroup1/', api_roots: ['http://localhost:5000/trustgroup1/'] },
  trustgroup1: {
    information: { title: 'Malware Research Group', versions: ['application/taxii+json;version=2.1'], max_content_length: 9765625 },
    status: [],
    collections: [{
      id: MIXED, title: 'High Value Indicator Collection', can_read: true, can_write: true, media_types: [V20, V21],
      objects: [
        // Stored out of version order: the 2.0 version is the latest by modified, the 2.1 ones came later.
        indicator('2017-01-27T13:49:53.935Z', '2.0', 'Malicious site hosting downloader (2.0)'),
        indicator('2016-11-03T12:30:59.000Z', '2.1', 'first 2.1'),
        indicator('2016-12-25T12:30:59.444Z', '2.1', 'last 2.1'),
        { type: 'attack-pattern', id: OLD, created: '2018-01-16T17:39:39.364Z', modified: '2018-01-16T17:39:39.364Z', name: 'Spearphishing (2.0 only)' },
        { type: 'ipv4-addr', id: SCO, value: '198.51.100.3' },
      ],
      manifest: [
        { id: TWO, date_added: '2017-01-27T13:49:59.997000Z', version: '2017-01-27T13:49:53.935Z', media_type: V20 },
        { id: TWO, date_added: '2017-12-31T13:49:53.935000Z', version: '2016-11-03T12:30:59.000Z', media_type: V21 },
        { id: TWO, date_added: '2018-01-01T13:49:53.935000Z', version: '2016-12-25T12:30:59.444Z', media_type: V21 },
        { id: OLD, date_added: '2018-01-16T17:39:39.364000Z', version: '2018-01-16T17:39:39.364Z', media_type: V20 },
        { id: SCO, date_added: '2019-02-02T02:02:02.123456Z', version: '2019-02-02T02:02:02.123Z', media_type: V21 },
      ],
    }],
  },
};

describe('TAXII with STIX 2.0 and 2.1 versions of one object (medallion data)', () => {
  let srv: TestServer;
  let auth: string;
  const base = `/api/taxii2/trustgroup1/collections/${MIXED}`;

  before(async () => {
    srv = await startServer(() => {}, async (store) => {
      const { load, problems } = parseMedallionData(structuredClone(data));
      assert.deepEqual(problems, []);
      await store.loadTaxii(load, Date.UTC(2026, 4, 17));
    });
    auth = `Bearer ${await srv.keyFor('analyst@example.com', 'admin')}`;
  });
  after(() => srv.close());

  const call = async (method: string, path: string) => {
    const res = await fetch(srv.base + path, { method, headers: { authorization: auth } });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const names = (objects: Array<{ id: string; name?: string; value?: string }>) => objects.map((o) => o.name ?? o.value);

  it('keeps the media types the collection was loaded with', async () => {
    assert.deepEqual((await call('GET', `${base}/`)).body.media_types, [V20, V21]);
  });

  it('an SDO without spec_version is kept as STIX 2.0; an SCO without it is 2.1 (manifest media_type per version)', async () => {
    const m = (await call('GET', `${base}/manifest/?match[version]=all&match[spec_version]=2.0,2.1`)).body.objects as Array<{ id: string; version: string; media_type: string }>;
    assert.deepEqual(m.map((r) => [r.id, r.version, r.media_type]), [
      [TWO, '2017-01-27T13:49:53.935Z', V20],
      [TWO, '2016-11-03T12:30:59.000Z', V21],
      [TWO, '2016-12-25T12:30:59.444Z', V21],
      [OLD, '2018-01-16T17:39:39.364Z', V20],
      [SCO, '2019-02-02T02:02:02.123Z', V21],
    ]);
  });

  it('without match[spec_version], each object is served in its latest spec version only (§3.4.2)', async () => {
    assert.deepEqual(names((await call('GET', `${base}/objects/`)).body.objects), ['last 2.1', 'Spearphishing (2.0 only)', '198.51.100.3']);
    assert.deepEqual(names((await call('GET', `${base}/objects/${TWO}/`)).body.objects), ['last 2.1']);
    assert.deepEqual((await call('GET', `${base}/objects/${TWO}/versions/`)).body.versions, ['2016-11-03T12:30:59.000Z', '2016-12-25T12:30:59.444Z']);
    const manifest = (await call('GET', `${base}/manifest/?match[id]=${TWO}&match[version]=all`)).body.objects as Array<{ media_type: string }>;
    assert.deepEqual(manifest.map((r) => r.media_type), [V21, V21]);
    assert.deepEqual(names((await call('GET', `${base}/objects/${TWO}/?match[spec_version]=2.0`)).body.objects), ['Malicious site hosting downloader (2.0)']);
    assert.deepEqual((await call('GET', `${base}/objects/${TWO}/versions/?match[spec_version]=2.0`)).body.versions, ['2017-01-27T13:49:53.935Z']);
  });

  it('first and last are by version (modified), whatever the order the versions were added in', async () => {
    assert.deepEqual(names((await call('GET', `${base}/objects/${TWO}/?match[version]=first`)).body.objects), ['first 2.1']);
    assert.deepEqual(names((await call('GET', `${base}/objects/${TWO}/?match[version]=last`)).body.objects), ['last 2.1']);
    assert.deepEqual(names((await call('GET', `${base}/objects/${TWO}/?match[version]=first&match[spec_version]=2.0,2.1`)).body.objects), ['first 2.1']);
    assert.deepEqual(names((await call('GET', `${base}/objects/${TWO}/?match[version]=last&match[spec_version]=2.0,2.1`)).body.objects), ['Malicious site hosting downloader (2.0)']);
    // An SCO without modified or created is versioned by its date_added, and match[version] finds it by that.
    assert.deepEqual(names((await call('GET', `${base}/objects/${SCO}/?match[version]=2019-02-02T02:02:02.123Z`)).body.objects), ['198.51.100.3']);
  });

  it('DELETE honours match[spec_version] and picks first and last by the same rule as GET', async () => {
    assert.equal((await call('DELETE', `${base}/objects/${TWO}/?match[spec_version]=2.0`)).status, 200);
    assert.deepEqual((await call('GET', `${base}/objects/${TWO}/versions/?match[spec_version]=2.0,2.1`)).body.versions, ['2016-11-03T12:30:59.000Z', '2016-12-25T12:30:59.444Z']);
    assert.equal((await call('DELETE', `${base}/objects/${TWO}/?match[version]=first`)).status, 200);
    assert.deepEqual(names((await call('GET', `${base}/objects/${TWO}/?match[version]=all`)).body.objects), ['last 2.1']);
    assert.equal((await call('DELETE', `${base}/objects/${TWO}/`)).status, 200);
    assert.equal((await call('GET', `${base}/objects/${TWO}/`)).status, 404);
  });
});
