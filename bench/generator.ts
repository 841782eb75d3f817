/**
 * Synthetic, realistic IOC data sets for benchmarks (import, lookup, export, TAXII paging).
 *
 * Guarantees
 * - Deterministic: the output is a pure function of (seed, count, mix, now). Randomness comes
 *   from a seeded sfc32 PRNG; nothing reads the clock except the default `now`, which is the
 *   start of the current UTC day (so runs on the same day are byte-identical; pass `now` to pin).
 * - Unique values without a Set: each IOC type keeps its own counter k = 0, 1, 2, …, and k goes
 *   through a keyed bijection (a permutation of [0, N) built from invertible mix steps on
 *   2^b-bit integers plus cycle-walking). The permuted index V is then written into the value
 *   by an injective encoding: one part of every value (the IP address bits, the first 32 bits
 *   of a hash, the core label of a domain, the URL host, the local part of an email, the CVE
 *   year+number) can be decoded back to V, and everything else (TLD, subdomains, URL path,
 *   email domain, …) is free decoration drawn from the PRNG. Distinct k ⇒ distinct V ⇒
 *   distinct value. Values of different types can never be equal either (different shapes).
 * - Canonical: values are emitted in the form the normalizer stores (lowercase hosts and hex,
 *   RFC 5952 IPv6, CIDR with zero host bits, no default ports, no characters a URL parser
 *   would percent-encode).
 * - Fast: no per-item allocation besides the result object, its small tag/sector arrays and
 *   the value string; ≈ 1 M IOCs/s on one core (measured on Node 20).
 */
import { IOC_TYPES, type IocType } from '../src/domain/ioc-types.js';
import { SECTORS } from '../src/domain/sectors.js';

export interface SyntheticIoc {
  type: IocType;
  value: string;
  tags: string[];
  malware: string | null;
  sectors: string[];
  /** ISO 8601 with milliseconds and `Z`. */
  firstSeen: string;
  /** ISO 8601 with milliseconds and `Z`; firstSeen ≤ lastSeen ≤ now. */
  lastSeen: string;
}

export interface GenerateOptions {
  /** Number of IOCs to produce (integer ≥ 0). */
  count: number;
  /** PRNG seed (any number; truncated to 32 bits). Default 1. */
  seed?: number;
  /**
   * Relative weights per type (need not sum to 1). When given, only the listed types are
   * produced: `{ ipv4: 1 }` yields only IPv4. Default {@link DEFAULT_MIX}.
   */
  mix?: Partial<Record<IocType, number>>;
  /** Reference time in ms since the epoch. Default: start of the current UTC day. */
  now?: number;
}

/** Realistic proportions, roughly what aggregated public feeds (URLhaus, ThreatFox, blocklists) contain. */
export const DEFAULT_MIX: Record<IocType, number> = Object.freeze({
  ipv4: 0.35,
  ipv6: 0.03,
  domain: 0.15,
  url: 0.2,
  md5: 0.06,
  sha1: 0.04,
  sha256: 0.12,
  cve: 0.02,
  email: 0.03,
});

/** Look-back window for firstSeen. */
export const WINDOW_DAYS = 90;
const DAY_MS = 86_400_000;

// ---------------------------------------------------------------------------------------------
// PRNG
// ---------------------------------------------------------------------------------------------

/** splitmix32 step, used to derive seeds and permutation keys. */
function splitmix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** sfc32 (Small Fast Counting PRNG): 128-bit state, period ≥ 2^32, passes PractRand to 2^40+. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    const s = seed >>> 0;
    this.a = splitmix32(s);
    this.b = splitmix32(s ^ 0x5bd1e995);
    this.c = splitmix32(s + 0x2545f491);
    this.d = 1;
    for (let i = 0; i < 12; i += 1) this.u32();
  }

  /** Uniform integer in [0, 2^32). */
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform float in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [0, n) for 1 ≤ n ≤ 2^32. */
  below(n: number): number {
    return Math.floor((this.u32() / 4294967296) * n);
  }

  /** Uniform integer in [lo, hi]. */
  between(lo: number, hi: number): number {
    return lo + this.below(hi - lo + 1);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)] as T;
  }
}

// ---------------------------------------------------------------------------------------------
// Keyed bijections on [0, n)
// ---------------------------------------------------------------------------------------------

/**
 * A keyed permutation of [0, size), size ≤ 2^32. Core: a bijection on b-bit integers
 * (b = ⌈log2 size⌉) made of invertible steps — xor/add a key, multiply by an odd constant
 * mod 2^b, xorshift right — followed by cycle-walking (re-apply until the result is < size),
 * which restricts a permutation of [0, 2^b) to a permutation of [0, size). size ≥ 2^(b-1), so
 * the expected number of rounds is < 2.
 */
export class Permutation {
  readonly size: number;
  private readonly mask: number;
  private readonly shiftA: number;
  private readonly shiftB: number;
  private readonly k0: number;
  private readonly k1: number;
  private readonly k2: number;

  constructor(size: number, key: number) {
    if (!Number.isInteger(size) || size < 1 || size > 2 ** 32) throw new RangeError(`bad permutation size ${size}`);
    this.size = size;
    let bits = 1;
    while (2 ** bits < size) bits += 1;
    this.mask = bits === 32 ? -1 : 2 ** bits - 1;
    this.shiftA = Math.max(1, Math.ceil(bits / 2));
    this.shiftB = Math.max(1, Math.ceil(bits / 3));
    this.k0 = splitmix32(key) & this.mask;
    this.k1 = splitmix32(key ^ 0x3c6ef372) & this.mask;
    this.k2 = splitmix32(key ^ 0x7f4a7c15) & this.mask;
  }

  private round(x: number): number {
    const m = this.mask;
    x = (x ^ this.k0) & m;
    x = Math.imul(x, 0x2c1b3c6d) & m;
    x ^= x >>> this.shiftA;
    x = (x + this.k1) & m;
    x = Math.imul(x, 0x297a2d39) & m;
    x ^= x >>> this.shiftB;
    x = (x ^ this.k2) & m;
    x = Math.imul(x, 0x6b43a9b5) & m;
    x ^= x >>> this.shiftA;
    return x >>> 0;
  }

