/**
 * STIX patterns: the grammar checker (src/stix/pattern-grammar.ts) and the IOC pattern parser (src/stix/pattern-parse.ts).
 *
 * - total: any string → `{ok: true}` or a short printable reason, never a throw or the "internal error" fallback;
 * - complete: every pattern from a generator of the STIX 2.1 grammar (every operator, literal kind, qualifier,
 *   nesting, comment and whitespace form) is accepted;
 * - parsePattern gives back the (type, value) terms buildPattern wrote, for any value, alone or joined;
 * - consistent: what parsePattern accepts (non-hash terms) the grammar accepts too;
 * - linear work.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkPatternGrammar, MAX_PATTERN_GRAMMAR_LENGTH, MAX_PATTERN_NESTING } from '../../../src/stix/pattern-grammar.js';
import { buildPattern, PATTERN_TYPES, type PatternIocType } from '../../../src/stix/pattern-build.js';
import { MAX_PATTERN_LENGTH, parsePattern } from '../../../src/stix/pattern-parse.js';
import { anyString, mutated, WORK_UNITS } from '../support/arbitraries.js';
import type { CorpusChecks, FuzzProperty } from '../support/fuzz.js';
import { assertLinearWork } from '../support/work-meter.js';

/** What a reason must not hold raw (the modules' own UNPRINTABLE set). */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Reasons quote at most 32–64 characters of the input per excerpt, but an excerpt escapes each unprintable
 * character as `<U+XXXX>` (8 characters) after cutting, so a reason about unprintable text can reach several
 * hundred characters: bounded, not "300" as the unit tests assume for printable input.
 */
export const MAX_REASON = 1200;

function checkReason(reason: string, fallback: RegExp, max = MAX_REASON): void {
  assert.equal(typeof reason, 'string');
  assert.ok(reason.length > 0, 'empty reason');
  assert.ok(reason.length <= max, `reason of ${reason.length} characters: ${reason.slice(0, 120)}…`);
  assert.doesNotMatch(reason, fallback, `the parser threw: ${reason}`);
  assert.doesNotMatch(reason, UNPRINTABLE, `reason holds an unprintable character: ${JSON.stringify(reason)}`);
}

export function checkGrammarTotal(pattern: string): void {
  const r = checkPatternGrammar(pattern);
  if (r.ok) assert.deepEqual(r, { ok: true });
  else checkReason(r.reason, /internal pattern grammar error/);
}

export function checkParseTotal(pattern: string): void {
  const r = parsePattern(pattern);
  if (!r.ok) {
    checkReason(r.reason, /internal pattern parser error/);
    return;
  }
  assert.ok(r.terms.length > 0);
  assert.ok(['AND', 'OR', 'single'].includes(r.joiner));
  assert.equal(r.joiner === 'single', r.terms.length === 1);
  for (const t of r.terms) {
    assert.ok(PATTERN_TYPES.includes(t.type));
    assert.equal(typeof t.value, 'string');
  }
}

const HASH_TERM = /^(md5|sha1|sha256)$/;
const nesting = (p: string) => [...p].filter((c) => c === '(' || c === '[').length;

/**
 * Anything parsePattern accepts whose terms are not hashes (the grammar also checks hash values) is valid STIX,
 * unless it starts with a comment (the grammar's bracket check refuses that) or nests deeper than the grammar allows.
 */
