import { parseNetwork } from './exclusions.js';
import type { IocType } from './ioc-types.js';
import { displayValue, normalize, normalizeAny } from './normalize.js';
import { bigIntToGroups, formatIpv4, formatIpv6 } from './normalize/ip.js';

/**
 * The allow-list: values an administrator says are not threats (a partner's mail server, our own CDN, a resolver a
 * feed keeps listing). Unlike the exclusions (configuration, applied before anything is stored), it is data: kept in
 * the store, changed at run time (REST, `socd allowlist`), and adding an entry revokes what it matches at once.
 *
 * Three kinds of entry, each kept canonical:
 * - `value`: one IOC value of any type, normalized as domain/normalize.ts does (so `hxxp://evil[.]com/x` and
 *   `http://EVIL.com/x` are one entry). An IP address also matches URLs and email address literals on it.
 * - `cidr`: an IPv4 or IPv6 network, normalized to its network (`10.1.2.3/8` → `10.0.0.0/8`). It matches the
 *   addresses in it, the networks that overlap it (as the exclusions judge a network IOC), URLs whose host is an
 *   address in it, and email address literals in it. At least /8 (IPv4) or /16 (IPv6): wider is a typo.
 * - `suffix`: `*.example.com`: the domain itself and every subdomain, URLs whose host is one of them, and emails
 *   at them. At least two labels (`*.com` would allow a whole TLD).
 *
 * The matcher answers per value in O(log n) for addresses (sorted disjoint ranges, one binary search) and
 * O(labels) for names (a set of suffixes walked label by label): it runs on every ingested value.
 */

export const ALLOW_KINDS = ['value', 'cidr', 'suffix'] as const;
export type AllowKind = (typeof ALLOW_KINDS)[number];

/** What an entry matches, canonical. */
export interface AllowTarget {
  kind: AllowKind;
  /** `value`: the IOC type; `cidr`: ipv4 or ipv6; `suffix`: domain. */
  type: IocType;
  /** `value`: the canonical value; `cidr`: `network/prefix`; `suffix`: the domain, without `*.`. */
  value: string;
}

/** A stored entry. Times epoch ms. */
export interface AllowEntry extends AllowTarget {
  id: number;
  reason: string;
  /** The account that added it; null when added by the CLI (`socd allowlist add`). */
  author: number | null;
  createdAt: number;
  /** After this instant the entry no longer matches; null: never expires. */
  expiresAt: number | null;
}

/** The entry as written by people: `*.example.com` for a suffix, else its value. */
export function entryText(t: AllowTarget): string {
  return t.kind === 'suffix' ? `*.${t.value}` : t.value;
}

export type ParsedAllowValue = { ok: true; target: AllowTarget } | { ok: false; why: string };

const MIN_PREFIX = { ipv4: 8, ipv6: 16 } as const;

/** Reads an entry as written (a value, a CIDR or `*.domain`); `why` says what is wrong, naming the input. */
export function parseAllowValue(raw: string): ParsedAllowValue {
  if (typeof raw !== 'string') return { ok: false, why: 'the value must be a string' };
  const text = raw.trim();
  const shown = JSON.stringify(displayValue(text));
  const bad = (why: string): ParsedAllowValue => ({ ok: false, why: `${shown}: ${why}` });
  if (text === '') return { ok: false, why: 'the value is empty: give an IOC value, a CIDR (203.0.113.0/24) or a domain suffix (*.example.com)' };
  if (text.startsWith('*.')) {
    const rest = text.slice(2);
    if (rest.includes('*')) return bad('only one leading "*." is allowed in a domain suffix');
    const d = normalize('domain', rest);
    if (!d.ok) return bad(`not a domain suffix (${d.reason})`);
    if (!d.value.includes('.')) return bad('a domain suffix needs at least two labels (*.example.com), not a whole top-level domain');
    return { ok: true, target: { kind: 'suffix', type: 'domain', value: d.value } };
  }
  if (text.includes('/') && !text.includes('://')) {
    const net = parseNetwork(text);
    const prefixText = text.slice(text.indexOf('/') + 1);
    if (!net || !/^\d{1,3}$/.test(prefixText)) return bad('not a CIDR (e.g. 203.0.113.0/24 or 2001:db8::/32)');
    const type: IocType = net.v6 ? 'ipv6' : 'ipv4';
    const prefix = Number(prefixText);
    const address = net.v6 ? formatIpv6(bigIntToGroups(net.start)) : formatIpv4(Number(net.start));
    if (prefix === (net.v6 ? 128 : 32)) return valueTarget(type, address, bad);
    if (prefix < MIN_PREFIX[type]) return bad(`a network wider than /${MIN_PREFIX[type]} is refused (it would allow a large part of the Internet)`);
    const n = normalize(type, `${address}/${prefix}`);
    if (!n.ok) return bad(`not a CIDR (${n.reason})`);
    return { ok: true, target: { kind: 'cidr', type, value: n.value } };
  }
  const n = normalizeAny(text);
  if (!n.ok) return bad(`not an IOC value, a CIDR or a domain suffix (${n.reason})`);
  return { ok: true, target: { kind: 'value', type: n.type, value: n.value } };
}

