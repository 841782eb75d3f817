/**
 * A child process for test/cli/import-crash.test.ts: imports FILE into DATABASE_URL as `socd import FILE --type ipv4
 * --batch-size BATCH_SIZE` does (the same context, exclusions and pipeline), and stops at a known point: once the first
 * batch is committed, the next record the pipeline asks for never comes. By then the store has begun the second
 * batch (records come in chunks of 2,000, which 5,000 does not divide: its transaction is open), so a SIGKILL lands
 * mid-import, mid-transaction, every time.
 *
 * It prints `paused after batch 1` on stdout, then blocks this thread for good (Atomics.wait) until it is killed.
 *
 *   node dist/test/support/import-until-paused.js FILE BATCH_SIZE
 */
import { writeSync } from 'node:fs';
import { runImport } from '../../src/connectors/pipeline/import-pipeline.js';
import { openFileRecords } from '../../src/connectors/formats/open-file-records.js';
import { exclusionSettings } from '../../src/connectors/catalog/source-config.js';
import { Exclusions } from '../../src/domain/exclusions.js';
import { openContext } from '../../src/cli/context.js';

const [file, batchSize] = [process.argv[2], Number(process.argv[3])];
// `node --test dist/test/` runs every file under it, this one too, without arguments: then there is nothing to do.
if (file === undefined) process.exit(0);
if (!file || !Number.isSafeInteger(batchSize)) throw new Error('usage: import-until-paused FILE BATCH_SIZE');

let committed = 0;
/** The file's records, until the first commit has happened: then this thread stops for good. */
async function* untilCommitted<T>(items: AsyncIterable<T>): AsyncGenerator<T> {
  for await (const item of items) {
    if (committed > 0) {
      writeSync(1, 'paused after batch 1\n');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
    }
    yield item;
  }
}

const { store, config } = await openContext({ sqliteCacheMb: 256 });
// As `socd import` with its default --source.
await store.upsertSource({ id: 'import', name: 'import', reliability: 1, redistributable: true, aggregate: false, tlp: 'clear' });
await runImport(store, untilCommitted(openFileRecords(file, 'text')), {
  source: 'import',
  type: 'ipv4',
  confidence: 50,
  tlp: null,
  exclusions: new Exclusions(exclusionSettings(config.file)),
  batchSize,
  onBatch: (s) => void (committed = s.batches),
});
throw new Error('the import ended without pausing');
