import type { IocType } from '../domain/ioc-types.js';
import { decayedScore, scoreOf, validUntil } from '../domain/scoring.js';
import type { Tlp } from '../domain/tlp.js';
import { cappedValidUntil, type Decision, type Incoming } from './ioc-reconcile.js';
import { dedupeSorted, parseList } from './merge.js';
import { newStixId, type IocStateColumns, type Flag, flag } from './rows.js';
import type { IocStatus, IocVersionInput, Observation, SourceRecord, UpsertOptions, UpsertResult } from './types.js';

/**
 * The rules of ingestion both stores apply around the reconcile decision (ioc-reconcile.ts): what a new IOC starts
 * as, what an observation does to an existing one, when decay must look at an IOC, and the versions that revocation
 * and an update append. The stores keep only how they read and write rows.
 */

/** What an observation does: dropped (enrich-only), a new IOC, or evidence for one that exists. */
export function observationStep(existing: IocStatus | undefined, opts: UpsertOptions): 'ignore' | 'insert' | 'reconcile' {
  // Enrichment adds evidence to what is live; it never brings back a withdrawn IOC, nor creates one.
  if (opts.enrichOnly && (existing === undefined || existing === 'revoked')) return 'ignore';
  return existing === undefined ? 'insert' : 'reconcile';
}

/** What an observation brings to an IOC that exists; `tlp` is the observation's, else its source's. */
export function incomingOf(o: Observation, tlp: Tlp): Incoming {
  return { tags: o.tags, malware: o.malware, sectors: o.sectors, tlp, firstSeen: o.firstSeen, lastSeen: o.lastSeen };
}

/** Counts an observation's outcome (and tells `opts.onOutcome` of it). */
export function countOutcome(result: UpsertResult, outcome: 'unchanged' | 'updated' | 'revoked', opts?: UpsertOptions): void {
  if (outcome === 'unchanged') result.unchanged++;
  else result.updated++;
  opts?.onOutcome?.(outcome === 'unchanged' ? 'unchanged' : 'updated');
}

/** A new IOC from one observation of one source: its labels, identity, score and validity. */
export function newIocOf(source: SourceRecord, o: Observation, now: number) {
  // Most observations carry no labels: skip the sort for them.
  const sectors = o.sectors.length === 0 ? o.sectors : dedupeSorted(o.sectors);
  const tags = o.tags.length === 0 ? o.tags : dedupeSorted(o.tags);
  const malware = o.malware.length === 0 ? o.malware : dedupeSorted(o.malware);
  const stixId = newStixId(o.type);
  const noDecay = source.noDecay ?? false;
  const base = scoreOf([{ prior: source.reliability, confidence: o.confidence, aggregate: source.aggregate }]);
  const score = decayedScore(base, o.type, o.lastSeen, now, noDecay);
  // Its one sighting's claim, if it makes one, caps the model's validity (ioc-reconcile.ts claimCap).
  const until = cappedValidUntil(validUntil(base, o.type, o.lastSeen, noDecay), o.expiresAt ?? undefined);
  return { sectors, tags, malware, stixId, noDecay, base, score, until };
}

/** The first version of a new IOC (newIocOf), seen by `source` now. */
export function firstVersionOf(o: Observation, tlp: Tlp, n: ReturnType<typeof newIocOf>, source: SourceRecord, now: number): IocVersionInput {
  return {
    stixId: n.stixId, type: o.type, value: o.value, score: n.score, tags: n.tags, malware: n.malware, sectors: n.sectors, tlp, revoked: false,
    firstSeen: o.firstSeen, validUntil: n.until, created: now, modified: now, sources: [{ id: source.id, name: source.name }],
  };
}

/**
 * The decay rule's cheap test, before the full decision: an IOC whose score has not moved a point and that has not
 * reached its valid_until is left alone (most IOCs, at most passes).
 */
export function decayDue(row: IocStateColumns<Flag>, now: number): boolean {
  const base = row.base_score ?? row.score;
  return !(now < row.valid_until && decayedScore(base, row.type, row.last_seen, now, flag(row.no_decay)) === row.score);
}

/**
 * The identity and `modified` of an IOC's next version: a revoked IOC listed again is a new STIX object (revoked
 * is final), otherwise the same object one ms later at least.
 */
export function nextVersionOf(row: IocStateColumns<Flag>, reactivated: boolean, now: number): { stixId: string; modified: number } {
  if (reactivated) return { stixId: newStixId(row.type), modified: now };
  return { stixId: row.stix_id, modified: Math.max(now, (row.modified ?? row.added_at) + 1) };
}

/** The version an update appends when the decision calls for one. */
export function updatedVersionOf(
  row: IocStateColumns<Flag>, d: Extract<Decision, { kind: 'update' }>, stixId: string, created: number, modified: number,
): IocVersionInput {
  return {
    stixId, type: row.type, value: row.value, score: d.score, tags: d.tags, malware: d.malware, sectors: d.sectors, tlp: d.tlp,
    revoked: false, firstSeen: d.firstSeen, validUntil: d.validUntil, created, modified, sources: d.sources,
  };
}

/** The final version of an IOC: `revoked: true`, so that SIEMs remove it (STIX 2.1 §3.6). */
export function revocationOf(
  row: IocStateColumns<Flag>, now: number, created: number, sources: ReadonlyArray<{ id: string; name: string }>,
): { modified: number; version: IocVersionInput } {
  const modified = Math.max(now, (row.modified ?? row.added_at) + 1);
  return {
    modified,
    version: {
      stixId: row.stix_id, type: row.type, value: row.value, score: row.score, tags: parseList(row.tags),
      malware: parseList(row.malware), sectors: parseList(row.sectors), tlp: row.tlp, revoked: true,
      firstSeen: row.first_seen, validUntil: row.valid_until, created, modified, sources,
    },
  };
}

/**
 * What a relisting observes: the live sighting seen again now. The IOC's own TLP: a relisting says nothing new about
 * markings and must not loosen them.
 */
export function relistedOf(type: IocType, value: string, firstSeen: number, confidence: number | null, reference: string | null, tlp: Tlp, now: number): Observation {
  return { type, value, confidence, reference, firstSeen, lastSeen: now, tags: [], malware: [], sectors: [], tlp };
}

/** Observations per transaction of a relisting. */
export const RELIST_BATCH = 5000;
/** Sightings of the source read at a time by relistSource: a chunk of observations, as a connector run hands over. */
export const RELIST_WINDOW = 2000;
/** A row of ioc-select.ts liveSightingsSql: type, value, first_seen, confidence, reference, tlp, then the position. */
export type RelistRow = [IocType, string, number, number | null, string | null, Tlp, number, number];

/** One chunk, as the stream of observations that upsertObservationStream takes. */
export async function* oneChunk<T>(chunk: readonly T[]): AsyncGenerator<readonly T[]> {
  yield chunk;
}
