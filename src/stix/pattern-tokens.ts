/**
 * The tokens of STIX 2.1 Patterning, the one tokenizer of the language: their kinds, the tokenizer with the
 * validation of every literal kind (strings, timestamps, binary, hex), and the hash forms the reference validator
 * checks. The grammar check (pattern-grammar.ts) reads tokens on demand with `nextToken`; the pattern reader
 * (pattern-parse.ts) takes them all at once with `tokenize`. A refusal is thrown as a GrammarError whose message
 * is the reason.
 */

import { codePointLabel } from '../domain/code-point.js';
import { BACKSLASH, excerpt as excerptOf, isDigit, isIdentPart, isIdentStart, isWhitespace, QUOTE } from './pattern-chars.js';

// ---------------------------------------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------------------------------------

type TokenKind =
  | '['
  | ']'
  | '('
  | ')'
  | ':'
  | '.'
  | ','
  | '*'
  | 'op' // = == != <> < <= > >=
  | 'keyword' // AND OR NOT FOLLOWEDBY LIKE MATCHES ISSUPERSET ISSUBSET EXISTS LAST IN START STOP SECONDS WITHIN REPEATS TIMES
  | 'bool'
  | 'ident' // object type or property name; `hyphen` says whether it contains '-'
  | 'string' // `value` holds the unescaped text
  | 'hex'
  | 'binary'
  | 'timestamp' // `value` holds the text between the quotes
  | 'int'
  | 'float'
  | 'eof';

export interface Token {
  kind: TokenKind;
  /** Source text of the token. */
  text: string;
  /** Offset of the token's first character in the pattern. */
  at: number;
  /** Offset just after the token. */
  end: number;
  value?: string;
  hyphen?: boolean;
}

export class GrammarError extends Error {}

export function fail(reason: string): never {
  throw new GrammarError(reason);
}

export const KEYWORDS = new Set([
  'AND',
  'OR',
  'NOT',
  'FOLLOWEDBY',
  'LIKE',
  'MATCHES',
  'ISSUPERSET',
  'ISSUBSET',
  'EXISTS',
  'LAST',
  'IN',
  'START',
  'STOP',
  'SECONDS',
  'WITHIN',
  'REPEATS',
  'TIMES',
]);

/** The WS rule of the grammar: these characters separate tokens and are otherwise ignored. */
function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

function isBase64Char(c: number): boolean {
  return isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2b || c === 0x2f;
}

/** A short, printable rendering of source text for a reason. */
export function excerpt(text: string, max = 32): string {
  return excerptOf(text, max);
}

export function describeChar(s: string, i: number): string {
  const cp = s.codePointAt(i) ?? 0;
  return cp > 0x20 && cp < 0x7f ? `'${String.fromCharCode(cp)}'` : codePointLabel(cp);
}

/** What a token is, without its offset. */
export function show(t: Token): string {
  switch (t.kind) {
    case 'eof':
      return 'end of pattern';
    case 'string':
      return `string '${excerpt(t.value ?? '')}'`;
    case 'hex':
    case 'binary':
    case 'timestamp':
      return `${t.kind} literal ${excerpt(t.text)}`;
    case 'ident':
      return `identifier '${excerpt(t.text)}'`;
    case 'int':
    case 'float':
      return `number ${excerpt(t.text)}`;
    default:
      return `'${excerpt(t.text)}'`;
  }
}

/** What a token is and where. */
export function describe(t: Token): string {
  return t.kind === 'eof' ? 'end of pattern' : `${show(t)} at offset ${t.at}`;
}

// ---------------------------------------------------------------------------------------------------------
// Literals
// ---------------------------------------------------------------------------------------------------------

/**
 * Scans a string literal whose opening quote is at `start`: the only escapes are \' and \\ (§9.2, and the
 * grammar's StringLiteral). Returns the unescaped value and the offset after the closing quote.
 */
