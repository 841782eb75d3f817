import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StixExportService } from '../../src/rest/stix-export-service.js';
import { type StixObjectSource, stixBundleChunks } from '../../src/stix/bundle-stream.js';
import { identityObject } from '../../src/stix/identity.js';
import { tlpMarkingObject } from '../../src/stix/tlp-markings.js';
import type { IocQuery, StixPage } from '../../src/store/types.js';
import { observation, source } from '../support/builders.js';
import { sqliteStore, TEST_IDENTITY } from '../support/stores.js';

const BUNDLE_ID = /"id":"bundle--[0-9a-f-]{36}"/;
const text = async (chunks: AsyncIterable<string>) => {
  let out = '';
  for await (const c of chunks) out += c;
  return out.replace(BUNDLE_ID, '"id":"bundle--x"');
};

describe('STIX bundle stream', () => {
  it('is the identity, the markings in use and every stored object, byte for byte, whatever the page size', async () => {
    const store = await sqliteStore();
    await store.upsertSource(source({ id: 'green', tlp: 'green' }));
    await store.upsertSource(source({ id: 'red', tlp: 'red' }));
    await store.upsertSource(source({ id: 'private', tlp: 'amber', redistributable: false }));
    const t = Date.UTC(2026, 4, 1);
    await store.upsertObservations('green', Array.from({ length: 230 }, (_, i) => observation({ type: 'ipv4', value: `198.51.100.${i}` })), t);
    await store.upsertObservations('red', Array.from({ length: 20 }, (_, i) => observation({ type: 'domain', value: `red${i}.example` })), t + 1);
    await store.upsertObservations('private', [observation({ type: 'domain', value: 'hidden.example' })], t + 2);
    // The bundle as it was assembled before pages and turns: the whole selection in one read.
    const all = await store.pageStixObjects({ status: 'active', limit: 1_000 });
    assert.equal(all.objects.length, 250);
    const head = [identityObject(TEST_IDENTITY), tlpMarkingObject('green'), tlpMarkingObject('red')].map((o) => JSON.stringify(o));
    const expected = `{"type":"bundle","id":"bundle--x","objects":[${[...head, ...all.objects].join(',')}]}`;
    assert.equal(await text(new StixExportService(store, TEST_IDENTITY).bundle({})), expected);
    for (const pageSize of [1, 7, 100, 250, 251]) {
      assert.equal(await text(stixBundleChunks(store, { status: 'active', limit: Number.MAX_SAFE_INTEGER }, { identity: TEST_IDENTITY, pageSize })), expected, `pages of ${pageSize}`);
    }
    // Reads of several chunks (PostgreSQL's): the same text, written in chunks of at most pageSize objects.
    for (const [pageSize, readSize] of [[7, 70], [100, 1000], [3, 4]] as const) {
      const chunks: string[] = [];
      for await (const c of stixBundleChunks(store, { status: 'active', limit: Number.MAX_SAFE_INTEGER }, { identity: TEST_IDENTITY, pageSize, readSize })) chunks.push(c);
      assert.equal(chunks.join('').replace(/bundle--[0-9a-f-]{36}/, 'bundle--x'), expected, `reads of ${readSize}`);
      const objectsPerChunk = chunks.slice(1, -1).map((c) => (c.match(/"type":"indicator"/g) ?? []).length);
      assert.ok(objectsPerChunk.every((n) => n > 0 && n <= pageSize), `chunks of ${pageSize}: ${objectsPerChunk.join(',')}`);
    }
    const limited = await text(new StixExportService(store, TEST_IDENTITY).bundle({ limit: '101' }));
    assert.equal(limited, `{"type":"bundle","id":"bundle--x","objects":[${[...head, ...all.objects.slice(0, 101)].join(',')}]}`);
    assert.equal(await text(new StixExportService(store, TEST_IDENTITY, 1000).bundle({ limit: '101' })), limited);
    await store.close();
  });

  it('gives the event loop a turn between two pages of a store that answers at once', async () => {
    const pages = 20;
    let reads = 0;
    const readsAtTurn: number[] = [];
    const source: StixObjectSource = {
      async tlpLevelsInUse() {
        return [];
      },
      async pageStixObjects(q: IocQuery): Promise<StixPage> {
        const n = q.after?.rowId ?? 0;
        reads++;
        return { objects: [`{"n":${n}}`], next: n + 1 < pages ? { addedAt: 0, rowId: n + 1 } : null };
      },
    };
    // A chain of setImmediate callbacks notes how many pages had been read at each turn of the loop.
    let running = true;
    const tick = () => {
      readsAtTurn.push(reads);
      if (running) setImmediate(tick);
    };
    setImmediate(tick);
    const out = await text(stixBundleChunks(source, { status: 'active', limit: Number.MAX_SAFE_INTEGER }, { identity: TEST_IDENTITY, pageSize: 1 }));
    running = false;
    assert.equal(reads, pages);
    assert.ok(out.endsWith(`{"n":${pages - 1}}]}`));
    // Without turns, the whole stream is read in one (every page read before the first tick, or between two ticks).
    const distinct = new Set(readsAtTurn.filter((r) => r > 0 && r < pages));
    assert.ok(distinct.size >= pages - 2, `pages read across ${distinct.size} turns`);
  });
});
