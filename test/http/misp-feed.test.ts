import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { readMisp } from '../../src/connectors/formats/misp-shape.js';
import type { RecordItem, SourceRecord as ReadRecord } from '../../src/connectors/formats/record.js';
import { DAY_MS } from '../../src/domain/durations.js';
import { MISP_TO_IDS_MIN_SCORE, uuidV5 } from '../../src/rest/misp-feed.js';
import type { Ioc } from '../../src/store/types.js';
import { observation, source } from '../support/builders.js';
import { startServer, type TestServer, rawGet } from '../support/server.js';
import { TEST_IDENTITY } from '../support/stores.js';

const UUID5 = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const HOSTILE_URL = 'http://x.example/"},"to_ids":true,"a":"</script><script>alert(1)</script>\\';
const NS = TEST_IDENTITY.id.replace('identity--', '');
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);


/** MISP's types × categories table (misp-project.org/datamodels) for the types the feed emits. */
const CATEGORY_OF: Record<string, string[]> = {
  'ip-dst': ['Network activity', 'Payload delivery', 'External analysis'], domain: ['Network activity', 'Payload delivery', 'External analysis'],
  url: ['Network activity', 'Payload delivery', 'External analysis'], md5: ['Payload delivery', 'Artifacts dropped', 'Payload installation', 'External analysis'],
  sha1: ['Payload delivery', 'Artifacts dropped', 'Payload installation', 'External analysis'], sha256: ['Payload delivery', 'Artifacts dropped', 'Payload installation', 'External analysis'],
  'email-src': ['Payload delivery', 'Network activity', 'Social network'], vulnerability: ['Payload delivery', 'Artifacts dropped', 'Payload installation', 'External analysis'],
};
const TYPE_OF: Record<string, string> = { ipv4: 'ip-dst', ipv6: 'ip-dst', domain: 'domain', url: 'url', md5: 'md5', sha1: 'sha1', sha256: 'sha256', email: 'email-src', cve: 'vulnerability' };

/** The fields a MISP feed event must carry (PyMISP feed generator's objectsFields; MISP core format), checked strictly. */
function eventProblems(doc: unknown, uuid: string): string[] {
  const p: string[] = [];
  const e = (doc as { Event?: Record<string, unknown> })?.Event;
  if (!e || typeof e !== 'object') return ['no Event object'];
  if (e.uuid !== uuid) p.push('uuid');
  for (const f of ['info', 'date', 'analysis', 'threat_level_id', 'timestamp', 'publish_timestamp']) if (typeof e[f] !== 'string') p.push(f);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(String(e.date))) p.push('date format');
  if (!['0', '1', '2'].includes(String(e.analysis))) p.push('analysis');
  if (!['1', '2', '3', '4'].includes(String(e.threat_level_id))) p.push('threat_level_id');
  if (!/^\d{10}$/.test(String(e.timestamp))) p.push('timestamp');
  if (e.published !== true) p.push('published');
  const orgc = e.Orgc as Record<string, unknown> | undefined;
  if (typeof orgc?.name !== 'string' || !/^[0-9a-f-]{36}$/.test(String(orgc?.uuid))) p.push('Orgc');
  if (!Array.isArray(e.Tag) || e.Tag.some((t) => typeof (t as { name?: unknown }).name !== 'string')) p.push('Tag');
  if (!Array.isArray(e.Attribute) || e.Attribute.length === 0) return [...p, 'Attribute'];
  for (const a of e.Attribute as Array<Record<string, unknown>>) {
    const at = `attribute ${String(a.value)}`;
    if (!UUID5.test(String(a.uuid))) p.push(`${at}: uuid`);
    if (typeof a.type !== 'string' || !CATEGORY_OF[a.type]?.includes(String(a.category))) p.push(`${at}: type/category`);
    if (typeof a.value !== 'string' || typeof a.to_ids !== 'boolean' || typeof a.comment !== 'string') p.push(`${at}: value/to_ids/comment`);
    if (!/^\d{10}$/.test(String(a.timestamp)) || Number(a.timestamp) > Number(e.timestamp)) p.push(`${at}: timestamp`);
    for (const f of ['first_seen', 'last_seen']) if (Number.isNaN(Date.parse(String(a[f])))) p.push(`${at}: ${f}`);
    if (!Array.isArray(a.Tag) || a.Tag.some((t) => typeof (t as { name?: unknown }).name !== 'string' || /[\r\n]/.test((t as { name: string }).name))) p.push(`${at}: Tag`);
  }
  return p;
}

