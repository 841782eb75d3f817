/**
 * STIX 2.1 indicator patterns (§9, STIX Patterning) read back: `parsePattern` reads the simple forms other
 * producers send us into IOC terms, with the language's tokenizer (pattern-tokens.ts, shared with the grammar
 * check) and an explicit state machine, so that it runs in linear time, never recurses (deep parentheses cannot
 * overflow the stack) and never throws on hostile input. Building patterns is pattern-build.ts.
 */
import { codePointLabel } from '../domain/code-point.js';
import { type PatternIocType, quoteStringLiteral } from './pattern-build.js';
import { excerpt } from './pattern-chars.js';
import { GrammarError, type Token, tokenize } from './pattern-tokens.js';

/** Inputs longer than this are refused before tokenizing; real single-IOC patterns are far shorter. */
export const MAX_PATTERN_LENGTH = 100_000;

export interface PatternTerm {
  type: PatternIocType;
  value: string;
}

export type ParsedPattern =
  | { ok: true; terms: PatternTerm[]; joiner: 'AND' | 'OR' | 'single' }
  | { ok: false; reason: string };

// ---------------------------------------------------------------------------------------------------------
// Object paths
// ---------------------------------------------------------------------------------------------------------

interface PathComponent {
  text: string;
  quoted: boolean;
}

function renderPath(objectType: string, components: PathComponent[]): string {
  const rendered = components.map((c) => (c.quoted ? quoteStringLiteral(c.text) : c.text));
  return `${objectType}:${rendered.join('.')}`;
}

// Hash names are matched case-insensitively and with or without the hyphen because producers disagree
// (hash-algorithm-ov says 'SHA-256'; older feeds write SHA256 or sha256).
const HASH_TYPES: ReadonlyMap<string, PatternIocType> = new Map<string, PatternIocType>([
  ['MD5', 'md5'],
  ['SHA-1', 'sha1'],
  ['SHA1', 'sha1'],
  ['SHA-256', 'sha256'],
  ['SHA256', 'sha256'],
]);

