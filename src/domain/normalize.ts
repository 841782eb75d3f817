/**
 * IOC normalization: validate a raw indicator and return its single canonical spelling, so the
 * same indicator reported by two feeds in two spellings deduplicates to one row.
 *
 * Every entry point is total: it never throws and never hangs. Input longer than
 * MAX_VALUE_LENGTH is rejected before any other work, all scans are linear, and the only
 * regular expressions used have a single quantifier (no nested or overlapping repetition).
 *
 * Rejection reasons read `"<value>: <why>"`, where <value> is the raw input shortened to at most
 * 80 characters (see displayValue) so a hostile value cannot flood a log line or spoof one with
 * control/bidi characters.
 *
 * Decisions (see the individual functions for the reasoning):
 * - Control characters (C0, DEL, C1), unpaired surrogates, whitespace and invisible format
 *   characters (zero-width, bidi controls, soft hyphen, BOM) are rejected anywhere, including at
 *   the ends: a trailing "\n" means the caller's line splitting is wrong, not that we should guess.
 * - Domains: underscores are allowed in labels other than the TLD; IDN labels are converted to
 *   punycode A-labels with UTS #46 (node:url domainToASCII), which also converts mixed-script
 *   homographs (they are real IOCs), full-width letters and the ideographic full stop.
 * - URLs: only the scheme and host are rewritten; the path, query and fragment are kept verbatim,
 *   and no "/" is added when the URL has no path.
 * - Emails: dot-atom local parts only (no quoted strings, no SMTPUTF8); address literals
 *   `[1.2.3.4]` and `[IPv6:…]` are accepted and canonicalized (RFC 5321 §4.1.3).
 * - IPv6: RFC 5952 form; the dotted IPv4 tail is used exactly for IPv4-mapped addresses
 *   (::ffff:0:0/96) and the NAT64 well-known prefix (64:ff9b::/96), whatever notation the input
 *   used, so both spellings of the same address deduplicate.
 * - Ports: an address or host name with a port is that address or host (`1.2.3.4:443`,
 *   `[2001:db8::1]:443`, `host.example:8080`, as logs and C2 lists write them); the port must be
 *   decimal 0–65535 and is dropped. An IPv6 address with a port must be bracketed: in
 *   `2001:db8::1:443` the last group is part of the address. A network (CIDR) has no port.
 */
import { domainToASCII } from 'node:url';
import { isIocType, type IocType } from './ioc-types.js';
import { refang } from './refang.js';
import { codePointLabel } from './code-point.js';

export type Normalized = { ok: true; type: IocType; value: string } | { ok: false; reason: string };

/** Longest accepted raw value (UTF-16 code units). Long URLs are legitimate, megabyte "values" are not. */
export const MAX_VALUE_LENGTH = 8192;

/** Result of an internal step: `why` is the bare problem, the caller prefixes the value. */
type Check<T = string> = { ok: true; value: T } | { ok: false; why: string };
type Failure = { ok: false; why: string };