function scanString(s: string, start: number): { value: string; end: number } {
  const parts: string[] = [];
  let i = start + 1;
  let segment = i;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === QUOTE) {
      parts.push(s.slice(segment, i));
      return { value: parts.join(''), end: i + 1 };
    }
    if (c === BACKSLASH) {
      if (i + 1 >= s.length) break;
      const next = s.charCodeAt(i + 1);
      if (next !== BACKSLASH && next !== QUOTE) {
        fail(`invalid escape '\\' followed by ${describeChar(s, i + 1)} in the string at offset ${start} (only \\' and \\\\ are allowed)`);
      }
      parts.push(s.slice(segment, i), next === QUOTE ? "'" : '\\');
      i += 2;
      segment = i;
      continue;
    }
    i += 1;
  }
  fail(`unterminated string starting at offset ${start}`);
}

/** Offset of the quote closing a typed literal whose body starts at `from`, scanning only plain characters. */
function closingQuote(s: string, from: number): number {
  for (let i = from; i < s.length; i += 1) {
    const c = s.charCodeAt(i);
    if (c === QUOTE) return i;
    // A backslash or a line break never belongs to h'', b'' or t''; stop so the reason points close to it.
    if (c === BACKSLASH || c === 0x0a || c === 0x0d) return -1;
  }
  return -1;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

const TIMESTAMP_SHAPE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?Z$/;

/** Why `body` (the text inside t'…') is not a valid STIX timestamp, or undefined when it is. */
function timestampProblem(body: string): string | undefined {
  const m = TIMESTAMP_SHAPE.exec(body);
  if (m === null) {
    if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$/.test(body)) return "it lacks the 'Z' (UTC) suffix";
    if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:?\d{2}|z)$/.test(body)) {
      return "it must be in UTC with an upper-case 'Z' suffix";
    }
    return "it is not of the form YYYY-MM-DDTHH:MM:SS[.fraction]Z";
  }
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  if (month < 1 || month > 12) return `month ${m[2]} does not exist`;
  const days = month === 2 && isLeapYear(year) ? 29 : (DAYS_IN_MONTH[month - 1] as number);
  if (day < 1 || day > days) return `day ${m[3]} does not exist in ${m[1]}-${m[2]}`;
  if (hour > 23) return `hour ${m[4]} does not exist`;
  if (minute > 59) return `minute ${m[5]} does not exist`;
  // The grammar allows second 60 (a leap second); UTC inserts leap seconds only as 23:59:60.
  if (second > 60 || (second === 60 && (hour !== 23 || minute !== 59))) return `second ${m[6]} does not exist at ${m[4]}:${m[5]}`;
  return undefined;
}

/** Orders two valid timestamp bodies: negative when a is earlier, 0 when equal, positive when later. */
export function compareTimestamps(a: string, b: string): number {
  // YYYY-MM-DDTHH:MM:SS is fixed-width, so the text orders as the time does (23:59:60 after 23:59:59).
  const headA = a.slice(0, 19);
  const headB = b.slice(0, 19);
  if (headA !== headB) return headA < headB ? -1 : 1;
  const fracA = a.slice(20, -1);
  const fracB = b.slice(20, -1);
  const width = Math.max(fracA.length, fracB.length);
  const fa = fracA.padEnd(width, '0');
  const fb = fracB.padEnd(width, '0');
  return fa === fb ? 0 : fa < fb ? -1 : 1;
}

/** Scans h'…', b'…' or t'…' whose prefix letter is at `start`. */
function scanTyped(s: string, start: number, prefix: 'h' | 'b' | 't'): Token {
  const bodyStart = start + 2;
  const close = closingQuote(s, bodyStart);
  if (close < 0) fail(`${prefix}'…' literal starting at offset ${start} has no closing quote (or holds a backslash or line break)`);
  const body = s.slice(bodyStart, close);
  const text = s.slice(start, close + 1);
  if (prefix === 'h') {
    for (let i = 0; i < body.length; i += 1) {
      if (!isHexDigit(body.charCodeAt(i))) {
        fail(`hex literal at offset ${start} has a non-hex character ${describeChar(body, i)} at offset ${bodyStart + i}`);
      }
    }
    if (body.length % 2 !== 0) fail(`hex literal at offset ${start} has an odd number of hex digits (${body.length})`);
    return { kind: 'hex', text, at: start, end: close + 1, value: body };
  }
  if (prefix === 'b') {
    const problem = base64Problem(body);
    if (problem !== undefined) fail(`binary literal at offset ${start} is not valid base64: ${problem}`);
    return { kind: 'binary', text, at: start, end: close + 1, value: body };
  }
  const problem = timestampProblem(body);
  if (problem !== undefined) fail(`timestamp literal t'${excerpt(body)}' at offset ${start} is invalid: ${problem}`);
  return { kind: 'timestamp', text, at: start, end: close + 1, value: body };
}

