import { CDN_PROVIDERS, type CdnProvider, RangeTable } from './cdn-ranges.js';
import type { IocType } from './ioc-types.js';

/**
 * Values never stored, whatever a source says (docs/sources.md §7): addresses that are not
 * public (private, reserved, bogon), the public resolvers, a short list of top domains whose blocking would cut
 * an organisation off, and the hashes of the empty file. Applied to every write of observations (feeds, `socd
 * import`, any later API) by the one gate in front of the store, connectors/pipeline/write-observations.ts; configurable
 * (config `exclusions`).
 */
export interface ExclusionConfig {
  /** Extra networks (CIDR or address, IPv4 or IPv6) never stored. */
  networks?: readonly string[];
  /** Extra domains never stored as domain IOCs, nor any subdomain of them. */
  domains?: readonly string[];
  /** Exact values (any type, canonical spelling) never stored. */
  values?: readonly string[];
  /**
   * The built-in resolver and top-domain lists (default true). Reserved ranges and the empty file's hashes are
   * always excluded.
   */
  builtins?: boolean;
  /** The built-in CDN and shared-hosting ranges (cdn-ranges.ts); default: as `builtins`. */
  cdn?: boolean;
}

/** Why a value is not stored: `reason` reads `"<value>: <why>"`, like a normalization rejection. */
export type Exclusion =
  | { reason: string; kind: 'configured' | 'reserved' | 'not-global' | 'network' | 'top-domain' | 'empty-file' }
  /** An address of shared infrastructure: context for the URL or domain beside it (`provider` is its slug). */
  | { reason: string; kind: 'cdn'; provider: string };

/** What the write path needs of the exclusion rules (tests of parsing alone may pass rules that exclude nothing). */
export interface ExclusionRules {
  /** Why `value` (canonical, of `type`) must not be stored, or undefined when it may be. */
  judge(type: IocType, value: string): Exclusion | undefined;
}

/**
 * The hashes of the empty (zero-byte) file: every sandbox and scanner reports them, no file they name is malware,
 * and an IOC on them matches every empty file on every endpoint. Always excluded, like the reserved ranges.
 */
export const EMPTY_FILE_HASHES: Readonly<Record<'md5' | 'sha1' | 'sha256', string>> = {
  md5: 'd41d8cd98f00b204e9800998ecf8427e',
  sha1: 'da39a3ee5e6b4b0d3255bfef95601890afd80709',
  sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
};

/** IANA special-purpose IPv4 ranges (RFC 6890 and successors) and the other bogons of Team Cymru's list. */
const RESERVED_V4 = [
  '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.0.0.0/24',
  '192.0.2.0/24', '192.88.99.0/24', '192.168.0.0/16', '198.18.0.0/15', '198.51.100.0/24', '203.0.113.0/24',
  '224.0.0.0/4', '240.0.0.0/4',
];
/** Outside 2000::/3 nothing is global unicast; inside it, these are documentation or protocol space. */
const RESERVED_V6 = ['2001:db8::/32', '3fff::/20', '2001::/23', '2002::/16'];
const GLOBAL_V6 = '2000::/3';

/** Public DNS resolvers (Google, Cloudflare, Quad9, OpenDNS, AdGuard, Control D, CleanBrowsing, Level3, Comodo). */
export const RESOLVERS = [
  '8.8.8.8', '8.8.4.4', '1.1.1.1', '1.0.0.1', '1.1.1.2', '1.0.0.2', '1.1.1.3', '1.0.0.3', '9.9.9.9', '149.112.112.112',
  '9.9.9.10', '149.112.112.10', '9.9.9.11', '149.112.112.11', '208.67.222.222', '208.67.220.220', '208.67.222.123',
  '208.67.220.123', '94.140.14.14', '94.140.15.15', '76.76.2.0', '76.76.10.0', '185.228.168.9', '185.228.169.9',
  '4.2.2.1', '4.2.2.2', '4.2.2.3', '4.2.2.4', '4.2.2.5', '4.2.2.6', '8.26.56.26', '8.20.247.20', '64.6.64.6', '64.6.65.6',
  '2001:4860:4860::8888', '2001:4860:4860::8844', '2606:4700:4700::1111', '2606:4700:4700::1001', '2620:fe::fe',
  '2620:fe::9', '2620:119:35::35', '2620:119:53::53', '2a10:50c0::ad1:ff', '2a10:50c0::ad2:ff',
];

