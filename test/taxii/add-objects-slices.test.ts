import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { dropPostgresSchema } from '../../src/store/postgres/postgres-store.js';
import type { Store } from '../../src/store/store.js';
import type { NewObject } from '../../src/store/types.js';
import { OBJECTS_PER_TRANSACTION, storeObjects, validateEnvelope } from '../../src/taxii/add-objects.js';
import { postgresStore, sqliteStore } from '../support/stores.js';

const COLLECTION = '5b9e7a3c-2f41-4d8e-9c6a-1e2f3a4b5c6d';
const NOW = Date.UTC(2026, 4, 1);
const ALL = { last: false, first: false, all: true, modified: [] as number[] };

const uuid = (n: number) => `${n.toString(16).padStart(8, '0')}-1b1b-4c2c-8d3d-4e4e4e4e4e4e`;

function indicator(n: number, modified: number): NewObject {
  const id = `indicator--${uuid(n)}`;
  const json = JSON.stringify({ type: 'indicator', spec_version: '2.1', id, modified: new Date(modified).toISOString(), name: `n${n}` });
  return { stixId: id, type: 'indicator', modified, specVersion: '2.1', json };
}

/** An SCO: no version of its own, so a repeat is known by its JSON. */
function address(n: number): NewObject {
  const id = `ipv4-addr--${uuid(n)}`;
  return { stixId: id, type: 'ipv4-addr', modified: null, specVersion: '2.1', json: JSON.stringify({ type: 'ipv4-addr', id, value: `203.0.113.${n % 256}` }) };
}

/**
 * 2,000 objects over 4 slices: new objects, exact repeats of objects of earlier slices (and of the same slice), later
 * versions of earlier objects, and SCOs repeated by JSON.
 */
function request(): NewObject[] {
  const objects: NewObject[] = [];
  for (let i = 0; i < 1700; i++) objects.push(i % 10 === 0 ? address(i) : indicator(i, NOW - 86_400_000 + i));
  for (let i = 0; i < 100; i++) objects.push(objects[i * 3 + 1]!); // repeats of the first slice
  for (let i = 0; i < 100; i++) objects.push(indicator(i * 7 + 2, NOW + i)); // new versions (or new objects)
  for (let i = 0; i < 50; i++) objects.push(address(i * 20)); // SCO repeats
  for (let i = 0; i < 50; i++) objects.push(objects[1650 + i]!); // repeats of the last slice but one
  return objects;
}

async function logOf(store: Store) {
  const page = await store.pageLog({ collection: COLLECTION, limit: 10_000, versions: ALL });
  return page.items.map((e) => [e.stixId, e.modified, e.dateAdded, e.json]);
}

function suite(name: string, open: () => Promise<Store>) {
  describe(`TAXII add in transactions of ${OBJECTS_PER_TRANSACTION} (${name})`, () => {
    it('a POST of 2,000 objects gets the outcomes (and leaves the log) of one transaction', async () => {
      const objects = request();
      assert.equal(objects.length, 2000);
      assert.ok(objects.length > 3 * OBJECTS_PER_TRANSACTION);
      const whole = await open();
      const sliced = await open();
      try {
        const once = await whole.addObjects(COLLECTION, objects, NOW);
        const inSlices = await storeObjects(sliced, COLLECTION, objects, NOW);
        assert.deepEqual(inSlices, once);
        assert.equal(inSlices.filter((o) => o.outcome === 'duplicate').length, 200);
        assert.deepEqual(await logOf(sliced), await logOf(whole));
        // Again: every object is now a duplicate, in every slice.
        assert.ok((await storeObjects(sliced, COLLECTION, objects, NOW + 1)).every((o) => o.outcome === 'duplicate'));
      } finally {
        await whole.close();
        await sliced.close();
      }
    });
  });
}

suite('sqlite', () => sqliteStore());

const url = process.env.DATABASE_URL ?? '';
if (/^postgres(ql)?:\/\//.test(url)) {
  const schemas: string[] = [];
  after(async () => {
    for (const schema of schemas) await dropPostgresSchema(url, schema);
  });
  suite('postgres', () => {
    const schema = `socd_t_${randomBytes(6).toString('hex')}`;
    schemas.push(schema);
    return postgresStore(url, schema);
  });
}

describe('TAXII add: the body decoded as it arrives', () => {
  const MEDIA = 'application/taxii+json;version=2.1';
  /** The envelope's bytes in chunks of `size`: most boundaries fall inside a multi-byte character of the names. */
  async function* chunks(bytes: Buffer, size: number): AsyncIterable<Buffer> {
    for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
  }
  const names = ['Café crème', 'Ωμέγα', '日本語のマルウェア', 'emoji 🦠🧬', 'plain'];
  const objects = names.map((name, i) => ({
    type: 'malware', spec_version: '2.1', id: `malware--${uuid(i)}`, created: '2026-05-01T00:00:00.000Z', modified: '2026-05-01T00:00:00.000Z', name, is_family: true,
  }));
  const body = Buffer.from(JSON.stringify({ objects }), 'utf8');

  it('reads the same objects whatever the chunks, a character split between two of them included', async () => {
    for (const size of [1, 2, 3, 5, 7, 64, body.length]) {
      const { valid, failures } = await validateEnvelope({ contentType: MEDIA, contentLength: body.length, body: chunks(body, size) }, body.length);
      assert.deepEqual(failures, [], `chunks of ${size}`);
      assert.deepEqual(valid.map((v) => JSON.parse(v.object.json).name), names, `chunks of ${size}`);
    }
  });

  it('decodes bytes that are not UTF-8 as the whole buffer would, and still counts the bytes for the size bound', async () => {
    // An invalid byte inside a string: replaced by U+FFFD, as Buffer#toString does.
    const bad = Buffer.concat([Buffer.from('{"objects":[{"type":"malware","spec_version":"2.1","id":"malware--00000009-1b1b-4c2c-8d3d-4e4e4e4e4e4e","created":"2026-05-01T00:00:00.000Z","modified":"2026-05-01T00:00:00.000Z","is_family":true,"name":"a'), Buffer.from([0xff, 0xc3]), Buffer.from('b"}]}')]);
    const { valid } = await validateEnvelope({ contentType: MEDIA, contentLength: undefined, body: chunks(bad, 3) }, bad.length);
    assert.equal(JSON.parse(valid[0]!.object.json).name, JSON.parse(bad.toString('utf8')).objects[0].name);
    await assert.rejects(validateEnvelope({ contentType: MEDIA, contentLength: undefined, body: chunks(body, 5) }, body.length - 1), (e: Error & { status?: number }) => e.status === 413);
  });
});