/** The grammar's BinaryLiteral: whole 4-character groups, the last one possibly padded with '=' or '=='. */
function base64Problem(body: string): string | undefined {
  if (body.length === 0) return 'it is empty';
  if (body.length % 4 !== 0) return `its length ${body.length} is not a multiple of 4`;
  let padding = 0;
  if (body.endsWith('==')) padding = 2;
  else if (body.endsWith('=')) padding = 1;
  const dataEnd = body.length - padding;
  for (let i = 0; i < dataEnd; i += 1) {
    const c = body.charCodeAt(i);
    if (!isBase64Char(c)) {
      return c === 0x3d ? `'=' padding at position ${i} is not at the end` : `character ${describeChar(body, i)} at position ${i} is not base64`;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Tokenizer
// ---------------------------------------------------------------------------------------------------------

/**
 * Reads the token starting at or after offset `from` (skipping whitespace and comments) with the grammar's
 * longest-match rules; at the end of the input it returns an 'eof' token. Tokens are read on demand, so a
 * pattern is only scanned as far as its first error. Any character sequence the grammar's lexer could only
 * turn into an unusable token (a lone '-', '+', '!', '/', '^', an invalid typed literal…) is refused here
 * with a reason, since no valid pattern contains it.
 */
export function nextToken(s: string, from: number): Token {
  let i = from;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (isWhitespace(c)) {
      i += 1;
      continue;
    }
    const start = i;
    const next = s.charCodeAt(i + 1);
    if (c === 0x2f && next === 0x2a) {
      const close = s.indexOf('*/', i + 2);
      if (close < 0) fail(`unterminated comment starting at offset ${start}`);
      i = close + 2;
      continue;
    }
    if (c === 0x2f && next === 0x2f) {
      while (i < s.length && s.charCodeAt(i) !== 0x0a && s.charCodeAt(i) !== 0x0d) i += 1;
      continue;
    }
    if (c === QUOTE) {
      const str = scanString(s, i);
      return { kind: 'string', text: s.slice(start, str.end), at: start, end: str.end, value: str.value };
    }
    if (isIdentStart(c)) {
      if (next === QUOTE && (c === 0x68 || c === 0x62 || c === 0x74)) {
        return scanTyped(s, i, String.fromCharCode(c) as 'h' | 'b' | 't');
      }
      i += 1;
      let hyphen = false;
      while (i < s.length && isIdentPart(s.charCodeAt(i))) {
        if (s.charCodeAt(i) === 0x2d) hyphen = true;
        i += 1;
      }
      const word = s.slice(start, i);
      if (KEYWORDS.has(word)) return { kind: 'keyword', text: word, at: start, end: i };
      if (word === 'true' || word === 'false') return { kind: 'bool', text: word, at: start, end: i };
      return { kind: 'ident', text: word, at: start, end: i, hyphen };
    }
    // Numbers: [+-]? digits, or [+-]? digits? '.' digits. An integer is '0' or has no leading zero: the
    // grammar's lexer reads "007" as three integers, which no rule accepts, so it is refused here.
    if (isDigit(c) || c === 0x2e || c === 0x2b || c === 0x2d) {
      let j = i;
      if (c === 0x2b || c === 0x2d) j += 1;
      const digitsStart = j;
      while (j < s.length && isDigit(s.charCodeAt(j))) j += 1;
      const intDigits = j - digitsStart;
      if (s.charCodeAt(j) === 0x2e && isDigit(s.charCodeAt(j + 1))) {
        j += 1;
        while (j < s.length && isDigit(s.charCodeAt(j))) j += 1;
        return { kind: 'float', text: s.slice(start, j), at: start, end: j };
      }
      if (intDigits > 0) {
        if (intDigits > 1 && s.charCodeAt(digitsStart) === 0x30) {
          fail(`integer ${excerpt(s.slice(start, j))} at offset ${start} has a leading zero`);
        }
        return { kind: 'int', text: s.slice(start, j), at: start, end: j };
      }
      if (c === 0x2e) return { kind: '.', text: '.', at: start, end: i + 1 };
      fail(`unexpected '${String.fromCharCode(c)}' at offset ${start} (a sign must be followed by a number)`);
    }
    const two = s.slice(i, i + 2);
    if (two === '==' || two === '!=' || two === '<>' || two === '<=' || two === '>=') {
      return { kind: 'op', text: two, at: start, end: i + 2 };
    }
    if (c === 0x3d || c === 0x3c || c === 0x3e) return { kind: 'op', text: s[i] as string, at: start, end: i + 1 };
    const one = s[i] as string;
    if (one === '[' || one === ']' || one === '(' || one === ')' || one === ':' || one === ',' || one === '*') {
      return { kind: one, text: one, at: start, end: i + 1 };
    }
    fail(`unexpected character ${describeChar(s, i)} at offset ${i}`);
  }
  return { kind: 'eof', text: '', at: s.length, end: s.length };
}

/**
 * Every token of `s` in order, the final 'eof' left out: `nextToken` from the start to the end, so the whole
 * pattern is scanned (in linear time) before any of it is parsed, and its first lexical refusal is thrown.
 */
export function tokenize(s: string): Token[] {
  const tokens: Token[] = [];
  for (let t = nextToken(s, 0); t.kind !== 'eof'; t = nextToken(s, t.end)) tokens.push(t);
  return tokens;
}

// ---------------------------------------------------------------------------------------------------------
// Hashes
// ---------------------------------------------------------------------------------------------------------

export interface HashRule {
  name: string;
  test: (value: string) => boolean;
  expect: string;
}

const hexOf = (...lengths: number[]) => {
  const re = new RegExp(`^(?:${lengths.map((n) => `[0-9a-fA-F]{${n}}`).join('|')})$`);
  return (value: string) => re.test(value);
};

/**
 * Hash forms the reference validator checks, keyed by the name upper-cased with '-' removed (so MD5, md5,
 * SHA-256, SHA256 and sha-256 all match). Names not listed here (TLSH, custom names) are not checked.
 */
export const HASH_RULES: ReadonlyMap<string, HashRule> = new Map<string, HashRule>([
  ['MD5', { name: 'MD5', test: hexOf(32), expect: '32 hex digits' }],
  ['MD6', { name: 'MD6', test: hexOf(32, 40, 56, 64, 96, 128), expect: '32, 40, 56, 64, 96 or 128 hex digits' }],
  ['RIPEMD160', { name: 'RIPEMD-160', test: hexOf(40), expect: '40 hex digits' }],
  ['SHA1', { name: 'SHA-1', test: hexOf(40), expect: '40 hex digits' }],
  ['SHA224', { name: 'SHA-224', test: hexOf(56), expect: '56 hex digits' }],
  ['SHA256', { name: 'SHA-256', test: hexOf(64), expect: '64 hex digits' }],
  ['SHA384', { name: 'SHA-384', test: hexOf(96), expect: '96 hex digits' }],
  ['SHA512', { name: 'SHA-512', test: hexOf(128), expect: '128 hex digits' }],
  ['SHA3224', { name: 'SHA3-224', test: hexOf(56), expect: '56 hex digits' }],
  ['SHA3256', { name: 'SHA3-256', test: hexOf(64), expect: '64 hex digits' }],
  ['SHA3384', { name: 'SHA3-384', test: hexOf(96), expect: '96 hex digits' }],
  ['SHA3512', { name: 'SHA3-512', test: hexOf(128), expect: '128 hex digits' }],
  ['SSDEEP', { name: 'SSDEEP', test: (v) => /^[a-zA-Z0-9/+:.]{1,128}$/.test(v), expect: '1 to 128 characters of [A-Za-z0-9/+:.]' }],
  ['WHIRLPOOL', { name: 'WHIRLPOOL', test: hexOf(128), expect: '128 hex digits' }],
]);