export function checkParseImpliesGrammar(pattern: string): void {
  checkGrammarTotal(pattern);
  checkParseTotal(pattern);
  const parsed = parsePattern(pattern);
  if (!parsed.ok || parsed.terms.some((t) => HASH_TERM.test(t.type))) return;
  if (/^[\s(]*\//u.test(pattern) || nesting(pattern) > MAX_PATTERN_NESTING || pattern.length > MAX_PATTERN_GRAMMAR_LENGTH) return;
  const grammar = checkPatternGrammar(pattern);
  assert.ok(grammar.ok, `parsePattern accepts ${JSON.stringify(pattern)} but checkPatternGrammar refuses it: ${grammar.ok ? '' : grammar.reason}`);
}

export function checkValidPattern(pattern: string): void {
  const r = checkPatternGrammar(pattern);
  assert.ok(r.ok, `refused ${JSON.stringify(pattern)}: ${r.ok ? '' : r.reason}`);
  checkParseTotal(pattern);
}

export function checkInvalidPattern(pattern: string): void {
  const r = checkPatternGrammar(pattern);
  assert.ok(!r.ok, `accepted invalid ${JSON.stringify(pattern)}`);
  checkReason(r.reason, /internal pattern grammar error/);
  checkParseTotal(pattern);
}

// ---------------------------------------------------------------------------------------------------------
// parsePattern round trip
// ---------------------------------------------------------------------------------------------------------

interface Term {
  type: PatternIocType;
  value: string;
}

export interface JoinedTerms {
  terms: Term[];
  /** How the comparisons are put together. */
  form: 'observations-or' | 'inner-and' | 'inner-or';
  parens: boolean;
}

const comparison = (t: Term) => buildPattern(t.type, t.value).slice(1, -1);

export function renderJoined(j: JoinedTerms): string {
  const wrap = (s: string) => (j.parens ? `(${s})` : s);
  switch (j.form) {
    case 'observations-or':
      return j.terms.map((t) => wrap(buildPattern(t.type, t.value))).join(' OR ');
    case 'inner-and':
      return `[${j.terms.map((t) => wrap(comparison(t))).join(' AND ')}]`;
    case 'inner-or':
      return `[${j.terms.map((t) => wrap(comparison(t))).join(' OR ')}]`;
  }
}

export function checkJoinedRoundTrip(j: JoinedTerms): void {
  const pattern = renderJoined(j);
  const parsed = parsePattern(pattern);
  assert.ok(parsed.ok, `refused ${JSON.stringify(pattern)}: ${parsed.ok ? '' : parsed.reason}`);
  assert.deepEqual(parsed.terms, j.terms.map((t) => ({ type: t.type, value: t.value })));
  const joiner = j.terms.length === 1 ? 'single' : j.form === 'inner-and' ? 'AND' : 'OR';
  assert.equal(parsed.joiner, joiner);
  checkParseImpliesGrammar(pattern);
}

const OBJECT_TYPE_OF: Record<PatternIocType, string> = {
  ipv4: 'ipv4-addr', ipv6: 'ipv6-addr', domain: 'domain-name', url: 'url', md5: 'file', sha1: 'file', sha256: 'file', email: 'email-addr',
};

const patternValue = fc.oneof(anyString, fc.string({ unit: fc.constantFrom("'", '\\', 'a', ' ', ']', '[', ')') }));
const term = fc.record({ type: fc.constantFrom(...PATTERN_TYPES), value: patternValue });
const joined: fc.Arbitrary<JoinedTerms> = fc.oneof(
  fc.record({ terms: fc.array(term, { minLength: 1, maxLength: 5 }), form: fc.constantFrom('observations-or' as const, 'inner-or' as const), parens: fc.boolean() }),
  // AND inside one observation describes one object: one object type.
  fc.tuple(fc.constantFrom(...PATTERN_TYPES), fc.array(patternValue, { minLength: 1, maxLength: 4 }), fc.boolean()).chain(([type, values, parens]) => {
    const sameObject = PATTERN_TYPES.filter((t) => OBJECT_TYPE_OF[t] === OBJECT_TYPE_OF[type]);
    return fc.array(fc.constantFrom(...sameObject), { minLength: values.length, maxLength: values.length })
      .map((types) => ({ terms: values.map((value, i) => ({ type: types[i]!, value })), form: 'inner-and' as const, parens }));
  }),
);

// ---------------------------------------------------------------------------------------------------------
// A generator of the STIX 2.1 pattern grammar
// ---------------------------------------------------------------------------------------------------------

/** Placeholder between tokens, replaced by whitespace or a comment; never produced inside literals. */
const SEP = '\u0001';
const SEPARATORS = [' ', ' ', ' ', ' ', ' ', ' ', '  ', '\t', '\n', '\r\n', '\u00a0', '\u2003', '\u3000', ' /* note */ ', '/**/', ' // line\n'];

const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'FOLLOWEDBY', 'LIKE', 'MATCHES', 'ISSUPERSET', 'ISSUBSET', 'EXISTS', 'LAST', 'IN', 'START', 'STOP', 'SECONDS', 'WITHIN', 'REPEATS', 'TIMES', 'true', 'false']);
const identStart = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_');
const identPart = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789');
const ident = (hyphen: boolean) =>
  fc.tuple(identStart, fc.string({ unit: hyphen ? fc.oneof(identPart, fc.constant('-')) : identPart, maxLength: 12 }))
    .map(([a, b]) => a + b)
    .filter((w) => !KEYWORDS.has(w) && w.toLowerCase() !== 'hashes');

