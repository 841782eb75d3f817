import { type AllowEntry, AllowListMatcher, entryText } from '../../domain/allowlist.js';
import type { ExclusionRules } from '../../domain/exclusions.js';
import type { IocType } from '../../domain/ioc-types.js';
import type { AllowListStore, IngestWrites, IocReads } from '../../store/store.js';
import type { Observation, UpsertOptions, UpsertResult } from '../../store/types.js';

/**
 * The one gate between converted observations and the store: every path that writes IOCs (the feed runner,
 * `socd import`, submissions: pipeline/submission.ts) goes through `writeObservations`, which applies the
 * exclusion rules, then the allow-list, before the store sees a value. Nothing else calls the store's write methods
 * (test/connectors/exclusions-on-write.test.ts checks it), so a new write path cannot forget either.
 */

/** Observations in input order, each with the line or record it came from (`lines[i]` for `observations[i]`). */
export interface ObservationChunk {
  observations: readonly Observation[];
  lines: readonly number[];
}

/** A value the exclusion rules refused: reported like a rejected line, counted apart. */
export interface ExcludedValue {
  line: number;
  type: IocType;
  value: string;
  /** `"<value>: <why>"`. */
  reason: string;
  /** The allow-list entry that held it back (allow-listed values only). */
  entry?: AllowEntry;
}

/** What the gate asks of the allow-list: the entry that allows a value (domain/allowlist.ts AllowListMatcher). */
export interface AllowRules {
  match(type: IocType, value: string): AllowEntry | undefined;
}

/** Every allow-list entry, expired ones included, in the order they were added (a few pages of 1,000). */
export async function allAllowEntries(store: AllowListStore): Promise<AllowEntry[]> {
  const entries: AllowEntry[] = [];
  for (let after: number | undefined; ; ) {
    const page = await store.listAllowEntries({ ...(after !== undefined ? { after } : {}), limit: 1000 });
    entries.push(...page.items);
    if (page.next === null) return entries;
    after = page.next;
  }
}

/**
 * The allow-list in force at `now`, read whole from the store (it is small): loaded at the start of each run and
 * import, so an administrator's change takes effect at the next run, on every node.
 */
export async function loadAllowList(store: AllowListStore, now: number): Promise<AllowListMatcher> {
  const entries = await allAllowEntries(store);
  return entries.length ? new AllowListMatcher(entries, now) : AllowListMatcher.EMPTY;
}

/** The reason given for a value the allow-list holds back: `"<value>: excluded by allow-list: <entry>"`. */
export function allowlistReason(value: string, entry: AllowEntry): string {
  return `${value}: excluded by allow-list: ${entryText(entry)}`;
}

export interface WriteOptions extends UpsertOptions {
  exclusions: ExclusionRules;
  /** Applied after the exclusions; absent: nothing is allow-listed. */
  allowlist?: AllowRules;
  /** Told of each value the allow-list held back (reason `"<value>: excluded by allow-list: <entry>"`). */
  onAllowlisted?: (e: ExcludedValue) => void;
  /** Observations per transaction. */
  batchSize: number;
  clock?: () => number;
  onCommit?: (total: Readonly<UpsertResult>) => void;
  onExcluded?: (e: ExcludedValue) => void;
}

export interface WriteResult extends UpsertResult {
  excluded: number;
  /** Held back by the allow-list. */
  allowlisted: number;
  /** Held-back values found active all the same (written by a run that began before their entry), revoked now. */
  allowlistRevoked: number;
}

/** What the gate writes to, and reads to revoke held-back values found active. */
export type GateStore = IngestWrites & Pick<IocReads, 'queryIocs'>;

/** Distinct held-back values checked for an active IOC per write (each is one indexed look-up). */
const MAX_HELD_CHECKS = 10_000;

/**
 * Drops the excluded observations of one chunk, reporting each; returns what may be stored. An address of shared
 * infrastructure (a CDN or a hosting platform) is context, not an IOC: the other values of its record (the URL,
 * the domain) are kept and tagged `hosted-on:<provider>`.
 */
export function admit(
  chunk: ObservationChunk,
  rules: ExclusionRules,
  onExcluded: (e: ExcludedValue) => void,
  allow?: { rules: AllowRules; onAllowlisted: (e: ExcludedValue) => void },
): Observation[] {
  const verdicts = chunk.observations.map((o) => rules.judge(o.type, o.value));
  let hostedOn: Map<number, string[]> | undefined;
  verdicts.forEach((v, i) => {
    if (v?.kind !== 'cdn') return;
    const line = chunk.lines[i] ?? 0;
    hostedOn ??= new Map();
    const tags = hostedOn.get(line) ?? [];
    const tag = `hosted-on:${v.provider}`;
    if (!tags.includes(tag)) tags.push(tag);
    hostedOn.set(line, tags);
  });
  const kept: Observation[] = [];
  chunk.observations.forEach((o, i) => {
    const why = verdicts[i];
    const line = chunk.lines[i] ?? 0;
    if (why !== undefined) {
      onExcluded({ line, type: o.type, value: o.value, reason: why.reason });
      return;
    }
    const allowed = allow?.rules.match(o.type, o.value);
    if (allowed) {
      allow!.onAllowlisted({ line, type: o.type, value: o.value, reason: allowlistReason(o.value, allowed), entry: allowed });
      return;
    }
    const context = hostedOn?.get(line)?.filter((t) => !o.tags.includes(t));
    kept.push(context?.length ? { ...o, tags: [...o.tags, ...context] } : o);
  });
  return kept;
}

/** Stores a stream of observation chunks, one transaction per `batchSize`, minus the excluded and allow-listed values. */
export async function writeObservations(
  store: GateStore,
  source: string,
  chunks: AsyncIterable<ObservationChunk>,
  opts: WriteOptions,
): Promise<WriteResult> {
  let excluded = 0;
  const onExcluded = (e: ExcludedValue) => {
    excluded++;
    opts.onExcluded?.(e);
  };
  let allowlisted = 0;
  const held = new Map<string, { type: IocType; value: string }>();
  const allow = opts.allowlist && {
    rules: opts.allowlist,
    onAllowlisted: (e: ExcludedValue) => {
      allowlisted++;
      if (held.size < MAX_HELD_CHECKS) held.set(`${e.type} ${e.value}`, { type: e.type, value: e.value });
      opts.onAllowlisted?.(e);
    },
  };
  async function* admitted(): AsyncGenerator<readonly Observation[]> {
    for await (const chunk of chunks) yield admit(chunk, opts.exclusions, onExcluded, allow);
  }
  const { exclusions: _rules, onExcluded: _report, allowlist: _allow, onAllowlisted: _told, ...upsert } = opts;
  const total = await store.upsertObservationStream(source, admitted(), upsert);
  // Adding an entry revokes what it matches, but a run that began before it may have written a value since: what
  // this write held back and finds active is revoked now, so no race leaves an allowed value served.
  const ids: string[] = [];
  for (const { type, value } of held.values()) {
    const [ioc] = (await store.queryIocs({ status: 'active', types: [type], value, limit: 1 })).items;
    if (ioc) ids.push(ioc.id);
  }
  const allowlistRevoked = ids.length ? await store.revokeIocs(ids, (opts.clock ?? Date.now)()) : 0;
  return { ...total, excluded, allowlisted, allowlistRevoked };
}
