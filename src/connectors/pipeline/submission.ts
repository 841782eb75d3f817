import { setImmediate as turn } from 'node:timers/promises';
import type { ExclusionRules } from '../../domain/exclusions.js';
import type { IocType } from '../../domain/ioc-types.js';
import { parseIsoTime } from '../../domain/iso-time.js';
import { isSector, SECTORS } from '../../domain/sectors.js';
import type { Observation, ObservationOutcome } from '../../store/types.js';
import { fileRecord } from '../formats/file-record.js';
import type { ParsedItem, RawRecord } from '../formats/raw-record.js';
import { labels } from '../formats/record.js';
import { fileConverter } from './record-to-observation.js';
import { type AllowRules, type ExcludedValue, type GateStore, writeObservations } from './write-observations.js';

/**
 * Submissions (POST /api/v1/iocs, docs/architecture.md §5): items a client sends, each judged alone (the import's
 * checks, plus a few an API owes its caller: unknown sectors, a `valid_until` that does not read or has passed), then
 * the accepted ones written through the one write gate (exclusions, allow-list) in ONE store transaction: a
 * submission lands whole or not at all, and what was rejected never reaches the store. A `valid_until` is the
 * submitting source's claim, kept on its sighting; it caps the IOC's validity (store/ioc-reconcile.ts claimCap).
 */

export const SUBMIT_STATUSES = ['created', 'updated', 'unchanged', 'rejected', 'excluded', 'allowlisted'] as const;
export type SubmitStatus = (typeof SUBMIT_STATUSES)[number];

/** What became of one item, at its position in the input. */
export interface SubmittedItem {
  index: number;
  /** The value as sent (cut to 200 characters); '' when the item had none. */
  input: string;
  /** The normalized value and its type, once the item normalized. */
  type?: IocType;
  value?: string;
  status: SubmitStatus;
  /** Why it was rejected, excluded or allow-listed. */
  reason?: string;
}

export type SubmitSummary = Record<SubmitStatus, number>;

export interface SubmitOptions {
  exclusions: ExclusionRules;
  allowlist?: AllowRules;
  /** The time of the submission: the first and last seen of items that give none. */
  now: number;
  /** The source run that records the submission. */
  run?: number;
}

/** Observations handed to the gate at a time (all in the same transaction). */
const WRITE_SLICE = 500;

const OUTCOME_STATUS: Record<ObservationOutcome, SubmitStatus> = { inserted: 'created', updated: 'updated', unchanged: 'unchanged', ignored: 'unchanged' };

/**
 * Checks a submission makes beyond the import's (which drops unknown sectors and ignores `valid_until`): a problem,
 * or the item's claimed end of validity (epoch ms; null when it gives none).
 */
function extraProblem(r: RawRecord, now: number): { problem: string } | { expiresAt: number | null } {
  for (const s of labels(r.sectors?.map((x) => x.toLowerCase()))) {
    if (!isSector(s)) return { problem: `sector ${JSON.stringify(s.slice(0, 40))} is not one of ${SECTORS.join(', ')}` };
  }
  if (r.validUntil === undefined) return { expiresAt: null };
  const t = parseIsoTime(r.validUntil);
  if (t === undefined) return { problem: `valid_until ${JSON.stringify(r.validUntil.slice(0, 40))} is not an ISO 8601 date-time` };
  if (t <= now) return { problem: `valid_until ${r.validUntil.slice(0, 40)} has passed: an expired IOC is not stored` };
  return { expiresAt: t };
}

const excerpt = (s: string) => (s.length > 200 ? `${s.slice(0, 200)}…` : s);

/** Judges items one by one: an observation to write, or the item's final status. */
export function judgeItems(items: readonly ParsedItem[], now: number): { results: Array<SubmittedItem | undefined>; observations: Observation[]; lines: number[] } {
  const converter = fileConverter({ now });
  const results: Array<SubmittedItem | undefined> = [];
  const observations: Observation[] = [];
  const lines: number[] = [];
  items.forEach((item, index) => {
    if ('skipped' in item) {
      results.push({ index, input: '', status: 'rejected', reason: `not an IOC (${item.skipped})` });
      return;
    }
    if ('problem' in item) {
      results.push({ index, input: '', status: 'rejected', reason: item.problem.reason });
      return;
    }
    const raw = item.record;
    const input = excerpt(raw.value);
    const reject = (reason: string) => results.push({ index, input, status: 'rejected', reason });
    const read = fileRecord(raw, undefined);
    if ('problem' in read) return reject(read.problem.reason);
    const extra = extraProblem(raw, now);
    if ('problem' in extra) return reject(extra.problem);
    const { observations: out, rejected } = converter.convert(read.record);
    const o = out[0];
    if (!o) return reject(rejected[0] ?? 'no value');
    results.push(undefined);
    // The submitter's claim of validity, stored on its sighting: it replaces the last one, and none clears it.
    observations.push({ ...o, expiresAt: extra.expiresAt });
    lines.push(index);
  });
  return { results, observations, lines };
}

export function summarize(items: readonly SubmittedItem[]): SubmitSummary {
  const summary = Object.fromEntries(SUBMIT_STATUSES.map((s) => [s, 0])) as SubmitSummary;
  for (const i of items) summary[i.status]++;
  return summary;
}

/**
 * Writes a submission under `source`: each item judged, the accepted ones through the write gate in one
 * transaction (batch size = their number), and every item's status in input order. A failing write throws, and
 * then nothing of the submission is stored.
 */
export async function submitItems(store: GateStore, source: string, items: readonly ParsedItem[], opts: SubmitOptions): Promise<SubmittedItem[]> {
  const { results, observations, lines } = judgeItems(items, opts.now);
  // The gate reports a held-back value with its line: here, the item's index.
  const held = (status: 'excluded' | 'allowlisted') => (e: ExcludedValue) => {
    results[e.line] = { index: e.line, input: excerpt(rawValue(items[e.line])), type: e.type, value: e.value, status, reason: e.reason };
  };
  const outcomes: ObservationOutcome[] = [];
  if (observations.length > 0) {
    // Handed over in slices with a turn of the event loop between them: the store still writes them in one
    // transaction (the batch is all of them), and a 10,000-item submission does not hold the loop while it is judged.
    async function* slices() {
      for (let at = 0; at < observations.length; at += WRITE_SLICE) {
        if (at > 0) await turn();
        yield { observations: observations.slice(at, at + WRITE_SLICE), lines: lines.slice(at, at + WRITE_SLICE) };
      }
    }
    await writeObservations(store, source, slices(), {
      exclusions: opts.exclusions,
      ...(opts.allowlist ? { allowlist: opts.allowlist } : {}),
      onExcluded: held('excluded'),
      onAllowlisted: held('allowlisted'),
      // One transaction for the whole submission: it lands whole or not at all.
      batchSize: observations.length,
      clock: () => opts.now,
      ...(opts.run !== undefined ? { run: opts.run } : {}),
      onOutcome: (o) => outcomes.push(o),
    });
  }
  // The store told the outcomes of the written observations in order: those the gate did not hold back.
  let next = 0;
  observations.forEach((o, i) => {
    const index = lines[i]!;
    if (results[index] !== undefined) return;
    const outcome = outcomes[next++];
    if (outcome === undefined) throw new Error('the store reported fewer outcomes than observations written');
    results[index] = { index, input: excerpt(rawValue(items[index])), type: o.type, value: o.value, status: OUTCOME_STATUS[outcome] };
  });
  return results as SubmittedItem[];
}

function rawValue(item: ParsedItem | undefined): string {
  return item !== undefined && 'record' in item ? item.record.value : '';
}