function resolvePath(objectType: string, components: PathComponent[]): PatternIocType | undefined {
  const names = components.map((c) => c.text);
  if (names.length === 1 && names[0] === 'value') {
    switch (objectType) {
      case 'ipv4-addr':
        return 'ipv4';
      case 'ipv6-addr':
        return 'ipv6';
      case 'domain-name':
        return 'domain';
      case 'url':
        return 'url';
      case 'email-addr':
        return 'email';
      default:
        return undefined;
    }
  }
  if (objectType === 'email-message' && names.length === 2 && names[0] === 'from_ref' && names[1] === 'value') {
    return 'email';
  }
  if (objectType === 'file' && names.length === 2 && names[0] === 'hashes') {
    return HASH_TYPES.get((names[1] as string).toUpperCase());
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------------------------------------

const UNSUPPORTED_OPERATORS = new Set(['NOT', 'LIKE', 'MATCHES', 'IN', 'ISSUBSET', 'ISSUPERSET', 'EXISTS']);
const QUALIFIERS = new Set(['WITHIN', 'START', 'STOP', 'REPEATS']);

class PatternError extends Error {}

/** An identifier, keyword or boolean: the reader tells keywords apart by position, as the grammar does. */
type Word = Token & { kind: 'ident' | 'keyword' | 'bool' };

function isWord(t: Token | undefined): t is Word {
  return t !== undefined && (t.kind === 'ident' || t.kind === 'keyword' || t.kind === 'bool');
}

function isTyped(t: Token | undefined): boolean {
  return t !== undefined && (t.kind === 'hex' || t.kind === 'binary' || t.kind === 'timestamp');
}

function describe(token: Token | undefined): string {
  if (token === undefined) return 'end of pattern';
  if (token.kind === 'string') return `string literal at offset ${token.at}`;
  if (isTyped(token)) return `${token.text.charAt(0)}'…' literal at offset ${token.at}`;
  return `'${excerpt(token.text)}' at offset ${token.at}`;
}

function fail(reason: string): never {
  throw new PatternError(reason);
}

/** One comparison: objectPath '=' stringLiteral. Returns the term, its SCO type and the index after it. */
function parseComparison(tokens: Token[], start: number): { term: PatternTerm; objectType: string; next: number } {
  let i = start;
  const head = tokens[i] as Token;
  if (head.text === 'EXISTS') fail(`unsupported operator 'EXISTS' at offset ${head.at}`);
  const objectType = head.text;
  i += 1;
  if (tokens[i]?.kind !== ':') fail(`expected ':' after object type '${excerpt(objectType)}', got ${describe(tokens[i])}`);
  i += 1;

  const components: PathComponent[] = [];
  for (;;) {
    const t = tokens[i];
    if (isWord(t)) {
      // Unquoted property names are identifiers without hyphen (§9); 'SHA-256' must be written quoted.
      if (t.hyphen === true) {
        fail(`object path component '${excerpt(t.text)}' at offset ${t.at} contains '-' and must be quoted`);
      }
      components.push({ text: t.text, quoted: false });
    } else if (t?.kind === 'string') {
      components.push({ text: t.value as string, quoted: true });
    } else {
      fail(`expected an object path component, got ${describe(t)}`);
    }
    i += 1;
    const after = tokens[i];
    if (after?.kind === '.') {
      i += 1;
      continue;
    }
    if (after?.kind === '[') {
      fail(`unsupported object path '${excerpt(renderPath(objectType, components))}[…]': list indexes are not supported`);
    }
    break;
  }

  const type = resolvePath(objectType, components);
  if (type === undefined) fail(`unsupported object path '${excerpt(renderPath(objectType, components))}'`);

  const op = tokens[i];
  if (op === undefined) fail(`expected '=' after object path, got end of pattern`);
  if (op.kind === 'op') {
    if (op.text !== '=' && op.text !== '==') fail(`unsupported operator '${op.text}' at offset ${op.at}`);
  } else if (isWord(op) && UNSUPPORTED_OPERATORS.has(op.text)) {
    fail(`unsupported operator '${op.text}' at offset ${op.at}`);
  } else {
    fail(`expected '=' after object path, got ${describe(op)}`);
  }
  i += 1;

  const literal = tokens[i];
  if (literal?.kind !== 'string') {
    if (isTyped(literal)) fail(`expected a string literal, got ${describe(literal)}`);
    fail(`expected a string literal after '=', got ${describe(literal)}`);
  }
  return { term: { type, value: literal.value as string }, objectType, next: i + 1 };
}

type State = 'observation' | 'afterObservation' | 'comparison' | 'afterComparison';

/**
 * Recognises `obs (OR obs)*` where `obs` is `[ cmp ((AND|OR) cmp)* ]`, with balanced parentheses at both
 * levels. Parentheses cannot change the meaning when only one joiner is allowed, so counters replace recursion.
 */
function parseTokens(tokens: Token[]): { terms: PatternTerm[]; joiner: 'AND' | 'OR' | 'single' } {
  const terms: PatternTerm[] = [];
  let state: State = 'observation';
  let outerDepth = 0;
  let innerDepth = 0;
  let observationAt = 0;
  let observationJoiner: 'AND' | 'OR' | undefined;
  let observationTypes = new Set<string>();
  let observationCount = 0;
  let sawAnd = false;
  let sawOr = false;
  let i = 0;

  for (;;) {
    const t = tokens[i];
    switch (state) {
      case 'observation': {
        if (t?.kind === '(') {
          outerDepth += 1;
          i += 1;
        } else if (t?.kind === '[') {
          observationAt = t.at;
          observationJoiner = undefined;
          observationTypes = new Set();
          observationCount += 1;
          state = 'comparison';
          i += 1;
        } else if (t === undefined && tokens.length === 0) {
          fail('empty pattern');
        } else {
          fail(`expected '[' to open an observation expression, got ${describe(t)}`);
        }
        break;
      }
      case 'comparison': {
        if (t === undefined) fail(`unbalanced brackets: '[' at offset ${observationAt} is never closed`);
        if (t.kind === '(') {
          innerDepth += 1;
          i += 1;
        } else if (isWord(t)) {
          const parsed = parseComparison(tokens, i);
          terms.push(parsed.term);
          observationTypes.add(parsed.objectType);
          i = parsed.next;
          state = 'afterComparison';
        } else if (t.kind === ']' && tokens[i - 1]?.kind === '[') {
          fail(`empty observation expression at offset ${observationAt}`);
        } else {
          fail(`expected an object path, got ${describe(t)}`);
        }
        break;
      }
      case 'afterComparison': {
        if (t === undefined) fail(`unbalanced brackets: '[' at offset ${observationAt} is never closed`);
        if (t.kind === ')') {
          if (innerDepth === 0) fail(`unbalanced parentheses: ')' at offset ${t.at} has no matching '('`);
          innerDepth -= 1;
          i += 1;
        } else if (t.kind === ']') {
          if (innerDepth !== 0) fail(`unbalanced parentheses: '(' inside the observation at offset ${observationAt} is never closed`);
          // An AND inside one observation describes a single object, so it cannot span object types (§9).
          if (observationJoiner === 'AND' && observationTypes.size > 1) {
            fail(`comparisons joined by AND at offset ${observationAt} refer to different object types (${excerpt([...observationTypes].join(', '), 80)})`);
          }
          state = 'afterObservation';
          i += 1;
        } else if (isWord(t) && (t.text === 'AND' || t.text === 'OR')) {
          if (observationJoiner !== undefined && observationJoiner !== t.text) {
            fail(`mixed AND and OR in the observation at offset ${observationAt}; only one joiner is supported`);
          }
          observationJoiner = t.text;
          if (t.text === 'AND') sawAnd = true;
          else sawOr = true;
          state = 'comparison';
          i += 1;
        } else if (isWord(t) && t.text === 'FOLLOWEDBY') {
          fail(`FOLLOWEDBY at offset ${t.at} is not supported`);
        } else {
          fail(`expected AND, OR or ']' after a comparison, got ${describe(t)}`);
        }
        break;
      }
      case 'afterObservation': {
        if (t === undefined) {
          if (outerDepth !== 0) fail(`unbalanced parentheses: ${outerDepth} '(' never closed`);
          if (sawAnd && (sawOr || observationCount > 1)) {
            fail('mixed AND and OR: comparisons joined by AND cannot be combined with OR');
          }
          const joiner = terms.length === 1 ? 'single' : sawAnd ? 'AND' : 'OR';
          return { terms, joiner };
        }
        if (t.kind === ')') {
          if (outerDepth === 0) fail(`unbalanced parentheses: ')' at offset ${t.at} has no matching '('`);
          outerDepth -= 1;
          i += 1;
        } else if (isWord(t) && t.text === 'OR') {
          state = 'observation';
          i += 1;
        } else if (isWord(t) && t.text === 'AND') {
          fail(`observation expressions joined by AND at offset ${t.at} are not supported`);
        } else if (isWord(t) && t.text === 'FOLLOWEDBY') {
          fail(`FOLLOWEDBY at offset ${t.at} is not supported`);
        } else if (isWord(t) && QUALIFIERS.has(t.text)) {
          fail(`qualifier '${t.text}' at offset ${t.at} is not supported`);
        } else if (t.kind === ']') {
          fail(`unbalanced brackets: ']' at offset ${t.at} has no matching '['`);
        } else {
          fail(`expected OR or end of pattern after an observation, got ${describe(t)}`);
        }
        break;
      }
    }
  }
}

/**
 * The reader's wording of a refusal by the shared tokenizer, where the reader has always worded it otherwise:
 * "unterminated string literal", a printable unexpected character shown with its code point, and a sign
 * without a number reported as an unexpected character. Other refusals keep the tokenizer's wording.
 */
function readerReason(reason: string): string {
  return reason
    .replace(/^unterminated string starting at/, 'unterminated string literal starting at')
    .replace(/^unexpected '([+-])' at offset (\d+) \(a sign must be followed by a number\)$/, "unexpected character '$1' at offset $2")
    .replace(/^unexpected character '(.)'/, (_all, ch: string) => `unexpected character '${ch}' (${codePointLabel(ch.charCodeAt(0))})`);
}

/**
 * Parses the simple STIX 2.1 patterns (§9) that map onto IOCs: comparisons `path = 'string'` joined by one
 * joiner inside an observation, and observations joined by OR. Values are returned unescaped but otherwise raw.
 * Anything else — other operators, qualifiers, FOLLOWEDBY, unknown paths, malformed input — yields a reason.
 */
export function parsePattern(pattern: string): ParsedPattern {
  if (typeof pattern !== 'string') return { ok: false, reason: 'pattern must be a string' };
  if (pattern.length > MAX_PATTERN_LENGTH) {
    return { ok: false, reason: `pattern is ${pattern.length} characters long; the limit is ${MAX_PATTERN_LENGTH}` };
  }
  try {
    const { terms, joiner } = parseTokens(tokenize(pattern));
    return { ok: true, terms, joiner };
  } catch (err) {
    if (err instanceof PatternError) return { ok: false, reason: err.message };
    if (err instanceof GrammarError) return { ok: false, reason: readerReason(err.message) };
    // Patterns arrive from untrusted upstreams; a parser bug must reject one object, not crash an import.
    return { ok: false, reason: `internal pattern parser error: ${err instanceof Error ? err.message : String(err)}` };
  }
}