const escape = (s: string) => s.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
const stringLiteral = fc.string({ unit: fc.oneof(fc.constantFrom("'", '\\', ' ', ']', ')', '\n', '/*'), fc.string({ unit: 'binary', maxLength: 1 })), maxLength: 12 }).filter((s) => !s.includes(SEP)).map((s) => `'${escape(s)}'`);
const intLiteral = fc.integer({ min: -1_000_000, max: 1_000_000 }).map(String);
const floatLiteral = fc.tuple(fc.integer({ min: -1000, max: 1000 }), fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: 4 }), fc.boolean())
  .map(([i, frac, bare]) => (bare && i === 0 ? `.${frac}` : `${i}.${frac}`));
const boolLiteral = fc.constantFrom('true', 'false');
const hexLiteral = fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), maxLength: 8 }).map((h) => `h'${h.length % 2 ? `${h}0` : h}'`);
const binaryLiteral = fc.uint8Array({ minLength: 1, maxLength: 12 }).map((b) => `b'${Buffer.from(b).toString('base64')}'`);
const isoDate = fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true });
const timestampBody = fc.tuple(isoDate, fc.constantFrom('ms', 'none', 'long', 'leap')).map(([d, form]) => {
  const iso = d.toISOString();
  if (form === 'none') return `${iso.slice(0, 19)}Z`;
  if (form === 'long') return `${iso.slice(0, 23)}456789Z`;
  if (form === 'leap') return `${iso.slice(0, 10)}T23:59:60Z`;
  return iso;
});
const timestampLiteral = timestampBody.map((t) => `t'${t}'`);
const anyLiteral = fc.oneof(stringLiteral, intLiteral, floatLiteral, boolLiteral, hexLiteral, binaryLiteral, timestampLiteral);
const orderedLiteral = fc.oneof(stringLiteral, intLiteral, floatLiteral, hexLiteral, binaryLiteral, timestampLiteral);

const pathStep = fc.oneof(
  ident(false).map((k) => `.${k}`),
  stringLiteral.map((k) => `.${k}`),
  fc.oneof(fc.nat({ max: 99 }).map(String), fc.constant('*')).map((i) => `[${i}]`),
);
const objectPath = fc.tuple(ident(true), fc.oneof(ident(false), stringLiteral), fc.array(pathStep, { maxLength: 2 }))
  .map(([type, first, steps]) => `${type}:${first}${steps.join('')}`);

const HASHES: ReadonlyArray<[names: string[], lengths: number[]]> = [
  [['MD5', 'md5', "'MD5'"], [32]],
  [["'SHA-1'", 'SHA1', "'sha-1'"], [40]],
  [["'SHA-256'", 'SHA256', 'sha256'], [64]],
  [["'SHA-512'", 'SHA512'], [128]],
  [["'SHA3-256'"], [64]],
  [["'RIPEMD-160'"], [40]],
  [['MD6'], [32, 40, 56, 64, 96, 128]],
];
const hashValue = (lengths: number[]) => fc.constantFrom(...lengths).chain((n) => fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength: n, maxLength: n })).map((h) => `'${h}'`);
const hashComparison = fc.constantFrom(...HASHES).chain(([names, lengths]) =>
  fc.tuple(fc.constantFrom(...names), fc.constantFrom('file', 'artifact', 'x-custom'), fc.boolean(), fc.array(hashValue(lengths), { minLength: 1, maxLength: 2 }))
    .map(([name, type, useIn, values]) => `${type}:hashes.${name}${SEP}${useIn ? `IN${SEP}(${values.join(`,${SEP}`)})` : `=${SEP}${values[0]}`}`));