  /** Image of i ∈ [0, size). */
  apply(i: number): number {
    let x = this.round(i);
    while (x >= this.size) x = this.round(x);
    return x;
  }
}

// ---------------------------------------------------------------------------------------------
// Weighted choice
// ---------------------------------------------------------------------------------------------

/** O(1) weighted choice through a 4096-slot lookup table (every positive weight gets ≥ 1 slot). */
class Table<T> {
  private readonly slots: T[];
  constructor(entries: ReadonlyArray<readonly [T, number]>) {
    const positive = entries.filter(([, w]) => w > 0);
    if (positive.length === 0) throw new Error('empty weight table');
    const total = positive.reduce((s, [, w]) => s + w, 0);
    const SIZE = 4096;
    const slots: T[] = [];
    let acc = 0;
    for (const [item, w] of positive) {
      acc += w;
      const end = Math.max(slots.length + 1, Math.round((acc / total) * SIZE));
      while (slots.length < end) slots.push(item);
    }
    const last = positive[positive.length - 1]![0];
    while (slots.length < SIZE) slots.push(last);
    this.slots = slots.slice(0, SIZE);
  }
  pick(rng: Rng): T {
    return this.slots[rng.u32() >>> 20] as T;
  }
}

// ---------------------------------------------------------------------------------------------
// Formatting helpers
// ---------------------------------------------------------------------------------------------

const PAD2: string[] = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const PAD3: string[] = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
const BASE36 = '0123456789abcdefghijklmnopqrstuvwxyz';

function base36(v: number): string {
  return v.toString(36);
}

/** Format 8 hextets as an RFC 5952 canonical IPv6 address. */
export function formatIpv6(h: ArrayLike<number>): string {
  // Longest run of ≥ 2 zero hextets, leftmost on ties.
  let bestStart = -1;
  let bestLen = 1;
  let i = 0;
  while (i < 8) {
    if (h[i] === 0) {
      let j = i;
      while (j < 8 && h[j] === 0) j += 1;
      if (j - i > bestLen) {
        bestStart = i;
        bestLen = j - i;
      }
      i = j;
    } else {
      i += 1;
    }
  }
  let out = '';
  if (bestStart < 0) {
    for (let k = 0; k < 8; k += 1) out += (k === 0 ? '' : ':') + (h[k] as number).toString(16);
    return out;
  }
  for (let k = 0; k < bestStart; k += 1) out += (k === 0 ? '' : ':') + (h[k] as number).toString(16);
  out += '::';
  for (let k = bestStart + bestLen; k < 8; k += 1) out += (k === bestStart + bestLen ? '' : ':') + (h[k] as number).toString(16);
  return out;
}

/** Fast `new Date(ms).toISOString()` for the generation window (caches the date part per day). */
class IsoFormatter {
  private readonly dayCache = new Map<number, string>();
  format(ms: number): string {
    const day = Math.floor(ms / DAY_MS);
    let prefix = this.dayCache.get(day);
    if (prefix === undefined) {
      prefix = new Date(day * DAY_MS).toISOString().slice(0, 11);
      this.dayCache.set(day, prefix);
    }
    let rest = ms - day * DAY_MS;
    const msPart = rest % 1000;
    rest = (rest - msPart) / 1000;
    const s = rest % 60;
    rest = (rest - s) / 60;
    const m = rest % 60;
    const h = (rest - m) / 60;
    return `${prefix}${PAD2[h]}:${PAD2[m]}:${PAD2[s]}.${PAD3[msPart]}Z`;
  }
}

// ---------------------------------------------------------------------------------------------
// Value spaces. Each `encode*` is injective in V (documented per function).
// ---------------------------------------------------------------------------------------------

/**
 * First octets that are globally routable as a whole /8 and don't look like test data:
 * excludes 0, 10, 127, 224–255 (special), 100 (CGNAT 100.64/10), 169 (link-local),
 * 172 (172.16/12), 192 (192.168/16, 192.0.2/24), 198 (198.18/15, 198.51.100/24), 203 (203.0.113/24).
 */
const IPV4_FIRST_OCTETS: number[] = [];
for (let o = 1; o <= 223; o += 1) {
  if (![10, 100, 127, 169, 172, 192, 198, 203].includes(o)) IPV4_FIRST_OCTETS.push(o);
}
/** Size of the IPv4 index space: each index is one address (or one CIDR, see encodeIpv4). */
const IPV4_SPACE = IPV4_FIRST_OCTETS.length * 2 ** 24;

/** V ∈ [0, IPV4_SPACE) → (first octet, low 24 bits): a bijection onto the allowed addresses. */
function ipv4Parts(v: number): [first: number, low24: number] {
  const hi = Math.floor(v / 16777216);
  return [IPV4_FIRST_OCTETS[hi] as number, v - hi * 16777216];
}

/**
 * IPv4 IOC value. Injective: the address bits are V. Last octet 0 is emitted as the /24 that
 * starts there (`a.b.c.0/24`) and last octet 255 as the upper /25 (`a.b.c.128/25`); the plain
 * addresses a.b.c.0 / a.b.c.255 and a.b.c.128/25 from other V are never emitted, so no clash.
 * ≈ 0.8 % of IPv4 IOCs are CIDR blocks.
 */
function encodeIpv4(v: number): string {
  const [a, low] = ipv4Parts(v);
  const b = low >>> 16;
  const c = (low >>> 8) & 0xff;
  const d = low & 0xff;
  if (d === 0) return `${a}.${b}.${c}.0/24`;
  if (d === 255) return `${a}.${b}.${c}.128/25`;
  return `${a}.${b}.${c}.${d}`;
}

/** Plain dotted quad for URL hosts (no CIDR): a bijection from [0, IPV4_SPACE). */
function dottedQuad(v: number): string {
  const [a, low] = ipv4Parts(v);
  return `${a}.${low >>> 16}.${(low >>> 8) & 0xff}.${low & 0xff}`;
}

