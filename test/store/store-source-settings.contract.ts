import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RunResult } from '../../src/store/types.js';
import { source } from '../support/builders.js';
import type { TestStore } from '../support/stores.js';
import { withStoreOf } from './store.contract.js';

/** Source settings (store.ts SourceSettingsStore) and the run-now side of SourceRunStore, against each implementation. */
export function storeSourceSettingsContract(name: string, makeStore: () => Promise<TestStore>): void {
  const withStore = withStoreOf(makeStore);
  const now = Date.UTC(2026, 11, 2, 12);
  const result = (outcome: RunResult['outcome'], finishedAt: number, over: Partial<RunResult> = {}): RunResult => ({
    outcome, finishedAt, records: 0, inserted: 0, updated: 0, unchanged: 0, delisted: 0, rejected: 0, excluded: 0, allowlisted: 0, bytes: 0,
    error: outcome === 'failed' ? 'boom' : null, etag: null, lastModified: null, ...over,
  });

  describe(`Store source settings and queued runs: ${name}`, () => {
    it('keeps settings per source: undefined keeps a field, null clears it, a row left empty goes', withStore(async (store) => {
      assert.deepEqual(await store.listSourceSettings(), []);
      assert.equal(await store.getSourceSetting('feodo'), undefined);
      const a = await store.updateSourceSetting('feodo', { enabled: false, schedule: '6h' }, now, 'admin@example.com');
      assert.deepEqual(a, { sourceId: 'feodo', enabled: false, schedule: '6h', apiKey: null, updatedAt: now, updatedBy: 'admin@example.com' });
      const b = await store.updateSourceSetting('feodo', { apiKey: 'k-123' }, now + 1, 'ops@host');
      assert.deepEqual(b, { sourceId: 'feodo', enabled: false, schedule: '6h', apiKey: 'k-123', updatedAt: now + 1, updatedBy: 'ops@host' });
      assert.deepEqual(await store.getSourceSetting('feodo'), b, 'round-trips, the key too');
      await store.updateSourceSetting('otx', { enabled: true }, now, null);
      assert.deepEqual((await store.listSourceSettings()).map((s) => [s.sourceId, s.enabled]), [['feodo', false], ['otx', true]], 'in id order');
      assert.deepEqual(await store.updateSourceSetting('feodo', { schedule: null, apiKey: null }, now + 2, null), {
        sourceId: 'feodo', enabled: false, schedule: null, apiKey: null, updatedAt: now + 2, updatedBy: null,
      });
      assert.equal(await store.updateSourceSetting('feodo', { enabled: null }, now + 3, null), undefined, 'nothing left set');
      assert.equal(await store.getSourceSetting('feodo'), undefined);
      assert.deepEqual((await store.listSourceSettings()).map((s) => s.sourceId), ['otx']);
    }));

    it('queues one run per source; a second request answers the pending one; startRun takes the queued row', withStore(async (store) => {
      const first = await store.requestRun('feodo', now);
      assert.equal(first.created, true);
      assert.equal(first.run.outcome, 'queued');
      assert.equal(first.run.sourceId, 'feodo');
      assert.equal(first.run.startedAt, now);
      const again = await store.requestRun('feodo', now + 1);
      assert.deepEqual(again, { run: first.run, created: false }, 'the queued one');
      const other = await store.requestRun('sslbl', now + 2);
      assert.equal(other.created, true, 'another source queues apart');
      assert.deepEqual((await store.queuedRuns(10)).map((r) => r.id), [first.run.id, other.run.id], 'oldest first');
      assert.deepEqual((await store.queuedRuns(1)).map((r) => r.id), [first.run.id], 'limited');

      const id = await store.startRun('feodo', now + 10);
      assert.equal(id, first.run.id, 'the run asked for is this run');
      const running = await store.getRun(id);
      assert.equal(running?.outcome, 'running');
      assert.equal(running?.startedAt, now + 10);
      assert.deepEqual((await store.queuedRuns(10)).map((r) => r.id), [other.run.id]);
      const busy = await store.requestRun('feodo', now + 11);
      assert.deepEqual([busy.created, busy.run.id, busy.run.outcome], [false, id, 'running'], 'running: answered, not queued');
      await store.finishRun(id, result('ok', now + 20, { inserted: 3 }));
      const next = await store.requestRun('feodo', now + 30);
      assert.equal(next.created, true, 'once it ended, a new request queues');
      assert.notEqual(next.run.id, id);
      assert.equal(await store.getRun(999_999), undefined);
    }));

    it('concurrent requests for one source make one queued run', withStore(async (store) => {
      const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => store.requestRun('feodo', now + i)));
      assert.equal(answers.filter((a) => a.created).length, 1);
      assert.equal(new Set(answers.map((a) => a.run.id)).size, 1);
    }));

    it('ends runs left running by a dead holder; lists a source\'s runs newest first in keyset pages', withStore(async (store) => {
      await store.upsertSource(source({ id: 'feodo' }));
      const ids: number[] = [];
      for (let i = 0; i < 5; i++) {
        const id = await store.startRun('feodo', now + i * 1000);
        ids.push(id);
        if (i < 4) await store.finishRun(id, result(i % 2 ? 'failed' : 'ok', now + i * 1000 + 10));
      }
      assert.equal(await store.interruptRuns(now + 9000), 1);
      const last = await store.getRun(ids[4]!);
      assert.equal(last?.outcome, 'failed');
      assert.match(last?.error ?? '', /interrupted/);
      const p1 = await store.listRuns('feodo', { limit: 2 });
      assert.deepEqual(p1.items.map((r) => r.id), [ids[4], ids[3]]);
      assert.equal(p1.next, ids[3]);
      const p2 = await store.listRuns('feodo', { before: p1.next!, limit: 2 });
      assert.deepEqual(p2.items.map((r) => r.id), [ids[2], ids[1]]);
      const p3 = await store.listRuns('feodo', { before: p2.next!, limit: 2 });
      assert.deepEqual(p3.items.map((r) => r.id), [ids[0]]);
      assert.equal(p3.next, null);
      assert.deepEqual((await store.listRuns('other', { limit: 5 })).items, []);
    }));

    it('health: the last success and the failures since, per source that has run', withStore(async (store) => {
      for (const id of ['a-ok', 'b-failing', 'c-never-ok']) await store.upsertSource(source({ id }));
      const run = async (id: string, outcome: RunResult['outcome'], at: number) => store.finishRun(await store.startRun(id, at), result(outcome, at + 5));
      await run('a-ok', 'failed', now);
      await run('a-ok', 'ok', now + 100);
      await run('b-failing', 'ok', now);
      await run('b-failing', 'not-modified', now + 100);
      await run('b-failing', 'failed', now + 200);
      await run('b-failing', 'skipped', now + 300);
      await run('b-failing', 'failed', now + 400);
      await run('c-never-ok', 'failed', now);
      await run('c-never-ok', 'failed', now + 100);
      assert.deepEqual(await store.sourceHealth(), [
        { sourceId: 'a-ok', lastSuccessStartedAt: now + 100, lastSuccessFinishedAt: now + 105, consecutiveFailures: 0 },
        { sourceId: 'b-failing', lastSuccessStartedAt: now + 100, lastSuccessFinishedAt: now + 105, consecutiveFailures: 2 },
        { sourceId: 'c-never-ok', lastSuccessStartedAt: null, lastSuccessFinishedAt: null, consecutiveFailures: 2 },
      ]);
    }));
  });
}
