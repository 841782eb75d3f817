import type { IocType } from '../../domain/ioc-types.js';
import { detectType, normalize, normalizeAny } from '../../domain/normalize.js';
import { sectorOf } from '../../domain/sector-names.js';
import type { SectorRules } from '../../domain/sector-rules.js';
import { parseTlp, type Tlp } from '../../domain/tlp.js';
import type { Observation } from '../../store/types.js';
import { labels, type RecordItem, type SourceRecord, typeOf } from '../formats/record.js';
import type { RecordDefaults } from '../catalog/source-definition.js';

export interface Converted {
  observations: Observation[];
  /** Values that failed normalization, with the reason. */
  rejected: string[];
}

const union = (a: readonly string[], b: readonly string[] | undefined): string[] => {
  if (!b || b.length === 0) return a as string[];
  const out = [...a];
  for (const x of b) if (!out.includes(x)) out.push(x);
  return out;
};

/**
 * An IP column holds both families (PhishStats, ViriBack and C2-Tracker publish IPv6 addresses where they declare
 * IPv4): a value declared `ipv4` or `ipv6` takes the family it has; anything else keeps the declared type, so that a
 * value that is no address is rejected with that type's reason.
 */
export function ipFamily(declared: IocType | undefined, value: string): IocType | undefined {
  if (declared !== 'ipv4' && declared !== 'ipv6') return declared;
  const detected = detectType(value);
  return detected === 'ipv4' || detected === 'ipv6' ? detected : declared;
}

/** Where feeds and file imports differ on the way from a record to observations. */
export interface ConvertPolicy {
  /** A declared IP family gives way to the one the value has (feeds: see ipFamily); a file's type is taken at its word. */
  ipFamily: boolean;
  /** Times after `now` are brought back to it (a feed's clock runs ahead); a file's times are kept as written. */
  clampToNow: boolean;
  /** The TLP of a record that carries none (a file import's `--tlp`); feeds leave it to the source. */
  tlp?: Tlp | null | undefined;
}

export const FEED_POLICY: ConvertPolicy = { ipFamily: true, clampToNow: true };

/**
 * The one converter (issue 14): a record of any source, feed or file → normalized observations: type resolution,
 * normalization, sectors (names, defaults, rules), defaults, and the time rules (UTC, no date → the run's time,
 * never in the future for a feed). The exclusions apply where every write path meets the store
 * (write-observations.ts).
 */
export class RecordConverter {
  constructor(
    private readonly defaults: RecordDefaults,
    private readonly rules: SectorRules,
    private readonly now: number,
    private readonly policy: ConvertPolicy = FEED_POLICY,
  ) {}

  convert(r: SourceRecord): Converted {
    const out: Converted = { observations: [], rejected: [] };
    const tags = labels(union(r.tags, this.defaults.tags));
    const malware = labels(union(r.malware, this.defaults.malware));
    const sectors: string[] = [];
    for (const name of [...r.sectors, ...(this.defaults.sectors ?? [])]) {
      const s = sectorOf(name);
      if (s && !sectors.includes(s)) sectors.push(s);
    }
    for (const s of this.rules.sectorsFor(malware, tags)) if (!sectors.includes(s)) sectors.push(s);
    const clamp = (t: number | undefined) => (t === undefined || !this.policy.clampToNow ? t : Math.min(t, this.now));
    const lastKnown = clamp(r.lastSeen);
    const firstSeen = clamp(r.firstSeen) ?? lastKnown ?? this.now;
    const lastSeen = Math.max(lastKnown ?? this.now, firstSeen);
    const tlp = r.tlp === undefined ? (this.policy.tlp ?? null) : (parseTlp(r.tlp) ?? null);
    const confidence = r.confidence ?? this.defaults.confidence ?? null;
    for (const v of r.values) {
      const declared = v.type ?? (r.typeName !== undefined ? typeOf(r.typeName, v.value, this.defaults.type) : this.defaults.type);
      if (declared === 'invalid') {
        out.rejected.push(`${v.value.slice(0, 80)}: unknown type ${JSON.stringify(r.typeName?.slice(0, 40))}`);
        continue;
      }
      const type = this.policy.ipFamily ? ipFamily(declared, v.value) : declared;
      const n = type === undefined ? normalizeAny(v.value) : normalize(type, v.value);
      if (!n.ok) {
        out.rejected.push(n.reason);
        continue;
      }
      out.observations.push({
        type: n.type, value: n.value, confidence, tags, malware, sectors, tlp, firstSeen, lastSeen,
        reference: r.reference?.slice(0, 2048) ?? null,
      });
    }
    return out;
  }
}

/** What one item of any format comes to: skipped (counted as read or not), or read, with its observations and problems. */
export type ItemOutcome =
  | { skipped: string; read: boolean }
  | { skipped?: undefined; read: true; line: number; observations: Observation[]; problems: Array<{ line: number; reason: string }> };

/**
 * The one step every item takes, feed or file: a skip is counted by kind, an unreadable record is a problem at its
 * line, a record past its source's end of validity is read but skipped as `expired`, and a record is converted
 * (each value that fails normalization a problem at the record's line).
 */
export function convertItem(item: RecordItem, converter: RecordConverter, now: number): ItemOutcome {
  if ('skipped' in item) return { skipped: item.skipped, read: false };
  if ('problem' in item) return { read: true, line: item.problem.line, observations: [], problems: [item.problem] };
  const { line } = item.record;
  if (item.record.expires !== undefined && item.record.expires <= now) return { skipped: 'expired', read: true };
  const c = converter.convert(item.record);
  return { read: true, line, observations: c.observations, problems: c.rejected.map((reason) => ({ line, reason })) };
}
