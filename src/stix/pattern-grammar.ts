/**
 * A complete validator for the STIX 2.1 Patterning language (STIX 2.1 Part 9).
 *
 * `checkPatternGrammar` accepts exactly the language of the OASIS STIX 2.1 pattern grammar (the ANTLR grammar
 * used by the reference validator, cti-pattern-validator, for `stix_version='2.1'`) and then applies the
 * semantic checks that validator makes, plus a few the specification text states:
 *
 * - the pattern starts with '[' once leading whitespace and '(' are skipped (the validator's bracket check);
 * - at most one qualifier of each kind (WITHIN, REPEATS, START/STOP) applied directly to one bracketed
 *   observation expression; a parenthesized group may carry repeated qualifiers (as in the validator);
 * - `WITHIN n SECONDS` needs n > 0, `REPEATS n TIMES` needs n > 0, STOP must be later than START;
 * - `t'…'` timestamps must be real calendar dates and times (a leap second only as 23:59:60);
 * - a value compared with a known hash (`…hashes.'SHA-256'` and so on) must have that hash's form.
 *
 * It is a hand-written tokenizer (read on demand, one token ahead) plus a recursive-descent parser. Recursion only happens on '(' and '[', and
 * nesting is capped at MAX_PATTERN_NESTING, so hostile input cannot overflow the stack; all other repetition
 * (operator chains, qualifier chains, path steps, set members) is iterative. Inputs longer than
 * MAX_PATTERN_GRAMMAR_LENGTH are refused before tokenizing. The function never throws.
 *
 * Grammar (operator precedence, loosest first: FOLLOWEDBY, OR, AND; qualifiers bind to the observation
 * expression they follow; inside brackets OR is looser than AND). Precedence does not change which strings
 * are valid, so the parser reads each level as a flat chain:
 *
 *   pattern      := observations EOF
 *   observations := observation ((AND | OR | FOLLOWEDBY) observation)*
 *   observation  := ('[' comparisons ']' | '(' observations ')') qualifier*
 *   qualifier    := WITHIN (int | float) SECONDS | REPEATS int TIMES | START timestamp STOP timestamp
 *   comparisons  := test ((AND | OR) test)*
 *   test         := '(' comparisons ')' | EXISTS path
 *                 | path NOT? ('=' | '==' | '!=' | '<>') literal
 *                 | path NOT? ('<' | '<=' | '>' | '>=') literal-but-not-boolean
 *                 | path NOT? IN '(' (literal (',' literal)*)? ')'
 *                 | path NOT? (LIKE | MATCHES | ISSUBSET | ISSUPERSET) string
 *   path         := type ':' (name | string) ('.' (name | string) | '[' (int | '*') ']')*
 *
 * Object types are identifiers that may contain '-'; property names written unquoted may not (quote them:
 * `file:hashes.'SHA-256'`). Keywords are case-sensitive; `true` and `false` are the booleans.
 */

import { BACKSLASH, codePointLabel, excerpt as excerptOf, isDigit, isIdentPart, isIdentStart, isWhitespace, QUOTE } from './pattern-chars.js';

/** Patterns longer than this (in UTF-16 code units) are refused before any work is done. */
export const MAX_PATTERN_GRAMMAR_LENGTH = 65_536;

/** Deepest nesting of '(' and '[' accepted, counting observation and comparison levels together. */
export const MAX_PATTERN_NESTING = 64;

export type PatternGrammarResult = { ok: true } | { ok: false; reason: string };

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

