/** IPv4 and IPv6 addresses and networks, with the port and CIDR prefix rules they share. */
import { type Check, fail, pass } from './check.js';
import { quote } from './text.js';

// --- Port ------------------------------------------------------------------------------------

/**
 * `host:port` (one ":", a decimal port) → `next(host)`; anything else goes to `next` whole, so a
 * stray ":" is reported by the type's own rules ("invalid character ':' in domain").
 */
export function withoutPort(v: string, next: (host: string) => Check<string>): Check<string> {
  const colon = v.indexOf(':');
  if (colon < 0 || v.indexOf(':', colon + 1) >= 0 || !/^[0-9]+$/.test(v.slice(colon + 1))) return next(v);
  const port = checkPort(v.slice(colon + 1));
  if (!port.ok) return port;
  const host = v.slice(0, colon);
  return host.includes('/') ? fail('a network (CIDR) has no port') : next(host);
}

export function checkPort(port: string): Check<string> {
  if (!/^[0-9]+$/.test(port)) return fail(`invalid port ${quote(port)}`);
  return Number(port) > 65535 ? fail(`port ${quote(port)} out of range (0..65535)`) : pass(port);
}

// --- CIDR prefix -------------------------------------------------------------------------------

export function splitPrefix(v: string): { address: string; prefix: string | undefined } {
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
export function normalizeIpv4(v: string): Check<string> {
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
export function parseIpv4(s: string): Check<number> {
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

export function formatIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

// --- IPv6 ---------------------------------------------------------------------------------------

/** Optional brackets, optional CIDR prefix (host bits must be zero), `/128` is the plain address. */
export function normalizeIpv6(v: string): Check<string> {
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
export function parseIpv6(s: string): Check<number[]> {
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
export function formatIpv6(groups: readonly number[]): string {
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

export function bigIntToGroups(n: bigint): number[] {
  return [7, 6, 5, 4, 3, 2, 1, 0].map((i) => Number((n >> BigInt(i * 16)) & 0xffffn));
}