const not = fc.constantFrom('', `NOT${SEP}`);
const simpleTest = fc.oneof(
  fc.tuple(objectPath, not, fc.constantFrom('=', '==', '!=', '<>'), anyLiteral).map(([p, n, op, v]) => `${p}${SEP}${n}${op}${SEP}${v}`),
  fc.tuple(objectPath, not, fc.constantFrom('<', '<=', '>', '>='), orderedLiteral).map(([p, n, op, v]) => `${p}${SEP}${n}${op}${SEP}${v}`),
  fc.tuple(objectPath, not, fc.array(anyLiteral, { maxLength: 3 })).map(([p, n, vs]) => `${p}${SEP}${n}IN${SEP}(${vs.join(`${SEP},${SEP}`)})`),
  fc.tuple(objectPath, not, fc.constantFrom('LIKE', 'MATCHES', 'ISSUBSET', 'ISSUPERSET'), stringLiteral).map(([p, n, op, v]) => `${p}${SEP}${n}${op}${SEP}${v}`),
  objectPath.map((p) => `EXISTS${SEP}${p}`),
  hashComparison,
);

const positiveNumber = fc.oneof(fc.integer({ min: 1, max: 100_000 }).map(String), fc.tuple(fc.integer({ min: 1, max: 1000 }), fc.nat({ max: 999 })).map(([i, f]) => `${i}.${f}`), fc.constant('0.5'));
/** START before STOP: two instants at least a second apart, so that any rendering keeps their order. */
const startStop = fc.tuple(isoDate, isoDate, fc.constantFrom('ms', 'none', 'long'), fc.constantFrom('ms', 'none', 'long'))
  .filter(([a, b]) => Math.abs(a.getTime() - b.getTime()) >= 1000)
  .map(([a, b, fa, fb]) => {
    const render = (d: Date, form: string) => (form === 'none' ? `${d.toISOString().slice(0, 19)}Z` : form === 'long' ? `${d.toISOString().slice(0, 23)}456789Z` : d.toISOString());
    const [first, second] = a < b ? [a, b] : [b, a];
    return `START${SEP}t'${render(first, fa)}'${SEP}STOP${SEP}t'${render(second, fb)}'`;
  });
const qualifier = fc.oneof(
  positiveNumber.map((n) => `WITHIN${SEP}${n}${SEP}SECONDS`),
  fc.integer({ min: 1, max: 1000 }).map((n) => `REPEATS${SEP}${n}${SEP}TIMES`),
  startStop,
);
const kindOf = (q: string) => q.slice(0, q.indexOf(SEP));
/** At most one qualifier of each kind on a bracketed observation; a parenthesized group may repeat them. */
const qualifiers = (simple: boolean) =>
  fc.array(qualifier, { maxLength: 2 }).map((qs) => (simple ? qs.filter((q, i) => qs.findIndex((o) => kindOf(o) === kindOf(q)) === i) : qs))
    .map((qs) => qs.map((q) => `${SEP}${q}`).join(''));

const { observations } = fc.letrec<{ observations: string; observation: string; comparisons: string; test: string }>((tie) => ({
  observations: fc.tuple(tie('observation'), fc.array(fc.tuple(fc.constantFrom('AND', 'OR', 'FOLLOWEDBY'), tie('observation')), { maxLength: 2, depthIdentifier: 'obs' }))
    .map(([first, rest]) => first + rest.map(([op, o]) => `${SEP}${op}${SEP}${o}`).join('')),
  observation: fc.oneof(
    { maxDepth: 2, depthIdentifier: 'obs', withCrossShrink: true },
    fc.tuple(tie('comparisons'), qualifiers(true)).map(([c, q]) => `[${SEP}${c}${SEP}]${q}`),
    fc.tuple(tie('observations'), qualifiers(false)).map(([o, q]) => `(${SEP}${o}${SEP})${q}`),
  ),
  comparisons: fc.tuple(tie('test'), fc.array(fc.tuple(fc.constantFrom('AND', 'OR'), tie('test')), { maxLength: 2, depthIdentifier: 'cmp' }))
    .map(([first, rest]) => first + rest.map(([op, t]) => `${SEP}${op}${SEP}${t}`).join('')),
  test: fc.oneof({ maxDepth: 2, depthIdentifier: 'cmp', withCrossShrink: true }, simpleTest, tie('comparisons').map((c) => `(${SEP}${c}${SEP})`)),
}));

