import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { IocExport } from '../../src/rest/ioc-export.js';
import { observation, source } from '../support/builders.js';
import { sqliteStore, TEST_IDENTITY } from '../support/stores.js';
import { turnsDuring } from '../support/turns.js';

/** A sink that keeps what it is given. */
function sink(): { out: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const out = new Writable({ write: (chunk: Buffer, _enc, done) => void (chunks.push(Buffer.from(chunk)), done()) });
  return { out, text: () => Buffer.concat(chunks).toString('utf8') };
}

describe('IOC export (socd export without the CLI)', () => {
  it('writes the REST selection as JSON, CSV (lists joined with ;) and a STIX bundle, and counts as it goes', async () => {
    const store = await sqliteStore();
    try {
      await store.upsertSource(source({ id: 'feed-a' }));
      await store.upsertObservations('feed-a', [
        observation({ type: 'ipv4', value: '203.0.113.7', tags: ['c2', 'botnet'] }),
        observation({ type: 'domain', value: 'evil.example' }),
      ], Date.UTC(2026, 4, 17));

      // The progress bar's bound: every IOC, or the limit when it is lower.
      assert.equal(await new IocExport(store, TEST_IDENTITY, {}).total(), 2);
      assert.equal(await new IocExport(store, TEST_IDENTITY, { limit: '1' }).total(), 1);

      const ipOnly = new IocExport(store, TEST_IDENTITY, { type: 'ipv4' });
      const json = sink();
      const counts: number[] = [];
      await ipOnly.write('json', json.out, (n) => counts.push(n));
      const items = JSON.parse(json.text()) as Array<{ value: string; tags: string[] }>;
      assert.deepEqual(items.map((i) => i.value), ['203.0.113.7']);
      assert.equal(counts.at(-1), 1);

      const csv = sink();
      await ipOnly.write('csv', csv.out, () => {});
      const [header, row] = csv.text().trim().split('\n');
      assert.ok(header!.startsWith('id,type,value,confidence,score,'));
      assert.match(row!, /,203\.0\.113\.7,/);
      assert.match(row!, /,(c2;botnet|botnet;c2),/);

      const stix = sink();
      await new IocExport(store, TEST_IDENTITY, {}).write('stix', stix.out, () => {});
      const bundle = JSON.parse(stix.text()) as { type: string; objects: Array<{ type: string }> };
      assert.equal(bundle.type, 'bundle');
      assert.equal(bundle.objects.filter((o) => o.type === 'indicator').length, 2);
    } finally {
      await store.close();
    }
  });

  it('refuses a bad filter when created, before anything is written', async () => {
    const store = await sqliteStore();
    try {
      assert.throws(() => new IocExport(store, TEST_IDENTITY, { type: 'nonsense' }), /type/);
    } finally {
      await store.close();
    }
  });

  it('gives the event loop a turn between pages, whatever the format, and loses no IOC between them', async () => {
    const store = await sqliteStore();
    try {
      await store.upsertSource(source({ id: 'feed-a' }));
      await store.upsertObservations('feed-a', Array.from({ length: 1_200 }, (_, i) => observation({ type: 'domain', value: `e${i}.example.net` })), Date.UTC(2026, 4, 17));
      const order = (await store.queryIocs({ status: 'active', limit: 10_000 })).items.map((i) => i.value);
      for (const format of ['csv', 'json'] as const) {
        const out = sink();
        const { turns } = await turnsDuring(() => new IocExport(store, TEST_IDENTITY, {}).write(format, out.out, () => {}));
        const values = format === 'json' ? (JSON.parse(out.text()) as Array<{ value: string }>).map((i) => i.value)
          : out.text().trim().split('\n').slice(1).map((line) => line.split(',')[2]!);
        assert.deepEqual(values, order, format);
        // Three pages of 500 (a sink that never pushes back: only the pages' turns).
        assert.ok(turns >= 2, `${format}: ${turns} turns`);
      }
    } finally {
      await store.close();
    }
  });
});