function valueTarget(type: IocType, address: string, bad: (why: string) => ParsedAllowValue): ParsedAllowValue {
  const n = normalize(type, address);
  return n.ok ? { ok: true, target: { kind: 'value', type, value: n.value } } : bad(n.reason);
}

/** Where a URL's host is: the text between `//` and the path, without user info and port; brackets kept. */
export function urlHost(url: string): string | undefined {
  const scheme = url.indexOf('://');
  if (scheme === -1) return undefined;
  let end = url.length;
  for (const c of ['/', '?', '#']) {
    const i = url.indexOf(c, scheme + 3);
    if (i !== -1 && i < end) end = i;
  }
  const authority = url.slice(scheme + 3, end);
  const host = authority.slice(authority.lastIndexOf('@') + 1);
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    return close === -1 ? undefined : host.slice(0, close + 1);
  }
  const colon = host.indexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

interface Span {
  start: bigint;
  end: bigint;
  entry: AllowEntry;
}

/** Sorted, disjoint spans: for a family of CIDRs (any two disjoint or nested), the outermost ones. */
function outermost(spans: Span[]): Span[] {
  spans.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.end > b.end ? -1 : a.end < b.end ? 1 : 0));
  const kept: Span[] = [];
  for (const s of spans) {
    const last = kept[kept.length - 1];
    if (last && s.start <= last.end) continue; // inside `last`: whatever it overlaps, `last` overlaps too
    kept.push(s);
  }
  return kept;
}

/** A matcher over the entries in force at `now`: `match(type, value)` names the entry that allows a value. */
export class AllowListMatcher {
  private readonly values = new Map<string, AllowEntry>();
  private readonly suffixes = new Map<string, AllowEntry>();
  private readonly v4: Span[];
  private readonly v6: Span[];
  /** Entries in force. */
  readonly size: number;

  constructor(entries: readonly AllowEntry[], now: number) {
    const live = entries.filter((e) => e.expiresAt === null || e.expiresAt > now);
    this.size = live.length;
    const v4: Span[] = [];
    const v6: Span[] = [];
    for (const e of live) {
      if (e.kind === 'suffix') this.suffixes.set(e.value, e);
      else if (e.kind === 'value') this.values.set(`${e.type} ${e.value}`, e);
      if (e.type === 'ipv4' || e.type === 'ipv6') {
        const net = parseNetwork(e.value);
        if (net) (net.v6 ? v6 : v4).push({ start: net.start, end: net.end, entry: e });
      }
    }
    this.v4 = outermost(v4);
    this.v6 = outermost(v6);
  }

  /** No entry in force: the gate skips the look-ups. */
  static readonly EMPTY = new AllowListMatcher([], 0);

  /** The entry that allows `value` (canonical, of `type`), or undefined. */
  match(type: IocType, value: string): AllowEntry | undefined {
    if (this.size === 0) return undefined;
    const exact = this.values.get(`${type} ${value}`);
    if (exact) return exact;
    switch (type) {
      case 'ipv4':
      case 'ipv6':
        return this.address(value);
      case 'domain':
        return this.name(value);
      case 'url': {
        const host = urlHost(value);
        return host === undefined ? undefined : this.host(host);
      }
      case 'email':
        return this.host(value.slice(value.lastIndexOf('@') + 1));
      default:
        return undefined;
    }
  }

  private host(host: string): AllowEntry | undefined {
    if (host.startsWith('[')) return this.address(host.slice(1, -1).replace(/^ipv6:/i, ''));
    if (/^[0-9.]+$/.test(host)) return this.address(host);
    return this.name(host);
  }

  private address(text: string): AllowEntry | undefined {
    const net = parseNetwork(text);
    if (!net) return undefined;
    const spans = net.v6 ? this.v6 : this.v4;
    // The first span ending at or after the start; it overlaps when it starts at or before the end.
    let lo = 0;
    let hi = spans.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (spans[mid]!.end < net.start) lo = mid + 1;
      else hi = mid;
    }
    const s = spans[lo];
    return s && s.start <= net.end ? s.entry : undefined;
  }

  private name(domain: string): AllowEntry | undefined {
    if (this.suffixes.size === 0) return undefined;
    for (let d = domain; ; ) {
      const e = this.suffixes.get(d);
      if (e) return e;
      const dot = d.indexOf('.');
      if (dot === -1) return undefined;
      d = d.slice(dot + 1);
    }
  }
}
