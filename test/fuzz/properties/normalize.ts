/**
 * Normalizers (src/domain/normalize.ts) and refang (src/domain/refang.ts).
 *
 * - total: any string, any type → a documented result (`{ok, type, value}` or `{ok: false, reason}`), never a
 *   throw, never the "internal error" fallback, a bounded reason with control/bidi characters escaped;
 * - idempotent: normalize(t, normalize(t, x).value) is the same value;
 * - round trip: an accepted value → buildPattern → parsePattern gives it back, and checkPatternGrammar accepts it;
 * - refang never lengthens, leaves values without tokens alone, and undoes every defanging convention;
 * - linear work (see support/work-meter.ts).
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IOC_TYPES, type IocType } from '../../../src/domain/ioc-types.js';
import { detectType, displayValue, MAX_VALUE_LENGTH, normalize, normalizeAny, type Normalized } from '../../../src/domain/normalize.js';
import { refang } from '../../../src/domain/refang.js';
import { checkPatternGrammar } from '../../../src/stix/pattern-grammar.js';
import { buildPattern, type PatternIocType } from '../../../src/stix/pattern-build.js';
import { parsePattern } from '../../../src/stix/pattern-parse.js';
import { anyString, hostileString, mutated, withFragments, WORK_UNITS } from '../support/arbitraries.js';
import type { CorpusChecks, FuzzProperty } from '../support/fuzz.js';
import { assertLinearWork } from '../support/work-meter.js';

/** Characters a reason must never carry raw: they could hide, reorder or forge log text. */
const UNSAFE_IN_REASON = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/u;
/** Characters an accepted value never holds (prepare() refuses them). */
const UNSAFE_IN_VALUE = /[\p{Cc}\p{Cf}\p{Cs}\s]/u;

function checkResultShape(result: Normalized, type: IocType | undefined): void {
  assert.equal(typeof result, 'object');
  if (result.ok) {
    assert.deepEqual(Object.keys(result).sort(), ['ok', 'type', 'value']);
    if (type !== undefined) assert.equal(result.type, type);
    assert.ok(IOC_TYPES.includes(result.type), `unknown type ${result.type}`);
    assert.equal(typeof result.value, 'string');
    assert.ok(result.value.length > 0, 'accepted value is empty');
    assert.doesNotMatch(result.value, UNSAFE_IN_VALUE, 'accepted value holds a control, format or space character');
  } else {
    assert.deepEqual(Object.keys(result).sort(), ['ok', 'reason']);
    assert.equal(typeof result.reason, 'string');
    assert.ok(result.reason.length > 0);
    assert.ok(result.reason.length <= 600, `reason of ${result.reason.length} characters`);
    assert.doesNotMatch(result.reason, /internal error/, 'a normalizer threw (caught by the defence-in-depth catch)');
    assert.doesNotMatch(result.reason, UNSAFE_IN_REASON, `reason holds an unescaped invisible character: ${JSON.stringify(result.reason)}`);
  }
}

/** value → STIX pattern → value, and the pattern is valid STIX. */
export function checkRoundTrip(type: PatternIocType, value: string): void {
  const pattern = buildPattern(type, value);
  const parsed = parsePattern(pattern);
  assert.ok(parsed.ok, `parsePattern refused ${JSON.stringify(pattern)}: ${parsed.ok ? '' : parsed.reason}`);
  assert.deepEqual(parsed.terms, [{ type, value }]);
  assert.equal(parsed.joiner, 'single');
  const grammar = checkPatternGrammar(pattern);
  assert.ok(grammar.ok, `checkPatternGrammar refused ${JSON.stringify(pattern)}: ${grammar.ok ? '' : grammar.reason}`);
}

/**
 * Known issue (corpus normalize.json, todo): refang is one pass, so `[[.]]` becomes `[.]`, and the URL path, URL
 * userinfo and email local part keep `[`, `]`, `{`, `}` verbatim; such an accepted value changes when normalized
 * again. The properties tolerate exactly that case (the accepted value still holds a defanging token) so that the
 * suite stays green; the corpus replays it strictly.
 */
export const TOLERATE_KNOWN_ISSUES = { tolerateKnownIssues: false } as const;
type Options = { tolerateKnownIssues?: boolean };
const stillDefanged = (value: string) => refang(value) !== value;

