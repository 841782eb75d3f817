/** URLs: scheme and host canonicalized, the rest kept byte for byte. */
import { type Check, fail, pass } from './check.js';
import { normalizeDomain } from './domain.js';
import { checkPort, formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from './ip.js';
import { quote } from './text.js';

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
export function normalizeUrl(v: string): Check<string> {
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
  const checked = checkPort(port);
  if (!checked.ok) return checked;
  const n = Number(port);
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
