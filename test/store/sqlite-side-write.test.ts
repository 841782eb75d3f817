import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Observation } from '../../src/store/types.js';
import { observation, source } from '../support/builders.js';
import { sqliteStore, type SqliteTestStore } from '../support/stores.js';

/**
 * A run streaming its writes holds the process's write lock until it ends (store/write-lock.ts). Settings and run
 * requests made over the API meanwhile go through the SQLite store's second connection: they wait for the run's open
 * batch at most, never for the run itself.
 */
describe('SQLite: settings and run requests during a streamed ingestion', () => {
  let dir: string;
  let store: SqliteTestStore;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'socd-side-'));
    store = await sqliteStore(join(dir, 'socd.db'));
    await store.upsertSource(source({ id: 'slow-feed' }));
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answer while the run waits for its download between batches, and the run then finishes', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let committed!: () => void;
    const firstBatch = new Promise<void>((r) => (committed = r));
    async function* chunks(): AsyncGenerator<Observation[]> {
      yield [observation({ type: 'ipv4', value: '45.133.40.1' })];
      // The first batch is committed; the download is slow: the write lock stays held, no transaction is open.
      await gate;
      yield [observation({ type: 'ipv4', value: '45.133.40.2' })];
    }
    const run = store.upsertObservationStream('slow-feed', chunks(), { batchSize: 1, onCommit: () => committed() });
    await firstBatch;

    const setting = await store.updateSourceSetting('slow-feed', { enabled: false, apiKey: 'k' }, Date.now(), 'admin@example.com');
    assert.equal(setting?.enabled, false);
    const requested = await store.requestRun('slow-feed', Date.now());
    assert.equal(requested.created, true);
    assert.equal((await store.getSourceSetting('slow-feed'))?.apiKey, 'k', 'read back on the main connection');
    assert.deepEqual((await store.queuedRuns(5)).map((r) => r.id), [requested.run.id]);

    release();
    const total = await run;
    assert.equal(total.inserted, 2);
  });
});
