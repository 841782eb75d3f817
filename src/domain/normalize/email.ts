/** Email addresses: a dot-atom local part kept as is, a domain or address literal canonicalized. */
import { type Check, fail, pass } from './check.js';
import { normalizeDomain } from './domain.js';
import { formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from './ip.js';
import { quote } from './text.js';

/** RFC 5321 §4.5.3.1.3: a path is at most 256 octets including "<" and ">". */
const MAX_EMAIL_LENGTH = 254;

/**
 * addr-spec with a dot-atom local part (RFC 5322 §3.4.1). Quoted local parts and obsolete
 * syntax are rejected: they do not occur in real indicator feeds and complicate matching.
 * Local-part case is kept (RFC 5321 §2.4: only the receiving host may interpret it).
 */
export function normalizeEmail(v: string): Check<string> {
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