const IPV6_H = new Uint16Array(8);

/**
 * IPv6 IOC value in 2a00::/12 (RIPE space, where most IPv6 IOCs live). Injective: bits
 * 124..127 of V are the low nibble of hextet 0, bits 12..27 are hextet 1, bits 0..11 are the
 * top 12 bits of hextet 2. The rest (subnet, interface id) is decoration shaped like real
 * allocations, producing all compression cases (none, one run, leftmost-of-equal runs, runs of
 * one zero that must not be compressed, `::` at the end).
 */
function encodeIpv6(v: number, rng: Rng): string {
  const h = IPV6_H;
  h[0] = 0x2a00 | (v >>> 28);
  h[1] = (v >>> 12) & 0xffff;
  const r = rng.u32();
  h[2] = ((v & 0xfff) << 4) | (r & 0xf);
  const shape = (r >>> 4) & 15;
  const r2 = rng.u32();
  const r3 = rng.u32();
  switch (shape) {
    case 0:
    case 1:
    case 2: // 2a01:4f8:c17:1::1 — small subnet, tiny host part
      h[3] = (r2 >>> 28) & 3;
      h[4] = 0;
      h[5] = 0;
      h[6] = 0;
      h[7] = 1 + ((r2 >>> 8) & 0xff);
      break;
    case 3:
    case 4: // /64 with random interface id (SLAAC privacy address)
      h[3] = r2 & 0xffff;
      h[4] = r2 >>> 16;
      h[5] = r3 & 0xffff;
      h[6] = r3 >>> 16;
      h[7] = rng.u32() & 0xffff;
      break;
    case 5: // EUI-64: xxxx:xxff:fexx:xxxx
      h[3] = r2 & 0xff;
      h[4] = ((r2 >>> 8) & 0xfdff) | 0x0200;
      h[5] = ((r2 >>> 24) << 8) | 0xff;
      h[6] = 0xfe00 | (r3 & 0xff);
      h[7] = (r3 >>> 8) & 0xffff;
      break;
    case 6: // two equal zero runs: the leftmost one is compressed
      h[3] = 0;
      h[4] = 0;
      h[5] = 1 + (r2 & 0xfff);
      h[6] = 0;
      h[7] = 0;
      break;
    case 7: // a single zero hextet is never compressed
      h[3] = 0;
      h[4] = 1 + (r2 & 0x7fff);
      h[5] = 0;
      h[6] = 1 + ((r2 >>> 16) & 0x7fff);
      h[7] = 1 + (r3 & 0xff);
      break;
    case 8: // subnet router anycast-ish: ends in ::
      h[3] = 1 + (r2 & 0xff);
      h[4] = 0;
      h[5] = 0;
      h[6] = 0;
      h[7] = 0;
      break;
    case 9: // longer run later wins over a shorter earlier one
      h[3] = 0;
      h[4] = 0x10 + (r2 & 0xff);
      h[5] = 0;
      h[6] = 0;
      h[7] = 1 + ((r2 >>> 8) & 0xfff);
      break;
    default: // hosting-style /64 with a small host number: 2a03:b0c0:3:d0::1a4:c001
      h[3] = r2 & 0xff;
      h[4] = 0;
      h[5] = 0;
      h[6] = (r2 >>> 8) & 0xfff;
      h[7] = r3 & 0xffff;
      break;
  }
  return formatIpv6(h);
}

/** 20 consonants × 5 vowels = 100 "syllables" for pronounceable labels. */
const CONSONANTS = 'bcdfghjklmnprstvwxyz';
const VOWELS = 'aeiou';
const SYLLABLES: string[] = [];
for (const c of CONSONANTS) for (const v of VOWELS) SYLLABLES.push(c + v);
/** Vowel-free alphabet (base 30) for DGA-looking labels. */
const DGA_ALPHABET = 'qxzkwvj7b2c9d4f6g8h3l5m1n0prst';

/** Pronounceable label: V in base 100, 5 syllables (10 letters). Always contains vowels, never digits/hyphens. */
function syllableLabel(v: number): string {
  let out = '';
  for (let i = 0; i < 5; i += 1) {
    const d = v % 100;
    out = (SYLLABLES[d] as string) + out;
    v = (v - d) / 100;
  }
  return out;
}

/** DGA-style label: V in base 30 over a vowel-free alphabet, 7 characters. Never contains vowels or hyphens. */
function dgaLabel(v: number): string {
  let out = '';
  for (let i = 0; i < 7; i += 1) {
    const d = v % 30;
    out = DGA_ALPHABET.charAt(d) + out;
    v = (v - d) / 30;
  }
  return out;
}

const DOMAIN_WORDS = [
  'secure', 'login', 'verify', 'account', 'update', 'support', 'service', 'online', 'cloud', 'cdn',
  'mail', 'office', 'portal', 'auth', 'signin', 'bank', 'pay', 'wallet', 'crypto', 'free', 'shop',
  'invoice', 'docs', 'file', 'share', 'drive', 'download', 'app', 'web', 'net', 'host', 'panel',
  'admin', 'client', 'center', 'help', 'safe', 'check', 'track', 'delivery', 'post', 'parcel',
  'micro', 'soft', 'apple', 'id', 'outlook', 'teams', 'zoom', 'adobe', 'steam', 'game', 'news',
  'media', 'live', 'stream', 'data', 'sync', 'api', 'static', 'assets', 'img', 'global', 'my',
] as const;

const TLDS = new Table<string>([
  ['com', 38], ['net', 8], ['org', 5], ['ru', 6], ['cn', 3], ['xyz', 5], ['top', 5], ['info', 4],
  ['io', 2], ['biz', 2], ['online', 2], ['site', 2], ['shop', 2], ['club', 1], ['cc', 1], ['su', 1],
  ['tk', 1], ['pw', 1], ['ws', 1], ['me', 1], ['us', 1], ['de', 1], ['br', 1], ['in', 1], ['co', 1],
  ['uk', 1], ['fr', 1], ['live', 1], ['app', 1], ['icu', 1], ['sbs', 1], ['best', 1],
]);

