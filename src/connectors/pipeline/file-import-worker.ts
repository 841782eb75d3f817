/**
 * Worker thread of `importFile`: reads, parses and normalizes a file and posts converted chunks to the main
 * thread, which stores them. At most `maxInFlight` chunks wait unacknowledged, so memory stays flat whatever
 * the file's size.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { convertItems } from './import-pipeline.js';
import { type FileFormat, openFileRecords } from '../formats/open-file-records.js';
import type { RecordDefaults } from './record-to-observation.js';

export interface WorkerInput {
  path: string;
  format: FileFormat;
  defaults: RecordDefaults;
  /** Chunks that may wait unacknowledged: enough for the worker to fill the next batch while one is written. */
  maxInFlight: number;
}

export type WorkerMessage =
  | { kind: 'chunk'; chunk: import('./import-pipeline.js').ConvertedChunk; bytes: number }
  | { kind: 'done'; bytes: number }
  | { kind: 'error'; message: string };

async function main(): Promise<void> {
  const port = parentPort!;
  const input = workerData as WorkerInput;
  let inFlight = 0;
  let wake: (() => void) | undefined;
  port.on('message', () => {
    inFlight--;
    wake?.();
  });
  let bytes = 0;
  const items = openFileRecords(input.path, input.format, (n) => {
    bytes += n;
  });
  for await (const chunk of convertItems(items, input.defaults)) {
    while (inFlight >= input.maxInFlight) await new Promise<void>((r) => (wake = r));
    inFlight++;
    port.postMessage({ kind: 'chunk', chunk, bytes } satisfies WorkerMessage);
  }
  port.postMessage({ kind: 'done', bytes } satisfies WorkerMessage);
}

main().catch((err: unknown) => {
  parentPort!.postMessage({ kind: 'error', message: err instanceof Error ? err.message : String(err) } satisfies WorkerMessage);
});
