import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { iocStixRenderer } from '../../src/stix/render-ioc.js';
import type { Observation } from '../../src/store/types.js';
import { observation } from '../support/builders.js';
import { TEST_IDENTITY_ID } from '../support/stores.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const NOW = Date.UTC(2026, 5, 1);

/** `n` distinct IPv4 observations in chunks of 100. */
async function* observations(n: number): AsyncGenerator<Observation[]> {
  for (let at = 0; at < n; at += 100) {
    const chunk: Observation[] = [];
    for (let i = at; i < Math.min(n, at + 100); i++) {
      chunk.push(observation({ type: 'ipv4', value: `45.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, firstSeen: NOW, lastSeen: NOW, tags: ['scanner'] }));
    }
    yield chunk;
  }
}

/** Streams `n` new IOCs in batches of 250 into a new file database; the WAL's size after, and what was stored. */
async function load(
  n: number,
  walRestartBytes: number,
  opts: { reader?: boolean } = {},
): Promise<{ wal: number; inserted: number; stored: number; versions: number; seenByReader?: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'socd-wal-'));
  dirs.push(dir);
  const path = join(dir, 'socd.db');
  const store = new SqliteStore(path, { renderVersion: iocStixRenderer(TEST_IDENTITY_ID), walRestartBytes });
  try {
    await store.migrate();
    await store.upsertSource({ id: 'feed', name: 'feed', reliability: 0.8, redistributable: true, aggregate: false, tlp: 'clear' });
    // A reader in the middle of a long read (another process's export, say) keeps the snapshot it began with.
    const reader = opts.reader ? new Database(path, { readonly: true }) : undefined;
    const count = reader?.prepare('SELECT count(*) FROM iocs').pluck();
    if (reader) {
      await store.upsertObservationStream('feed', observations(500), { batchSize: 250, clock: () => NOW });
      reader.exec('BEGIN');
      count!.get();
    }
    const r = await store.upsertObservationStream('feed', observations(n), { batchSize: 250, clock: () => NOW });
    const wal = existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0;
    const seenByReader = count?.get() as number | undefined;
    reader?.exec('COMMIT');
    reader?.close();
    const db = store.conn.db;
    const stored = db.prepare('SELECT count(*) FROM iocs').pluck().get() as number;
    const versions = db.prepare('SELECT count(*) FROM object_versions WHERE ioc_id IS NOT NULL').pluck().get() as number;
    return { wal, inserted: r.inserted, stored, versions, ...(seenByReader !== undefined ? { seenByReader } : {}) };
  } finally {
    await store.close();
  }
}

describe('SQLite WAL during a streamed load', () => {
  it('starts the WAL over between transactions once it passes the restart size, instead of letting it grow', async () => {
    const limit = 256 * 1024;
    const kept = await load(4000, limit);
    const grown = await load(4000, Number.MAX_SAFE_INTEGER);
    assert.equal(kept.inserted, 4000);
    assert.equal(kept.stored, 4000);
    assert.equal(kept.versions, 4000);
    assert.deepEqual({ ...grown, wal: 0 }, { ...kept, wal: 0 });
    // Without restarts the WAL holds every page of every batch; with them, about one batch past the limit.
    assert.ok(grown.wal > 4 * limit, `WAL without restarts ${grown.wal} bytes`);
    assert.ok(kept.wal < grown.wal / 2, `WAL with restarts ${kept.wal} bytes, without ${grown.wal}`);
  });

  it('goes on, without starting the WAL over, while a reader still needs part of it; the reader keeps its snapshot', async () => {
    const r = await load(4000, 256 * 1024, { reader: true });
    assert.equal(r.inserted, 3500); // the first 500 were stored before the reader began
    assert.equal(r.stored, 4000);
    assert.equal(r.versions, 4000);
    assert.equal(r.seenByReader, 500);
    assert.ok(r.wal > 4 * 256 * 1024, `WAL ${r.wal} bytes: kept whole for the reader`);
  });
});