const SUBDOMAINS = [
  'www', 'mail', 'cdn', 'api', 'login', 'secure', 'update', 'portal', 'webmail', 'ns1', 'app',
  'files', 'static', 'auth', 'm', 'dl', 'panel', 'admin', 'account', 'my', 'docs', 'support',
] as const;

/**
 * Domain. Injective: the core label (second-to-last label) alone decodes to V —
 * a syllable label (has vowels, no digits/hyphens), a DGA label (no vowels, no hyphens), or
 * `word[-word]-<base36 V>` (has a hyphen; the token is the last hyphen segment). Syllable
 * labels may get a 1–2 digit suffix (decode strips trailing digits, which syllables never
 * contain). TLD and subdomains are decoration. Total length 8–40, 2–4 labels.
 */
function encodeDomain(v: number, rng: Rng): string {
  const r = rng.u32();
  const style = r & 7;
  let core: string;
  if (style < 3) {
    core = syllableLabel(v);
    if ((r >>> 3) % 4 === 0) core += String((r >>> 5) % 100);
  } else if (style < 5) {
    core = dgaLabel(v);
  } else {
    const w1 = DOMAIN_WORDS[(r >>> 3) % DOMAIN_WORDS.length] as string;
    if (style === 7) {
      const w2 = DOMAIN_WORDS[(r >>> 10) % DOMAIN_WORDS.length] as string;
      core = `${w1}-${w2}-${base36(v)}`;
    } else {
      core = `${w1}-${base36(v)}`;
    }
  }
  let name = `${core}.${TLDS.pick(rng)}`;
  const subs = r >>> 24; // 0..255
  if (subs < 90) {
    const s1 = SUBDOMAINS[subs % SUBDOMAINS.length] as string;
    if (name.length + s1.length + 1 <= 40) name = `${s1}.${name}`;
    if (subs < 20) {
      const s2 = SUBDOMAINS[(r >>> 17) % SUBDOMAINS.length] as string;
      if (name.length + s2.length + 1 <= 40) name = `${s2}.${name}`;
    }
  }
  return name;
}

// ----- URLs -----

const BOT_BINARIES = [
  'mozi.m', 'mozi.a', 'x86', 'x86_64', 'arm', 'arm5', 'arm6', 'arm7', 'mips', 'mpsl', 'm68k', 'ppc', 'sh4', 'spc',
  'i686', 'i586', 'aarch64',
] as const;
const SCRIPT_NAMES = ['bin.sh', 't.sh', 'sora.sh', 'wget.sh', 'curl.sh', 'jaws.sh', '8UsA.sh', 'i', 'mozi.m', 'Mozi.m', 'Mozi.a'] as const;
const PATH_WORDS = [
  'update', 'invoice', 'payment', 'document', 'scan', 'order', 'shipping', 'receipt', 'statement',
  'setup', 'installer', 'client', 'loader', 'stub', 'build', 'crypted', 'report', 'contract',
  'photo', 'resume', 'tax', 'doc', 'file', 'data', 'chrome', 'flash', 'java', 'office', 'teams',
] as const;
const EXECUTABLE_EXT = ['exe', 'exe', 'exe', 'dll', 'msi', 'zip', 'rar', 'js', 'vbs', 'hta', 'ps1', 'lnk', 'iso', 'bat', 'jar', 'apk', 'doc', 'xls'] as const;
const WP_PLUGINS = ['contact-form-7', 'woocommerce', 'elementor', 'akismet', 'jetpack', 'wpforms', 'revslider', 'wp-file-manager', 'yoast'] as const;
const PHISH_BRANDS = ['microsoft', 'office365', 'outlook', 'paypal', 'apple', 'netflix', 'dhl', 'amazon', 'chase', 'wellsfargo', 'adobe', 'docusign', 'onedrive', 'sharepoint'] as const;
const PHISH_PAGES = ['login.php', 'index.html', 'signin.php', 'verify.php', 'auth.html', 'account.php', 'update.php', 'confirm.html'] as const;

function hexToken(rng: Rng, chars: number): string {
  let out = '';
  while (out.length < chars) out += rng.u32().toString(16).padStart(8, '0');
  return out.slice(0, chars);
}

function alnumToken(rng: Rng, chars: number): string {
  let out = '';
  for (let i = 0; i < chars; i += 1) out += BASE36.charAt(rng.below(36));
  return out;
}

/** Realistic path (+ optional query). Only RFC 3986 unreserved chars plus / ? = & , — nothing a parser re-encodes. */
function urlPath(rng: Rng, ipHost: boolean): string {
  const r = rng.below(100);
  if (ipHost && r < 45) {
    // IoT botnet payload servers
    return rng.below(3) === 0 ? `/${rng.pick(SCRIPT_NAMES)}` : `/bins/${rng.pick(BOT_BINARIES)}`;
  }
  switch (r % 12) {
    case 0:
      return `/wp-content/plugins/${rng.pick(WP_PLUGINS)}/${rng.pick(PATH_WORDS)}.php`;
    case 1: {
      const year = 2019 + rng.below(8);
      return `/wp-content/uploads/${year}/${PAD2[1 + rng.below(12)]}/${alnumToken(rng, 6 + rng.below(6))}.php`;
    }
    case 2:
      return `/wp-includes/js/${rng.pick(PATH_WORDS)}.js`;
    case 3:
      return rng.below(2) === 0 ? `/gate.php?id=${hexToken(rng, 16)}` : `/panel/gate.php?id=${hexToken(rng, 8)}&os=win${rng.pick(['7', '10', '11'])}`;
    case 4:
      return `/download/${rng.pick(PATH_WORDS)}_${rng.between(100, 99999)}.${rng.pick(EXECUTABLE_EXT)}`;
    case 5:
      return `/${alnumToken(rng, 4 + rng.below(12))}/${rng.pick(PATH_WORDS)}.${rng.pick(EXECUTABLE_EXT)}`;
    case 6:
      return `/${rng.pick(PHISH_BRANDS)}/${rng.pick(PHISH_PAGES)}`;
    case 7:
      return `/secure/${rng.pick(PHISH_BRANDS)}/${rng.pick(PHISH_PAGES)}?session=${hexToken(rng, 32)}`;
    case 8:
      return `/files/${rng.pick(PATH_WORDS)}-${rng.between(1, 9999)}.${rng.pick(EXECUTABLE_EXT)}`;
    case 9:
      return `/api/v1/${alnumToken(rng, 8 + rng.below(16))}`;
    case 10:
      // sub-delims in the query: the CSV writer must quote these
      return `/track.php?ids=${rng.between(1, 9999)},${rng.between(1, 9999)}&ref=${alnumToken(rng, 6)}`;
    default:
      return `/${alnumToken(rng, 6 + rng.below(10))}.${rng.pick(['php', 'js', 'html', 'txt', 'bin'] as const)}`;
  }
}

