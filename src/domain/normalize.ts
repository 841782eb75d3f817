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
 *
 * Each type has its own file under normalize/; this file is the one entry point.
 */
import { isIocType, type IocType } from './ioc-types.js';
import type { Check, Normalized } from './normalize/check.js';
import { normalizeCve } from './normalize/cve.js';
import { detectPrepared } from './normalize/detect.js';
import { normalizeDomain } from './normalize/domain.js';
import { normalizeEmail } from './normalize/email.js';
import { normalizeHash } from './normalize/hash.js';
import { normalizeIpv4, normalizeIpv6, withoutPort } from './normalize/ip.js';
import { prepare, quote, reject } from './normalize/text.js';
import { normalizeUrl } from './normalize/url.js';

export type { Normalized } from './normalize/check.js';
export { displayValue, MAX_VALUE_LENGTH } from './normalize/text.js';

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

/** One normalizer per type (normalize/*.ts); each gets the value after the shared text checks and refang. */
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
