/** Checks of the raw text before any type applies, and how a reason shows the value. */
import { codePointLabel } from '../code-point.js';
import { refang } from '../refang.js';
import { type Check, fail, type Normalized, pass } from './check.js';

/** Longest accepted raw value (UTF-16 code units). Long URLs are legitimate, megabyte "values" are not. */
export const MAX_VALUE_LENGTH = 8192;

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

const CONTROL_NAMES: Readonly<Record<number, string>> = { 0: 'NUL', 9: 'TAB', 10: 'LF', 13: 'CR', 27: 'ESC', 127: 'DEL' };

/** Type-independent checks, then refang. Length is checked first so huge input costs O(1). */
export function prepare(raw: unknown): Check<string> {
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

export function reject(raw: unknown, why: string): Normalized {
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
export function quote(fragment: string): string {
  return `"${displayValue(fragment)}"`;
}