const IOT_PORTS = [8080, 8000, 8888, 81, 5555, 6666, 4444, 7547, 37215, 52869, 60001] as const;

/**
 * URL, 20–120 chars. Injective: the host alone decodes to V — for V ≡ 0 (mod 3) the host is
 * the dotted quad with index V/3 (V/3 < 2^32/3 < IPV4_SPACE), otherwise a domain whose core
 * label decodes to V (a domain is never a dotted quad: its TLD has letters). Scheme, port and
 * path are decoration. About a third of the URLs have an IP host, as in URLhaus.
 */
function encodeUrl(v: number, rng: Rng): string {
  // The IP/domain split must come from V itself (not the PRNG) to keep the host injective.
  let host: string;
  let ipHost: boolean;
  if (v % 3 === 0 && v / 3 < IPV4_SPACE) {
    host = dottedQuad(v / 3);
    ipHost = true;
  } else {
    host = encodeDomain(v, rng);
    ipHost = false;
  }
  for (let attempt = 0; ; attempt += 1) {
    const r = rng.u32();
    const https = ipHost ? (r & 15) === 0 : (r & 15) < 10;
    let port = '';
    if (ipHost && ((r >>> 4) & 3) !== 0) {
      port = (r >>> 6) % 3 === 0 ? `:${1024 + ((r >>> 8) % 64000)}` : `:${IOT_PORTS[(r >>> 8) % IOT_PORTS.length]}`;
    } else if (!ipHost && ((r >>> 4) & 31) === 0) {
      port = `:${https ? 8443 : 8080}`;
    }
    const path = attempt < 6 ? urlPath(rng, ipHost) : '/wp-content/index.php';
    const url = `${https ? 'https' : 'http'}://${host}${port}${path}`;
    if (url.length >= 20 && url.length <= 120) return url;
  }
}

// ----- hashes -----

const HASH_BUF = Buffer.alloc(32);

/** Hex digest of `bytes` bytes. Injective: the first 4 bytes are V (big-endian). */
function encodeHash(v: number, bytes: number, rng: Rng): string {
  const b = HASH_BUF;
  b.writeUInt32BE(v, 0);
  for (let o = 4; o < bytes; o += 4) b.writeUInt32BE(rng.u32(), o);
  return b.toString('hex', 0, bytes);
}

// ----- CVE -----

const CVE_FIRST_YEAR = 2015;
const CVE_YEARS = 12; // 2015–2026
/** Tier 1: numbers 1000–99999 (4–5 digits, the realistic range). */
const CVE_T1_PER_YEAR = 99_000;
const CVE_T1 = CVE_YEARS * CVE_T1_PER_YEAR;
/** Tier 2 (only when a set needs more than 1.188 M CVEs): numbers 100000–9999999. */
const CVE_T2_PER_YEAR = 9_900_000;
const CVE_T2 = CVE_YEARS * CVE_T2_PER_YEAR;

/** CVE-YYYY-NNNN[N…]. Injective: (year, number) = mixed-radix digits of the tier index. */
function encodeCve(idx: number, tier: 1 | 2): string {
  const year = CVE_FIRST_YEAR + (idx % CVE_YEARS);
  const n = Math.floor(idx / CVE_YEARS) + (tier === 1 ? 1000 : 100_000);
  return `CVE-${year}-${n}`;
}

// ----- email -----

const FIRST_NAMES = [
  'john', 'james', 'robert', 'michael', 'william', 'david', 'richard', 'joseph', 'thomas', 'charles',
  'mary', 'patricia', 'jennifer', 'linda', 'elizabeth', 'barbara', 'susan', 'jessica', 'sarah', 'karen',
  'anna', 'maria', 'olga', 'ivan', 'dmitry', 'sergey', 'alex', 'andrew', 'daniel', 'paul', 'mark', 'kevin',
  'wei', 'li', 'chen', 'juan', 'carlos', 'luis', 'ahmed', 'mohamed', 'ali', 'fatima', 'peter', 'hans',
  'pierre', 'marco', 'giulia', 'lucas', 'emma', 'sophie', 'laura', 'nina', 'eva', 'tom', 'ben', 'sam',
  'lisa', 'amy', 'kate', 'mike', 'steve', 'chris', 'nick', 'tony',
] as const; // 64
const LAST_NAMES = [
  'smith', 'johnson', 'williams', 'brown', 'jones', 'garcia', 'miller', 'davis', 'rodriguez', 'martinez',
  'hernandez', 'lopez', 'wilson', 'anderson', 'taylor', 'thomas', 'moore', 'jackson', 'martin', 'lee',
  'thompson', 'white', 'harris', 'clark', 'lewis', 'walker', 'hall', 'allen', 'young', 'king', 'wright',
  'scott', 'green', 'baker', 'adams', 'nelson', 'hill', 'campbell', 'mitchell', 'roberts', 'carter',
  'phillips', 'evans', 'turner', 'torres', 'parker', 'collins', 'edwards', 'stewart', 'morris', 'ivanov',
  'petrov', 'smirnov', 'wang', 'zhang', 'liu', 'muller', 'schmidt', 'rossi', 'dubois', 'silva', 'santos',
  'khan', 'singh',
] as const; // 64
const ROLES = [
  'info', 'admin', 'support', 'noreply', 'no-reply', 'billing', 'invoice', 'accounts', 'hr', 'security',
  'service', 'sales', 'office', 'payroll', 'helpdesk', 'it', 'notification', 'alert', 'mailer', 'contact',
] as const;
const FREEMAIL = new Table<string>([
  ['gmail.com', 30], ['outlook.com', 10], ['hotmail.com', 8], ['yahoo.com', 8], ['mail.ru', 5],
  ['yandex.ru', 4], ['proton.me', 3], ['protonmail.com', 2], ['qq.com', 3], ['163.com', 2],
  ['gmx.de', 2], ['aol.com', 2], ['icloud.com', 2], ['zoho.com', 1], ['tutanota.com', 1],
]);
/** Email index space: 64 first × 2 separators × 64 last × 8192 numbers = 2^26. */
const EMAIL_SPACE = 2 ** 26;