export function checkNormalize(input: { type: IocType; raw: string }, options: Options = {}): void {
  const { type, raw } = input;
  const first = normalize(type, raw);
  checkResultShape(first, type);
  if (!first.ok) return;
  if (type !== 'cve') checkRoundTrip(type, first.value);
  if (options.tolerateKnownIssues && stillDefanged(first.value)) return;
  const again = normalize(type, first.value);
  assert.ok(again.ok, `not idempotent: ${JSON.stringify(raw)} → ${JSON.stringify(first.value)} → refused: ${again.ok ? '' : again.reason}`);
  assert.equal(again.value, first.value, `not idempotent: ${JSON.stringify(raw)} → ${JSON.stringify(first.value)} → ${JSON.stringify(again.value)}`);
}

export function checkNormalizeAny(raw: string, options: Options = {}): void {
  const detected = detectType(raw);
  if (detected !== undefined) assert.ok(IOC_TYPES.includes(detected));
  const first = normalizeAny(raw);
  checkResultShape(first, undefined);
  if (!first.ok) return;
  assert.equal(first.type, detected, 'normalizeAny and detectType disagree on the type');
  if (options.tolerateKnownIssues && stillDefanged(first.value)) return;
  const again = normalizeAny(first.value);
  assert.ok(again.ok, `not idempotent: ${JSON.stringify(raw)} → ${JSON.stringify(first.value)} → refused: ${again.ok ? '' : again.reason}`);
  assert.equal(again.type, first.type, `${JSON.stringify(first.value)} is detected as ${again.type}, was ${first.type}`);
  assert.equal(again.value, first.value);
}

export function checkRefang(raw: string): void {
  const out = refang(raw);
  assert.equal(typeof out, 'string');
  const trimmed = raw.trim();
  assert.ok(out.length <= trimmed.length, 'refang made the value longer');
  const hasToken = /[[{(]/.test(trimmed) || /^(hxxps?|fxp):/i.test(trimmed);
  if (!hasToken) assert.equal(out, trimmed, 'a value without defanging tokens was changed');
}

export function checkDefang(input: { original: string; defanged: string }): void {
  assert.equal(refang(input.defanged), input.original, `refang(${JSON.stringify(input.defanged)})`);
}

export function checkDisplayValue(raw: string): void {
  const shown = displayValue(raw);
  assert.ok(shown.length <= 82, `displayValue gave ${shown.length} characters`);
  assert.doesNotMatch(shown, UNSAFE_IN_REASON);
}

// ---------------------------------------------------------------------------------------------------------
// Linear work
// ---------------------------------------------------------------------------------------------------------

export const WORK_TARGETS: Record<string, { fn: (s: string) => unknown; maxInput: number }> = {
  refang: { fn: refang, maxInput: 64_000 },
  'normalize-url': { fn: (s) => normalize('url', `http://${s}`), maxInput: MAX_VALUE_LENGTH - 7 },
  'normalize-url-path': { fn: (s) => normalize('url', `https://a.example/${s}`), maxInput: MAX_VALUE_LENGTH - 18 },
  'normalize-domain': { fn: (s) => normalize('domain', s), maxInput: MAX_VALUE_LENGTH },
  'normalize-ipv6': { fn: (s) => normalize('ipv6', s), maxInput: MAX_VALUE_LENGTH },
  'normalize-email': { fn: (s) => normalize('email', s), maxInput: MAX_VALUE_LENGTH },
  'normalize-any': { fn: (s) => normalizeAny(s), maxInput: MAX_VALUE_LENGTH },
  'display-value': { fn: displayValue, maxInput: 64_000 },
};

export function checkLinearWork(input: { target: string; unit: string; n?: number }): void {
  assertLinearWork(WORK_TARGETS, input);
}

// ---------------------------------------------------------------------------------------------------------
// Generators of valid values (random strings are almost never accepted)
// ---------------------------------------------------------------------------------------------------------

const mixCase = (s: fc.Arbitrary<string>) => fc.tuple(s, fc.array(fc.boolean(), { maxLength: 64 })).map(([v, flips]) =>
  [...v].map((c, i) => (flips[i % Math.max(1, flips.length)] ? c.toUpperCase() : c)).join(''));
const hex = (length: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength: length, maxLength: length });

const ipv4Int = fc.integer({ min: 0, max: 0xffffffff });
const dotted = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
const ipv4 = fc.oneof(
  fc.ipV4(),
  fc.tuple(ipv4Int, fc.integer({ min: 0, max: 32 })).map(([n, p]) => `${dotted(n - (n % 2 ** (32 - p)))}/${p}`),
  fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 65535 })).map(([a, port]) => `${a}:${port}`),
  fc.ipV4Extended(),
);
const ipv6 = fc.oneof(
  mixCase(fc.ipV6()),
  fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 65535 })).map(([a, port]) => `[${a}]:${port}`),
  fc.ipV6().map((a) => `[${a}]`),
  fc.tuple(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }), fc.integer({ min: 0, max: 128 })).map(([groups, p]) => {
    const bits = groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
    const host = 128n - BigInt(p);
    const net = (bits >> host) << host;
    const out = [7, 6, 5, 4, 3, 2, 1, 0].map((i) => Number((net >> BigInt(i * 16)) & 0xffffn).toString(16));
    return `${out.join(':')}/${p}`;
  }),
  fc.ipV4().map((a) => `::ffff:${a}`),
  fc.ipV4().map((a) => `64:ff9b::${a}`),
);
const IDN_LETTERS = [...'abcdefghijklmnopqrstuvwxyz0123456789-', 'ü', 'ö', 'é', 'ñ', 'ß', 'ς', 'а', 'р', 'е', 'ё', 'ж', '中', '文', 'ｅ', 'Ａ', 'ⓐ', 'ﬀ', 'İ', 'K', '_'];
const idnLabel = fc.string({ unit: fc.constantFrom(...IDN_LETTERS), minLength: 1, maxLength: 20 });
const domain = fc.oneof(
  mixCase(fc.domain()),
  fc.tuple(fc.array(idnLabel, { minLength: 1, maxLength: 4 }), fc.constantFrom('com', 'org', 'xn--p1ai', 'рф', '中国', 'ＣＯＭ'), fc.constantFrom('.', '。', '．', '｡'), fc.boolean())
    .map(([labels, tld, dot, trailing]) => `${[...labels, tld].join(dot)}${trailing ? '.' : ''}`),
  fc.tuple(fc.domain(), fc.integer({ min: 0, max: 70000 })).map(([d, port]) => `${d}:${port}`),
);
const url = fc.oneof(
  fc.webUrl({ validSchemes: ['http', 'https', 'ftp', 'HTTP', 'hxxp', 'hXXps', 'fxp'], withQueryParameters: true, withFragments: true }),
  fc.tuple(fc.constantFrom('http', 'https', 'ftp'), fc.oneof(domain, ipv4, ipv6.map((a) => `[${a.replace(/^\[|\]:\d+$|\]$|\/\d+$/g, '')}]`)), fc.option(fc.integer({ min: 0, max: 70000 })), fc.string({ maxLength: 30 }))
    .map(([scheme, host, port, rest]) => `${scheme}://${host}${port === null ? '' : `:${port}`}${rest.length > 0 ? `/${rest}` : ''}`),
);
const cve = fc.tuple(fc.integer({ min: 1990, max: 2110 }), fc.integer({ min: 2, max: 21 }), fc.boolean())
  .chain(([year, digits, lower]) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: digits, maxLength: digits }).map((seq) => `${lower ? 'cve' : 'CVE'}-${year}-${seq}`));
