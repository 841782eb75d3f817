import { Worker } from 'node:worker_threads';
import type { WorkerInput, WorkerMessage } from './file-import-worker.js';
import type { GateStore } from './write-observations.js';
import { type ConvertedChunk, type ImportOptions, type ImportSummary, convertItems, storeChunks } from './import-pipeline.js';
import { type FileFormat, openFileRecords } from '../formats/open-file-records.js';

export interface FileImportOptions extends ImportOptions {
  format: FileFormat;
  /** Parse in a worker thread while this one writes (two cores busy instead of one). Default true. */
  parallel?: boolean;
  onBytes?: (total: number) => void;
}

/** Imports a file: parsing and normalizing in a worker thread, storing here, one transaction per batch. */
export async function importFile(store: GateStore, path: string, opts: FileImportOptions): Promise<ImportSummary> {
  const defaults = { type: opts.type, confidence: opts.confidence, tlp: opts.tlp, now: (opts.clock ?? Date.now)() };
  if (opts.parallel === false) {
    let bytes = 0;
    const items = openFileRecords(path, opts.format, (n) => opts.onBytes?.((bytes += n)));
    return storeChunks(store, convertItems(items, defaults), opts);
  }
  // Chunks are written as they arrive; a few in flight absorb the pause of a commit.
  const maxInFlight = 8;
  const input: WorkerInput = { path, format: opts.format, defaults, maxInFlight };
  const worker = new Worker(new URL('./file-import-worker.js', import.meta.url), { workerData: input });
  try {
    return await storeChunks(store, chunksFrom(worker, opts.onBytes), opts);
  } finally {
    await worker.terminate();
  }
}

/** The worker's chunks as an async iterable; each one taken is acknowledged so the worker may send more. */
async function* chunksFrom(worker: Worker, onBytes?: (total: number) => void): AsyncGenerator<ConvertedChunk> {
  const queue: WorkerMessage[] = [];
  let wake: (() => void) | undefined;
  const push = (m: WorkerMessage) => {
    queue.push(m);
    wake?.();
  };
  worker.on('message', push);
  worker.on('error', (err) => push({ kind: 'error', message: err.message }));
  worker.on('exit', (code) => push({ kind: 'error', message: `import worker exited (code ${code})` }));
  for (;;) {
    while (queue.length === 0) await new Promise<void>((r) => (wake = r));
    const m = queue.shift()!;
    if (m.kind === 'error') throw new Error(m.message);
    onBytes?.(m.bytes);
    if (m.kind === 'done') return;
    yield m.chunk;
    worker.postMessage('ack');
  }
}