/**
 * Email `local@domain`. Injective: the local part alone decodes to V —
 * `first.lastN` / `first_lastN` (has `.` or `_`, no `-`; N = V's high bits in decimal, empty
 * for 0), `role-<base36 V>` (has `-`), or `<letter><base36 V>` (no separator). Domain is decoration.
 */
function encodeEmail(v: number, rng: Rng): string {
  const r = rng.u32();
  const style = r & 7;
  let local: string;
  if (style < 5) {
    const first = FIRST_NAMES[v & 63] as string;
    const sep = (v >>> 6) & 1 ? '_' : '.';
    const last = LAST_NAMES[(v >>> 7) & 63] as string;
    const n = v >>> 13;
    local = n === 0 ? `${first}${sep}${last}` : `${first}${sep}${last}${n}`;
  } else if (style < 7) {
    // ROLES entries may contain '-', the token is the part after the last '-'
    local = `${ROLES[(r >>> 3) % ROLES.length]}-${base36(v)}`;
  } else {
    // A bare token starting with a digit looks odd: always prefix one random letter (decode
    // drops the first character; prefixing only sometimes would make "u5ab" ambiguous).
    local = BASE36.charAt(10 + ((r >>> 3) % 26)) + base36(v);
  }
  const domain = (r >>> 8) % 100 < 60 ? FREEMAIL.pick(rng) : encodeDomain(rng.u32(), rng);
  return `${local}@${domain}`;
}

// ---------------------------------------------------------------------------------------------
// Context: tags, malware, sectors
// ---------------------------------------------------------------------------------------------

interface Family {
  name: string;
  weight: number;
  types: readonly IocType[];
  tags: readonly string[];
}

const H: readonly IocType[] = ['md5', 'sha1', 'sha256'];
const FAMILIES: readonly Family[] = [
  { name: 'Mozi', weight: 12, types: ['ipv4', 'url', ...H], tags: ['botnet', 'elf', 'p2p'] },
  { name: 'Mirai', weight: 10, types: ['ipv4', 'ipv6', 'url', ...H], tags: ['botnet', 'elf', 'ddos'] },
  { name: 'Gafgyt', weight: 4, types: ['ipv4', 'url', ...H], tags: ['botnet', 'elf'] },
  { name: 'Cobalt Strike', weight: 10, types: ['ipv4', 'ipv6', 'domain', 'url', ...H], tags: ['c2', 'cobaltstrike'] },
  { name: 'Emotet', weight: 5, types: ['url', 'domain', 'email', ...H], tags: ['loader', 'malspam'] },
  { name: 'QakBot', weight: 5, types: ['ipv4', 'url', 'domain', 'email', ...H], tags: ['loader', 'banker'] },
  { name: 'AgentTesla', weight: 8, types: ['url', 'domain', 'email', ...H], tags: ['stealer', 'keylogger'] },
  { name: 'AsyncRAT', weight: 6, types: ['ipv4', 'domain', ...H], tags: ['rat', 'c2'] },
  { name: 'RedLine', weight: 6, types: ['ipv4', 'url', 'domain', ...H], tags: ['stealer'] },
  { name: 'Lumma', weight: 8, types: ['domain', 'url', ...H], tags: ['stealer'] },
  { name: 'FormBook', weight: 5, types: ['url', 'domain', 'email', ...H], tags: ['stealer', 'malspam'] },
  { name: 'Remcos', weight: 5, types: ['ipv4', 'domain', ...H], tags: ['rat'] },
  { name: 'njRAT', weight: 4, types: ['ipv4', 'domain', ...H], tags: ['rat'] },
  { name: 'XWorm', weight: 4, types: ['ipv4', 'domain', ...H], tags: ['rat'] },
  { name: 'IcedID', weight: 3, types: ['domain', 'url', ...H], tags: ['loader', 'banker'] },
  { name: 'SmokeLoader', weight: 3, types: ['url', 'domain', ...H], tags: ['loader'] },
  { name: 'Vidar', weight: 3, types: ['domain', 'url', ...H], tags: ['stealer'] },
  { name: 'DarkGate', weight: 3, types: ['domain', 'url', ...H], tags: ['loader'] },
  { name: 'Amadey', weight: 3, types: ['url', 'domain', ...H], tags: ['loader', 'botnet'] },
  { name: 'Pikabot', weight: 2, types: ['ipv4', ...H], tags: ['loader'] },
  { name: 'Sliver', weight: 2, types: ['ipv4', 'ipv6', 'domain', ...H], tags: ['c2'] },
  { name: 'LockBit', weight: 2, types: ['ipv4', 'cve', ...H], tags: ['ransomware'] },
  { name: 'BlackCat', weight: 1, types: ['ipv4', 'cve', ...H], tags: ['ransomware'] },
  { name: 'Akira', weight: 1, types: ['ipv4', 'cve', ...H], tags: ['ransomware'] },
  { name: 'XMRig', weight: 2, types: ['ipv4', 'url', 'cve', ...H], tags: ['miner'] },
];

