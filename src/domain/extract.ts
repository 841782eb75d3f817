/**
 * Values in free text (an email, a log excerpt, a ticket) for the look-up: IPv4/IPv6 addresses and networks, URLs,
 * emails, domains, hashes and CVE ids, each refanged (`hxxp://evil[.]com`) and normalized (domain/normalize.ts),
 * de-duplicated, in the order they first appear.
 *
 * Linear and total: the text is cut into tokens at whitespace and at characters no value holds, each token is
 * trimmed of the punctuation prose puts around values, refanged and normalized on its own; a token longer than
 * MAX_VALUE_LENGTH is skipped before any other work. No regular expression backtracks.
 */
import type { IocType } from './ioc-types.js';
import { MAX_VALUE_LENGTH, normalizeAny } from './normalize.js';
import { refang } from './refang.js';

export interface Extracted {
  type: IocType;
  value: string;
}

/** Characters that end a token: whitespace, quotes, angle brackets, the pipe of tables, backticks. */
const SEPARATORS = /[\s"'<>`|\u00a0\u2018\u2019\u201c\u201d]+/;
/** Punctuation prose puts before a value. */
const LEADING = new Set(['(', '{', ',', ';', ':', '*', '!', '?']);
/** Punctuation prose puts after a value. */
const TRAILING = new Set(['.', ',', ';', ':', '!', '?', ')', '}', ']', '*']);

/** The distinct normalized values in `text`, in order of first appearance; at most `max` (the rest are not read). */
export function extractValues(text: string, max = Number.POSITIVE_INFINITY): Extracted[] {
  const out: Extracted[] = [];
  const seen = new Set<string>();
  if (typeof text !== 'string') return out;
  for (const raw of text.split(SEPARATORS)) {
    if (out.length >= max) break;
    if (raw === '' || raw.length > MAX_VALUE_LENGTH) continue;
    for (const part of pieces(raw)) {
      const token = trimPunctuation(refang(trimPunctuation(part)));
      if (token === '' || token.length > MAX_VALUE_LENGTH) continue;
      const n = normalizeAny(token);
      if (!n.ok || !plausible(n.type, n.value)) continue;
      const id = `${n.type} ${n.value}`;
      if (seen.has(id)) continue;
      seen.add(id);
      out.push({ type: n.type, value: n.value });
      if (out.length >= max) break;
    }
  }
  return out;
}

/** A URL token is kept whole (commas and semicolons may be in its path); other tokens also split at `,` and `;`. */
function pieces(token: string): string[] {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(token) || /^h[x]{2}ps?:/i.test(token) ? [token] : token.split(/[,;]+/);
}

function trimPunctuation(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && LEADING.has(s[start]!)) start++;
  while (end > start && TRAILING.has(s[end - 1]!)) {
    // `[2001:db8::1]` keeps its closing bracket when it opened one.
    if (s[end - 1] === ']' && s.lastIndexOf('[', end - 1) >= start) break;
    end--;
  }
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

/** Prose is full of dotted words (`e.g`, `v1.2`): a domain needs a top-level label of two letters or more. */
function plausible(type: IocType, value: string): boolean {
  if (type !== 'domain') return true;
  const tld = value.slice(value.lastIndexOf('.') + 1);
  return /^([a-z]{2,63}|xn--[a-z0-9-]{1,59})$/.test(tld);
}
