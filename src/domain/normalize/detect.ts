/** Which IOC type a bare value looks like, by shape only. */
import type { IocType } from '../ioc-types.js';
import { splitPrefix } from './ip.js';

const HASH_BY_LENGTH: ReadonlyMap<number, IocType> = new Map<number, IocType>([
  [32, 'md5'],
  [40, 'sha1'],
  [64, 'sha256'],
]);

/** Order matters: a 32-hex string is a hash, not a domain; anything with scheme:// is a URL. */
export function detectPrepared(v: string): IocType | undefined {
  if (/^CVE-[0-9]+-[0-9]+$/i.test(v)) return 'cve';
  if (/^[0-9a-f]+$/i.test(v) && HASH_BY_LENGTH.has(v.length)) return HASH_BY_LENGTH.get(v.length);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) return 'url';
  if (v.includes('@')) return 'email';
  if (looksLikeIpv4(v) || looksLikeIpv4(hostOfHostPort(v))) return 'ipv4';
  if (looksLikeIpv6(v)) return 'ipv6';
  if (/[.\u3002\uff0e\uff61]/.test(v)) return 'domain';
  return undefined;
}

/** `a.b.c.d:443` → `a.b.c.d` (one ":" followed by digits); anything else unchanged. */
function hostOfHostPort(v: string): string {
  const colon = v.indexOf(':');
  return colon > 0 && v.indexOf(':', colon + 1) < 0 && /^[0-9]+$/.test(v.slice(colon + 1)) ? v.slice(0, colon) : v;
}

/** Dotted numbers, including the hex/short forms we reject, so they get an IPv4-specific reason. */
function looksLikeIpv4(v: string): boolean {
  const labels = splitPrefix(v).address.split('.');
  return labels.length >= 2 && labels.some((l) => l !== '') && labels.every((l) => /^(0x[0-9a-f]*|[0-9]*)$/i.test(l));
}

/** Hex, colons and dots with at least two colons, optionally bracketed (then maybe with a port), zoned or with a prefix. */
function looksLikeIpv6(v: string): boolean {
  const cut = v.search(/[%/]/);
  let s = cut >= 0 ? v.slice(0, cut) : v;
  if (s.startsWith('[')) s = s.slice(1).replace(/\]:[0-9]+$/, ']');
  if (s.endsWith(']')) s = s.slice(0, -1);
  return /^[0-9a-f:.]+$/i.test(s) && s.indexOf(':') !== s.lastIndexOf(':');
}