/** Probability (per mille) that an IOC of a type is attributed to a family. Weighted mean over DEFAULT_MIX ≈ 50 %. */
const MALWARE_RATE: Record<IocType, number> = {
  ipv4: 400, ipv6: 300, domain: 450, url: 600, md5: 800, sha1: 800, sha256: 800, cve: 100, email: 200,
};

/** Generic tags per type (used alone or on top of a family tag). */
const TYPE_TAGS: Record<IocType, ReadonlyArray<readonly [string, number]>> = {
  ipv4: [['scanner', 20], ['c2', 18], ['botnet', 15], ['bruteforce', 14], ['spam', 6], ['exploit', 6], ['tor', 3], ['proxy', 4], ['ssh', 5], ['rdp', 3]],
  ipv6: [['scanner', 20], ['c2', 15], ['botnet', 10], ['bruteforce', 10], ['spam', 8], ['proxy', 4]],
  domain: [['phishing', 25], ['c2', 20], ['malware-download', 12], ['dga', 6], ['spam', 6], ['credential-harvesting', 5], ['typosquatting', 4]],
  url: [['malware-download', 30], ['phishing', 22], ['payload-delivery', 12], ['c2', 6], ['exploit', 4], ['credential-harvesting', 5], ['elf', 6], ['exe', 6]],
  md5: [['exe', 20], ['dll', 8], ['elf', 8], ['payload', 10], ['dropper', 8], ['ransomware', 3], ['signed', 2], ['packed', 5]],
  sha1: [['exe', 20], ['dll', 8], ['elf', 8], ['payload', 10], ['dropper', 8], ['ransomware', 3], ['packed', 5]],
  sha256: [['exe', 20], ['dll', 8], ['elf', 8], ['payload', 10], ['dropper', 8], ['ransomware', 3], ['signed', 2], ['packed', 5], ['script', 4]],
  cve: [['exploit', 40], ['rce', 15], ['kev', 10], ['ransomware', 4], ['zero-day', 3]],
  email: [['phishing', 40], ['spam', 25], ['malspam', 15], ['bec', 8], ['scam', 6]],
};

interface TypeContext {
  families: Table<Family>;
  tags: Table<string>;
  malwareRate: number;
}

const TYPE_CONTEXT = {} as Record<IocType, TypeContext>;
for (const type of IOC_TYPES) {
  TYPE_CONTEXT[type] = {
    families: new Table(FAMILIES.filter((f) => f.types.includes(type)).map((f) => [f, f.weight] as const)),
    tags: new Table(TYPE_TAGS[type]),
    malwareRate: MALWARE_RATE[type],
  };
}

/** Number of tags: 0 (20 %), 1 (40 %), 2 (28 %), 3 (12 %). */
const TAG_COUNT = new Table<number>([[0, 20], [1, 40], [2, 28], [3, 12]]);
const SECTOR_TABLE = new Table<string>(
  SECTORS.map((s) => {
    const heavy: Record<string, number> = {
      'financial-services': 4, 'healthcare-public-health': 4, 'government-facilities': 4,
      'information-technology': 3, 'energy': 2, 'communications': 2, 'critical-manufacturing': 2,
    };
    return [s, heavy[s] ?? 1] as const;
  }),
);

function pickTags(rng: Rng, ctx: TypeContext, family: Family | null): string[] {
  const n = TAG_COUNT.pick(rng);
  if (n === 0) return [];
  const tags: string[] = [];
  if (family !== null && rng.below(10) < 7) tags.push(rng.pick(family.tags));
  for (let guard = 0; tags.length < n && guard < 8; guard += 1) {
    const t = ctx.tags.pick(rng);
    if (!tags.includes(t)) tags.push(t);
  }
  return tags;
}

function pickSectors(rng: Rng): string[] {
  const r = rng.below(100);
  if (r < 80) return [];
  const a = SECTOR_TABLE.pick(rng);
  if (r < 95) return [a];
  let b = SECTOR_TABLE.pick(rng);
  if (b === a) b = SECTORS[(SECTORS.indexOf(a as (typeof SECTORS)[number]) + 1) % SECTORS.length] as string;
  return [a, b];
}

// ---------------------------------------------------------------------------------------------
// Generator
// ---------------------------------------------------------------------------------------------

/** How many distinct values each type can produce (the generator throws beyond that). */
export const CAPACITY: Readonly<Record<IocType, number>> = Object.freeze({
  ipv4: IPV4_SPACE,
  ipv6: 2 ** 32,
  domain: 2 ** 32,
  url: 2 ** 32,
  md5: 2 ** 32,
  sha1: 2 ** 32,
  sha256: 2 ** 32,
  cve: CVE_T1 + CVE_T2,
  email: EMAIL_SPACE,
});

/** Start of the current UTC day: the default `now`. */
export function defaultNow(): number {
  return Math.floor(Date.now() / DAY_MS) * DAY_MS;
}

function resolveMix(mix: Partial<Record<IocType, number>> | undefined): Array<[IocType, number]> {
  const source = mix ?? DEFAULT_MIX;
  const entries: Array<[IocType, number]> = [];
  for (const type of IOC_TYPES) {
    const w = source[type];
    if (w === undefined) continue;
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) throw new RangeError(`mix.${type} must be a finite number ≥ 0`);
    if (w > 0) entries.push([type, w]);
  }
  for (const key of Object.keys(source)) {
    if (!(IOC_TYPES as readonly string[]).includes(key)) throw new RangeError(`mix: unknown IOC type "${key}"`);
  }
  if (entries.length === 0) throw new RangeError('mix: at least one type needs a positive weight');
  entries.sort((a, b) => b[1] - a[1]); // most frequent first: fewer comparisons per draw
  return entries;
}

/**
 * Lazily yields `count` synthetic IOCs. Memory is O(1) in `count`.
 * Throws RangeError up front for bad options, or during iteration if one type's share of
 * `count` exceeds its {@link CAPACITY} (only possible far beyond 10 M, e.g. > 67 M emails).
 */
