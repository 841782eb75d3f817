/** Domain names: IDNA to A-labels, then the DNS length and character rules. */
import { domainToASCII } from 'node:url';
import { type Check, fail, pass } from './check.js';
import { quote } from './text.js';

/** IDNA label separators other than "." (UTS #46 §2.3): ideographic, full-width and half-width stops. */
const IDNA_DOTS = /[\u3002\uff0e\uff61]/g;

/**
 * Lowercase, one trailing dot (the DNS root) removed, IDN → punycode A-labels, then RFC 1035
 * length/character rules. See validateDomain for the underscore decision.
 */
export function normalizeDomain(input: string): Check<string> {
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