describe('the MISP feed (/api/v1/feeds/misp/)', () => {
  let srv: TestServer;
  let pro: string;
  let free: string;
  const now = Date.now();
  const d2 = now - 2 * DAY_MS;
  const d1 = now - DAY_MS;

  before(async () => {
    srv = await startServer();
    pro = await srv.keyFor('pro@example.com', 'pro');
    free = await srv.keyFor('free@example.com', 'free');
    await srv.store.upsertSource(source({ id: 'alpha', name: 'Alpha Feed', tlp: 'clear' }));
    await srv.store.upsertSource(source({ id: 'beta', name: 'Beta Feed', tlp: 'amber', reliability: 0.2 }));
    await srv.store.upsertSource(source({ id: 'closed', name: 'Closed Feed', redistributable: false }));
    const seen = { firstSeen: d2 - 3_600_000, lastSeen: d2 };
    await srv.store.upsertObservations('alpha', [
      observation({ type: 'ipv4', value: '198.51.100.7', tags: ['c2', 'it\'s "quoted"'], malware: ['Emotet'], sectors: ['energy', 'financial-services'], confidence: 90, ...seen }),
      observation({ type: 'ipv6', value: '2001:db8::7', ...seen }),
      observation({ type: 'domain', value: 'evil.example', ...seen }),
      observation({ type: 'url', value: HOSTILE_URL, ...seen }),
      observation({ type: 'md5', value: 'd41d8cd98f00b204e9800998ecf8427e', ...seen }),
      observation({ type: 'sha1', value: 'da39a3ee5e6b4b0d3255bfef95601890afd80709', ...seen }),
      observation({ type: 'sha256', value: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', ...seen }),
      observation({ type: 'email', value: 'phish@evil.example', ...seen }),
      observation({ type: 'cve', value: 'CVE-2024-3400', ...seen }),
      observation({ type: 'domain', value: 'revoked.example', ...seen }),
    ], d2);
    await srv.store.upsertObservations('alpha', [observation({ type: 'domain', value: 'other.example', firstSeen: d1, lastSeen: d1 })], d1);
    await srv.store.upsertObservations('beta', [
      observation({ type: 'domain', value: 'evil.example', tlp: 'amber', ...seen }),
      observation({ type: 'ipv4', value: '203.0.113.9', confidence: 5, tlp: 'amber', ...seen }),
    ], d2);
    await srv.store.upsertObservations('closed', [observation({ type: 'domain', value: 'licensed-only.example', ...seen })], d2);
    const old = now - 45 * DAY_MS;
    await srv.store.upsertObservations('alpha', [observation({ type: 'domain', value: 'too-old.example', firstSeen: old, lastSeen: old })], old);
    const revoked = await srv.store.queryIocs({ value: 'revoked.example', status: 'all', limit: 1 });
    await srv.store.revokeIocs([revoked.items[0]!.id], d2 + 1000);
  });
  after(() => srv.close());

  const get = async (file: string, key: string | null = pro) => {
    const res = await fetch(`${srv.base}/api/v1/feeds/misp/${file}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
    return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
  };
  const manifest = async () => JSON.parse((await get('manifest.json')).text) as Record<string, Record<string, unknown>>;
  const event = async (uuid: string) => JSON.parse((await get(`${uuid}.json`)).text) as { Event: Record<string, unknown> & { Attribute: Array<Record<string, unknown>> } };
  const ioc = async (value: string): Promise<Ioc> => (await srv.store.queryIocs({ value, status: 'all', limit: 1 })).items[0]!;
  const uuidOf = (src: string, at: number) => uuidV5(NS, `misp-event:${src}:${day(at)}`);

  it('derives UUIDs as RFC 4122 version 5 does', () => {
    // RFC 4122 §4.3 with the DNS namespace: the value every UUIDv5 implementation gives for "python.org".
    assert.equal(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'python.org'), '886313e1-3b8a-5372-9b90-0c9aee199e5d');
  });

  it('lists one event per source per day of the window, redistributable sources only, with the manifest fields', async () => {
    const res = await get('manifest.json');
    assert.equal(res.status, 200);
    assert.match(res.type, /^application\/json/);
    const m = JSON.parse(res.text) as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(m).sort(), [uuidOf('alpha', d2), uuidOf('alpha', d1), uuidOf('beta', d2)].sort());
    for (const [uuid, e] of Object.entries(m)) {
      assert.match(uuid, UUID5);
      assert.deepEqual(Object.keys(e).sort(), ['Orgc', 'Tag', 'analysis', 'date', 'info', 'threat_level_id', 'timestamp']);
      assert.deepEqual(e.Orgc, { name: TEST_IDENTITY.name, uuid: NS });
      // The manifest says what the event file says.
      const ev = (await event(uuid)).Event;
      for (const f of ['info', 'date', 'analysis', 'threat_level_id', 'timestamp', 'Tag']) assert.deepEqual(ev[f], e[f], `${uuid} ${f}`);
    }
    assert.equal(m[uuidOf('alpha', d2)]!.date, day(d2));
    assert.match(String(m[uuidOf('alpha', d2)]!.info), /^Alpha Feed: indicators first seen \d{4}-\d{2}-\d{2}$/);
    assert.deepEqual(m[uuidOf('beta', d2)]!.Tag, [{ name: 'tlp:amber' }]);
  });

  it('serves each event valid per the feed format, with the right types, categories, to_ids, comments and tags', async () => {
    const m = await manifest();
    for (const uuid of Object.keys(m)) assert.deepEqual(eventProblems(await event(uuid), uuid), [], uuid);
    const alpha = (await event(uuidOf('alpha', d2))).Event;
    const values = alpha.Attribute.map((a) => a.value);
    assert.equal(values.length, 10);
    assert.ok(!values.includes('licensed-only.example') && !values.includes('too-old.example') && !values.includes('other.example'));
    for (const a of alpha.Attribute) {
      const i = await ioc(String(a.value));
      assert.equal(a.type, TYPE_OF[i.type], i.value);
      assert.equal(a.to_ids, i.status === 'active' && i.score >= MISP_TO_IDS_MIN_SCORE, i.value);
      assert.ok(String(a.comment).startsWith(`score ${i.score}/100`), String(a.comment));
      assert.equal(a.uuid, uuidV5(NS, `misp-attribute:${i.id}:alpha`));
      assert.ok((a.Tag as Array<{ name: string }>).some((t) => t.name === `tlp:${i.tlp}`));
    }
    const ip = alpha.Attribute.find((a) => a.value === '198.51.100.7')!;
    assert.equal(ip.category, 'Network activity');
    assert.deepEqual((ip.Tag as Array<{ name: string }>).map((t) => t.name).sort(), [
      'c2', 'it\'s "quoted"', 'misp-galaxy:malpedia="Emotet"', 'misp-galaxy:sector="energy"', 'misp-galaxy:sector="financial-services"', 'tlp:clear',
    ].sort());
    assert.equal(alpha.Attribute.find((a) => a.type === 'vulnerability')!.category, 'External analysis');
    assert.equal(alpha.Attribute.find((a) => a.type === 'sha256')!.category, 'Payload delivery');
    const revoked = alpha.Attribute.find((a) => a.value === 'revoked.example')!;
    assert.equal(revoked.to_ids, false);
    assert.match(String(revoked.comment), /revoked/);
    // Hostile text stays data: the exact value back from the parsed JSON, and one JSON document.
    assert.ok(values.includes(HOSTILE_URL));
    assert.ok(alpha.Attribute.some((a) => a.to_ids === true), 'a high-scoring active IOC is for IDS');
    // An IOC of two sources is in each source's event, under a different attribute UUID.
    const beta = (await event(uuidOf('beta', d2))).Event;
    const inBeta = beta.Attribute.find((a) => a.value === 'evil.example')!;
    assert.notEqual(inBeta.uuid, alpha.Attribute.find((a) => a.value === 'evil.example')!.uuid);
  });

  it('hashes.csv holds md5(value),event uuid for every attribute of every event', async () => {
    const res = await get('hashes.csv');
    assert.equal(res.status, 200);
    assert.match(res.type, /^text\/csv/);
    const expected: string[] = [];
    for (const uuid of Object.keys(await manifest())) {
      for (const a of (await event(uuid)).Event.Attribute) expected.push(`${createHash('md5').update(String(a.value)).digest('hex')},${uuid}`);
    }
    assert.deepEqual(res.text.trimEnd().split('\n').sort(), expected.sort());
  });

  it('keeps UUIDs and timestamps across requests and unrelated changes; a changed IOC moves its own event only', async () => {
    const before = await manifest();
    assert.deepEqual(await manifest(), before);
    const alphaD2 = (await event(uuidOf('alpha', d2))).Event;
    // Unrelated: a new IOC today, and a change in the other day's event.
    await srv.store.upsertObservations('beta', [observation({ type: 'domain', value: 'today.example', firstSeen: now, lastSeen: now })], now);
    await srv.store.upsertObservations('alpha', [observation({ type: 'domain', value: 'other.example', tags: ['phishing'], firstSeen: d1, lastSeen: now })], now + 5000);
    const after1 = await manifest();
    assert.deepEqual(after1[uuidOf('alpha', d2)], before[uuidOf('alpha', d2)]);
    assert.deepEqual(after1[uuidOf('beta', d2)], before[uuidOf('beta', d2)]);
    assert.ok(Number(after1[uuidOf('alpha', d1)]!.timestamp) > Number(before[uuidOf('alpha', d1)]!.timestamp));
    assert.ok(after1[uuidOf('beta', now)], 'today\'s event appears');
    assert.deepEqual((await event(uuidOf('alpha', d2))).Event, alphaD2);
    // The changed attribute shows its change.
    const other = (await event(uuidOf('alpha', d1))).Event.Attribute.find((a) => a.value === 'other.example')!;
    assert.ok((other.Tag as Array<{ name: string }>).some((t) => t.name === 'phishing'));
    assert.equal(other.timestamp, after1[uuidOf('alpha', d1)]!.timestamp);
  });

  it('reads back through our own MISP feed connector with the same values, tags, malware, sectors and TLP', async () => {
    const base = `${srv.base}/api/v1/feeds/misp/`;
    const auth = { authorization: `Bearer ${pro}` };
    const fetchBody = async (url: string) => {
      const res = await fetch(url, { headers: auth });
      assert.equal(res.status, 200, url);
      return Readable.from([Buffer.from(await res.arrayBuffer())]);
    };
    const ctx = { get: fetchBody, since: 0, now: Date.now(), sleep: async () => {} };
    const records: ReadRecord[] = [];
    const problems: RecordItem[] = [];
    for await (const item of readMisp(await fetchBody(`${base}manifest.json`), { kind: 'misp', maxAgeDays: 30 }, base, ctx)) {
      if ('record' in item && item.record) records.push(item.record);
      else if ('problem' in item) problems.push(item);
    }
    assert.deepEqual(problems, []);
    // Every served attribute for IDS comes back, with its event as reference; revoked and low ones are skipped.
    const served: Array<{ value: string; event: string }> = [];
    for (const uuid of Object.keys(await manifest())) {
      for (const a of (await event(uuid)).Event.Attribute) if (a.to_ids) served.push({ value: String(a.value), event: uuid });
    }
    assert.deepEqual(records.map((r) => `${r.values[0]!.value} ${r.reference}`).sort(), served.map((s) => `${s.value} misp-event:${s.event}`).sort());
    assert.ok(!records.some((r) => r.values[0]!.value === 'revoked.example'));
    const ip = records.find((r) => r.values[0]!.value === '198.51.100.7')!;
    assert.deepEqual(ip.malware, ['Emotet']);
    assert.deepEqual([...ip.sectors].sort(), ['energy', 'financial-services']);
    assert.deepEqual([...ip.tags].sort(), ['c2', 'it\'s "quoted"']);
    assert.equal(ip.tlp, 'clear');
    const stored = await ioc('198.51.100.7');
    assert.equal(ip.firstSeen, stored.firstSeen);
    assert.equal(ip.lastSeen, stored.lastSeen);
    const url = records.find((r) => r.values[0]!.value === HOSTILE_URL);
    assert.equal(url?.values[0]!.type, 'url');
  });

  it('gzips event files and hashes.csv for a client that accepts it, and sends them plain otherwise', async () => {
    const auth = { authorization: `Bearer ${pro}` };
    for (const file of [`${uuidOf('alpha', d2)}.json`, 'hashes.csv']) {
      const url = `${srv.base}/api/v1/feeds/misp/${file}`;
      const zipped = await rawGet(url, { ...auth, 'accept-encoding': 'gzip' });
      const plain = await rawGet(url, { ...auth, 'accept-encoding': 'identity' });
      assert.equal(zipped.headers['content-encoding'], 'gzip', file);
      assert.equal(plain.headers['content-encoding'], undefined, file);
      assert.equal(gunzipSync(zipped.body).toString('utf8'), plain.body.toString('utf8'), file);
      assert.ok(plain.body.length > 100, file);
      // What MISP's feed client sends (app/Lib/Tools: CurlClient with CURLOPT_ACCEPT_ENCODING "" lists every coding
      // its curl has; HttpSocketExtended "br, gzip"): brotli first or not, it gets gzip.
      for (const accept of ['br, gzip', 'deflate, gzip, br, zstd']) {
        const misp = await rawGet(url, { ...auth, 'accept-encoding': accept });
        assert.equal(misp.headers['content-encoding'], 'gzip', `${file}: ${accept}`);
        assert.equal(gunzipSync(misp.body).toString('utf8'), plain.body.toString('utf8'), `${file}: ${accept}`);
      }
    }
  });

  it('answers unknown events and files with a 404 problem, a free key with 403 plan_required, no key with 401', async () => {
    for (const file of [`${uuidV5(NS, 'misp-event:alpha:1999-01-01')}.json`, `${uuidOf('alpha', now - 45 * DAY_MS)}.json`, 'nothing.txt', '..%2fmanifest.json', `${uuidOf('closed', d2)}.json`]) {
      const r = await get(file);
      assert.equal(r.status, 404, file);
      assert.match(r.type, /^application\/problem\+json/);
    }
    // MISP's feed "Headers" may carry HTTP Basic (account email:key) instead of a Bearer key.
    const basic = await fetch(`${srv.base}/api/v1/feeds/misp/manifest.json`, { headers: { authorization: `Basic ${Buffer.from(`pro@example.com:${pro}`).toString('base64')}` } });
    assert.equal(basic.status, 200);
    assert.deepEqual(await basic.json(), await manifest());
    for (const file of ['manifest.json', 'hashes.csv', `${uuidOf('alpha', d2)}.json`]) {
      const r = await get(file, free);
      assert.equal(r.status, 403, file);
      assert.equal(JSON.parse(r.text).code, 'plan_required');
      assert.equal((await get(file, null)).status, 401);
    }
  });
});
