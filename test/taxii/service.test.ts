import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import type { Principal } from '../../src/auth/authenticator.js';
import { TokenSigner } from '../../src/auth/signed-token.js';
import type { WritableCollectionConfig } from '../../src/config/config.js';
import type { AddObjectsRequest } from '../../src/taxii/add-objects.js';
import { CollectionRegistry } from '../../src/taxii/collection-registry.js';
import { TaxiiError } from '../../src/taxii/errors.js';
import { NextTokens } from '../../src/taxii/next-token.js';
import { type TaxiiAnswer, TaxiiService, type TaxiiSettings } from '../../src/taxii/service.js';
import { FakeTaxiiStore } from '../support/fake-taxii-store.js';

// Unit tests of TaxiiService over an in-memory version log (test/support/fake-taxii-store.ts), a real registry, real
// next tokens and a fixed clock; test/taxii/*.test.ts cover the same endpoints end to end, over HTTP and a real store.

const TAXII = 'application/taxii+json;version=2.1';
const T0 = Date.UTC(2026, 4, 17, 12);
const DAY = 86_400_000;
const SHARE = { id: '5b9e7a3c-2f41-4d8e-9c6a-1e2f3a4b5c6d', alias: 'team-share' };
const SECRET = { id: '7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f', alias: 'secret' };
const DROPBOX = { id: '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a', alias: 'dropbox' };
const grant = (plans: Array<'pro' | 'admin'>, accounts: string[] = []) => ({ plans, accounts });
const COLLECTIONS: WritableCollectionConfig[] = [
  { ...SHARE, root: 'api', title: 'Team share', description: 'shared with partners', read: grant(['pro', 'admin']), write: grant(['admin'], ['writer@example.com']) },
  { ...SECRET, root: 'api', title: 'Secret', description: '', read: grant([], ['boss@example.com']), write: grant([], ['boss@example.com']) },
  // Write-only for the writer: it may add, not read (nor delete).
  { ...DROPBOX, root: 'api', title: 'Drop box', description: '', read: grant(['admin']), write: grant(['admin'], ['writer@example.com']) },
];
const SETTINGS: TaxiiSettings = {
  title: 'SOC Defenders', description: 'test server', contact: 'soc@example.com', rootName: 'api', maxContentLength: 4000,
  pageLimits: { defaultLimit: 2, maxLimit: 3 },
};

let account = 0;
const principal = (email: string, plan: Principal['plan'] | 'admin'): Principal => ({ keyId: ++account, keyPrefix: `sk_live_${account}`, accountId: account, email, plan: plan === 'admin' ? 'pro' : plan, roles: plan === 'admin' ? ['admin'] : [] });
const reader = principal('reader@example.com', 'pro');
const writer = principal('writer@example.com', 'pro');
const boss = principal('boss@example.com', 'pro');
const admin = principal('root@example.com', 'admin');
const free = principal('free@example.com', 'free');

const indicator = (id: string, modified: string, extra: Record<string, unknown> = {}) => ({
  type: 'indicator', spec_version: '2.1', id, created: '2026-05-01T00:00:00.000Z', modified,
  name: 'Shared C2', indicator_types: ['malicious-activity'],
  pattern: "[ipv4-addr:value = '203.0.113.77']", pattern_type: 'stix', pattern_version: '2.1', valid_from: '2026-05-01T00:00:00.000Z', ...extra,
});
const ID = 'indicator--3f6c1a2b-4d5e-4f60-8a7b-9c0d1e2f3a4b';
const OTHER = 'indicator--4a7d2b3c-5e6f-4a71-9b8c-0d1e2f3a4b5c';

/** An add-objects request as http/ hands it over: headers and an unread body (in chunks, as a socket gives it). */
function request(body: unknown, over: Partial<AddObjectsRequest> = {}): AddObjectsRequest {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return {
    contentType: TAXII, contentLength: Buffer.byteLength(text),
    body: (async function* () {
      for (let at = 0; at < text.length; at += 500) yield Buffer.from(text.slice(at, at + 500));
    })(),
    ...over,
  };
}