export function* generateIocs(opts: GenerateOptions): Generator<SyntheticIoc> {
  const { count } = opts;
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError('count must be an integer ≥ 0');
  const seed = (opts.seed ?? 1) >>> 0;
  const now = opts.now ?? defaultNow();
  if (!Number.isFinite(now)) throw new RangeError('now must be a finite number');
  const mix = resolveMix(opts.mix);

  const total = mix.reduce((s, [, w]) => s + w, 0);
  const types = mix.map(([t]) => t);
  const cumulative = new Float64Array(mix.length);
  let acc = 0;
  mix.forEach(([, w], i) => {
    acc += w / total;
    cumulative[i] = acc;
  });
  cumulative[mix.length - 1] = 1.1; // guard against rounding

  const rng = new Rng(seed);
  const keyBase = splitmix32(seed ^ 0xa5a5a5a5);
  const key = (i: number): number => splitmix32(keyBase + i * 0x9e3779b9);
  const permIpv4 = new Permutation(IPV4_SPACE, key(1));
  const perm32 = {
    ipv6: new Permutation(2 ** 32, key(2)),
    domain: new Permutation(2 ** 32, key(3)),
    url: new Permutation(2 ** 32, key(4)),
    md5: new Permutation(2 ** 32, key(5)),
    sha1: new Permutation(2 ** 32, key(6)),
    sha256: new Permutation(2 ** 32, key(7)),
  };
  const permCve1 = new Permutation(CVE_T1, key(8));
  const permCve2 = new Permutation(CVE_T2, key(9));
  const permEmail = new Permutation(EMAIL_SPACE, key(10));
  const counters: Record<IocType, number> = { ipv4: 0, ipv6: 0, domain: 0, url: 0, md5: 0, sha1: 0, sha256: 0, cve: 0, email: 0 };

  const iso = new IsoFormatter();
  const windowSec = WINDOW_DAYS * 86_400;
  const n = types.length;

  for (let i = 0; i < count; i += 1) {
    const u = rng.float();
    let ti = 0;
    while (ti < n - 1 && u >= (cumulative[ti] as number)) ti += 1;
    const type = types[ti] as IocType;
    const k = counters[type];
    if (k >= CAPACITY[type]) throw new RangeError(`more than ${CAPACITY[type]} ${type} IOCs requested: value space exhausted`);
    counters[type] = k + 1;

    let value: string;
    switch (type) {
      case 'ipv4':
        value = encodeIpv4(permIpv4.apply(k));
        break;
      case 'ipv6':
        value = encodeIpv6(perm32.ipv6.apply(k), rng);
        break;
      case 'domain':
        value = encodeDomain(perm32.domain.apply(k), rng);
        break;
      case 'url':
        value = encodeUrl(perm32.url.apply(k), rng);
        break;
      case 'md5':
        value = encodeHash(perm32.md5.apply(k), 16, rng);
        break;
      case 'sha1':
        value = encodeHash(perm32.sha1.apply(k), 20, rng);
        break;
      case 'sha256':
        value = encodeHash(perm32.sha256.apply(k), 32, rng);
        break;
      case 'cve':
        value = k < CVE_T1 ? encodeCve(permCve1.apply(k), 1) : encodeCve(permCve2.apply(k - CVE_T1), 2);
        break;
      case 'email':
        value = encodeEmail(permEmail.apply(k), rng);
        break;
    }

    const ctx = TYPE_CONTEXT[type];
    const family = rng.below(1000) < ctx.malwareRate ? ctx.families.pick(rng) : null;
    const tags = pickTags(rng, ctx, family);
    const sectors = pickSectors(rng);

    // firstSeen uniform in the window (second precision); lastSeen: 35 % seen once, else a
    // lifetime skewed towards short (u² of the time left until now).
    const firstSec = rng.below(windowSec) + 1;
    const first = now - firstSec * 1000;
    let last = first;
    if (rng.below(100) >= 35) {
      const f = rng.float();
      last = first + Math.floor(f * f * firstSec) * 1000;
    }
    const firstSeen = iso.format(first);
    yield {
      type,
      value,
      tags,
      malware: family === null ? null : family.name,
      sectors,
      firstSeen,
      lastSeen: last === first ? firstSeen : iso.format(last),
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Serialisation (shared by the CLI and the tests)
// ---------------------------------------------------------------------------------------------

export const OUTPUT_FORMATS = ['csv', 'txt', 'ndjson'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export const CSV_HEADER = 'type,value,tags,malware,sectors,first_seen,last_seen';

/** RFC 4180 field: quoted (with `"` doubled) only when it contains `,` `"` CR or LF. */
export function csvField(s: string): string {
  for (let i = 0; i < s.length; i += 1) {
    const c = s.charCodeAt(i);
    if (c === 44 || c === 34 || c === 10 || c === 13) return `"${s.replace(/"/g, '""')}"`;
  }
  return s;
}

/** One CSV record (no line terminator). Lists are joined with `;`, a null malware is empty. */
export function toCsvRow(ioc: SyntheticIoc): string {
  return `${ioc.type},${csvField(ioc.value)},${csvField(ioc.tags.join(';'))},${csvField(ioc.malware ?? '')},${csvField(ioc.sectors.join(';'))},${ioc.firstSeen},${ioc.lastSeen}`;
}

/** One NDJSON record (no line terminator), field names as in the CSV header; lists stay arrays. */
export function toNdjsonRow(ioc: SyntheticIoc): string {
  return JSON.stringify({
    type: ioc.type,
    value: ioc.value,
    tags: ioc.tags,
    malware: ioc.malware,
    sectors: ioc.sectors,
    first_seen: ioc.firstSeen,
    last_seen: ioc.lastSeen,
  });
}

export function formatRow(format: OutputFormat, ioc: SyntheticIoc): string {
  switch (format) {
    case 'csv':
      return toCsvRow(ioc);
    case 'txt':
      return ioc.value;
    case 'ndjson':
      return toNdjsonRow(ioc);
  }
}