/** Domains (and their subdomains) never listed as domain IOCs: URLs on them are kept, the domain is not. */
export const TOP_DOMAINS = [
  'google.com', 'googleapis.com', 'gstatic.com', 'googleusercontent.com', 'youtube.com', 'gmail.com', 'facebook.com',
  'fbcdn.net', 'instagram.com', 'whatsapp.com', 'whatsapp.net', 'microsoft.com', 'microsoftonline.com', 'live.com',
  'office.com', 'office365.com', 'outlook.com', 'windows.net', 'windowsupdate.com', 'azure.com', 'azureedge.net',
  'bing.com', 'msn.com', 'apple.com', 'icloud.com', 'amazon.com', 'amazonaws.com', 'cloudfront.net', 'cloudflare.com',
  'akamai.net', 'akamaihd.net', 'akamaiedge.net', 'fastly.net', 'github.com', 'githubusercontent.com', 'gitlab.com',
  'twitter.com', 'x.com', 't.co', 'linkedin.com', 'wikipedia.org', 'yahoo.com', 'baidu.com', 'yandex.ru', 'netflix.com',
  'adobe.com', 'dropbox.com', 'zoom.us', 'salesforce.com', 'paypal.com', 'ebay.com', 'reddit.com', 'tiktok.com',
  'mozilla.org', 'digicert.com', 'letsencrypt.org', 'ntp.org', 'root-servers.net', 'office.net', 'sharepoint.com',
  'slack.com', 'okta.com', 'docker.com', 'npmjs.org', 'pypi.org',
];

interface Net {
  v6: boolean;
  start: bigint;
  end: bigint;
}

function parseV4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = (n << 8n) | BigInt(Number(p));
  }
  return n;
}

function parseV6(text: string): bigint | undefined {
  let head = text;
  let tail4: bigint | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    tail4 = parseV4(text.slice(lastColon + 1));
    if (tail4 === undefined) return undefined;
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const left = groups(halves[0]!);
  const right = halves.length === 2 ? groups(halves[1]!) : [];
  const fill = 8 - left.length - right.length;
  if (fill < 0 || (halves.length === 1 && fill !== 0)) return undefined;
  let n = 0n;
  for (const g of [...left, ...Array<string>(halves.length === 2 ? fill : 0).fill('0'), ...right]) {
    if (!/^[0-9a-f]{1,4}$/i.test(g)) return undefined;
    n = (n << 16n) | BigInt(parseInt(g, 16));
  }
  return tail4 === undefined ? n : (n & ~0xffffffffn) | tail4;
}

/** `a.b.c.d`, `a.b.c.d/n`, an IPv6 address or CIDR → its range; undefined when unreadable. */
export function parseNetwork(text: string): Net | undefined {
  const [addr, prefixText] = text.split('/', 2) as [string, string | undefined];
  const v6 = addr.includes(':');
  const bits = v6 ? 128 : 32;
  const start = v6 ? parseV6(addr) : parseV4(addr);
  if (start === undefined) return undefined;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > bits) return undefined;
  const size = 1n << BigInt(bits - prefix);
  const base = (start / size) * size;
  return { v6, start: base, end: base + size - 1n };
}

/** A canonical IPv4 address or CIDR → [first, last] as numbers (the hot path of exclusion checks). */
function v4Range(text: string): [number, number] | undefined {
  const slash = text.indexOf('/');
  const addr = slash === -1 ? text : text.slice(0, slash);
  const parts = addr.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    const b = Number(p);
    if (!Number.isInteger(b) || b < 0 || b > 255 || p === '') return undefined;
    n = n * 256 + b;
  }
  const prefix = slash === -1 ? 32 : Number(text.slice(slash + 1));
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) return undefined;
  const size = 2 ** (32 - prefix);
  const start = Math.floor(n / size) * size;
  return [start, start + size - 1];
}

const overlaps = (a: Net, b: Net) => a.v6 === b.v6 && a.start <= b.end && b.start <= a.end;