/**
 * Replaces the placeholders. Before the first '[' only whitespace: the validator's bracket check wants '[' once
 * whitespace and '(' are skipped, so a pattern cannot start with a comment, even after '('.
 */
const validPattern: fc.Arbitrary<string> = fc.tuple(observations, fc.array(fc.constantFrom(...SEPARATORS), { minLength: 1, maxLength: 32 }), fc.constantFrom('', ' ', '\n'))
  .map(([p, seps, lead]) => {
    let k = 0;
    const open = p.indexOf('[');
    const head = p.slice(0, open).replace(/\u0001/g, () => (k++ % 2 ? '\n' : ' '));
    return lead + head + p.slice(open).replace(/\u0001/g, () => seps[k++ % seps.length]!);
  })
  .filter((p) => nesting(p) <= MAX_PATTERN_NESTING);

// ---------------------------------------------------------------------------------------------------------
// Linear work
// ---------------------------------------------------------------------------------------------------------

const OBS = "[ipv4-addr:value = '198.51.100.1'] OR ";
export const WORK_TARGETS: Record<string, { fn: (s: string) => unknown; maxInput: number; tail: string }> = {
  grammar: { fn: checkPatternGrammar, maxInput: MAX_PATTERN_GRAMMAR_LENGTH, tail: '' },
  'grammar-in-string': { fn: (s) => checkPatternGrammar(`[a:b = '${s}']`), maxInput: MAX_PATTERN_GRAMMAR_LENGTH - 16, tail: '' },
  'grammar-in-comparisons': { fn: (s) => checkPatternGrammar(`[${s}a:b = 1]`), maxInput: MAX_PATTERN_GRAMMAR_LENGTH - 16, tail: '' },
  parse: { fn: parsePattern, maxInput: MAX_PATTERN_LENGTH, tail: '' },
  'parse-in-string': { fn: (s) => parsePattern(`[url:value = '${s}']`), maxInput: MAX_PATTERN_LENGTH - 20, tail: '' },
};

export function checkLinearWork(input: { target: string; unit: string; n?: number }): void {
  assertLinearWork(WORK_TARGETS, input);
}

const PATTERN_UNITS = [...WORK_UNITS, OBS, "a:b = 'x' AND ", "[a:b = 1] WITHIN 1 SECONDS ", "t'2020-01-01T00:00:00Z' ", "h'00' ", "b'AAAA' ", '( [', '/**/', "'\\'", ' '];

// ---------------------------------------------------------------------------------------------------------

export const CORPUS_CHECKS: CorpusChecks = {
  'pattern-grammar-valid': checkValidPattern,
  'pattern-grammar-invalid': checkInvalidPattern,
  'pattern-total': checkParseImpliesGrammar,
  'pattern-round-trip': checkJoinedRoundTrip,
  'linear-work-pattern': checkLinearWork,
};

export const PROPERTIES: FuzzProperty[] = [
  { name: 'checkPatternGrammar/parsePattern: total on any string', runs: 1500, property: fc.property(anyString, checkParseImpliesGrammar) },
  { name: 'checkPatternGrammar: accepts every generated valid pattern', runs: 300, property: fc.property(validPattern, checkValidPattern) },
  { name: 'mutated valid patterns: total, parse ⇒ grammar', runs: 400, property: fc.property(mutated(fc.oneof(validPattern, joined.map(renderJoined)), 3), checkParseImpliesGrammar) },
  { name: 'parsePattern: gives back what buildPattern wrote, alone or joined', runs: 800, property: fc.property(joined, checkJoinedRoundTrip) },
  {
    name: 'pattern grammar and parser: linear work',
    runs: 20,
    property: fc.property(fc.constantFrom(...Object.keys(WORK_TARGETS)), fc.constantFrom(...PATTERN_UNITS), (target, unit) => checkLinearWork({ target, unit })),
  },
];
