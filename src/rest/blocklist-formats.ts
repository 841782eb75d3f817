import type { IocType } from '../domain/ioc-types.js';
import { parseIpv6 } from '../domain/normalize/ip.js';

/**
 * The text formats of GET /api/v1/blocklists/{type}.txt: one function per format turning a canonical value into its
 * lines, or `null` when the format cannot carry it safely (the value is skipped and counted, never emitted broken).
 * Values are attacker-written (a feed's URL may hold any printable byte), so every format checks before it writes.
 */

export const BLOCKLIST_TYPES = ['ipv4', 'ipv6', 'ip', 'domain', 'url', 'md5', 'sha1', 'sha256'] as const;
export type BlocklistType = (typeof BLOCKLIST_TYPES)[number];

export const BLOCKLIST_FORMATS = ['plain', 'paloalto', 'fortigate', 'pfblockerng', 'rpz', 'suricata'] as const;
export type BlocklistFormat = (typeof BLOCKLIST_FORMATS)[number];

/** The IOC types a blocklist type reads (`ip`: both families, merged by score). */
export function iocTypesOf(type: BlocklistType): IocType[] {
  return type === 'ip' ? ['ipv4', 'ipv6'] : [type];
}

export interface FormatOptions {
  /** Domain lists: also match every subdomain (PAN-OS, FortiGate `*.name`; RPZ `*.name CNAME .`). */
  subdomains: boolean;
  /** RPZ: the zone's name, as named.conf / unbound.conf / the Recursor's rpzFile names it. */
  zone: string;
  /** Suricata/Snort IP reputation: the category id of the categories file (1–60). */
  category: number;
  /** RPZ: the SOA serial (the data version's time in seconds: it grows with the data). */
  serial: number;
}

export interface BlocklistFormatter {
  /** The IOC types this format can list (others are a 400 before anything is read). */
  readonly types: readonly IocType[];
  /** Text before the first entry ('' for none). */
  head(o: FormatOptions): string;
  /** The lines of one value (each ending in '\n'), or null: skipped. */
  entry(type: IocType, value: string, score: number, o: FormatOptions): string | null;
}

/** Printable ASCII without space: nothing a line-oriented reader splits on, no control character, no line break. */
const PRINTABLE = /^[\x21-\x7e]+$/;
const IP_TYPES: readonly IocType[] = ['ipv4', 'ipv6'];

/** No white space, no control or format character (a bidi override would show a line other than it is); UTF-8 kept. */
const VISIBLE = /^[^\s\p{C}]+$/u;

const plain: BlocklistFormatter = {
  types: ['ipv4', 'ipv6', 'domain', 'url', 'md5', 'sha1', 'sha256'],
  head: () => '',
  entry: (_t, value) => (VISIBLE.test(value) ? `${value}\n` : null),
};

/**
 * Palo Alto Networks PAN-OS External Dynamic Lists, "Formatting Guidelines for an External Dynamic List"
 * (docs.paloaltonetworks.com, network-security/security-policy/administration/objects/external-dynamic-lists/
 * formatting-guidelines-for-an-external-dynamic-list), whose URL lists follow the guidelines for URL category
 * exception lists (advanced-url-filtering/…/url-category-exceptions):
 * - IP list: one IP (IPv4 or IPv6), IP/mask or range a line, then optionally a space and a comment;
 * - domain list: one domain a line, no `http://`/`https://` prefix; `*` and `^` are wildcard tokens (a `*` token only
 *   prepended: `*.example.com` matches its subdomains); tokens are split by `. / ? & = ; +`; each entry at most 255
 *   characters;
 * - URL list: entries without `http://`/`https://`, at most 255 characters, matched case-insensitively (values are
 *   written as they are); `*` and `^` are the same wildcard tokens, so a URL holding either would match more than it
 *   says and is skipped. The fragment (`#…`) is dropped: a client never sends it (RFC 3986 §3.5), so an entry holding
 *   one would never match.
 * One type per list: the list types match (ip lists take both families, as PAN-OS does).
 */
