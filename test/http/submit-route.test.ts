import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { startServer, type TestServer } from '../support/server.js';

/** Answers as parsed JSON: the tests read them field by field. */
type Json = Record<string, any>;

async function send(base: string, path: string, key: string | null, body: string, contentType: string) {
  const headers: Record<string, string> = { 'content-type': contentType };
  if (key) headers.authorization = `Bearer ${key}`;
  const res = await fetch(base + path, { method: 'POST', headers, body });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: (text ? JSON.parse(text) : undefined) as Json };
}
const submitJson = (base: string, key: string | null, items: unknown) => send(base, '/api/v1/iocs', key, JSON.stringify(items), 'application/json');

async function get(base: string, path: string, key: string) {
  const res = await fetch(base + path, { headers: { authorization: `Bearer ${key}` } });
  return { status: res.status, body: (await res.json()) as Json };
}

const pick = (items: Json[]) => items.map((i) => [i.index, i.status]);

describe('POST /api/v1/iocs through a real server', () => {
  let srv: TestServer;
  let admin: string;
  let pro: string;
  let free: string;
  before(async () => {
    srv = await startServer();
    admin = await srv.keyFor('admin@example.com', 'admin');
    pro = await srv.keyFor('pro@example.com', 'pro');
    free = await srv.keyFor('free@example.com', 'free');
  });
  after(() => srv.close());

  it('refuses accounts without the submitter role (403 naming it) and requests without a key (401); stores nothing', async () => {
    for (const key of [free, pro]) {
      const r = await submitJson(srv.base, key, ['45.133.1.1']);
      assert.equal(r.status, 403);
      assert.match(r.type, /^application\/problem\+json/);
      assert.equal(r.body.code, 'role_required');
      assert.equal(r.body.required_role, 'submitter');
      assert.match(r.body.detail, /submitting IOCs needs the submitter role/);
    }
    assert.equal((await submitJson(srv.base, null, ['45.133.1.1'])).status, 401);
    assert.equal((await srv.store.queryIocs({ status: 'all', value: '45.133.1.1', limit: 1 })).items.length, 0);
  });

  it('JSON: every outcome per item, in input order, with reasons; the summary counts them; the source is the account\'s', async () => {
    const entry = await fetch(`${srv.base}/api/v1/allowlist`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ value: '*.trusted-partner.net', reason: 'our partner' }),
    });
    assert.equal(entry.status, 201);
    const items = [
      {
        value: '45.133.1.10', tags: ['c2'], malware: ['emotet'], sectors: ['energy'], confidence: 80, tlp: 'clear', reference: 'https://cases.example/1',
        first_seen: '2026-11-30T00:00:00Z', last_seen: '2026-12-01T00:00:00Z',
      },
      'hxxp://bad-login-portal[.]xyz/login',
      { value: '45.133.1.11', type: 'wat' },
      { value: '999.1.1.1', type: 'ipv4' },
      { value: '45.133.1.12', tlp: 'purple' },
      { value: '45.133.1.13', confidence: 101 },
      { value: '45.133.1.14', first_seen: 'yesterday' },
      { value: '45.133.1.15', sectors: ['space-industry'] },
      { value: '45.133.1.16', valid_until: '2001-01-01T00:00:00Z' },
      { value: '45.133.1.17', valid_until: 'soon' },
      '10.0.0.5',
      'www.trusted-partner.net',
      42,
      { indicator_type: 'ipv4' },
    ];
    const r = await submitJson(srv.base, admin, items);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const account = await srv.store.findAccountByEmail('admin@example.com');
    assert.equal(r.body.source, `submit-${account!.id}`);
    assert.deepEqual(r.body.items.map((i: Json) => i.status), [
      'created', 'created', 'rejected', 'rejected', 'rejected', 'rejected', 'rejected', 'rejected', 'rejected', 'rejected', 'excluded', 'allowlisted', 'rejected', 'rejected',
    ]);
    assert.deepEqual(r.body.items.map((i: Json) => i.index), items.map((_, i) => i));
    assert.deepEqual(r.body.summary, { created: 2, updated: 0, unchanged: 0, rejected: 10, excluded: 1, allowlisted: 1 });
    const reasons = r.body.items.map((i: Json) => i.reason ?? '');
    assert.match(reasons[2], /unknown type "wat"/);
    assert.match(reasons[3], /999\.1\.1\.1/);
    assert.match(reasons[4], /tlp "purple" is not a TLP level/);
    assert.match(reasons[5], /confidence "101" is not 0–100/);
    assert.match(reasons[6], /first_seen "yesterday" is not an ISO 8601/);
    assert.match(reasons[7], /sector "space-industry" is not one of/);
    assert.match(reasons[8], /valid_until 2001-01-01T00:00:00Z has passed/);
    assert.match(reasons[9], /valid_until "soon" is not an ISO 8601/);
    assert.match(reasons[10], /10\.0\.0\.5: private, reserved or bogon/);
    assert.match(reasons[11], /excluded by allow-list: \*\.trusted-partner\.net/);
    assert.match(reasons[12], /expected a string or an object/);
    assert.equal(r.body.items[1].value, 'http://bad-login-portal.xyz/login', 'refanged and normalized');
    assert.equal(r.body.items[1].input, 'hxxp://bad-login-portal[.]xyz/login', 'as sent');
    assert.match(r.body.items[0].id, /^indicator--/);

    // Served like any feed's values: REST (its fields and sighting) …
    const ioc = await get(srv.base, `/api/v1/iocs/${r.body.items[0].id}`, admin);
    assert.equal(ioc.status, 200);
    assert.deepEqual([ioc.body.value, ioc.body.tags, ioc.body.malware, ioc.body.sectors, ioc.body.tlp], ['45.133.1.10', ['c2'], ['emotet'], ['energy'], 'clear']);
    assert.deepEqual(ioc.body.sightings.map((s: Json) => [s.source, s.confidence, s.reference]), [[r.body.source, 80, 'https://cases.example/1']]);
    const listed = await get(srv.base, `/api/v1/iocs?source=${r.body.source}`, admin);
    assert.deepEqual(listed.body.data.map((i: Json) => i.value).sort(), ['45.133.1.10', 'http://bad-login-portal.xyz/login']);
    const url = await get(srv.base, `/api/v1/iocs/${r.body.items[1].id}`, admin);
    assert.equal(url.body.tlp, 'amber', 'an item without a TLP takes the source\'s: amber');
    // … and TAXII.
    const taxii = await fetch(`${srv.base}/api/taxii2/api/collections/all-iocs/objects/?match[id]=${r.body.items[0].id}`, {
      headers: { authorization: `Bearer ${admin}`, accept: 'application/taxii+json;version=2.1' },
    });
    assert.equal(taxii.status, 200);
    assert.deepEqual(((await taxii.json()) as Json).objects.map((o: Json) => o.id), [r.body.items[0].id]);
    // Nothing rejected, excluded or allow-listed was stored.
    for (const v of ['45.133.1.11', '45.133.1.12', '45.133.1.13', '45.133.1.14', '45.133.1.15', '45.133.1.16', '45.133.1.17', '10.0.0.5', 'www.trusted-partner.net']) {
      assert.equal((await srv.store.queryIocs({ status: 'all', value: v, limit: 1 })).items.length, 0, v);
    }
    // The source is registered with its defaults, named by the account's id (never its email: the name is served to
    // every STIX, TAXII and MISP consumer); the run has the counts.
    const src = (await srv.store.listSources()).find((s) => s.id === r.body.source);
    const owner = (await srv.store.findAccountByEmail('admin@example.com'))!;
    assert.deepEqual(src && [src.name, src.reliability, src.tlp, src.redistributable], [`Submissions of account ${owner.id}`, 0.6, 'amber', true]);
    const created = r.body.items.find((i: { status: string }) => i.status === 'created');
    const versions = await srv.store.listVersions(created.id);
    assert.ok(versions.length > 0 && versions.every((v) => !v.json.includes('admin@example.com')), 'no email in the STIX objects');
    const run = await srv.store.lastRun(r.body.source, ['ok']);
    assert.deepEqual(run && [run.records, run.inserted, run.rejected, run.excluded, run.allowlisted], [14, 2, 10, 1, 1]);

    // Again with the same dates: unchanged; with a new tag: updated; `{"iocs": [...]}` reads the same.
    const again = await submitJson(srv.base, admin, { iocs: [items[0], { value: 'http://bad-login-portal.xyz/login', tags: ['kit'] }] });
    assert.equal(again.status, 200);
    assert.deepEqual(pick(again.body.items), [[0, 'unchanged'], [1, 'updated']]);
    assert.equal(again.body.items[0].id, r.body.items[0].id);
    assert.deepEqual(again.body.summary, { created: 0, updated: 1, unchanged: 1, rejected: 0, excluded: 0, allowlisted: 0 });
  });

  it('a valid_until is kept as the submitter\'s claim: GET /api/v1/iocs/{id} and the STIX object (TAXII) carry it; a submission without one lifts it', async () => {
    const claim = new Date(Math.floor(Date.now() / 1000) * 1000 + 10 * 86_400_000).toISOString();
    const stixValidUntil = async (id: string) => {
      const res = await fetch(`${srv.base}/api/taxii2/api/collections/all-iocs/objects/?match[id]=${id}`, {
        headers: { authorization: `Bearer ${admin}`, accept: 'application/taxii+json;version=2.1' },
      });
      assert.equal(res.status, 200);
      const objects = ((await res.json()) as Json).objects as Json[];
      assert.equal(objects.length, 1);
      return objects[0]!.valid_until as string;
    };
    const r = await submitJson(srv.base, admin, [{ value: 'claimed-c2.example', type: 'domain', valid_until: claim }]);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(pick(r.body.items), [[0, 'created']]);
    const id = r.body.items[0].id as string;
    const ioc = await get(srv.base, `/api/v1/iocs/${id}`, admin);
    assert.equal(ioc.status, 200);
    assert.equal(ioc.body.valid_until, claim, 'a domain would stay valid for months: the claim ends it sooner');
    assert.deepEqual(ioc.body.sightings.map((s: Json) => [s.source, s.expires_at]), [[r.body.source, claim]]);
    assert.equal(await stixValidUntil(id), claim);

    // The same source again without a valid_until: no claim, the scoring model's validity.
    const open = await submitJson(srv.base, admin, [{ value: 'claimed-c2.example', type: 'domain' }]);
    assert.deepEqual(pick(open.body.items), [[0, 'updated']]);
    const lifted = await get(srv.base, `/api/v1/iocs/${id}`, admin);
    assert.ok(Date.parse(lifted.body.valid_until) > Date.parse(claim) + 30 * 86_400_000, lifted.body.valid_until);
    assert.equal(lifted.body.sightings[0].expires_at, null);
    assert.equal(await stixValidUntil(id), lifted.body.valid_until, 'a new STIX version says so');
  });

  it('NDJSON: one item a line; a line that is not JSON is that item\'s rejection, with its line', async () => {
    const body = '{"value":"45.133.2.1","confidence":"high"}\n\n{not json\n"45.133.2.2"\n{"value":"45.133.2.3","tlp":"green"}\n';
    const r = await send(srv.base, '/api/v1/iocs', admin, body, 'application/x-ndjson');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.items.map((i: Json) => [i.index, i.line, i.status]), [[0, 1, 'created'], [1, 3, 'rejected'], [2, 4, 'created'], [3, 5, 'created']]);
    assert.match(r.body.items[1].reason, /not valid JSON/);
    const ioc = await get(srv.base, '/api/v1/iocs/45.133.2.1', admin);
    assert.equal(ioc.body.sightings[0].confidence, 85, 'high, as an import reads it');
  });

  it('CSV: the import\'s columns (a file that imports also submits); a bad row costs that row', async () => {
    const body =
      'value,type,tags,malware,sectors,confidence,tlp,reference,valid_until\n' +
      '45.133.3.1,ipv4,c2;botnet,qakbot,energy|water-wastewater,85,green,https://cases.example/2,2999-01-01T00:00:00Z\n' +
      'evil-cdn-check.xyz,domain,,,,low,,,\n' +
      '45.133.3.2,ipv4,,,,500,,,\n' +
      '"45.133.3.3,ipv4\n';
    const r = await send(srv.base, '/api/v1/iocs', admin, body, 'text/csv; charset=utf-8');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.items.map((i: Json) => [i.index, i.line, i.status]), [[0, 2, 'created'], [1, 3, 'created'], [2, 4, 'rejected'], [3, 5, 'rejected']]);
    assert.match(r.body.items[2].reason, /confidence "500"/);
    assert.match(r.body.items[3].reason, /unbalanced quote/);
    const ioc = await get(srv.base, '/api/v1/iocs/45.133.3.1', admin);
    assert.deepEqual([ioc.body.tags, ioc.body.malware, ioc.body.sectors, ioc.body.tlp], [['botnet', 'c2'], ['qakbot'], ['energy', 'water-wastewater'], 'green']);
  });

  it('caps: the plan\'s batch (413 naming the limit, in every format) and 5 MiB (413); nothing of a refused body lands', async () => {
    // The service reads the plan's batch at each request: made small here to reach it with a few items.
    srv.config.plans.admin.submitBatch = 3;
    try {
      const four = ['45.133.4.1', '45.133.4.2', '45.133.4.3', '45.133.4.4'];
      const bodies: Array<[string, string]> = [
        [JSON.stringify(four), 'application/json'],
        [four.map((v) => JSON.stringify({ value: v })).join('\n'), 'application/x-ndjson'],
        [`value\n${four.join('\n')}\n`, 'text/csv'],
      ];
      for (const [body, type] of bodies) {
        const r = await send(srv.base, '/api/v1/iocs', admin, body, type);
        assert.equal(r.status, 413, type);
        assert.equal(r.body.code, 'too_large');
        assert.equal(r.body.limit, 3);
        assert.match(r.body.detail, /at most 3 IOCs with the admin role/);
      }
      assert.equal((await submitJson(srv.base, admin, four.slice(0, 3))).status, 200, 'at the limit is fine');
      assert.equal((await srv.store.queryIocs({ status: 'all', value: '45.133.4.4', limit: 1 })).items.length, 0);
    } finally {
      srv.config.plans.admin.submitBatch = 10_000;
    }
    const huge = `value\n${'45.133.5.1\n'.repeat(500_000)}`;
    const r = await send(srv.base, '/api/v1/iocs', admin, huge, 'text/csv');
    assert.equal(r.status, 413);
    assert.equal(r.body.code, 'payload_too_large');
  });

  it('415 for another media type; 400 for a body that is not its format as a whole, or holds nothing', async () => {
    for (const type of ['text/plain', 'application/xml', 'application/octet-stream']) {
      const r = await send(srv.base, '/api/v1/iocs', admin, '45.133.6.1', type);
      assert.equal(r.status, 415, type);
      assert.equal(r.body.code, 'unsupported_media_type');
    }
    const bad: Array<[string, string, RegExp]> = [
      ['[{"value": "45.133.6.1"', 'application/json', /JSON/i],
      ['{"value": "45.133.6.1"}', 'application/json', /expected a JSON array/],
      ['[]', 'application/json', /no IOCs/],
      ['\n\n', 'application/x-ndjson', /no IOCs/],
      ['address,comment\n45.133.6.1,x\n', 'text/csv', /no value column/],
    ];
    for (const [body, type, detail] of bad) {
      const r = await send(srv.base, '/api/v1/iocs', admin, body, type);
      assert.equal(r.status, 400, `${type} ${body}`);
      assert.match(r.type, /^application\/problem\+json/);
      assert.match(r.body.detail, detail);
    }
    assert.equal((await srv.store.queryIocs({ status: 'all', value: '45.133.6.1', limit: 1 })).items.length, 0);
  });

  it('a write that fails part-way leaves nothing of the submission (one transaction), and the run says failed', async () => {
    const original = srv.store.upsertObservationStream.bind(srv.store);
    // The store is handed the accepted items in slices of one transaction: fail after the first slice was applied.
    srv.store.upsertObservationStream = ((source, chunks, opts) => {
      async function* failing() {
        let n = 0;
        for await (const c of chunks) {
          if (n++ === 1) throw new Error('disk full (test)');
          yield c;
        }
      }
      return original(source, failing(), opts);
    }) as typeof original;
    const values = Array.from({ length: 1200 }, (_, i) => `45.137.${Math.floor(i / 250)}.${(i % 250) + 1}`);
    try {
      const r = await submitJson(srv.base, admin, values);
      assert.equal(r.status, 500);
      assert.equal(r.body.code, 'internal_error');
    } finally {
      srv.store.upsertObservationStream = original;
    }
    for (const v of [values[0]!, values[499]!, values[1199]!]) {
      assert.equal((await srv.store.queryIocs({ status: 'all', value: v, limit: 1 })).items.length, 0, `${v} did not land`);
    }
    const account = await srv.store.findAccountByEmail('admin@example.com');
    const run = await srv.store.lastRun(`submit-${account!.id}`, ['failed']);
    assert.match(run?.error ?? '', /disk full/);
  });

  it('a client that disconnects once the body is sent: its accepted items are stored all the same', async () => {
    // The write is held until the client has gone, so the test knows the order without timing.
    const original = srv.store.upsertObservationStream.bind(srv.store);
    let entered!: () => void;
    const writing = new Promise<void>((r) => (entered = r));
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let written: Promise<unknown> | undefined;
    srv.store.upsertObservationStream = (async (...args: Parameters<typeof original>) => {
      entered();
      await released;
      written = original(...args);
      return written;
    }) as typeof original;
    try {
      const body = JSON.stringify(['45.133.8.1', '45.133.8.2', 'not a value at all']);
      const { port } = new URL(srv.base);
      const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/api/v1/iocs', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } });
      const closed = new Promise<void>((r) => req.on('close', () => r()));
      req.on('error', () => {});
      req.end(body);
      await writing;
      req.destroy();
      await closed;
      release();
      await writing;
      while (written === undefined) await new Promise((r) => setImmediate(r));
      await written;
      // The run is finished after the write: wait for it, then look.
      const account = await srv.store.findAccountByEmail('admin@example.com');
      for (const v of ['45.133.8.1', '45.133.8.2']) {
        const [ioc] = (await srv.store.queryIocs({ status: 'all', value: v, limit: 1 })).items;
        assert.equal(ioc?.status, 'active', `${v} is stored`);
        assert.deepEqual(ioc?.sources, [`submit-${account!.id}`]);
      }
    } finally {
      srv.store.upsertObservationStream = original;
    }
  });

  it('property (fixed seed): the summary counts the per-item statuses, items come back in order, and nothing rejected is stored', async () => {
    let n = 0;
    // A fresh address per item, so an item's fate never depends on another run's.
    const fresh = () => `45.134.${Math.floor(++n / 250)}.${(n % 250) + 1}`;
    const item = fc.oneof(
      fc.constant(() => ({ item: fresh(), ok: true })),
      fc.constant(() => ({ item: { value: fresh(), tlp: 'purple' }, ok: false })),
      fc.constant(() => ({ item: { value: fresh(), confidence: -1 }, ok: false })),
      fc.constant(() => ({ item: { value: fresh(), sectors: 'moon' }, ok: false })),
      fc.constant(() => ({ item: 'no such value', ok: false })),
      fc.constant(() => ({ item: '10.1.2.3', ok: true })),
      fc.constant(() => ({ item: 'mail.trusted-partner.net', ok: true })),
      fc.constant(() => ({ item: '45.133.1.10', ok: true })),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(item, { minLength: 1, maxLength: 12 }), async (makers) => {
        const made = makers.map((m) => m());
        const r = await submitJson(srv.base, admin, made.map((m) => m.item));
        assert.equal(r.status, 200);
        const items = r.body.items as Json[];
        assert.deepEqual(items.map((i) => i.index), made.map((_, i) => i));
        const counted: Json = { created: 0, updated: 0, unchanged: 0, rejected: 0, excluded: 0, allowlisted: 0 };
        for (const i of items) counted[i.status]++;
        assert.deepEqual(r.body.summary, counted);
        for (const [i, m] of made.entries()) {
          assert.equal(items[i]!.status === 'rejected', !m.ok, JSON.stringify(items[i]));
          if (m.ok || typeof m.item !== 'object') continue;
          const value = (m.item as { value: string }).value;
          assert.equal((await srv.store.queryIocs({ status: 'all', value, limit: 1 })).items.length, 0, `${value} was rejected and is not stored`);
        }
      }),
      { seed: 20261202, numRuns: 40 },
    );
  });
});