/** The TaxiiError a call throws. */
async function refused(call: () => Promise<unknown> | unknown, status: number, message?: RegExp): Promise<TaxiiError> {
  let thrown: unknown;
  try {
    await call();
  } catch (err) {
    thrown = err;
  }
  assert.ok(thrown instanceof TaxiiError, `expected a TaxiiError ${status}, got ${String(thrown)}`);
  assert.equal(thrown.status, status, thrown.message);
  assert.equal(thrown.resource().http_status, String(status));
  if (message) assert.match(thrown.description, message);
  return thrown;
}

const body = (a: TaxiiAnswer) => JSON.parse(a.body.toString()) as Record<string, any>;

describe('TaxiiService', () => {
  let store: FakeTaxiiStore;
  let now: number;
  let service: TaxiiService;
  const make = (settings: TaxiiSettings = SETTINGS, registry = new CollectionRegistry(COLLECTIONS)) =>
    new TaxiiService(store, new NextTokens(new TokenSigner('s'.repeat(32))), settings, registry, () => now);
  beforeEach(() => {
    store = new FakeTaxiiStore();
    now = T0;
    service = make();
  });

  describe('discovery, API root, collections', () => {
    it('discovery names our root as default, and the loaded roots beside it', () => {
      const d = body(service.discovery('https://taxii.example'));
      assert.deepEqual(d, {
        title: 'SOC Defenders', description: 'test server', contact: 'soc@example.com',
        default: 'https://taxii.example/api/taxii2/api/', api_roots: ['https://taxii.example/api/taxii2/api/'],
      });
      const loaded = make({ ...SETTINGS, loadedRoots: [{ name: 'partner', title: 'Partner', description: null, maxContentLength: 99 }] });
      assert.deepEqual(body(loaded.discovery('https://t')).api_roots, ['https://t/api/taxii2/api/', 'https://t/api/taxii2/partner/']);
      assert.deepEqual(body(loaded.apiRoot('partner')), { title: 'Partner', versions: [TAXII], max_content_length: 99 });
    });

    it('the API root carries max_content_length and our page limits; an unknown root is a 404', async () => {
      const root = service.apiRoot('api');
      assert.equal(root.status, 200);
      const b = body(root);
      assert.deepEqual(b.versions, [TAXII]);
      assert.equal(b.max_content_length, 4000);
      assert.equal(b.x_socd_default_page_limit, 2);
      assert.equal(b.x_socd_max_page_limit, 3);
      await refused(() => service.apiRoot('nope'), 404, /no API root "nope"/);
      await refused(() => service.collections('nope', reader), 404);
      await refused(() => service.status('nope', '00000000-0000-4000-8000-000000000000', admin), 404);
    });

    it('lists what a key may read or write, with can_read/can_write of that key; the others are 404', async () => {
      const listed = (who: Principal) => (body(service.collections('api', who)).collections ?? []) as Array<{ alias: string; can_read: boolean; can_write: boolean }>;
      const aliases = (who: Principal) => listed(who).map((c) => c.alias);
      assert.ok(aliases(reader).includes('all-iocs'));
      assert.ok(aliases(reader).includes('team-share'));
      assert.ok(!aliases(reader).includes('secret'), 'a collection the key can neither read nor write is not listed');
      assert.ok(!aliases(reader).includes('dropbox'));
      assert.ok(aliases(boss).includes('secret'));
      const share = (who: Principal) => listed(who).find((c) => c.alias === 'team-share')!;
      assert.deepEqual([share(reader).can_read, share(reader).can_write], [true, false]);
      assert.deepEqual([share(writer).can_read, share(writer).can_write], [true, true]);
      const dropbox = listed(writer).find((c) => c.alias === 'dropbox')!;
      assert.deepEqual([dropbox.can_read, dropbox.can_write], [false, true], 'write-only is visible');
      // A plan without TAXII sees no collection at all: an empty resource.
      assert.equal(service.collections('api', free).body, '{}');

      const one = body(service.collection('api', SHARE.id, reader));
      assert.deepEqual(one, { id: SHARE.id, title: 'Team share', description: 'shared with partners', alias: 'team-share', can_read: true, can_write: false, media_types: ['application/stix+json;version=2.1'] });
      assert.equal(body(service.collection('api', 'TEAM-SHARE', reader)).id, SHARE.id, 'by alias, any case');
      await refused(() => service.collection('api', SECRET.id, reader), 404, /no collection/);
      await refused(() => service.collection('api', 'secret', reader), 404);
      await refused(() => service.objects('api', 'secret', {}, reader), 404);
      await refused(() => service.addObjects('api', 'secret', reader, request({ objects: [] })), 404);
      await refused(() => service.deleteObject('api', 'secret', ID, {}, reader), 404);
      await refused(() => service.collection('api', 'all-iocs', free), 404);
    });

    it('a visible collection the key may not read answers 403 to reads', async () => {
      await refused(() => service.objects('api', 'dropbox', {}, writer), 403, /may not read dropbox/);
      await refused(() => service.objects('api', 'dropbox', {}, writer, true), 403);
      await refused(() => service.object('api', 'dropbox', ID, {}, writer), 403);
      await refused(() => service.versions('api', 'dropbox', ID, {}, writer), 403);
    });
  });

  describe('add objects and status', () => {
    it('stores the valid objects, reports each, and keeps a status for 7 days', async () => {
      const answer = await service.addObjects('api', 'team-share', writer, request({
        objects: [indicator(ID, '2026-05-02T00:00:00.000Z'), indicator(OTHER, '2026-05-03T00:00:00.000Z'), { type: 'indicator', id: 'not-an-id' }],
      }));
      assert.equal(answer.status, 202);
      const status = body(answer);
      assert.match(status.id, /^[0-9a-f-]{36}$/);
      assert.equal(status.status, 'complete');
      assert.equal(status.request_timestamp, '2026-05-17T12:00:00.000000Z', 'the injected clock');
      assert.deepEqual([status.total_count, status.success_count, status.failure_count, status.pending_count], [3, 2, 1, 0]);
      assert.deepEqual(status.successes, [{ id: ID, version: '2026-05-02T00:00:00.000Z' }, { id: OTHER, version: '2026-05-03T00:00:00.000Z' }]);
      assert.equal(status.failures.length, 1);
      assert.equal(status.failures[0].id, 'not-an-id');
      assert.match(status.failures[0].message, /STIX identifier/);

      // The objects are in the collection, added now.
      const page = await service.objects('api', 'team-share', { limit: '3' }, reader);
      assert.deepEqual(body(page).objects.map((o: { id: string }) => o.id), [ID, OTHER]);
      assert.equal(page.headers['X-TAXII-Date-Added-First'], '2026-05-17T12:00:00.000000Z');
      // The status is saved with the time and a pruning bound of 7 days.
      assert.deepEqual(store.saved.map((s) => [s.status.id, s.status.collection, s.status.accountId, s.now, s.pruneBefore]), [[status.id, 'team-share', writer.accountId, T0, T0 - 7 * DAY]]);
      const got = await service.status('api', status.id, writer);
      assert.equal(got.status, 200);
      assert.deepEqual(body(got), status);
    });

    it('an (id, version) already there is a success, with a message', async () => {
      const first = body(await service.addObjects('api', 'team-share', writer, request({ objects: [indicator(ID, '2026-05-02T00:00:00.000Z')] })));
      assert.equal(first.successes[0].message, undefined);
      now += 60_000;
      const again = body(await service.addObjects('api', 'team-share', writer, request({ objects: [indicator(ID, '2026-05-02T00:00:00.000Z'), indicator(ID, '2026-05-04T00:00:00.000Z')] })));
      assert.deepEqual([again.success_count, again.failure_count], [2, 0]);
      assert.deepEqual(again.successes, [
        { id: ID, version: '2026-05-02T00:00:00.000Z', message: 'already in the collection with this version' },
        { id: ID, version: '2026-05-04T00:00:00.000Z' },
      ]);
      assert.equal(again.request_timestamp, '2026-05-17T12:01:00.000000Z');
      const versions = body(await service.versions('api', 'team-share', ID, {}, reader));
      assert.deepEqual(versions.versions, ['2026-05-02T00:00:00.000Z', '2026-05-04T00:00:00.000Z']);
    });

    it('a status is shown to its account and to admins only; an unknown or malformed id is a 404', async () => {
      const { id } = body(await service.addObjects('api', 'team-share', writer, request({ objects: [indicator(ID, '2026-05-02T00:00:00.000Z')] })));
      assert.equal((await service.status('api', id, writer)).status, 200);
      assert.equal((await service.status('api', id, admin)).status, 200);
      await refused(() => service.status('api', id, reader), 404, /no status/);
      await refused(() => service.status('api', '00000000-0000-4000-8000-000000000000', admin), 404);
      await refused(() => service.status('api', 'not a uuid', admin), 404);
      // A loaded status (no account) is visible to any key allowed on TAXII.
      store.statuses.set('11111111-1111-4111-8111-111111111111', { id: '11111111-1111-4111-8111-111111111111', collection: 'x', accountId: null, json: '{"status":"complete"}' });
      assert.equal((await service.status('api', '11111111-1111-4111-8111-111111111111', reader)).body, '{"status":"complete"}');
    });

    it('refuses what it may not take: 403 without write, 415, 413, 422; nothing is stored', async () => {
      await refused(() => service.addObjects('api', 'team-share', reader, request({ objects: [indicator(ID, '2026-05-02T00:00:00.000Z')] })), 403, /may not add/);
      await refused(() => service.addObjects('api', 'all-iocs', admin, request({ objects: [] })), 403, /may not add/);
      await refused(() => service.addObjects('api', 'team-share', writer, request({ objects: [] }, { contentType: 'application/json' })), 415);
      await refused(() => service.addObjects('api', 'team-share', writer, request({ objects: [] }, { contentType: undefined })), 415);
      await refused(() => service.addObjects('api', 'team-share', writer, request({ objects: [] }, { contentLength: 4001 })), 413, /max_content_length \(4000 bytes\)/);
      // Too large while read, whatever Content-Length said (or without one).
      const big = { objects: Array.from({ length: 20 }, (_, i) => indicator(ID, `2026-05-02T00:00:${String(i).padStart(2, '0')}.000Z`)) };
      await refused(() => service.addObjects('api', 'team-share', writer, request(big, { contentLength: undefined })), 413);
      await refused(() => service.addObjects('api', 'team-share', writer, request(big, { contentLength: 10 })), 413);
      await refused(() => service.addObjects('api', 'team-share', writer, request('{"objects": [')), 422, /not JSON/);
      await refused(() => service.addObjects('api', 'team-share', writer, request({ objects: 'none' })), 422, /"objects" list/);
      await refused(() => service.addObjects('api', 'team-share', writer, request([1, 2])), 422);
      assert.equal(store.entries.length, 0);
      assert.equal(store.statuses.size, 0);
    });

    it('a STIX bundle is taken as well as an envelope', async () => {
      const status = body(await service.addObjects('api', 'dropbox', writer, request({ type: 'bundle', id: 'bundle--6a1e2f3a-4b5c-4d6e-8f70-81a2b3c4d5e6', objects: [indicator(ID, '2026-05-02T00:00:00.000Z')] })));
      assert.equal(status.success_count, 1);
      assert.equal(body(await service.objects('api', 'dropbox', {}, admin)).objects[0].id, ID);
    });
  });

  describe('paging', () => {
    const US = 1000;
    beforeEach(() => {
      // Five objects added one second apart, the third and fourth at the same µs (seq breaks the tie).
      const added = [T0, T0 + 1000, T0 + 2000, T0 + 2000, T0 + 3000];
      added.forEach((ms, i) => store.put('team-share', { id: `indicator--0000000${i}-0000-4000-8000-000000000000`, modified: T0 - DAY + i, dateAddedUs: ms * US + 7 }));
    });
    const idsOf = (a: TaxiiAnswer) => (body(a).objects as Array<{ id: string }>).map((o) => o.id.slice(11, 19));

    it('pages with more/next and the date_added headers of each page, until more is false', async () => {
      const first = await service.objects('api', 'team-share', {}, reader);
      assert.equal(body(first).more, true);
      assert.equal(typeof body(first).next, 'string');
      assert.deepEqual(idsOf(first), ['00000000', '00000001'], 'the default limit (2)');
      assert.deepEqual(first.headers, { 'X-TAXII-Date-Added-First': '2026-05-17T12:00:00.000007Z', 'X-TAXII-Date-Added-Last': '2026-05-17T12:00:01.000007Z' });

      const second = await service.objects('api', 'team-share', { next: body(first).next, limit: '50' }, reader);
      assert.deepEqual(idsOf(second), ['00000002', '00000003', '00000004'], 'limit may change between pages and is clamped to 3');
      assert.equal(body(second).more, false);
      assert.equal(body(second).next, undefined);
      assert.equal(second.headers['X-TAXII-Date-Added-First'], '2026-05-17T12:00:02.000007Z');
      assert.equal(second.headers['X-TAXII-Date-Added-Last'], '2026-05-17T12:00:03.000007Z');

      // A token is bound to its filters and its endpoint.
      await refused(() => service.objects('api', 'team-share', { next: body(first).next, 'match[type]': 'indicator' }, reader), 400, /other filters/);
      await refused(() => service.objects('api', 'team-share', { next: body(first).next }, reader, true), 400);
      await refused(() => service.objects('api', 'team-share', { next: 'forged.token' }, reader), 400, /not a token/);

      // added_after is exclusive and works with paging.
      const after = await service.objects('api', 'team-share', { added_after: '2026-05-17T12:00:02.000007Z' }, reader);
      assert.deepEqual(idsOf(after), ['00000004']);
      assert.equal(body(after).more, false);
      assert.equal((await service.objects('api', 'team-share', { added_after: '2026-05-17T12:00:03.000007Z' }, reader)).body, '{}');
    });

    it('the manifest pages the same way, with date_added and version of each entry', async () => {
      const m = await service.objects('api', 'team-share', { limit: '1' }, reader, true);
      const b = body(m);
      assert.equal(b.more, true);
      assert.deepEqual(b.objects, [{ id: 'indicator--00000000-0000-4000-8000-000000000000', date_added: '2026-05-17T12:00:00.000007Z', version: '2026-05-16T12:00:00.000Z', media_type: 'application/stix+json;version=2.1' }]);
      assert.equal(m.headers['X-TAXII-Date-Added-Last'], '2026-05-17T12:00:00.000007Z');
      const rest = body(await service.objects('api', 'team-share', { limit: '3', next: b.next }, reader, true));
      assert.deepEqual(rest.objects.map((o: { id: string }) => o.id.slice(11, 19)), ['00000001', '00000002', '00000003']);
      assert.equal(rest.more, true);
    });

    it('an empty page is {} without headers; an unknown object is a 404', async () => {
      const empty = await service.objects('api', 'secret', {}, boss);
      assert.deepEqual([empty.status, empty.body, empty.headers], [200, '{}', {}]);
      await refused(() => service.object('api', 'team-share', OTHER, {}, reader), 404, /no object/);
      await refused(() => service.versions('api', 'team-share', OTHER, {}, reader), 404);
    });
  });

  describe('match[version] and match[spec_version]', () => {
    beforeEach(() => {
      store.put('team-share', { id: ID, modified: Date.UTC(2026, 4, 1), specVersion: '2.0', dateAddedUs: T0 * 1000 });
      store.put('team-share', { id: ID, modified: Date.UTC(2026, 4, 2), dateAddedUs: T0 * 1000 + 1 });
      store.put('team-share', { id: ID, modified: Date.UTC(2026, 4, 3), dateAddedUs: T0 * 1000 + 2 });
    });
    const lastQuery = () => store.queries[store.queries.length - 1]!;

    it('reach the store query as parsed; without them, the last version of the latest spec version', async () => {
      await service.objects('api', 'team-share', {}, reader);
      assert.deepEqual(lastQuery().versions, { last: true, first: false, all: false, modified: [] });
      assert.equal(lastQuery().specVersions, undefined);
      assert.equal(lastQuery().collection, 'team-share');

      await service.objects('api', 'team-share', { 'match[version]': 'first,2026-05-02T00:00:00.000Z', 'match[spec_version]': '2.0,2.1' }, reader, true);
      assert.deepEqual(lastQuery().versions, { last: false, first: true, all: false, modified: [Date.UTC(2026, 4, 2)] });
      assert.deepEqual(lastQuery().specVersions, ['2.0', '2.1']);

      const one = await service.object('api', 'team-share', ID, { 'match[version]': 'all', 'match[spec_version]': '2.1' }, reader);
      assert.deepEqual(lastQuery().ids, [ID]);
      assert.deepEqual(lastQuery().versions, { last: false, first: false, all: true, modified: [] });
      assert.deepEqual(body(one).objects.map((o: { modified: string }) => o.modified), ['2026-05-02T00:00:00.000Z', '2026-05-03T00:00:00.000Z']);

      // The versions endpoint lists every version of the spec versions asked for.
      const versions = body(await service.versions('api', 'team-share', ID, { 'match[spec_version]': '2.0' }, reader));
      assert.deepEqual(lastQuery().versions.all, true);
      assert.deepEqual(versions.versions, ['2026-05-01T00:00:00.000Z']);
      assert.equal(versions.more, false);
    });

    it('a malformed or repeated filter is a 400', async () => {
      await refused(() => service.objects('api', 'team-share', { 'match[version]': 'newest' }, reader), 400, /match\[version\]/);
      await refused(() => service.objects('api', 'team-share', { 'match[spec_version]': ['2.1', '2.0'] }, reader), 400, /more than once/);
      await refused(() => service.objects('api', 'team-share', { limit: '0' }, reader), 400, /limit/);
    });
  });

  describe('delete an object', () => {
    beforeEach(() => {
      for (let d = 1; d <= 3; d++) store.put('team-share', { id: ID, modified: Date.UTC(2026, 4, d), dateAddedUs: T0 * 1000 + d });
      store.put('dropbox', { id: ID, modified: Date.UTC(2026, 4, 1), dateAddedUs: T0 * 1000 });
    });

    it('needs both read and write: either alone is a 403, and nothing goes', async () => {
      await refused(() => service.deleteObject('api', 'team-share', ID, {}, reader), 403, /needs both read and write/);
      await refused(() => service.deleteObject('api', 'dropbox', ID, {}, writer), 403, /needs both read and write/);
      await refused(() => service.deleteObject('api', 'all-iocs', ID, {}, admin), 403);
      assert.equal(store.entries.length, 4);
      assert.deepEqual(store.deletes, []);
    });

    it('with neither filter every version goes; an unknown object is a 404', async () => {
      const answer = await service.deleteObject('api', 'team-share', ID, {}, writer);
      assert.deepEqual([answer.status, answer.body], [200, '']);
      assert.deepEqual(store.deletes, [{ collection: 'team-share', stixId: ID, versions: undefined }]);
      await refused(() => service.object('api', 'team-share', ID, {}, reader), 404);
      await refused(() => service.deleteObject('api', 'team-share', ID, {}, writer), 404);
      assert.equal((await service.objects('api', 'dropbox', {}, admin)).status, 200, 'the same id in another collection stays');
      assert.equal(store.entries.length, 1);
    });

    it('match[version] selects the versions that go; the others stay', async () => {
      await service.deleteObject('api', 'team-share', ID, { 'match[version]': 'first,last' }, writer);
      assert.deepEqual(store.deletes[0]!.versions?.map((p) => p.dateAdded), [T0 * 1000 + 1, T0 * 1000 + 3]);
      const left = body(await service.versions('api', 'team-share', ID, {}, reader));
      assert.deepEqual(left.versions, ['2026-05-02T00:00:00.000Z']);
      // match[spec_version] alone: every version of that spec version (none of 2.0 here).
      await service.deleteObject('api', 'team-share', ID, { 'match[spec_version]': '2.0' }, writer);
      assert.deepEqual(store.deletes[1]!.versions, []);
      assert.equal(body(await service.versions('api', 'team-share', ID, {}, admin)).versions.length, 1);
    });
  });
});
