import { setImmediate as turn } from 'node:timers/promises';
import { loadAllowList } from '../connectors/pipeline/write-observations.js';
import type { AllowListMatcher } from '../domain/allowlist.js';
import { entryText } from '../domain/allowlist.js';
import { bandOf } from '../domain/confidence.js';
import { extractValues } from '../domain/extract.js';
import type { IocType } from '../domain/ioc-types.js';
import { isoMs } from '../domain/iso-time.js';
import { displayValue, normalizeAny } from '../domain/normalize.js';
import { Containment, type Key } from './lookup-containment.js';
import type { LimitTier } from '../domain/plans.js';
import { InvalidParameterError, TooLargeError } from '../errors/app-error.js';
import type { AllowListStore, IocLookup } from '../store/store.js';
import type { IocMatch } from '../store/types.js';

export const VERDICTS = ['listed', 'listed-network', 'listed-host', 'allowlisted', 'revoked', 'unknown'] as const;
export type Verdict = (typeof VERDICTS)[number];

/** Values per store round trip; the event loop gets a turn between chunks. */
const CHUNK = 500;
/** Chunks asked of the store ahead of the one being judged. */
const AHEAD = 3;


/** What a look-up answers per value (snake_case, as the REST API). */
export interface LookupResult {
  input: string;
  type: IocType;
  value: string;
  verdict: Verdict;
  /** listed-network / listed-host: the stored network or host (domain, parent domain, address) that matched. */
  matched?: Key;
  /** The STIX ids of the matching IOCs, the deciding one first (revoked: the revoked IOC). */
  ioc_ids: string[];
  score?: number;
  confidence?: string;
  tlp?: string;
  tags?: string[];
  malware?: string[];
  sectors?: string[];
  sources?: Array<{ source: string; first_seen: string; last_seen: string; ended_at: string | null }>;
  allowlist_entry?: { id: number; value: string; reason: string };
}

export interface Rejected {
  input: string;
  reason: string;
}

/**
 * The look-up (GET/POST /api/v1/lookup): values or free text → a verdict per value. Order of verdicts: allowlisted
 * (the allow-list matcher) > listed (the active IOC itself) > listed-network (an address inside a stored active
 * network, the longest prefix wins) / listed-host (a URL on a listed host, a domain or a URL or an email under a
 * listed parent domain, the most specific wins) > revoked (the IOC exists but is revoked) > unknown. Containment is
 * exact look-ups only (domain/network.ts). No HTTP here.
 */
export class LookupService {
  constructor(
    private readonly store: IocLookup & AllowListStore,
    private readonly plans: Readonly<Record<LimitTier, { lookupBatch: number }>>,
    private readonly clock: () => number = Date.now,
  ) {}

  /** GET /api/v1/lookup?value=V: one value; a 400 when it is missing or is no IOC value. */
  async lookupOne(raw: unknown): Promise<LookupResult> {
    if (typeof raw !== 'string' || raw.trim() === '') throw new InvalidParameterError('value', 'give one value to look up: ?value=185.220.101.5');
    const n = normalizeAny(raw);
    if (!n.ok) throw new InvalidParameterError('value', n.reason);
    const [result] = await this.resolve([{ input: raw, type: n.type, value: n.value }]);
    return result!;
  }

  /** POST /api/v1/lookup: a JSON array of values (`json`) or free text (`text`), at most the plan's batch size. */
  async lookupMany(body: { json: unknown } | { text: string }, plan: LimitTier): Promise<{ data: LookupResult[]; rejected: Rejected[]; limit: number }> {
    const limit = this.plans[plan].lookupBatch;
    const entries: Array<Key & { input: string }> = [];
    const rejected: Rejected[] = [];
    if ('text' in body) {
      const found = extractValues(body.text, limit + 1);
      if (found.length > limit) throw tooMany(limit, plan, 'more than that many values were found in the text');
      for (const f of found) entries.push({ input: f.value, ...f });
    } else {
      if (!Array.isArray(body.json)) throw new InvalidParameterError('body', 'expected a JSON array of values (strings), or free text as text/plain');
      if (body.json.length > limit) throw tooMany(limit, plan, `the array has ${body.json.length} values`);
      const seen = new Set<string>();
      for (const v of body.json as unknown[]) {
        if (typeof v !== 'string') {
          rejected.push({ input: JSON.stringify(v)?.slice(0, 80) ?? String(v), reason: 'not a string' });
          continue;
        }
        const n = normalizeAny(v);
        if (!n.ok) {
          rejected.push({ input: displayValue(v), reason: n.reason });
          continue;
        }
        const id = `${n.type} ${n.value}`;
        if (seen.has(id)) continue;
        seen.add(id);
        entries.push({ input: v, type: n.type, value: n.value });
      }
    }
    return { data: await this.resolve(entries), rejected, limit };
  }

