import { bandOf } from '../domain/confidence.js';
import type { IocType } from '../domain/ioc-types.js';
import { decayedScore, scoreOf, validUntil } from '../domain/scoring.js';
import { leastRestrictive, type Tlp } from '../domain/tlp.js';
import { parseList, unionSorted } from './merge.js';
import type { IocStatus } from './types.js';
import { DAY_MS } from '../domain/durations.js';

/** A score move of this much or more is a new STIX version even inside one band (docs/design.md §2.1). */
const SCORE_STEP = 5;
/**
 * valid_until moving to a later week is a new version; within the week it is not. Moving earlier is one only when a
 * claim of the sightings (claimCap) brings it forward.
 */
const WEEK_MS = 7 * DAY_MS;

/** The stored state of an IOC that the decision reads (both stores' rows, booleans normalized). */
export interface IocFacts {
  type: IocType;
  score: number;
  baseScore: number | null;
  firstSeen: number;
  lastSeen: number;
  tlp: Tlp;
  redistributable: boolean;
  noDecay: boolean;
  /** JSON lists as stored. */
  tags: string;
  malware: string;
  sectors: string;
  validUntil: number;
  status: IocStatus;
  versionedScore: number | null;
  versionedValidUntil: number | null;
}

/**
 * One live sighting's weight. Live: not ended by its source, and not past the end of validity its source claimed
 * (an expired claim is not evidence: each store's evidence read leaves it out).
 */
export interface LiveEvidence {
  sourceId: string;
  name: string;
  reliability: number;
  confidence: number | null;
  aggregate: boolean;
  redistributable: boolean;
  noDecay: boolean;
  /** The source's claim of when the value stops being valid (a submitted valid_until); null: none. */
  expiresAt: number | null;
}

/**
 * The latest end of validity the live sightings claim, when every one of them claims one: the IOC then stops being
 * valid once the last claim has passed, whatever the scoring model says. Undefined when any live sighting makes no
 * claim (a feed still lists it: the model alone decides), or when there is no live sighting.
 */
export function claimCap(claims: ReadonlyArray<number | null>): number | undefined {
  let cap: number | undefined;
  for (const c of claims) {
    if (c === null) return undefined;
    cap = cap === undefined ? c : Math.max(cap, c);
  }
  return cap;
}

/** The scoring model's valid_until (domain/scoring.ts validUntil), capped by the sightings' claims (claimCap). */
export function cappedValidUntil(model: number, cap: number | undefined): number {
  return cap === undefined ? model : Math.min(model, cap);
}

/** What an observation brings to an existing IOC; a relisting or a rescoring brings nothing new. */
export interface Incoming {
  tags: readonly string[];
  malware: readonly string[];
  sectors: readonly string[];
  tlp: Tlp;
  firstSeen: number;
  lastSeen: number;
}

export type Decision =
  | { kind: 'unchanged' }
  /** Delisted by every source that saw it, or aged past its validity: the final version. */
  | { kind: 'revoke'; sources: Array<{ id: string; name: string }> }
  | {
      kind: 'update';
      /** A new STIX version is due (docs/design.md §2.1: something a consumer acts on changed). */
      newVersion: boolean;
      /** It was revoked and a source lists it again: a new STIX object (revoked is final). */
      reactivated: boolean;
      score: number;
      base: number;
      noDecay: boolean;
      firstSeen: number;
      lastSeen: number;
      tlp: Tlp;
      redistributable: boolean;
      validUntil: number;
      tags: readonly string[];
      malware: readonly string[];
      sectors: readonly string[];
      /** Sectors it did not have before (their index rows are new). */
      addedSectors: string[];
      /** What the latest version records, after this decision. */
      versionedScore: number;
      versionedValidUntil: number;
      sources: Array<{ id: string; name: string }>;
    };

/**
 * The one rule both stores apply to an existing IOC: bring it in line with its live sightings, what `incoming`
 * adds and its age at `now`. `seen`: a source lists it now (a revoked IOC comes back); otherwise an IOC left without
 * live evidence, or past its valid_until, is revoked. A new STIX version only when something a consumer acts on
 * changes; ageing alone (no incoming sighting) moves the stored score continuously but versions only on a band
 * change — decay would otherwise add a dozen versions to every IOC over its life.
 */
export function decide(row: IocFacts, evidence: readonly LiveEvidence[], now: number, incoming: Incoming | undefined, seen: boolean): Decision {
  const oldTags = parseList(row.tags);
  const oldMalware = parseList(row.malware);
  const oldSectors = parseList(row.sectors);
  const tags = incoming ? unionSorted(oldTags, incoming.tags) : oldTags;
  const malware = incoming ? unionSorted(oldMalware, incoming.malware) : oldMalware;
  const sectors = incoming ? unionSorted(oldSectors, incoming.sectors) : oldSectors;
  const base = scoreOf(evidence.map((e) => ({ prior: e.reliability, confidence: e.confidence, aggregate: e.aggregate })));
  const noDecay = evidence.some((e) => e.noDecay);
  const firstSeen = incoming ? Math.min(row.firstSeen, incoming.firstSeen) : row.firstSeen;
  const lastSeen = incoming ? Math.max(row.lastSeen, incoming.lastSeen) : row.lastSeen;
  const score = decayedScore(base, row.type, lastSeen, now, noDecay);
  const tlp = incoming ? leastRestrictive(row.tlp, incoming.tlp) : row.tlp;
  const redistributable = evidence.some((e) => e.redistributable) || (row.redistributable && evidence.length === 0);
  const cap = claimCap(evidence.map((e) => e.expiresAt));
  const until = cappedValidUntil(validUntil(base, row.type, lastSeen, noDecay), cap);
  const sources = evidence.map((e) => ({ id: e.sourceId, name: e.name }));
  if (row.status === 'revoked' && !seen) return { kind: 'unchanged' };
  if (!seen && (evidence.length === 0 || now >= until)) return { kind: 'revoke', sources };
  const reactivated = row.status === 'revoked';
  const changed =
    reactivated || score !== row.score || base !== row.baseScore || firstSeen !== row.firstSeen || lastSeen !== row.lastSeen ||
    tlp !== row.tlp || redistributable !== row.redistributable || noDecay !== row.noDecay ||
    tags !== oldTags || malware !== oldMalware || sectors !== oldSectors || until !== row.validUntil;
  if (!changed) return { kind: 'unchanged' };
  const versionedScore = row.versionedScore ?? row.score;
  const versionedUntil = row.versionedValidUntil ?? row.validUntil;
  const newVersion =
    reactivated || tags !== oldTags || malware !== oldMalware || sectors !== oldSectors || tlp !== row.tlp ||
    bandOf(score) !== bandOf(versionedScore) ||
    (incoming !== undefined && Math.abs(score - versionedScore) >= SCORE_STEP) ||
    Math.floor(until / WEEK_MS) > Math.floor(versionedUntil / WEEK_MS) ||
    // A claim that ends it sooner than the latest version says: consumers must learn it, or they keep the IOC.
    (cap !== undefined && until === cap && until < versionedUntil);
  return {
    kind: 'update', newVersion, reactivated, score, base, noDecay, firstSeen, lastSeen, tlp, redistributable, validUntil: until,
    tags, malware, sectors, addedSectors: sectors.filter((s) => !oldSectors.includes(s)),
    versionedScore: newVersion ? score : versionedScore, versionedValidUntil: newVersion ? until : versionedUntil, sources,
  };
}
