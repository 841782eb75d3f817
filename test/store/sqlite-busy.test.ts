import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { Authenticator } from '../../src/auth/authenticator.js';
import { issueKey } from '../../src/auth/key-service.js';
import { isBusy, whenNotBusy } from '../../src/store/sqlite/busy-wait.js';
import { observation, source } from '../support/builders.js';
import { sqliteStore, type SqliteTestStore } from '../support/stores.js';

const turns = (n: number) => (async () => {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
})();

/** A settled flag for a promise, so that a test can see it is still waiting. */
function track<T>(p: Promise<T>): { done: () => boolean; promise: Promise<T> } {
  let settled = false;
  const promise = p.finally(() => {
    settled = true;
  });
  return { done: () => settled, promise };
}

const busyError = () => Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });

describe('whenNotBusy', () => {
  it('tries again while SQLITE_BUSY, then answers', async () => {
    let calls = 0;
    const slept: number[] = [];
    const r = await whenNotBusy(() => {
      if (++calls < 5) throw busyError();
      return 'done';
    }, { sleep: async (ms) => void slept.push(ms) });
    assert.equal(r, 'done');
    assert.equal(calls, 5);
    assert.equal(slept.length, 4);
  });

  it('gives up after waitMs (0: one try), rethrows other errors at once, never repeats a statement inside a transaction', async () => {
    let t = 0;
    let calls = 0;
    const locked = () => {
      calls++;
      throw busyError();
    };
    await assert.rejects(whenNotBusy(locked, { waitMs: 10, now: () => t, sleep: async (ms) => void (t += ms) }), (err) => isBusy(err));
    assert.ok(calls > 1 && t >= 10);
    calls = 0;
    await assert.rejects(whenNotBusy(locked, { waitMs: 0 }), (err) => isBusy(err));
    assert.equal(calls, 1);
    calls = 0;
    await assert.rejects(whenNotBusy(locked, { inTransaction: () => true }), (err) => isBusy(err));
    assert.equal(calls, 1);
    await assert.rejects(whenNotBusy(() => {
      calls++;
      throw new Error('no such table');
    }), /no such table/);
    assert.equal(calls, 2);
  });
});

describe('SQLite store while another process holds the write lock', () => {
  let dir: string;
  let store: SqliteTestStore;
  let other: Database.Database;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'socd-busy-'));
    store = await sqliteStore(join(dir, 'socd.db'));
    other = new Database(join(dir, 'socd.db'));
  });
  after(async () => {
    other.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a write waits for the lock without holding the thread, and reads go on meanwhile', async () => {
    await store.upsertSource(source({ id: 'feed' }));
    other.exec('BEGIN IMMEDIATE');
    const write = track(store.setSetting('busy-test', 'written'));
    const upsert = track(store.upsertObservations('feed', [observation({ type: 'ipv4', value: '203.0.113.9' })], Date.UTC(2026, 4, 1)));
    await turns(20);
    assert.equal(write.done(), false, 'still waiting for the lock');
    assert.equal(upsert.done(), false);
    // WAL: readers never wait for a writer.
    assert.equal(await store.getSetting('busy-test'), undefined);
    assert.equal(await store.countIocs(), 0);
    other.exec('COMMIT');
    await write.promise;
    assert.deepEqual(await upsert.promise, { inserted: 1, updated: 0, unchanged: 0, ignored: 0 });
    assert.equal(await store.getSetting('busy-test'), 'written');
  });

  it('a streamed load waits for the lock between its transactions', async () => {
    other.exec('BEGIN IMMEDIATE');
    async function* chunks() {
      yield [observation({ type: 'ipv4', value: '203.0.113.10' }), observation({ type: 'ipv4', value: '203.0.113.11' })];
    }
    const load = track(store.upsertObservationStream('feed', chunks(), { batchSize: 1, clock: () => Date.UTC(2026, 4, 2) }));
    await turns(20);
    assert.equal(load.done(), false);
    other.exec('COMMIT');
    assert.equal((await load.promise).inserted, 2);
  });

  it('key last-use times are not waited for while the database is locked, and are written by a later flush', async () => {
    const { key, prefix } = await issueKey(store, 'busy@example.com', 'pro', null, Date.UTC(2026, 4, 1));
    const record = (await store.listApiKeys()).find((k) => k.prefix === prefix)!;
    let now = Date.UTC(2026, 4, 3);
    const auth = new Authenticator(store, () => now);
    assert.equal((await auth.authenticate(`Bearer ${key}`)).ok, true);
    other.exec('BEGIN IMMEDIATE');
    try {
      await auth.flush(); // resolves at once: the database is busy, the time is kept
      assert.equal((await store.listApiKeys()).find((k) => k.id === record.id)?.lastUsedAt, null);
      assert.equal(await store.touchApiKeys(new Map([[record.id, now]]), { bestEffort: true }), false);
    } finally {
      other.exec('COMMIT');
    }
    now += 1000;
    await auth.flush();
    assert.equal((await store.listApiKeys()).find((k) => k.id === record.id)?.lastUsedAt, now - 1000, 'the kept time, written now');
    // A use seen while a flush was refused is merged with the kept one: the latest wins.
    assert.equal((await auth.authenticate(`Bearer ${key}`)).ok, true);
    other.exec('BEGIN IMMEDIATE');
    await auth.flush();
    now += 1000;
    assert.equal((await auth.authenticate(`Bearer ${key}`)).ok, true);
    const waiting = track(auth.flush({ wait: true }));
    await turns(20);
    assert.equal(waiting.done(), false, 'at shutdown the flush waits for the lock');
    other.exec('COMMIT');
    await waiting.promise;
    assert.equal((await store.listApiKeys()).find((k) => k.id === record.id)?.lastUsedAt, now);
  });
});