  private async resolve(entries: ReadonlyArray<Key & { input: string }>): Promise<LookupResult[]> {
    if (entries.length === 0) return [];
    const allow = await loadAllowList(this.store, this.clock());
    const containment = await Containment.of(this.store, entries);
    // Chunks of CHUNK values, up to AHEAD of them asked before the one being judged: a pooled store (PostgreSQL)
    // answers them on several connections while this one is judged; the event loop gets a turn between chunks.
    const fetch = async (at: number) => {
      const chunk = entries.slice(at, at + CHUNK);
      await containment.load(chunk);
      const plan = chunk.map((e) => ({ e, wider: containment.widerKeys(e) }));
      const keys: Key[] = [];
      for (const p of plan) keys.push(p.e, ...p.wider);
      return { plan, found: new Found(await this.store.lookupValues(keys)) };
    };
    const out: LookupResult[] = [];
    const pending: Array<ReturnType<typeof fetch>> = [];
    let asked = 0;
    const ask = () => {
      while (pending.length < AHEAD && asked < entries.length) {
        const next = fetch(asked);
        next.catch(() => {}); // awaited in order below; not an unhandled rejection meanwhile
        pending.push(next);
        asked += CHUNK;
      }
    };
    ask();
    while (pending.length > 0) {
      const current = await pending.shift()!;
      ask();
      for (const p of current.plan) out.push(verdictOf(p.e, p.wider, current.found, allow));
      if (pending.length > 0) await turn();
    }
    return out;
  }
}

/** The IOCs a chunk found, by type then value (no key strings built per probe). */
class Found {
  private readonly byType = new Map<IocType, Map<string, IocMatch>>();
  constructor(iocs: readonly IocMatch[]) {
    for (const ioc of iocs) {
      let m = this.byType.get(ioc.type);
      if (!m) this.byType.set(ioc.type, (m = new Map()));
      m.set(ioc.value, ioc);
    }
  }

  get(k: Key): IocMatch | undefined {
    return this.byType.get(k.type)?.get(k.value);
  }
}

function tooMany(limit: number, plan: LimitTier, what: string): TooLargeError {
  const who = plan === 'admin' ? 'for accounts with the admin role' : `on the ${plan} plan`;
  return new TooLargeError(`a look-up takes at most ${limit} values ${who}; ${what}: split the batch`, { limit, plan });
}

function verdictOf(e: Key & { input: string }, wider: readonly Key[], found: Found, allow: AllowListMatcher): LookupResult {
  const entry = allow.match(e.type, e.value);
  if (entry) {
    const r = result(e, 'allowlisted', []);
    r.allowlist_entry = { id: entry.id, value: entryText(entry), reason: entry.reason };
    return r;
  }
  const self = found.get(e);
  if (self?.status === 'active') return described(result(e, 'listed', [self.id]), self);
  let best: IocMatch | undefined;
  let ids: string[] | undefined;
  for (const k of wider) {
    const ioc = found.get(k);
    if (ioc?.status !== 'active') continue;
    if (best) ids!.push(ioc.id);
    else [best, ids] = [ioc, [ioc.id]];
  }
  if (best) {
    const r = result(e, e.type === 'ipv4' || e.type === 'ipv6' ? 'listed-network' : 'listed-host', ids!);
    r.matched = { type: best.type, value: best.value };
    return described(r, best);
  }
  if (self) return result(e, 'revoked', [self.id]);
  return result(e, 'unknown', []);
}

/** A result's fixed fields, in the order the answer lists them. */
function result(e: Key & { input: string }, verdict: Verdict, ids: string[]): LookupResult {
  return { input: e.input, type: e.type, value: e.value, verdict, ioc_ids: ids };
}

/** The deciding IOC's details on a result. */
function described(r: LookupResult, ioc: IocMatch): LookupResult {
  r.score = ioc.score;
  r.confidence = bandOf(ioc.score);
  r.tlp = ioc.tlp;
  r.tags = ioc.tags;
  r.malware = ioc.malware;
  r.sectors = ioc.sectors;
  r.sources = ioc.sightings.map((s) => ({
    source: s.source, first_seen: isoMs(s.firstSeen), last_seen: isoMs(s.lastSeen), ended_at: s.endedAt === null ? null : isoMs(s.endedAt),
  }));
  return r;
}