let cdnTable: RangeTable<CdnProvider> | undefined;
/** The built-in CDN ranges as one sorted table, built on first use and shared. */
function builtinCdnTable(): RangeTable<CdnProvider> {
  cdnTable ??= new RangeTable(CDN_PROVIDERS.flatMap((p) => p.cidrs.map((text) => {
    const range = parseNetwork(text);
    if (!range) throw new Error(`cdn-ranges: ${text} (${p.name}) is not a CIDR`);
    return { range, label: p, text };
  })));
  return cdnTable;
}

export class Exclusions implements ExclusionRules {
  private readonly reserved: Net[];
  private readonly global6 = parseNetwork(GLOBAL_V6)!;
  private readonly blocked: Net[];
  private readonly domains: Set<string>;
  private readonly values: Set<string>;
  // IPv4 checks in plain numbers: they run once per ingested address.
  private readonly reserved4: Array<[number, number]>;
  private readonly blocked4: Array<[number, number]>;
  private readonly cdn: RangeTable<CdnProvider> | undefined;

  constructor(config: ExclusionConfig = {}) {
    const nets = (list: readonly string[]) => list.map((t) => {
      const n = parseNetwork(t.trim());
      if (!n) throw new Error(`exclusions: ${JSON.stringify(t)} is not an IP address or CIDR`);
      return n;
    });
    const builtins = config.builtins ?? true;
    this.reserved = nets([...RESERVED_V4, ...RESERVED_V6]);
    this.blocked = nets([...(builtins ? RESOLVERS : []), ...(config.networks ?? [])]);
    this.domains = new Set([...(builtins ? TOP_DOMAINS : []), ...(config.domains ?? [])].map((d) => d.trim().toLowerCase()));
    this.values = new Set(config.values ?? []);
    const v4 = (list: Net[]) => list.filter((n) => !n.v6).map((n): [number, number] => [Number(n.start), Number(n.end)]);
    this.reserved4 = v4(this.reserved);
    this.blocked4 = v4(this.blocked);
    this.cdn = (config.cdn ?? builtins) ? builtinCdnTable() : undefined;
  }

  /** Why `value` (canonical, of `type`) must not be stored, or undefined when it may be. */
  reason(type: IocType, value: string): string | undefined {
    return this.judge(type, value)?.reason;
  }

  judge(type: IocType, value: string): Exclusion | undefined {
    const out = (kind: Exclude<Exclusion['kind'], 'cdn'>, why: string): Exclusion => ({ kind, reason: `${value}: ${why}` });
    const shared = (p: CdnProvider | undefined): Exclusion | undefined =>
      p && { kind: 'cdn', provider: p.slug, reason: `${value}: CDN/shared hosting range (${p.name})` };
    if (this.values.has(value)) return out('configured', 'excluded by configuration');
    if (type === 'ipv4') {
      const r = v4Range(value);
      if (!r) return undefined;
      if (this.reserved4.some(([s, e]) => s <= r[1] && r[0] <= e)) return out('reserved', 'private, reserved or bogon address space');
      if (this.blocked4.some(([s, e]) => s <= r[1] && r[0] <= e)) return out('network', 'a public resolver or an excluded network');
      return shared(this.cdn?.findV4(r[0], r[1]));
    }
    if (type === 'ipv6') {
      // IPv4-mapped IPv6 addresses are judged by their IPv4 part.
      const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(value)?.[1];
      const net = parseNetwork(mapped ?? value);
      if (!net) return undefined;
      if (net.v6 && !(net.start >= this.global6.start && net.end <= this.global6.end)) return out('not-global', 'not a global unicast address');
      if (this.reserved.some((r) => overlaps(r, net))) return out('reserved', 'private, reserved or bogon address space');
      if (this.blocked.some((r) => overlaps(r, net))) return out('network', 'a public resolver or an excluded network');
      return shared(net.v6 ? this.cdn?.findV6(net.start, net.end) : this.cdn?.findV4(Number(net.start), Number(net.end)));
    }
    if (type === 'domain') {
      for (let d = value; ; ) {
        if (this.domains.has(d)) return out('top-domain', `${d === value ? 'a top domain' : `a subdomain of ${d}`}, never listed as a domain IOC`);
        const dot = d.indexOf('.');
        if (dot === -1) return undefined;
        d = d.slice(dot + 1);
      }
    }
    if ((type === 'md5' || type === 'sha1' || type === 'sha256') && EMPTY_FILE_HASHES[type] === value) {
      return out('empty-file', 'the hash of an empty file');
    }
    return undefined;
  }
}
