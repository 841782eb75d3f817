import type { Store } from '../store/store.js';
import type { Observation } from '../store/types.js';
import type { ParsedItem } from './parsers/raw-record.js';
import { type RecordDefaults, recordToObservation } from './record-to-observation.js';

export interface ImportProblem {
  line: number;
  reason: string;
}

export interface ImportSummary {
  read: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
  /** Objects of kinds we do not import (e.g. STIX relationships), by kind. */
  skipped: Record<string, number>;
  batches: number;
}

export interface ImportOptions extends Omit<RecordDefaults, 'now'> {
  source: string;
  batchSize?: number;
  clock?: () => number;
  onProblem?: (p: ImportProblem) => void;
  /** Called after each committed batch. */
  onBatch?: (summary: Readonly<ImportSummary>) => void;
}

/**
 * parse → normalize → upsert, one transaction per batch: a bad line costs that line only, and a crash loses at
 * most the batch in flight (never leaves half of one).
 */
export async function runImport(store: Store, items: AsyncIterable<ParsedItem>, opts: ImportOptions): Promise<ImportSummary> {
  const clock = opts.clock ?? Date.now;
  const batchSize = opts.batchSize ?? 5000;
  const summary: ImportSummary = { read: 0, inserted: 0, updated: 0, unchanged: 0, rejected: 0, skipped: {}, batches: 0 };
  let batch: Observation[] = [];
  const now = clock();
  const flush = async () => {
    if (batch.length === 0) return;
    const r = await store.upsertObservations(opts.source, batch, clock());
    summary.inserted += r.inserted;
    summary.updated += r.updated;
    summary.unchanged += r.unchanged;
    summary.batches++;
    batch = [];
    opts.onBatch?.(summary);
  };
  for await (const item of items) {
    if ('skipped' in item) {
      summary.skipped[item.skipped] = (summary.skipped[item.skipped] ?? 0) + 1;
      continue;
    }
    summary.read++;
    if ('problem' in item) {
      summary.rejected++;
      opts.onProblem?.(item.problem);
      continue;
    }
    const converted = recordToObservation(item.record, { ...opts, now });
    if (!converted.ok) {
      summary.rejected++;
      opts.onProblem?.({ line: item.record.line, reason: converted.reason });
      continue;
    }
    batch.push(converted.observation);
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  return summary;
}
