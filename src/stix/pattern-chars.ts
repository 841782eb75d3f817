/**
 * The characters of STIX Patterning (STIX 2.1 §9) and how a refusal quotes them: shared by the pattern reader of
 * patterns read back (pattern-parse.ts) and the grammar check of posted ones (pattern-grammar.ts).
 */
import { codePointLabel } from '../domain/code-point.js';

/** Whitespace as the OASIS grammar's WS rule takes it, Unicode spaces and line separators included. */
export function isWhitespace(c: number): boolean {
  return (
    c === 0x20 ||
    (c >= 0x09 && c <= 0x0d) ||
    c === 0x85 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}

export function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

export function isIdentStart(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
}

export function isIdentPart(c: number): boolean {
  return isIdentStart(c) || isDigit(c) || c === 0x2d;
}

export const QUOTE = 0x27;
export const BACKSLASH = 0x5c;

// Controls, bidi overrides, zero-width characters and lone surrogates, which would make a logged reason lie
// about what it shows (Trojan Source) or break consumers that expect well-formed UTF-16: shown as code points.
const UNPRINTABLE =
  /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Keeps reasons short and printable even when the offending text is a 100 000-character hostile token. */
export function excerpt(text: string, max = 40): string {
  let short = text;
  if (text.length > max) {
    let end = max;
    // Do not cut an astral character in half.
    const last = text.charCodeAt(end - 1);
    if (last >= 0xd800 && last <= 0xdbff) end -= 1;
    short = `${text.slice(0, end)}…`;
  }
  return short.replace(UNPRINTABLE, (ch) => `<${codePointLabel(ch.charCodeAt(0))}>`);
}