const email = fc.oneof(
  fc.emailAddress(),
  fc.tuple(fc.emailAddress(), fc.ipV4()).map(([e, a]) => `${e.slice(0, e.indexOf('@'))}@[${a}]`),
  fc.tuple(fc.emailAddress(), fc.ipV6()).map(([e, a]) => `${e.slice(0, e.indexOf('@'))}@[IPv6:${a}]`),
  fc.tuple(fc.emailAddress(), domain).map(([e, d]) => `${e.slice(0, e.indexOf('@'))}@${d}`),
);

export const VALID_BY_TYPE: Record<IocType, fc.Arbitrary<string>> = {
  ipv4,
  ipv6,
  domain,
  url,
  md5: hex(32),
  sha1: hex(40),
  sha256: hex(64),
  cve,
  email,
};

/** A type with a near-valid value of that type (sometimes valid, sometimes mutated), or a hostile string. */
const typedInput: fc.Arbitrary<{ type: IocType; raw: string }> = fc.constantFrom(...IOC_TYPES).chain((type) =>
  fc.oneof(
    { arbitrary: VALID_BY_TYPE[type], weight: 4 },
    { arbitrary: mutated(VALID_BY_TYPE[type], 2), weight: 2 },
    { arbitrary: withFragments(VALID_BY_TYPE[type]), weight: 2 },
    { arbitrary: anyString, weight: 2 },
  ).map((raw) => ({ type, raw })),
);

