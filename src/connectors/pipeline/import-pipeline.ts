import type { ExclusionRules } from '../../domain/exclusions.js';
import type { Observation } from '../../store/types.js';
import type { ParsedItem } from '../formats/raw-record.js';
import { fileRecord } from '../formats/file-record.js';
import { convertItem } from './record-converter.js';
import { fileConverter, type RecordDefaults } from './record-to-observation.js';
import { type AllowRules, type ExcludedValue, type GateStore, writeObservations } from './write-observations.js';

export interface ImportProblem {
  line: number;
  reason: string;
}

/** A slice of a parsed, normalized input: what the storing side needs, cheap to pass between threads. */
export interface ConvertedChunk {
  observations: Observation[];
  /** The line of each observation (`lines[i]` for `observations[i]`). */
  lines: number[];
  problems: ImportProblem[];
  skipped: Record<string, number>;
  /** Items read in this chunk (observations + problems). */
  read: number;
}

export interface ImportSummary {
  read: number;
  inserted: number;
  updated: number;
  unchanged: number;
  /** Dropped by an enrich-only write: no IOC has the value. */
  ignored: number;
  rejected: number;
  /** Valid values the exclusion rules refused (private ranges, resolvers, top domains, the empty file…). */
  excluded: number;
  /** Valid values the allow-list held back ("excluded by allow-list"). */
  allowlisted: number;
  /** Objects of kinds we do not import (e.g. STIX relationships), by kind. */
  skipped: Record<string, number>;
  batches: number;
}

export interface ImportOptions extends Omit<RecordDefaults, 'now'> {
  source: string;
  /** The exclusion rules (config `exclusions`): an import never stores what ingestion would not. */
  exclusions: ExclusionRules;
  /** Called for each excluded value, with its line and reason (as `onProblem` for a rejected line). */
  onExcluded?: (e: ExcludedValue) => void;
  /** The allow-list in force (write-observations.ts loadAllowList); absent: nothing is allow-listed. */
  allowlist?: AllowRules;
  /** Called for each value the allow-list held back, with its line and reason. */
  onAllowlisted?: (e: ExcludedValue) => void;
  /** Observations per transaction. */
  batchSize?: number;
  clock?: () => number;
  onProblem?: (p: ImportProblem) => void;
  /** Called after each committed batch. */
  onBatch?: (summary: Readonly<ImportSummary>) => void;
}

/** Items per converted chunk (the unit passed between threads). */
export const CONVERT_CHUNK = 2000;
export const DEFAULT_BATCH_SIZE = 5000;

/** parse → normalize, in chunks: runs wherever parsing runs (in-process, or in a worker thread). */
export async function* convertItems(items: AsyncIterable<ParsedItem>, defaults: RecordDefaults): AsyncGenerator<ConvertedChunk> {
  let chunk: ConvertedChunk = { observations: [], lines: [], problems: [], skipped: {}, read: 0 };
  const converter = fileConverter(defaults);
  for await (const parsed of items) {
    // A file's cells become a record as an import checks them (formats/file-record.ts), then take the one step.
    const item = 'record' in parsed ? fileRecord(parsed.record, defaults.type) : parsed;
    const out = convertItem(item, converter, defaults.now);
    if (out.read) chunk.read++;
    if (out.skipped !== undefined) {
      chunk.skipped[out.skipped] = (chunk.skipped[out.skipped] ?? 0) + 1;
      if (!out.read) continue;
    } else {
      chunk.problems.push(...out.problems);
      for (const o of out.observations) {
        chunk.observations.push(o);
        chunk.lines.push(out.line);
      }
    }
    if (chunk.read >= CONVERT_CHUNK) {
      yield chunk;
      chunk = { observations: [], lines: [], problems: [], skipped: {}, read: 0 };
    }
  }
  if (chunk.read > 0 || Object.keys(chunk.skipped).length > 0) yield chunk;
}

/**
 * Stores converted chunks, one transaction per batch: a bad line costs that line only, and a crash loses at
 * most the batch in flight (never leaves half of one). The exclusions apply on the way (write-observations.ts).
 */
export async function storeChunks(store: GateStore, chunks: AsyncIterable<ConvertedChunk>, opts: ImportOptions): Promise<ImportSummary> {
  const summary: ImportSummary = { read: 0, inserted: 0, updated: 0, unchanged: 0, ignored: 0, rejected: 0, excluded: 0, allowlisted: 0, skipped: {}, batches: 0 };
  async function* observations(): AsyncGenerator<ConvertedChunk> {
    for await (const chunk of chunks) {
      summary.read += chunk.read;
      summary.rejected += chunk.problems.length;
      for (const [kind, n] of Object.entries(chunk.skipped)) summary.skipped[kind] = (summary.skipped[kind] ?? 0) + n;
      for (const p of chunk.problems) opts.onProblem?.(p);
      yield chunk;
    }
  }
  const total = await writeObservations(store, opts.source, observations(), {
    exclusions: opts.exclusions,
    onExcluded: (e) => {
      summary.excluded++;
      opts.onExcluded?.(e);
    },
    ...(opts.allowlist ? { allowlist: opts.allowlist } : {}),
    onAllowlisted: (e) => {
      summary.allowlisted++;
      opts.onAllowlisted?.(e);
    },
    batchSize: opts.batchSize ?? DEFAULT_BATCH_SIZE,
    ...(opts.clock ? { clock: opts.clock } : {}),
    onCommit: (t) => {
      Object.assign(summary, t);
      summary.batches++;
      opts.onBatch?.(summary);
    },
  });
  const { excluded: _counted, allowlisted: _held, allowlistRevoked: _revoked, ...counts } = total;
  return Object.assign(summary, counts);
}

/** The whole pipeline in this thread. */
export async function runImport(store: GateStore, items: AsyncIterable<ParsedItem>, opts: ImportOptions): Promise<ImportSummary> {
  const now = (opts.clock ?? Date.now)();
  return storeChunks(store, convertItems(items, { type: opts.type, confidence: opts.confidence, tlp: opts.tlp, now }), opts);
}