const pass = <T>(value: T): Check<T> => ({ ok: true, value });
const fail = (why: string): Failure => ({ ok: false, why });

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/** Refang `raw`, then validate and canonicalize it as `type`. */
export function normalize(type: IocType, raw: string): Normalized {
  try {
    const prepared = prepare(raw);
    if (!prepared.ok) return reject(raw, prepared.why);
    if (typeof type !== 'string' || !isIocType(type)) return reject(raw, `unknown IOC type ${quote(String(type))}`);
    const result = NORMALIZERS[type](prepared.value);
    return result.ok ? { ok: true, type, value: result.value } : reject(raw, result.why);
  } catch (err) {
    // Defence in depth: a server must not crash on one odd value. Nothing above is expected to throw.
    return reject(raw, `internal error: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Type of a bare value (after refang), judged by shape only; undefined when it looks like none. */
export function detectType(raw: string): IocType | undefined {
  try {
    const prepared = prepare(raw);
    return prepared.ok ? detectPrepared(prepared.value) : undefined;
  } catch {
    return undefined;
  }
}

/** `type` given → normalize as that type; otherwise detect the type first. */
export function normalizeAny(raw: string, type?: IocType): Normalized {
  if (type !== undefined) return normalize(type, raw);
  try {
    const prepared = prepare(raw);
    if (!prepared.ok) return reject(raw, prepared.why);
    const detected = detectPrepared(prepared.value);
    if (detected === undefined) {
      return reject(raw, 'cannot detect the IOC type (not a CVE id, hash, URL, email, IP address or domain)');
    }
    return normalize(detected, raw);
  } catch (err) {
    return reject(raw, `internal error: ${err instanceof Error ? err.message : String(err)}`);
  }
}

const DISPLAY_MAX = 80;

/**
 * The value as it appears at the start of a rejection reason: invisible characters (controls,
 * format/bidi characters, surrogates, non-ASCII-space separators) escaped JSON-style, shortened
 * to at most 80 characters ending in "…". Empty and whitespace-only values are shown quoted so
 * the reason does not start with nothing. Only the first ~80 code points are ever read.
 */
export function displayValue(raw: string): string {
  const pieces: string[] = [];
  let length = 0;
  let truncated = false;
  for (const ch of raw) {
    const piece = escapeForDisplay(ch);
    if (length + piece.length > DISPLAY_MAX) {
      truncated = true;
      break;
    }
    pieces.push(piece);
    length += piece.length;
  }
  if (truncated) {
    while (length > DISPLAY_MAX - 1) length -= pieces.pop()?.length ?? length;
    pieces.push('…');
  }
  const body = pieces.join('');
  return raw.trim() === '' ? `"${body}"` : body;
}

// ---------------------------------------------------------------------------------------------
// Shared pre-checks and messages
// ---------------------------------------------------------------------------------------------

const CONTROL_NAMES: Readonly<Record<number, string>> = { 0: 'NUL', 9: 'TAB', 10: 'LF', 13: 'CR', 27: 'ESC', 127: 'DEL' };

/** Type-independent checks, then refang. Length is checked first so huge input costs O(1). */
function prepare(raw: unknown): Check<string> {
  if (typeof raw !== 'string') return fail(`value is not a string (got ${typeof raw})`);
  if (raw.length > MAX_VALUE_LENGTH) {
    return fail(`value too long (${raw.length} characters, max ${MAX_VALUE_LENGTH})`);
  }
  const control = /\p{Cc}/u.exec(raw);
  if (control) {
    const cp = control[0].codePointAt(0) ?? 0;
    const name = CONTROL_NAMES[cp];
    return fail(`contains control character ${codePointLabel(cp)}${name ? ` (${name})` : ''}`);
  }
  if (/\p{Cs}/u.test(raw)) return fail('contains an unpaired UTF-16 surrogate');
  const value = refang(raw);
  if (value === '') return fail('empty value');
  const space = /\s/.exec(value);
  if (space) return fail(`contains whitespace ${codePointLabel(space[0].codePointAt(0) ?? 0)}`);
  // Zero-width and bidi characters would be silently dropped by IDNA or make two different-looking
  // values identical on screen; an IOC containing them is an error or an attack, never a spelling.
  const format = /\p{Cf}/u.exec(value);
  if (format) {
    return fail(`contains invisible format character ${codePointLabel(format[0].codePointAt(0) ?? 0)}`);
  }
  return pass(value);
}

function reject(raw: unknown, why: string): Normalized {
  const shown = typeof raw === 'string' ? displayValue(raw) : `(${typeof raw})`;
  return { ok: false, reason: `${shown}: ${why}` };
}

function escapeForDisplay(ch: string): string {
  if (ch === ' ' || !/[\p{Cc}\p{Cf}\p{Cs}\p{Z}]/u.test(ch)) return ch;
  const json = JSON.stringify(ch).slice(1, -1);
  if (json !== ch) return json;
  const cp = ch.codePointAt(0) ?? 0;
  return cp > 0xffff ? `\\u{${cp.toString(16)}}` : `\\u${cp.toString(16).padStart(4, '0')}`;
}

/** A fragment of the input inside a reason, quoted and shortened like displayValue. */
function quote(fragment: string): string {
  return `"${displayValue(fragment)}"`;
}

// ---------------------------------------------------------------------------------------------
// Type detection
// ---------------------------------------------------------------------------------------------

const HASH_BY_LENGTH: ReadonlyMap<number, IocType> = new Map<number, IocType>([
  [32, 'md5'],
  [40, 'sha1'],
  [64, 'sha256'],
]);

/** Order matters: a 32-hex string is a hash, not a domain; anything with scheme:// is a URL. */
function detectPrepared(v: string): IocType | undefined {
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

// ---------------------------------------------------------------------------------------------
// Per-type normalizers
// ---------------------------------------------------------------------------------------------

const NORMALIZERS: Readonly<Record<IocType, (value: string) => Check<string>>> = {
  ipv4: (v) => withoutPort(v, normalizeIpv4),
  ipv6: normalizeIpv6,
  domain: (v) => withoutPort(v, normalizeDomain),
  url: normalizeUrl,
  md5: (v) => normalizeHash(v, 32, 'MD5'),
  sha1: (v) => normalizeHash(v, 40, 'SHA-1'),
  sha256: (v) => normalizeHash(v, 64, 'SHA-256'),
  cve: normalizeCve,
  email: normalizeEmail,
};

// --- Port ------------------------------------------------------------------------------------

/**
 * `host:port` (one ":", a decimal port) → `next(host)`; anything else goes to `next` whole, so a
 * stray ":" is reported by the type's own rules ("invalid character ':' in domain").
 */
function withoutPort(v: string, next: (host: string) => Check<string>): Check<string> {
  const colon = v.indexOf(':');
  if (colon < 0 || v.indexOf(':', colon + 1) >= 0 || !/^[0-9]+$/.test(v.slice(colon + 1))) return next(v);
  const port = checkPort(v.slice(colon + 1));
  if (!port.ok) return port;
  const host = v.slice(0, colon);
  return host.includes('/') ? fail('a network (CIDR) has no port') : next(host);
}

function checkPort(port: string): Check<string> {
  if (!/^[0-9]+$/.test(port)) return fail(`invalid port ${quote(port)}`);
  return Number(port) > 65535 ? fail(`port ${quote(port)} out of range (0..65535)`) : pass(port);
}

// --- CIDR prefix -------------------------------------------------------------------------------

function splitPrefix(v: string): { address: string; prefix: string | undefined } {
  const slash = v.indexOf('/');
  return slash < 0 ? { address: v, prefix: undefined } : { address: v.slice(0, slash), prefix: v.slice(slash + 1) };
}

function parsePrefixLength(prefix: string, max: number): Check<number> {
  if (!/^[0-9]{1,3}$/.test(prefix)) return fail(`invalid prefix length ${quote(prefix)} (expected /0../${max})`);
  if (prefix.length > 1 && prefix.startsWith('0')) return fail(`prefix length /${prefix} has a leading zero`);
  const length = Number(prefix);
  return length > max ? fail(`prefix length /${length} out of range (0..${max})`) : pass(length);
}

// --- IPv4 ---------------------------------------------------------------------------------------

/** Dotted quad or CIDR; `/32` is the plain address. */
function normalizeIpv4(v: string): Check<string> {
  const { address, prefix } = splitPrefix(v);
  const parsed = parseIpv4(address);
  if (!parsed.ok) return parsed;
  if (prefix === undefined) return pass(formatIpv4(parsed.value));
  const length = parsePrefixLength(prefix, 32);
  if (!length.ok) return length;
  if (length.value === 32) return pass(formatIpv4(parsed.value));
  const size = 2 ** (32 - length.value);
  const network = parsed.value - (parsed.value % size);
  if (network !== parsed.value) return fail(`host bits set, did you mean ${formatIpv4(network)}/${length.value}`);
  return pass(`${formatIpv4(network)}/${length.value}`);
}

/**
 * Strict dotted-decimal quad only. inet_aton() also accepts hex (0x7f.1), octal (0177.0.0.1) and
 * short forms (127.1), and tools disagree on them, so any of those is rejected rather than guessed.
 */
function parseIpv4(s: string): Check<number> {
  const octets = s.split('.');
  if (octets.length !== 4) {
    return fail(`expected 4 dotted decimal octets, got ${octets.length} (short and integer forms are not allowed)`);
  }
  let value = 0;
  for (const text of octets) {
    const octet = parseOctet(text);
    if (!octet.ok) return octet;
    value = value * 256 + octet.value;
  }
  return pass(value);
}

function parseOctet(text: string): Check<number> {
  if (text === '') return fail('empty octet');
  if (/^0x/i.test(text)) return fail(`hex octet ${quote(text)} is not allowed`);
  if (!/^[0-9]+$/.test(text)) return fail(`invalid octet ${quote(text)}`);
  if (text.length > 1 && text.startsWith('0')) return fail('leading zero is ambiguous (octal)');
  const value = Number(text);
  return value > 255 ? fail('octet out of range') : pass(value);
}

function formatIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

// --- IPv6 ---------------------------------------------------------------------------------------

/** Optional brackets, optional CIDR prefix (host bits must be zero), `/128` is the plain address. */
function normalizeIpv6(v: string): Check<string> {
  const unbracketed = stripBrackets(v);
  if (!unbracketed.ok) return unbracketed;
  const s = unbracketed.value;
  // RFC 4007 §11 zone ids are local to one host's interfaces: meaningless as a shared indicator.
  if (s.includes('%')) return fail('zone identifiers (%…) are not allowed');
  const { address, prefix } = splitPrefix(s);
  const parsed = parseIpv6(address);
  if (!parsed.ok) return parsed;
  if (prefix === undefined) return pass(formatIpv6(parsed.value));
  const length = parsePrefixLength(prefix, 128);
  if (!length.ok) return length;
  if (length.value === 128) return pass(formatIpv6(parsed.value));
  const value = groupsToBigInt(parsed.value);
  const hostBits = 128n - BigInt(length.value);
  const network = (value >> hostBits) << hostBits;
  const canonical = `${formatIpv6(bigIntToGroups(network))}/${length.value}`;
  return network === value ? pass(canonical) : fail(`host bits set, did you mean ${canonical}`);
}

/**
 * `[2001:db8::1]` (RFC 3986 §3.2.2 IP-literal) → `2001:db8::1`; a prefix may follow the `]`, or a
 * port (`[2001:db8::1]:443`), which is dropped.
 */
function stripBrackets(v: string): Check<string> {
  if (!v.startsWith('[')) return pass(v);
  const close = v.indexOf(']');
  if (close < 0) return fail('unclosed "["');
  const after = v.slice(close + 1);
  if (after.startsWith(':')) {
    const port = checkPort(after.slice(1));
    return port.ok ? pass(v.slice(1, close)) : port;
  }
  if (after.startsWith('/') && after.includes(':')) return fail('a network (CIDR) has no port');
  if (after !== '' && !after.startsWith('/')) return fail(`unexpected ${quote(after)} after "]"`);
  return pass(v.slice(1, close) + after);
}

/** RFC 4291 §2.2 text forms: 8 hex groups, at most one "::", optional dotted IPv4 as the last 32 bits. */
function parseIpv6(s: string): Check<number[]> {
  if (s === '') return fail('empty address');
  const invalid = /[^0-9a-f:.]/i.exec(s);
  if (invalid) return fail(`invalid character ${quote(invalid[0])} in IPv6 address`);
  const halves = s.split('::');
  if (halves.length > 2) return fail('more than one "::" (RFC 4291 §2.2)');
  const compressed = halves.length === 2;
  const head = parseGroupList(halves[0] ?? '', !compressed);
  if (!head.ok) return head;
  const tail = compressed ? parseGroupList(halves[1] ?? '', true) : pass<number[]>([]);
  if (!tail.ok) return tail;
  const count = head.value.length + tail.value.length;
  if (!compressed) return count === 8 ? head : fail(`expected 8 groups, got ${count}`);
  if (count > 7) return fail(`too many groups (${count}) for "::", which stands for at least one zero group`);
  return pass([...head.value, ...new Array<number>(8 - count).fill(0), ...tail.value]);
}

function parseGroupList(text: string, dottedTailAllowed: boolean): Check<number[]> {
  if (text === '') return pass([]);
  const pieces = text.split(':');
  const groups: number[] = [];
  for (const [i, piece] of pieces.entries()) {
    if (piece.includes('.')) {
      if (!dottedTailAllowed || i !== pieces.length - 1) return fail('an embedded IPv4 address must be the last 32 bits');
      const v4 = parseIpv4(piece);
      if (!v4.ok) return fail(`embedded IPv4 ${quote(piece)}: ${v4.why}`);
      groups.push(Math.floor(v4.value / 65536), v4.value % 65536);
      continue;
    }
    const group = parseHexGroup(piece);
    if (!group.ok) return group;
    groups.push(group.value);
  }
  return pass(groups);
}

function parseHexGroup(piece: string): Check<number> {
  if (piece === '') return fail('empty group (stray ":")');
  if (!/^[0-9a-f]+$/i.test(piece)) return fail(`invalid group ${quote(piece)} (expected 1-4 hex digits)`);
  if (piece.length > 4) return fail(`group ${quote(piece)} has more than 4 hex digits`);
  return pass(parseInt(piece, 16));
}

/** RFC 5952 §4 canonical text, or §5 mixed notation for address ranges that embed an IPv4 address. */
function formatIpv6(groups: readonly number[]): string {
  if (!embedsIpv4(groups)) return compressGroups(groups);
  const head = compressGroups(groups.slice(0, 6));
  const v4 = formatIpv4((groups[6] ?? 0) * 65536 + (groups[7] ?? 0));
  return head.endsWith('::') ? head + v4 : `${head}:${v4}`;
}

/** IPv4-mapped ::ffff:0:0/96 (RFC 4291 §2.5.5.2) and the NAT64 prefix 64:ff9b::/96 (RFC 6052 §2.1). */
function embedsIpv4(g: readonly number[]): boolean {
  const zeros = (from: number, to: number): boolean => g.slice(from, to).every((x) => x === 0);
  const mapped = zeros(0, 5) && g[5] === 0xffff;
  const nat64 = g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6);
  return mapped || nat64;
}

/**
 * RFC 5952 §4.1 no leading zeros, §4.3 lowercase, §4.2.1–4.2.3: "::" replaces the longest run of
 * two or more zero groups, the first such run on a tie, and never a single zero group.
 */
function compressGroups(groups: readonly number[]): string {
  const hex = groups.map((g) => g.toString(16));
  const run = longestZeroRun(groups);
  if (run.length < 2) return hex.join(':');
  return `${hex.slice(0, run.start).join(':')}::${hex.slice(run.start + run.length).join(':')}`;
}

function longestZeroRun(groups: readonly number[]): { start: number; length: number } {
  let best = { start: -1, length: 0 };
  let start = -1;
  for (let i = 0; i <= groups.length; i += 1) {
    if (i < groups.length && groups[i] === 0) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      if (i - start > best.length) best = { start, length: i - start };
      start = -1;
    }
  }
  return best;
}

function groupsToBigInt(groups: readonly number[]): bigint {
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

function bigIntToGroups(n: bigint): number[] {
  return [7, 6, 5, 4, 3, 2, 1, 0].map((i) => Number((n >> BigInt(i * 16)) & 0xffffn));
}

// --- Domain -------------------------------------------------------------------------------------

/** IDNA label separators other than "." (UTS #46 §2.3): ideographic, full-width and half-width stops. */
const IDNA_DOTS = /[\u3002\uff0e\uff61]/g;

/**
 * Lowercase, one trailing dot (the DNS root) removed, IDN → punycode A-labels, then RFC 1035
 * length/character rules. See validateDomain for the underscore decision.
 */
function normalizeDomain(input: string): Check<string> {
  const dotted = input.replace(IDNA_DOTS, '.');
  const name = dotted.endsWith('.') ? dotted.slice(0, -1) : dotted;
  if (name === '') return fail('empty domain');
  // Only non-ASCII characters are left to IDNA: it would otherwise percent-decode ("ex%61mple")
  // or accept characters that are not part of any hostname.
  const invalid = /[^A-Za-z0-9._\-\u0080-\uffff]/.exec(name);
  if (invalid) return fail(`invalid character ${quote(invalid[0])} in domain`);
  const ascii = toAsciiDomain(name);
  return ascii.ok ? validateDomain(ascii.value) : ascii;
}

/**
 * ASCII names are just lowercased; their "xn--" labels must still be valid punycode. Non-ASCII
 * names go through UTS #46 processing (node:url domainToASCII): mapping (full-width → ASCII,
 * case folding), normalization and punycode. Mixed-script homographs such as Cyrillic "раypal"
 * are converted, not rejected: they are exactly the lookalike domains phishing reports list.
 */
function toAsciiDomain(name: string): Check<string> {
  if (/^[\x00-\x7f]*$/.test(name)) {
    const lower = name.toLowerCase();
    if (/(^|\.)xn--/.test(lower) && domainToASCII(lower) !== lower) return fail('invalid punycode (xn--) label');
    return pass(lower);
  }
  const ascii = domainToASCII(name);
  return ascii === '' ? fail('not a valid internationalized domain name (rejected by IDNA/UTS #46)') : pass(ascii);
}

/**
 * RFC 1035 §2.3.4: labels 1–63 octets, name ≤ 253 characters in text form (255 on the wire).
 * RFC 1035 §2.3.1: letters, digits and hyphen, no hyphen at either end of a label.
 *
 * Underscores are allowed in every label but the TLD. RFC 2181 §11 lets DNS labels hold any
 * octet; the LDH rule is a hostname convention, and real records (_dmarc, _domainkey, SRV names)
 * and malware infrastructure (DGA and dynamic-DNS subdomains) use underscores, so rejecting
 * them would drop genuine IOCs. No delegated TLD contains one, so a TLD with "_" is an error.
 * A TLD that is all digits is rejected because resolvers and URL parsers read such names as
 * IPv4 addresses (URL Standard "ends in a number").
 */
function validateDomain(domain: string): Check<string> {
  if (domain.length > 253) return fail(`domain is ${domain.length} characters, max 253 (RFC 1035 §2.3.4)`);
  const labels = domain.split('.');
  if (labels.length < 2) return fail('a domain needs at least two labels');
  for (const label of labels) {
    const problem = labelProblem(label);
    if (problem !== undefined) return fail(problem);
  }
  const tld = labels[labels.length - 1] ?? '';
  if (/^[0-9]+$/.test(tld)) return fail('top-level label is all-numeric (not a domain; an IPv4 address?)');
  if (tld.includes('_')) return fail(`underscore in top-level label ${quote(tld)}`);
  return pass(domain);
}

function labelProblem(label: string): string | undefined {
  if (label === '') return 'empty label (leading or consecutive dots)';
  if (label.length > 63) return `label of ${label.length} characters, max 63 (RFC 1035 §2.3.4)`;
  if (!/^[a-z0-9_-]+$/.test(label)) return `invalid character in label ${quote(label)}`;
  if (label.startsWith('-') || label.endsWith('-')) {
    return `label ${quote(label)} starts or ends with a hyphen (RFC 1035 §2.3.1)`;
  }
  return undefined;
}

// --- URL ----------------------------------------------------------------------------------------

const DEFAULT_PORTS: ReadonlyMap<string, number> = new Map([
  ['http', 80],
  ['https', 443],
  ['ftp', 21],
]);

/**
 * RFC 3986 §3: scheme "://" authority, then path/query/fragment. We parse scheme and authority
 * ourselves and keep the rest verbatim: WHATWG `new URL()` would percent-encode, resolve "..",
 * and rewrite backslashes, changing the very bytes an IOC must match. No "/" is added to an
 * empty path (RFC 3986 §6.2.3 would allow it; we keep exactly what was reported).
 */
function normalizeUrl(v: string): Check<string> {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(v);
  if (!scheme) return fail('missing scheme (expected http://, https:// or ftp://)');
  const name = (scheme[1] ?? '').toLowerCase(); // RFC 3986 §3.1: schemes are case-insensitive
  const defaultPort = DEFAULT_PORTS.get(name);
  if (defaultPort === undefined) return fail(`unsupported scheme ${quote(name)} (allowed: http, https, ftp)`);
  const authorityStart = scheme[0].length + 2;
  if (!v.startsWith('//', scheme[0].length)) return fail(`missing "//" after "${name}:"`);
  const authorityEnd = findAuthorityEnd(v, authorityStart);
  const authority = normalizeAuthority(v.slice(authorityStart, authorityEnd), defaultPort);
  return authority.ok ? pass(`${name}://${authority.value}${v.slice(authorityEnd)}`) : authority;
}

/** RFC 3986 §3.2: the authority ends at the first "/", "?" or "#". */
function findAuthorityEnd(v: string, from: number): number {
  const rest = v.slice(from).search(/[/?#]/);
  return rest < 0 ? v.length : from + rest;
}

/**
 * RFC 3986 §3.2: [ userinfo "@" ] host [ ":" port ]. Userinfo is kept verbatim. The host follows
 * the last "@" as in browsers, so what we store is the host a browser would actually contact.
 */
function normalizeAuthority(authority: string, defaultPort: number): Check<string> {
  // Browsers treat "\" as "/" in http(s) URLs: "http://evil.com\@good.com" goes to evil.com, while
  // RFC 3986 reads good.com. Refuse rather than store the wrong host.
  if (authority.includes('\\')) return fail('backslash in authority (browsers read it as "/", so the host is ambiguous)');
  const at = authority.lastIndexOf('@');
  const userinfo = authority.slice(0, at + 1);
  const hostPort = splitHostPort(authority.slice(at + 1));
  if (!hostPort.ok) return hostPort;
  if (hostPort.value.host === '') return fail('empty host');
  const host = normalizeUrlHost(hostPort.value.host);
  if (!host.ok) return fail(`host ${quote(hostPort.value.host)}: ${host.why}`);
  const port = normalizePort(hostPort.value.port, defaultPort);
  return port.ok ? pass(userinfo + host.value + port.value) : port;
}

function splitHostPort(hostPort: string): Check<{ host: string; port: string | undefined }> {
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    if (close < 0) return fail('unclosed "[" in host');
    const after = hostPort.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) return fail(`unexpected ${quote(after)} after "]"`);
    return pass({ host: hostPort.slice(0, close + 1), port: after === '' ? undefined : after.slice(1) });
  }
  const colon = hostPort.indexOf(':');
  if (colon < 0) return pass({ host: hostPort, port: undefined });
  if (hostPort.indexOf(':', colon + 1) >= 0) {
    return fail('more than one ":" in authority (an IPv6 host must be in brackets, RFC 3986 §3.2.2)');
  }
  return pass({ host: hostPort.slice(0, colon), port: hostPort.slice(colon + 1) });
}

/** RFC 3986 §6.2.3: an empty port and the scheme's default port are omitted; leading zeros dropped. */
function normalizePort(port: string | undefined, defaultPort: number): Check<string> {
  if (port === undefined || port === '') return pass('');
  if (!/^[0-9]+$/.test(port)) return fail(`invalid port ${quote(port)}`);
  const n = Number(port);
  if (n > 65535) return fail(`port ${quote(port)} out of range (0..65535)`);
  return pass(n === defaultPort ? '' : `:${n}`);
}

/**
 * RFC 3986 §3.2.2 host: IP-literal in brackets, IPv4, or a registered name (normalized as a
 * domain). A host whose last label is numeric is parsed as IPv4 (as browsers do), so the strict
 * IPv4 rules reject hex/octal/short hosts like "0x7f.1" with an IPv4 reason.
 */
function normalizeUrlHost(host: string): Check<string> {
  if (host === '') return fail('empty host');
  if (host.startsWith('[')) return normalizeIpLiteral(host.slice(1, -1));
  const bare = host.endsWith('.') ? host.slice(0, -1) : host;
  const lastLabel = bare.slice(bare.lastIndexOf('.') + 1);
  if (/^(0x[0-9a-f]*|[0-9]+)$/i.test(lastLabel)) {
    const v4 = parseIpv4(bare);
    return v4.ok ? pass(formatIpv4(v4.value)) : v4;
  }
  return normalizeDomain(host);
}

function normalizeIpLiteral(inner: string): Check<string> {
  if (/^v/i.test(inner)) return fail('IPvFuture literals are not supported');
  if (inner.includes('%')) return fail('zone identifiers (%…) are not allowed');
  const v6 = parseIpv6(inner);
  return v6.ok ? pass(`[${formatIpv6(v6.value)}]`) : v6;
}

// --- Hashes -------------------------------------------------------------------------------------

function normalizeHash(v: string, length: number, name: string): Check<string> {
  const invalid = /[^0-9a-f]/i.exec(v);
  if (invalid) return fail(`invalid character ${quote(invalid[0])} (${name} is ${length} hex characters)`);
  if (v.length !== length) return fail(`expected ${length} hex characters for ${name}, got ${v.length}`);
  return pass(v.toLowerCase());
}

// --- CVE ----------------------------------------------------------------------------------------

/** CVE ids: CVE-YYYY-NNNN with 4 to 19 sequence digits (CVE JSON 5 schema), year 1999..2100. */
function normalizeCve(v: string): Check<string> {
  const match = /^CVE-([0-9]+)-([0-9]+)$/i.exec(v);
  if (!match) return fail('expected CVE-YYYY-NNNN');
  const year = match[1] ?? '';
  const sequence = match[2] ?? '';
  if (year.length !== 4) return fail(`year ${quote(year)} must have 4 digits`);
  if (Number(year) < 1999 || Number(year) > 2100) return fail(`year ${year} out of range (1999..2100)`);
  if (sequence.length < 4) return fail('sequence number needs at least 4 digits');
  if (sequence.length > 19) return fail(`sequence number has ${sequence.length} digits, max 19`);
  return pass(`CVE-${year}-${sequence}`);
}

// --- Email --------------------------------------------------------------------------------------

/** RFC 5321 §4.5.3.1.3: a path is at most 256 octets including "<" and ">". */
const MAX_EMAIL_LENGTH = 254;

/**
 * addr-spec with a dot-atom local part (RFC 5322 §3.4.1). Quoted local parts and obsolete
 * syntax are rejected: they do not occur in real indicator feeds and complicate matching.
 * Local-part case is kept (RFC 5321 §2.4: only the receiving host may interpret it).
 */
function normalizeEmail(v: string): Check<string> {
  if (v.length > MAX_EMAIL_LENGTH) return fail(`address is ${v.length} characters, max ${MAX_EMAIL_LENGTH} (RFC 5321 §4.5.3.1.3)`);
  const at = v.indexOf('@');
  if (at < 0) return fail('missing "@"');
  if (v.indexOf('@', at + 1) >= 0) return fail('more than one "@" (quoted local parts are not supported)');
  const local = checkLocalPart(v.slice(0, at));
  if (!local.ok) return local;
  if (at === v.length - 1) return fail('empty domain');
  const domain = normalizeEmailDomain(v.slice(at + 1));
  if (!domain.ok) return domain;
  const address = `${local.value}@${domain.value}`;
  // Punycode can lengthen the domain, so the limit is checked again on the canonical form.
  if (address.length > MAX_EMAIL_LENGTH) return fail(`address is ${address.length} characters after IDNA, max ${MAX_EMAIL_LENGTH}`);
  return pass(address);
}

/** RFC 5322 §3.2.3 atext and dot-atom; RFC 5321 §4.5.3.1.1 local part ≤ 64 octets. */
function checkLocalPart(local: string): Check<string> {
  if (local === '') return fail('empty local part');
  if (local.length > 64) return fail(`local part is ${local.length} characters, max 64 (RFC 5321 §4.5.3.1.1)`);
  const invalid = /[^A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]/.exec(local);
  if (invalid) {
    return fail(`invalid character ${quote(invalid[0])} in local part (RFC 5322 §3.2.3 atext; quoted and non-ASCII local parts are not supported)`);
  }
  if (local.startsWith('.') || local.endsWith('.') || local.includes('..')) {
    return fail('leading, trailing or double dot in local part (RFC 5322 §3.2.3 dot-atom)');
  }
  return pass(local);
}

/**
 * A domain, or an RFC 5321 §4.1.3 address literal: `[1.2.3.4]` or `[IPv6:2001:db8::1]`. Literals
 * are accepted because spam and phishing senders do use them; they are canonicalized like IPs.
 */
function normalizeEmailDomain(domain: string): Check<string> {
  if (!domain.startsWith('[')) {
    const name = normalizeDomain(domain);
    return name.ok ? name : fail(`domain ${quote(domain)}: ${name.why}`);
  }
  if (!domain.endsWith(']')) return fail('unclosed "[" in address literal');
  const inner = domain.slice(1, -1);
  if (/^ipv6:/i.test(inner)) {
    const v6 = parseIpv6(inner.slice(5));
    return v6.ok ? pass(`[IPv6:${formatIpv6(v6.value)}]`) : fail(`address literal: ${v6.why}`);
  }
  const v4 = parseIpv4(inner);
  return v4.ok ? pass(`[${formatIpv4(v4.value)}]`) : fail(`address literal: ${v4.why}`);
}