const someValid = fc.constantFrom(...IOC_TYPES).chain((t) => VALID_BY_TYPE[t]);
const anyValue = fc.oneof(someValid, anyString, mutated(someValid), withFragments(someValid));

// ---------------------------------------------------------------------------------------------------------
// Defanging (the inverse of refang)
// ---------------------------------------------------------------------------------------------------------

const DOT_TOKENS = ['.', '[.]', '(.)', '{.}', '[dot]', '(dot)', '[DOT]', '(Dot)'];
const BRACKET_DOTS = ['.', '[.]', '{.}', '[dot]', '[Dot]'];
const AT_TOKENS = ['@', '[@]', '[at]', '(at)', '[AT]', '(At)'];
const COLON_TOKENS = [':', '[:]'];
const SCHEMES: Record<string, string[]> = { http: ['http', 'hxxp', 'hXXp', 'HXXP'], https: ['https', 'hxxps', 'hXXps'], ftp: ['ftp', 'fxp', 'FXP'] };

function defangWith(original: string, picks: readonly number[]): string {
  let k = 0;
  const pick = (options: readonly string[]) => options[(picks[k++ % Math.max(1, picks.length)] ?? 0) % options.length]!;
  const scheme = /^(https?|ftp):\/\//.exec(original);
  if (!scheme) {
    return original.replace(/[.@]/g, (c) => pick(c === '.' ? DOT_TOKENS : AT_TOKENS));
  }
  const name = scheme[1]!;
  const afterScheme = original.slice(scheme[0].length);
  const end = afterScheme.search(/[/?#]/);
  const authority = end < 0 ? afterScheme : afterScheme.slice(0, end);
  const rest = end < 0 ? '' : afterScheme.slice(end);
  const sep = pick(['://', '://', '[://]']);
  const head = `${pick(SCHEMES[name]!)}${sep}`;
  const auth = authority.replace(/[.@:]/g, (c) => pick(c === '.' ? DOT_TOKENS : c === '@' ? AT_TOKENS : COLON_TOKENS));
  // Only bracket tokens in the path: parentheses are legal there and refang leaves them.
  const path = rest.replace(/\./g, () => pick(BRACKET_DOTS));
  return head + auth + path;
}

const fanged = fc.oneof(fc.domain(), fc.emailAddress(), fc.webUrl({ validSchemes: ['http', 'https', 'ftp'], withQueryParameters: true, withFragments: true, authoritySettings: { withUserInfo: true, withPort: true } }), fc.ipV4())
  .filter((s) => refang(s) === s);
const defangCase = fc.tuple(fanged, fc.array(fc.nat(), { minLength: 1, maxLength: 16 })).map(([original, picks]) => ({ original, defanged: defangWith(original, picks) }));

// ---------------------------------------------------------------------------------------------------------

export const CORPUS_CHECKS: CorpusChecks = {
  normalize: (input) => checkNormalize(input),
  'normalize-any': (input) => checkNormalizeAny(input),
  refang: checkRefang,
  defang: checkDefang,
  'display-value': checkDisplayValue,
  'linear-work-normalize': checkLinearWork,
};

export const PROPERTIES: FuzzProperty[] = [
  { name: 'normalize: total, idempotent, round-trips through STIX', runs: 1000, property: fc.property(typedInput, (input) => checkNormalize(input, TOLERATE_KNOWN_ISSUES)) },
  { name: 'normalize: any type on any string', runs: 400, property: fc.property(fc.constantFrom(...IOC_TYPES), anyString, (type, raw) => checkNormalize({ type, raw }, TOLERATE_KNOWN_ISSUES)) },
  { name: 'normalizeAny/detectType: total, idempotent, type stable', runs: 800, property: fc.property(anyValue, (raw) => checkNormalizeAny(raw, TOLERATE_KNOWN_ISSUES)) },
  { name: 'refang: total, never longer, leaves token-free values alone', runs: 600, property: fc.property(anyString, checkRefang) },
  { name: 'refang: undoes every defanging convention', runs: 400, property: fc.property(defangCase, checkDefang) },
  { name: 'displayValue: bounded and printable', runs: 300, property: fc.property(anyString, checkDisplayValue) },
  {
    name: 'normalizers and refang: linear work',
    runs: 40,
    property: fc.property(
      fc.constantFrom(...Object.keys(WORK_TARGETS)),
      fc.oneof(fc.constantFrom(...WORK_UNITS), hostileString.filter((s) => s.length > 0 && s.length <= 8)),
      (target, unit) => checkLinearWork({ target, unit }),
    ),
  },
];
