import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { storeContract } from './store.contract.js';

storeContract('sqlite (memory)', async () => {
  const store = new SqliteStore(':memory:');
  await store.migrate();
  return store;
});

storeContract('sqlite (file, WAL)', async () => {
  const store = new SqliteStore(join(mkdtempSync(join(tmpdir(), 'socd-store-')), 'socd.db'));
  await store.migrate();
  return store;
});
