/**
 * Address and network arithmetic for the look-up's containment (rest/lookup-service.ts), two index paths
 * (docs/architecture.md §5.3):
 * - a network of prefix L shorter than the bucket (/16 for IPv4, /32 for IPv6) contains an address A exactly when the
 *   canonical text `network(A, L)/L` is a stored IOC value: one exact probe per such length in use;
 * - networks of the bucket's length or longer all lie inside A's bucket, and their canonical texts all begin with the
 *   bucket's text (`bucketPrefixes`): one range scan of the networks' text index per bucket gives every candidate,
 *   and containment is then decided here, in memory. A batch of addresses costs one scan per distinct bucket instead of
 *   one probe per address and length.
 * IPv4 as a number, IPv6 as a BigInt. Input is canonical (domain/normalize.ts): an address or `network/prefix`.
 */
import type { IocType } from './ioc-types.js';
import { bigIntToGroups, formatIpv6, parseIpv4, parseIpv6 } from './normalize/ip.js';

/** A canonical address or network, as numbers: the first address and the prefix length. */
export interface Cidr {
  v6: boolean;
  /** IPv4: a number below 2^32 (as a BigInt too, for one code path in tests); IPv6: 128 bits. */
  start: bigint;
  prefix: number;
}

/** Reads a canonical ipv4/ipv6 value (`198.51.100.7`, `198.51.100.0/24`, `2001:db8::/32`); undefined if it is not one. */
export function parseCidr(type: IocType, value: string): Cidr | undefined {
  if (type !== 'ipv4' && type !== 'ipv6') return undefined;
  const slash = value.indexOf('/');
  const address = slash < 0 ? value : value.slice(0, slash);
  const bits = type === 'ipv6' ? 128 : 32;
  const prefix = slash < 0 ? bits : Number(value.slice(slash + 1));
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > bits) return undefined;
  if (type === 'ipv4') {
    const n = parseIpv4(address);
    return n.ok ? { v6: false, start: BigInt(n.value), prefix } : undefined;
  }
  const g = parseIpv6(address);
  return g.ok ? { v6: true, start: g.value.reduce((acc, x) => (acc << 16n) | BigInt(x), 0n), prefix } : undefined;
}

/** The canonical text of the network of prefix `length` that holds `start`. */
export function networkText(v6: boolean, start: bigint, length: number): string {
  if (!v6) return v4NetworkText(Number(start), length);
  const bits = 128;
  const host = BigInt(bits - length);
  const net = (start >> host) << host;
  const address = formatIpv6(bigIntToGroups(net));
  return length === bits ? address : `${address}/${length}`;
}

/** IPv4 in plain numbers (the hot path: one call per address and prefix length in use). */
function v4NetworkText(n: number, length: number): string {
  const size = 2 ** (32 - length);
  const net = n - (n % size);
  const address = `${Math.floor(net / 16_777_216)}.${Math.floor(net / 65_536) % 256}.${Math.floor(net / 256) % 256}.${net % 256}`;
  return length === 32 ? address : `${address}/${length}`;
}

/**
 * The canonical values of the networks, of the prefix lengths given, that contain `value` (an address or a network):
 * for each length shorter than its own prefix, one value, most specific (longest prefix) first.
 */
export function containingNetworks(type: IocType, value: string, lengths: readonly number[]): string[] {
  const c = parseCidr(type, value);
  if (!c) return [];
  const fitting = lengths.filter((l) => l < c.prefix).sort((a, b) => b - a);
  return fitting.map((l) => networkText(c.v6, c.start, l));
}

/** The bucket's prefix length per family: networks at least this long lie inside one bucket (bucketPrefixes). */
export const BUCKET_BITS = { ipv4: 16, ipv6: 32 } as const;

/**
 * The texts every canonical network of its bucket's length or longer inside `c`'s bucket begins with. IPv4: `a.b.`.
 * IPv6 (RFC 5952 text): `g1:g2:`, and where the first two groups are zero the compressed forms too — `g1::` when only
 * the second is zero (its zero run may be the one compressed), `::` when both are. Each text bounds a range scan
 * (textRange); a few extra candidates are harmless, containment is checked afterwards.
 */
export function bucketPrefixes(c: Cidr): string[] {
  if (!c.v6) {
    const n = Number(c.start);
    return [`${Math.floor(n / 16_777_216)}.${Math.floor(n / 65_536) % 256}.`];
  }
  const g1 = Number((c.start >> 112n) & 0xffffn).toString(16);
  const g2 = Number((c.start >> 96n) & 0xffffn).toString(16);
  const out = [`${g1}:${g2}:`];
  if (g2 === '0') out.push(g1 === '0' ? '::' : `${g1}::`);
  return out;
}

/** The half-open text range [prefix, next) holding exactly the ASCII texts that begin with `prefix`. */
export function textRange(prefix: string): [string, string] {
  return [prefix, prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1)];
}

/** Whether network `outer` contains `inner` (both canonical of one family): the brute-force check of the tests. */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  if (outer.v6 !== inner.v6 || outer.prefix > inner.prefix) return false;
  const bits = BigInt((outer.v6 ? 128 : 32) - outer.prefix);
  return outer.start >> bits === inner.start >> bits;
}

/** The parent domains of a domain, nearest first: `a.b.example.com` → `b.example.com`, `example.com` (never a lone TLD). */
export function parentDomains(domain: string): string[] {
  const out: string[] = [];
  let at = domain.indexOf('.');
  while (at >= 0) {
    const rest = domain.slice(at + 1);
    if (!rest.includes('.')) break;
    out.push(rest);
    at = domain.indexOf('.', at + 1);
  }
  return out;
}

/**
 * An address or a network as an operator writes it in a setting (`10.0.0.0/8`, `192.0.2.7`, `2001:db8::/32`, `::1`):
 * IPv4 when it has no colon. Undefined when it is neither. Host bits past the prefix are ignored.
 */
export function parseAddressRange(text: string): Cidr | undefined {
  const t = text.trim();
  return parseCidr(t.includes(':') ? 'ipv6' : 'ipv4', t);
}

/**
 * Whether a client address (as Node gives it: `127.0.0.1`, `::1`, or IPv4-mapped `::ffff:127.0.0.1`) lies in one of
 * the ranges. An address that does not parse is in none.
 */
export function addressInRanges(address: string, ranges: readonly Cidr[]): boolean {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  const a = parseAddressRange(mapped ? mapped[1]! : address);
  if (!a || a.prefix !== (a.v6 ? 128 : 32)) return false;
  return ranges.some((r) => r.v6 === a.v6 && cidrContains(r, a));
}
