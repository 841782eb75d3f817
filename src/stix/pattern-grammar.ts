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

import { isWhitespace } from './pattern-chars.js';
import { compareTimestamps, describe, describeChar, excerpt, fail, GrammarError, HASH_RULES, type HashRule, KEYWORDS, nextToken, show, type Token } from './pattern-tokens.js';

/** Patterns longer than this (in UTF-16 code units) are refused before any work is done. */
export const MAX_PATTERN_GRAMMAR_LENGTH = 65_536;

/** Deepest nesting of '(' and '[' accepted, counting observation and comparison levels together. */
export const MAX_PATTERN_NESTING = 64;

export type PatternGrammarResult = { ok: true } | { ok: false; reason: string };

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