interface Token {
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

class GrammarError extends Error {}

function fail(reason: string): never {
  throw new GrammarError(reason);
}

const KEYWORDS = new Set([
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
function excerpt(text: string, max = 32): string {
  return excerptOf(text, max);
}

function describeChar(s: string, i: number): string {
  const cp = s.codePointAt(i) ?? 0;
  return cp > 0x20 && cp < 0x7f ? `'${String.fromCharCode(cp)}'` : codePointLabel(cp);
}

/** What a token is, without its offset. */
function show(t: Token): string {
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
function describe(t: Token): string {
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
function compareTimestamps(a: string, b: string): number {
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
function nextToken(s: string, from: number): Token {
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

// ---------------------------------------------------------------------------------------------------------
// Hashes
// ---------------------------------------------------------------------------------------------------------

interface HashRule {
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
const HASH_RULES: ReadonlyMap<string, HashRule> = new Map<string, HashRule>([
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

interface ObjectPathInfo {
  text: string;
  /** The hash rule when the path names a known hash (a 'hashes' step and a hash name as the last step). */
  hash?: HashRule;
}

// ---------------------------------------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------------------------------------

type QualifierKind = 'WITHIN' | 'REPEATS' | 'START/STOP';

class Parser {
  private depth = 0;
  /** The next token, read ahead by one. */
  private current: Token;

  constructor(private readonly source: string) {
    this.current = nextToken(source, 0);
  }

  private peek(): Token {
    return this.current;
  }

  private take(): Token {
    const t = this.current;
    if (t.kind !== 'eof') this.current = nextToken(this.source, t.end);
    return t;
  }

  private isKeyword(t: Token, word: string): boolean {
    return t.kind === 'keyword' && t.text === word;
  }

  private enter(t: Token): void {
    this.depth += 1;
    if (this.depth > MAX_PATTERN_NESTING) {
      fail(`nesting deeper than ${MAX_PATTERN_NESTING} levels of '(' and '[' at offset ${t.at}`);
    }
  }

  private leave(): void {
    this.depth -= 1;
  }

  /** Explains a token found where an observation operator, qualifier or the end was expected. */
  private unexpectedAfterObservation(t: Token, closing: boolean): never {
    if (t.kind === 'ident' || t.kind === 'keyword') {
      const upper = t.text.toUpperCase();
      if (KEYWORDS.has(upper) && upper !== t.text) {
        fail(`keyword '${excerpt(t.text)}' at offset ${t.at} must be written in upper case ('${upper}')`);
      }
    }
    const wanted = closing ? "AND, OR, FOLLOWEDBY, a qualifier or ')'" : 'AND, OR, FOLLOWEDBY, a qualifier or the end of the pattern';
    fail(`expected ${wanted} after an observation expression, got ${describe(t)}`);
  }

  parsePattern(): void {
    this.parseObservations(false);
    const t = this.peek();
    if (t.kind !== 'eof') this.unexpectedAfterObservation(t, false);
  }

  /** observation ((AND | OR | FOLLOWEDBY) observation)* */
  private parseObservations(closing: boolean): void {
    for (;;) {
      this.parseObservation();
      const t = this.peek();
      if (this.isKeyword(t, 'AND') || this.isKeyword(t, 'OR') || this.isKeyword(t, 'FOLLOWEDBY')) {
        this.take();
        continue;
      }
      if (t.kind === 'eof' || (closing && t.kind === ')')) return;
      this.unexpectedAfterObservation(t, closing);
    }
  }

  /** ('[' comparisons ']' | '(' observations ')') qualifier* */
  private parseObservation(): void {
    const open = this.take();
    let simple: boolean;
    if (open.kind === '[') {
      simple = true;
      this.enter(open);
      if (this.peek().kind === ']') fail(`empty observation expression '[]' at offset ${open.at}`);
      this.parseComparisons(open);
      this.leave();
    } else if (open.kind === '(') {
      simple = false;
      this.enter(open);
      if (this.peek().kind === ')') fail(`empty parentheses '()' at offset ${open.at}`);
      this.parseObservations(true);
      const close = this.take();
      if (close.kind !== ')') fail(`expected ')' to close '(' at offset ${open.at}, got ${describe(close)}`);
      this.leave();
    } else if (open.kind === 'eof') {
      fail(open.at === 0 || this.source.trim() === '' ? 'empty pattern' : `expected an observation expression '[…]', got end of pattern`);
    } else {
      fail(`expected an observation expression '[…]' or '(', got ${describe(open)}`);
    }
    this.parseQualifiers(simple);
  }

  private parseQualifiers(simple: boolean): void {
    // The validator refuses a second qualifier of one kind applied directly to a bracketed observation
    // (`[…] WITHIN 5 SECONDS WITHIN 6 SECONDS`) but not on a parenthesized group (`([…]) WITHIN 5 SECONDS
    // WITHIN 6 SECONDS`), where each qualifier applies to the result of the one before.
    const seen = new Set<QualifierKind>();
    for (;;) {
      const t = this.peek();
      let kind: QualifierKind;
      if (this.isKeyword(t, 'WITHIN')) {
        kind = 'WITHIN';
        this.parseWithin();
      } else if (this.isKeyword(t, 'REPEATS')) {
        kind = 'REPEATS';
        this.parseRepeats();
      } else if (this.isKeyword(t, 'START')) {
        kind = 'START/STOP';
        this.parseStartStop();
      } else if (this.isKeyword(t, 'STOP')) {
        fail(`STOP at offset ${t.at} without a preceding START`);
      } else {
        return;
      }
      if (simple) {
        if (seen.has(kind)) fail(`duplicate ${kind} qualifier on the same observation expression at offset ${t.at}`);
        seen.add(kind);
      }
    }
  }

  private parseWithin(): void {
    const kw = this.take();
    const n = this.take();
    if ((n.kind !== 'int' && n.kind !== 'float') || n.text.startsWith('-') || !(Number(n.text) > 0)) {
      fail(`WITHIN needs a positive number of seconds at offset ${n.kind === 'eof' ? kw.at : n.at}, got ${show(n)}`);
    }
    const unit = this.take();
    if (!this.isKeyword(unit, 'SECONDS')) fail(`expected SECONDS after 'WITHIN ${n.text}', got ${describe(unit)}`);
  }

  private parseRepeats(): void {
    const kw = this.take();
    const n = this.take();
    if (n.kind !== 'int' || n.text.startsWith('-') || !(Number(n.text) > 0)) {
      fail(`REPEATS needs a positive whole number of times at offset ${n.kind === 'eof' ? kw.at : n.at}, got ${show(n)}`);
    }
    const unit = this.take();
    if (!this.isKeyword(unit, 'TIMES')) fail(`expected TIMES after 'REPEATS ${n.text}', got ${describe(unit)}`);
  }

  private parseStartStop(): void {
    const startKw = this.take();
    const start = this.take();
    if (start.kind !== 'timestamp') fail(`START needs a timestamp t'…' at offset ${start.kind === 'eof' ? startKw.at : start.at}, got ${show(start)}`);
    const stopKw = this.take();
    if (!this.isKeyword(stopKw, 'STOP')) fail(`expected STOP after the START timestamp at offset ${start.at}, got ${describe(stopKw)}`);
    const stop = this.take();
    if (stop.kind !== 'timestamp') fail(`STOP needs a timestamp t'…' at offset ${stop.kind === 'eof' ? stopKw.at : stop.at}, got ${show(stop)}`);
    if (compareTimestamps(stop.value as string, start.value as string) <= 0) {
      fail(`STOP t'${stop.value}' at offset ${stop.at} must be later than START t'${start.value}'`);
    }
  }

  /** test ((AND | OR) test)*, up to the ']' or ')' that closes `open` (which is consumed). */
  private parseComparisons(open: Token): void {
    const closer = open.kind === '[' ? ']' : ')';
    for (;;) {
      this.parseTest();
      const t = this.take();
      if (this.isKeyword(t, 'AND') || this.isKeyword(t, 'OR')) continue;
      if (t.kind === closer) return;
      if (this.isKeyword(t, 'FOLLOWEDBY')) fail(`FOLLOWEDBY at offset ${t.at} joins observation expressions, not comparisons inside '[…]'`);
      if ((t.kind === 'ident' || t.kind === 'keyword') && (t.text === 'and' || t.text === 'or')) {
        fail(`keyword '${t.text}' at offset ${t.at} must be written in upper case ('${t.text.toUpperCase()}')`);
      }
      if (t.kind === 'eof') fail(`'${open.text}' at offset ${open.at} is never closed`);
      fail(`expected AND, OR or '${closer}' after a comparison, got ${describe(t)}`);
    }
  }

  private parseTest(): void {
    const t = this.peek();
    if (t.kind === '(') {
      this.take();
      this.enter(t);
      if (this.peek().kind === ')') fail(`empty parentheses '()' at offset ${t.at}`);
      this.parseComparisons(t);
      this.leave();
      return;
    }
    if (this.isKeyword(t, 'NOT')) {
      fail(`NOT at offset ${t.at} goes after the object path ('type:property NOT = value'); EXISTS cannot be negated`);
    }
    if (this.isKeyword(t, 'EXISTS')) {
      this.take();
      this.parseObjectPath();
      return;
    }
    if (t.kind === ']') fail(`expected a comparison, got ${describe(t)}`);
    const path = this.parseObjectPath();
    let op = this.take();
    let negated = false;
    if (this.isKeyword(op, 'NOT')) {
      negated = true;
      op = this.take();
    }
    const opName = `${negated ? 'NOT ' : ''}${op.text}`;
    if (op.kind === 'op') {
      const ordering = op.text === '<' || op.text === '<=' || op.text === '>' || op.text === '>=';
      const literal = this.parseLiteral(op, ordering);
      if (path.hash !== undefined) this.checkHash(path, literal);
      return;
    }
    if (op.kind === 'keyword') {
      switch (op.text) {
        case 'IN': {
          const members = this.parseSet(op);
          if (path.hash !== undefined) for (const m of members) this.checkHash(path, m);
          return;
        }
        case 'LIKE':
        case 'MATCHES':
        case 'ISSUBSET':
        case 'ISSUPERSET': {
          const value = this.take();
          if (value.kind !== 'string') fail(`${opName} needs a string in quotes at offset ${value.at}, got ${show(value)}`);
          return;
        }
        case 'EXISTS':
          fail(`EXISTS at offset ${op.at} comes before the object path ('EXISTS type:property'), and cannot be negated`);
        default:
          break;
      }
    }
    if (negated && this.isKeyword(op, 'NOT')) fail(`NOT at offset ${op.at} repeated`);
    if (op.kind === 'ident' || op.kind === 'keyword') {
      const upper = op.text.toUpperCase();
      if (upper !== op.text && ['NOT', 'IN', 'LIKE', 'MATCHES', 'ISSUBSET', 'ISSUPERSET'].includes(upper)) {
        fail(`operator '${excerpt(op.text)}' at offset ${op.at} must be written in upper case ('${upper}')`);
      }
    }
    fail(`expected a comparison operator after '${excerpt(path.text, 64)}', got ${describe(op)}`);
  }

  /** objectType ':' first (('.' step) | ('[' index ']'))* */
  private parseObjectPath(): ObjectPathInfo {
    const type = this.take();
    if (type.kind !== 'ident') {
      if (type.kind === 'keyword' || type.kind === 'bool') fail(`reserved word '${type.text}' at offset ${type.at} cannot be an object type`);
      fail(`expected an object path 'type:property', got ${describe(type)}`);
    }
    const colon = this.take();
    if (colon.kind !== ':') {
      fail(`expected ':' after object type '${excerpt(type.text)}' at offset ${colon.at}, got ${describe(colon)}`);
    }
    const keys: string[] = [];
    let lastIsKey = true;
    const first = this.take();
    keys.push(this.pathKey(first, type));
    for (;;) {
      const t = this.peek();
      if (t.kind === '.') {
        this.take();
        keys.push(this.pathKey(this.take(), type));
        lastIsKey = true;
      } else if (t.kind === '[') {
        this.take();
        const index = this.take();
        if (index.kind !== 'int' && index.kind !== '*') {
          fail(`list index at offset ${t.at} must be an integer or '*', got ${describe(index)}`);
        }
        const close = this.take();
        if (close.kind !== ']') fail(`expected ']' to close the list index at offset ${t.at}, got ${describe(close)}`);
        lastIsKey = false;
      } else {
        break;
      }
    }
    const endAt = this.peek().at;
    const text = this.source.slice(type.at, endAt).trimEnd();
    const info: ObjectPathInfo = { text };
    if (lastIsKey && keys.includes('hashes')) {
      const rule = HASH_RULES.get((keys[keys.length - 1] as string).toUpperCase().replace(/-/g, ''));
      if (rule !== undefined) info.hash = rule;
    }
    return info;
  }

  /** A property name: an identifier without '-' or a quoted string. */
  private pathKey(t: Token, type: Token): string {
    if (t.kind === 'string') return t.value as string;
    if (t.kind === 'ident') {
      if (t.hyphen) fail(`property name '${excerpt(t.text)}' at offset ${t.at} contains '-' and must be quoted ('${excerpt(t.text)}')`);
      return t.text;
    }
    if (t.kind === 'keyword' || t.kind === 'bool') fail(`reserved word '${t.text}' at offset ${t.at} must be quoted to be used as a property name`);
    fail(`expected a property name after '${excerpt(type.text)}:' path, got ${describe(t)}`);
  }

  /** A literal after `op`; booleans are not ordered, so `ordering` refuses them. */
  private parseLiteral(op: Token, ordering: boolean): Token {
    const t = this.take();
    switch (t.kind) {
      case 'string':
      case 'int':
      case 'float':
      case 'hex':
      case 'binary':
      case 'timestamp':
        return t;
      case 'bool':
        if (ordering) fail(`operator '${op.text}' at offset ${op.at} cannot compare a boolean (${t.text}); booleans are not ordered`);
        return t;
      case 'ident':
        fail(`expected a value after '${op.text}' at offset ${op.at}, got ${describe(t)} (strings need single quotes)`);
      default:
        fail(`expected a value after '${op.text}' at offset ${op.at}, got ${describe(t)}`);
    }
  }

  /** '(' (literal (',' literal)*)? ')' */
  private parseSet(op: Token): Token[] {
    const open = this.take();
    if (open.kind !== '(') fail(`IN at offset ${op.at} needs a parenthesized list of values, got ${describe(open)}`);
    const members: Token[] = [];
    if (this.peek().kind === ')') {
      this.take();
      return members;
    }
    for (;;) {
      members.push(this.parseLiteral(op, false));
      const t = this.take();
      if (t.kind === ',') continue;
      if (t.kind === ')') return members;
      fail(`expected ',' or ')' in the IN list opened at offset ${open.at}, got ${describe(t)}`);
    }
  }

  private checkHash(path: ObjectPathInfo, literal: Token): void {
    const rule = path.hash as HashRule;
    if (literal.kind !== 'string') {
      fail(`${rule.name} hash compared with ${describe(literal)}; a hash value is a string in quotes`);
    }
    const value = literal.value as string;
    if (!rule.test(value)) {
      fail(`'${excerpt(value, 40)}' at offset ${literal.at} is not a valid ${rule.name} hash (expected ${rule.expect})`);
    }
  }
}

/**
 * The validator's bracket check, done on characters as it does: once whitespace and '(' are skipped, a
 * pattern must start with '[' (so it cannot start with a comment either).
 */
function bracketProblem(s: string): string | undefined {
  for (let i = 0; i < s.length; i += 1) {
    const c = s.charCodeAt(i);
    if (isWhitespace(c) || c === 0x28) continue;
    if (c === 0x5b) return undefined;
    return `a pattern must start with '[' (optionally after '('), got ${describeChar(s, i)} at offset ${i}`;
  }
  return undefined; // empty or only '(': the parser gives the precise reason
}

/**
 * Checks that `pattern` is a valid STIX 2.1 pattern (STIX 2.1 Part 9 and the reference validator). Returns a
 * short reason naming the problem and its offset otherwise. Never throws.
 */
export function checkPatternGrammar(pattern: string): PatternGrammarResult {
  if (typeof pattern !== 'string') return { ok: false, reason: 'pattern must be a string' };
  if (pattern.length > MAX_PATTERN_GRAMMAR_LENGTH) {
    return { ok: false, reason: `pattern is ${pattern.length} characters long; the limit is ${MAX_PATTERN_GRAMMAR_LENGTH}` };
  }
  try {
    const brackets = bracketProblem(pattern);
    if (brackets !== undefined) return { ok: false, reason: brackets };
    new Parser(pattern).parsePattern();
    return { ok: true };
  } catch (err) {
    if (err instanceof GrammarError) return { ok: false, reason: err.message };
    // A bug here must refuse one pattern, not crash an ingest.
    return { ok: false, reason: `internal pattern grammar error: ${err instanceof Error ? err.message : String(err)}` };
  }
}