const PAN_MAX = 255;
const paloalto: BlocklistFormatter = {
  types: ['ipv4', 'ipv6', 'domain', 'url'],
  head: () => '',
  entry: (type, value, _score, o) => {
    if (!PRINTABLE.test(value)) return null;
    if (type === 'domain') return domainLines(value, o.subdomains, PAN_MAX, '*.');
    if (type === 'url') {
      const rest = /^https?:\/\/([^#]+)/.exec(value)?.[1];
      // ftp:// has no place in a URL filter; * and ^ would be read as wildcards.
      if (rest === undefined || /[*^]/.test(rest) || rest.length > PAN_MAX) return null;
      return `${rest}\n`;
    }
    return `${value}\n`;
  },
};

/**
 * FortiGate external threat feeds, FortiOS Administration Guide "Threat feeds" / "External resources file format"
 * (docs.fortinet.com/document/fortigate/…/administration-guide/9463): a plain text file, one entry a line —
 * IP address feeds take an IP, range or subnet; domain name feeds one domain with simple wildcards (`*.example.com`);
 * the FortiGuard category / URL list feeds one URL, `*` a wildcard at the start or end (so a URL holding `*` is
 * skipped); malware hash feeds `<hex hash> [description]` (MD5, SHA1 or SHA256; one kind a list performs best).
 * Lines starting with `#` are comments. FortiOS reads at most 10 MB or 131,072 entries a file: use `limit`.
 */
const fortigate: BlocklistFormatter = {
  types: ['ipv4', 'ipv6', 'domain', 'url', 'md5', 'sha1', 'sha256'],
  head: () => '',
  entry: (type, value, _score, o) => {
    if (!PRINTABLE.test(value)) return null;
    if (type === 'domain') return domainLines(value, o.subdomains, 511, '*.');
    if (type === 'url' && value.includes('*')) return null;
    return `${value}\n`;
  },
};

/**
 * pfBlockerNG IP and DNSBL lists and Linux IP sets (`ipset restore`-style loaders, `firehol` .netset files): one
 * address or CIDR network a line, `#` comments; DNSBL: one domain a line.
 */
const pfblockerng: BlocklistFormatter = {
  types: ['ipv4', 'ipv6', 'domain'],
  head: () => '',
  entry: (_t, value) => (PRINTABLE.test(value) ? `${value}\n` : null),
};

/**
 * A DNS Response Policy Zone (draft-vixie-dns-rpz; BIND `response-policy`, Unbound `rpz:`, PowerDNS Recursor
 * `rpzFile`/`rpzPrimary`): a zone file with SOA and NS at the apex, then one `name CNAME .` (NXDOMAIN) a blocked
 * name, relative to `$ORIGIN` (the zone). QNAME triggers for domains (`*.name CNAME .` too with `subdomains`);
 * IP triggers for addresses and networks, `prefix.reversed-address.rpz-ip` (IPv6: words reversed, the longest run of
 * zero words as `zz`). Labels are written per RFC 1035 §5.1 (any octet outside letters, digits, `-` and `_` as
 * `\DDD`), and a name whose labels pass 63 octets or whose whole name with the zone passes 255 octets is skipped.
 */
const rpz: BlocklistFormatter = {
  types: ['domain', 'ipv4', 'ipv6'],
  head: (o) =>
    `$TTL 300\n$ORIGIN ${o.zone}.\n` +
    `@ IN SOA localhost. hostmaster.localhost. ${o.serial} 3600 600 864000 300\n` +
    '@ IN NS localhost.\n',
  entry: (type, value, _score, o) => {
    if (type === 'domain') {
      const name = zoneName(value, o.zone);
      if (name === null) return null;
      const wild = o.subdomains ? zoneName(`*.${value}`, o.zone, true) : '';
      if (wild === null) return null;
      return `${name} CNAME .\n${wild ? `${wild} CNAME .\n` : ''}`;
    }
    const trigger = type === 'ipv4' ? rpzIpv4(value) : rpzIpv6(value);
    return trigger === null ? null : `${trigger}.rpz-ip CNAME .\n`;
  },
};

/**
 * Suricata IP reputation, "IP Reputation Format" (docs.suricata.io, reputation/ipreputation/ip-reputation-format):
 * `<ip>,<category>,<reputation score>` a line, IPv4 or IPv6, CIDR networks allowed; the category a number of the
 * categories file (`<id>,<short name>,<description>`, ids up to 60); the score 1–127 (0 means no data). Ours: the
 * IOC score 0–100 scaled to 1–127. Snort 3's reputation lists take the address column alone (format=plain).
 */
const suricata: BlocklistFormatter = {
  types: IP_TYPES,
  head: () => '',
  entry: (_t, value, score, o) => {
    if (!PRINTABLE.test(value) || value.includes(',')) return null;
    return `${value},${o.category},${Math.max(1, Math.min(127, Math.round((score * 127) / 100)))}\n`;
  },
};

export const FORMATTERS: Record<BlocklistFormat, BlocklistFormatter> = { plain, paloalto, fortigate, pfblockerng, rpz, suricata };

/** A domain, and its `*.` form when subdomains are wanted, each within `max` characters. */
function domainLines(value: string, subdomains: boolean, max: number, wildcard: string): string | null {
  if (value.length > max || !/^[a-z0-9._-]+$/i.test(value) || value.startsWith('.') || value.endsWith('.')) return null;
  if (!subdomains) return `${value}\n`;
  if (value.length + wildcard.length > max) return null;
  return `${value}\n${wildcard}${value}\n`;
}

/**
 * `value` as a name relative to the zone, labels escaped (RFC 1035 §5.1), or null when it cannot be a name of the
 * zone: an empty label, a label over 63 octets, or more than 255 octets on the wire with the zone appended.
 * `wildcard`: the first label is the literal `*`.
 */
export function zoneName(value: string, zone: string, wildcard = false): string | null {
  const labels = value.split('.');
  let wire = 1; // the root label
  for (const l of [...labels, ...zone.split('.')]) {
    const octets = Buffer.byteLength(l, 'utf8');
    if (octets === 0 || octets > 63) return null;
    wire += octets + 1;
  }
  if (wire > 255) return null;
  return labels.map((l, i) => (wildcard && i === 0 && l === '*' ? '*' : escapeLabel(l))).join('.');
}

/** RFC 1035 §5.1: letters, digits, `-` and `_` as they are; any other octet as `\DDD`. */
function escapeLabel(label: string): string {
  let out = '';
  for (const b of Buffer.from(label, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9_-]/.test(c) ? c : `\\${b.toString().padStart(3, '0')}`;
  }
  return out;
}

/** `198.51.100.0/24` → `24.0.100.51.198` (draft-vixie-dns-rpz §4.2); null for anything else. */
export function rpzIpv4(value: string): string | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(value);
  if (!m) return null;
  const prefix = Number(m[5] ?? 32);
  if (prefix > 32 || m.slice(1, 5).some((o) => Number(o) > 255)) return null;
  return [prefix, m[4], m[3], m[2], m[1]].join('.');
}

/** `2001:db8::1` → `128.1.zz.db8.2001` (draft-vixie-dns-rpz §4.2: words reversed, the longest zero run as zz). */
export function rpzIpv6(value: string): string | null {
  const [address, prefixText] = value.split('/');
  const prefix = prefixText === undefined ? 128 : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 128 || address === undefined) return null;
  const parsed = parseIpv6(address);
  if (!parsed.ok || parsed.value.length !== 8) return null;
  const words = parsed.value;
  // RFC 5952 §4.2.3: the longest run of two or more zero words (the first of equal runs) is the one compressed.
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j;
  }
  const parts = words.map((w) => w.toString(16));
  if (best.at >= 0) parts.splice(best.at, best.len, 'zz');
  parts.reverse();
  return [String(prefix), ...parts].join('.');
}
