import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildPattern, PATTERN_TYPES, type PatternIocType } from '../../src/stix/pattern-build.js';
import { parsePattern, MAX_PATTERN_LENGTH, type PatternTerm, type ParsedPattern } from '../../src/stix/pattern-parse.js';

const MD5 = 'd41d8cd98f00b204e9800998ecf8427e';
const SHA1 = 'da39a3ee5e6b4b0d3255bfef95601890afd80709';
const SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

function expectOk(parsed: ParsedPattern): { terms: PatternTerm[]; joiner: 'AND' | 'OR' | 'single' } {
  if (!parsed.ok) assert.fail(`expected ok, got reason: ${parsed.reason}`);
  return parsed;
}

function expectRejected(parsed: ParsedPattern): string {
  if (parsed.ok) assert.fail(`expected rejection, got ${JSON.stringify(parsed)}`);
  assert.equal(typeof parsed.reason, 'string');
  assert.ok(parsed.reason.length > 0, 'reason must not be empty');
  return parsed.reason;
}

// ---------------------------------------------------------------------------------------------------------
// buildPattern
// ---------------------------------------------------------------------------------------------------------

/** The rows of the pattern table in docs/stix-mapping.md §4, plus the escaping rule (§9.2). */
const BUILD_CASES: ReadonlyArray<[PatternIocType, string, string]> = [
  ['ipv4', '203.0.113.42', "[ipv4-addr:value = '203.0.113.42']"],
  ['ipv4', '198.51.100.0/24', "[ipv4-addr:value = '198.51.100.0/24']"],
  ['ipv6', '2001:db8::1', "[ipv6-addr:value = '2001:db8::1']"],
  ['domain', 'example.com', "[domain-name:value = 'example.com']"],
  ['domain', 'xn--bcher-kva.example', "[domain-name:value = 'xn--bcher-kva.example']"],
  ['url', 'http://example.com/a', "[url:value = 'http://example.com/a']"],
  ['md5', MD5, `[file:hashes.MD5 = '${MD5}']`],
  ['sha1', SHA1, `[file:hashes.'SHA-1' = '${SHA1}']`],
  ['sha256', SHA256, `[file:hashes.'SHA-256' = '${SHA256}']`],
  ['email', 'a@example.com', "[email-addr:value = 'a@example.com']"],
  // The example from docs/stix-mapping.md §4: http://x/a'b\c
  ['url', "http://x/a'b\\c", "[url:value = 'http://x/a\\'b\\\\c']"],
  // Backslash-then-quote: escaping the quote first would turn \' into \\\\' (an unterminated literal).
  ['url', "\\'", "[url:value = '\\\\\\'']"],
  ['url', "'\\", "[url:value = '\\'\\\\']"],
  ['url', '\\\\', "[url:value = '\\\\\\\\']"],
  ['url', "''", "[url:value = '\\'\\'']"],
  ['url', '', "[url:value = '']"],
  ['email', "o'brien@example.com", "[email-addr:value = 'o\\'brien@example.com']"],
  ['url', "http://x/?q=' OR '1'='1", "[url:value = 'http://x/?q=\\' OR \\'1\\'=\\'1']"],
  ['url', 'http://x/[a]', "[url:value = 'http://x/[a]']"],
  ['domain', 'пример.рф', "[domain-name:value = 'пример.рф']"],
];

describe('buildPattern', () => {
  for (const [type, value, expected] of BUILD_CASES) {
    it(`${type} ${JSON.stringify(value)}`, () => {
      assert.equal(buildPattern(type, value), expected);
    });
  }

  it('covers every pattern type and no cve', () => {
    assert.deepEqual([...PATTERN_TYPES].sort(), ['domain', 'email', 'ipv4', 'ipv6', 'md5', 'sha1', 'sha256', 'url']);
    assert.ok(!(PATTERN_TYPES as readonly string[]).includes('cve'));
  });

  it('throws for types without a pattern (untyped callers)', () => {
    assert.throws(() => buildPattern('cve' as PatternIocType, 'CVE-2024-0001'), TypeError);
    assert.throws(() => buildPattern('constructor' as PatternIocType, 'x'), TypeError);
    assert.throws(() => buildPattern('url', 42 as unknown as string), TypeError);
  });
});

// ---------------------------------------------------------------------------------------------------------
// parsePattern: accepted forms
// ---------------------------------------------------------------------------------------------------------

const t = (type: PatternIocType, value: string): PatternTerm => ({ type, value });

const PARSE_OK_CASES: ReadonlyArray<[string, string, PatternTerm[], 'AND' | 'OR' | 'single']> = [
  ['ipv4', "[ipv4-addr:value = '203.0.113.42']", [t('ipv4', '203.0.113.42')], 'single'],
  ['ipv4 CIDR', "[ipv4-addr:value = '198.51.100.0/24']", [t('ipv4', '198.51.100.0/24')], 'single'],
  ['ipv6', "[ipv6-addr:value = '2001:db8::1']", [t('ipv6', '2001:db8::1')], 'single'],
  ['domain', "[domain-name:value = 'example.com']", [t('domain', 'example.com')], 'single'],
  ['url', "[url:value = 'http://example.com/a']", [t('url', 'http://example.com/a')], 'single'],
  ['md5', `[file:hashes.MD5 = '${MD5}']`, [t('md5', MD5)], 'single'],
  ['sha1', `[file:hashes.'SHA-1' = '${SHA1}']`, [t('sha1', SHA1)], 'single'],
  ['sha256', `[file:hashes.'SHA-256' = '${SHA256}']`, [t('sha256', SHA256)], 'single'],
  ['email', "[email-addr:value = 'a@example.com']", [t('email', 'a@example.com')], 'single'],
  ['email-message from_ref', "[email-message:from_ref.value = 'evil@example.com']", [t('email', 'evil@example.com')], 'single'],
  ['escaped URL', "[url:value = 'http://x/a\\'b\\\\c']", [t('url', "http://x/a'b\\c")], 'single'],
  ['empty value', "[url:value = '']", [t('url', '')], 'single'],
  ['raw, not normalized', "[domain-name:value = ' EXAMPLE.COM. ']", [t('domain', ' EXAMPLE.COM. ')], 'single'],
  [
    'value containing OR, quotes and brackets',
    "[url:value = 'http://x/?q=a\\' OR \\'1\\'=\\'1] OR [url:value = \\'b']",
    [t('url', "http://x/?q=a' OR '1'='1] OR [url:value = 'b")],
    'single',
  ],
  ['value containing AND and newline', "[url:value = 'a AND\nb']", [t('url', 'a AND\nb')], 'single'],
  // Hash names: quoted or not, any case, with or without the hyphen.
  ['hash quoted MD5', "[file:hashes.'MD5' = 'aa']", [t('md5', 'aa')], 'single'],
  ['hash lowercase md5', '[file:hashes.md5 = \'aa\']', [t('md5', 'aa')], 'single'],
  ['hash SHA1 unquoted', "[file:hashes.SHA1 = 'bb']", [t('sha1', 'bb')], 'single'],
  ['hash sha-1 quoted lowercase', "[file:hashes.'sha-1' = 'bb']", [t('sha1', 'bb')], 'single'],
  ['hash SHA256 unquoted', "[file:hashes.SHA256 = 'cc']", [t('sha256', 'cc')], 'single'],
  ['hash Sha-256 quoted mixed case', "[file:hashes.'Sha-256' = 'cc']", [t('sha256', 'cc')], 'single'],
  ['hash quoted SHA256', "[file:hashes.'SHA256' = 'cc']", [t('sha256', 'cc')], 'single'],
  ['quoted property name', "[ipv4-addr:'value' = '1.2.3.4']", [t('ipv4', '1.2.3.4')], 'single'],
  // Joiners.
  [
    'OR inside one observation',
    "[ipv4-addr:value = '1.1.1.1' OR ipv4-addr:value = '2.2.2.2']",
    [t('ipv4', '1.1.1.1'), t('ipv4', '2.2.2.2')],
    'OR',
  ],
  [
    'OR of different object types inside one observation',
    "[ipv4-addr:value = '1.1.1.1' OR domain-name:value = 'example.com' OR url:value = 'http://e/']",
    [t('ipv4', '1.1.1.1'), t('domain', 'example.com'), t('url', 'http://e/')],
    'OR',
  ],
  [
    'AND of hashes of one file',
    `[file:hashes.MD5 = '${MD5}' AND file:hashes.'SHA-256' = '${SHA256}']`,
    [t('md5', MD5), t('sha256', SHA256)],
    'AND',
  ],
  [
    'AND on the same object type',
    "[ipv4-addr:value = '1.1.1.1' AND ipv4-addr:value = '2.2.2.2']",
    [t('ipv4', '1.1.1.1'), t('ipv4', '2.2.2.2')],
    'AND',
  ],
  [
    'several observations',
    "[ipv4-addr:value = '1.1.1.1'] OR [domain-name:value = 'example.com'] OR [file:hashes.MD5 = 'aa']",
    [t('ipv4', '1.1.1.1'), t('domain', 'example.com'), t('md5', 'aa')],
    'OR',
  ],
  [
    'observations with OR inside',
    "[ipv4-addr:value = 'a' OR ipv4-addr:value = 'b'] OR [url:value = 'c']",
    [t('ipv4', 'a'), t('ipv4', 'b'), t('url', 'c')],
    'OR',
  ],
  [
    'duplicates kept in order',
    "[url:value = 'x'] OR [url:value = 'x']",
    [t('url', 'x'), t('url', 'x')],
    'OR',
  ],
  // Whitespace tolerance.
  ['extra spaces', "   [   ipv4-addr:value    =    '1.2.3.4'   ]   ", [t('ipv4', '1.2.3.4')], 'single'],
  [
    'newlines and tabs',
    "\n\t[\n\tipv4-addr:value\n=\t'1.2.3.4'\r\n]\n\tOR\n[url:value='u']\n",
    [t('ipv4', '1.2.3.4'), t('url', 'u')],
    'OR',
  ],
  ['no whitespace at all', "[url:value='a']OR[url:value='b']", [t('url', 'a'), t('url', 'b')], 'OR'],
  ['no-break and ideographic spaces', "[\u00a0url:value\u3000=\u2003'a'\u00a0]", [t('url', 'a')], 'single'],
  // Parentheses that do not change the meaning.
  [
    'parenthesised observations',
    "([url:value = 'a'] OR ([url:value = 'b'])) OR [url:value = 'c']",
    [t('url', 'a'), t('url', 'b'), t('url', 'c')],
    'OR',
  ],
  [
    'parenthesised comparisons',
    "[(url:value = 'a' OR (url:value = 'b')) OR ((url:value = 'c'))]",
    [t('url', 'a'), t('url', 'b'), t('url', 'c')],
    'OR',
  ],
  // Grammar details of the reference STIX pattern grammar.
  ['== is the same operator as =', "[url:value == 'a']", [t('url', 'a')], 'single'],
  [
    'comments are skipped',
    "/* from feed x */ [url:value = 'http://a//b'] // trailing note",
    [t('url', 'http://a//b')],
    'single',
  ],
  ['unicode value', "[url:value = 'http://x/\u200f😀\u202e']", [t('url', 'http://x/\u200f😀\u202e')], 'single'],
];

describe('parsePattern accepts', () => {
  for (const [name, pattern, terms, joiner] of PARSE_OK_CASES) {
    it(name, () => {
      const parsed = expectOk(parsePattern(pattern));
      assert.deepEqual(parsed.terms, terms);
      assert.equal(parsed.joiner, joiner);
    });
  }
});

// ---------------------------------------------------------------------------------------------------------
// parsePattern: rejections
// ---------------------------------------------------------------------------------------------------------

const IP = "ipv4-addr:value = '1.2.3.4'";
const DOM = "domain-name:value = 'example.com'";

const PARSE_REJECT_CASES: ReadonlyArray<[string, string, RegExp]> = [
  // Operators other than =.
  ['!=', "[ipv4-addr:value != '1.2.3.4']", /unsupported operator '!='/],
  ['<>', "[ipv4-addr:value <> '1.2.3.4']", /unsupported operator '<>'/],
  ['>', "[ipv4-addr:value > '1.2.3.4']", /unsupported operator '>'/],
  ['<=', "[ipv4-addr:value <= '1.2.3.4']", /unsupported operator '<='/],
  ['LIKE', "[domain-name:value LIKE '%.example.com']", /unsupported operator 'LIKE'/],
  ['MATCHES', "[url:value MATCHES '^http://']", /unsupported operator 'MATCHES'/],
  ['IN', "[ipv4-addr:value IN ('1.1.1.1', '2.2.2.2')]", /unsupported operator 'IN'/],
  ['ISSUBSET', "[ipv4-addr:value ISSUBSET '198.51.100.0/24']", /unsupported operator 'ISSUBSET'/],
  ['ISSUPERSET', "[ipv4-addr:value ISSUPERSET '198.51.100.7']", /unsupported operator 'ISSUPERSET'/],
  ['NOT =', "[ipv4-addr:value NOT = '1.2.3.4']", /unsupported operator 'NOT'/],
  ['EXISTS', '[EXISTS file:hashes.MD5]', /unsupported operator 'EXISTS'/],
  // Qualifiers and observation operators.
  ['WITHIN', `[${IP}] WITHIN 300 SECONDS`, /qualifier 'WITHIN'/],
  ['START/STOP', `[${IP}] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'`, /qualifier 'START'/],
  ['REPEATS', `[${IP}] REPEATS 5 TIMES`, /qualifier 'REPEATS'/],
  ['qualifier after a group', `([${IP}] OR [${DOM}]) WITHIN 5 SECONDS`, /qualifier 'WITHIN'/],
  ['FOLLOWEDBY', `[${IP}] FOLLOWEDBY [${DOM}]`, /FOLLOWEDBY/],
  ['FOLLOWEDBY inside brackets', `[${IP} FOLLOWEDBY ${DOM}]`, /FOLLOWEDBY/],
  ['observations joined by AND', `[${IP}] AND [${DOM}]`, /joined by AND/],
  // Joiners.
  ['mixed AND/OR inside', `[${IP} OR ${IP} AND ${IP}]`, /mixed AND and OR/],
  ['AND inside, OR outside', `[${IP} AND ${IP}] OR [${DOM}]`, /mixed AND and OR/],
  ['OR outside, AND inside later', `[${DOM}] OR [${IP} AND ${IP}]`, /mixed AND and OR/],
  ['AND across object types', `[${IP} AND ${DOM}]`, /different object types/],
  ['lowercase keyword', `[${IP}] or [${DOM}]`, /'or'/],
  ['joiner glued to an identifier', "[url:value = 'a' ORurl:value = 'b']", /'ORurl:value'|'ORurl'/],
  // Object paths.
  ['unknown property', "[file:name = 'evil.exe']", /unsupported object path 'file:name'/],
  ['unknown object type', "[x-custom:value = 'a']", /unsupported object path 'x-custom:value'/],
  ['unknown hash', "[file:hashes.'SHA-512' = 'aa']", /unsupported object path 'file:hashes\.'SHA-512''/],
  ['unquoted hash name with hyphen', "[file:hashes.SHA-256 = 'aa']", /'SHA-256'.*must be quoted/],
  ['list index', "[email-message:to_refs[*].value = 'a@example.com']", /list indexes/],
  ['deeper path', "[ipv4-addr:value.x = '1']", /unsupported object path 'ipv4-addr:value\.x'/],
  ['missing colon', "[ipv4-addr = '1.2.3.4']", /expected ':'/],
  ['missing property', "[ipv4-addr: = '1.2.3.4']", /expected an object path component/],
  // Literals.
  ['integer literal', '[ipv4-addr:value = 1]', /expected a string literal/],
  ['boolean literal', '[ipv4-addr:value = true]', /expected a string literal/],
  ['hex literal', "[file:hashes.MD5 = h'ffee']", /h'…' literal/],
  ['missing literal', '[ipv4-addr:value =]', /expected a string literal/],
  ['missing operator', '[ipv4-addr:value]', /expected '='/],
  ['two literals', "[url:value = 'a' 'b']", /expected AND, OR or '\]'/],
  // Brackets and parentheses.
  ['unclosed observation', `[${IP}`, /'\[' at offset 0 is never closed/],
  ['no brackets', IP, /expected '\['/],
  ['extra closing bracket', `[${IP}]]`, /unbalanced brackets: '\]'/],
  ['nested brackets', `[[${IP}]]`, /expected an object path/],
  ['empty observation', '[]', /empty observation/],
  ['empty observation with spaces', '[  ]', /empty observation/],
  ['unclosed group', `([${IP}]`, /unbalanced parentheses/],
  ['extra closing paren', `[${IP}])`, /unbalanced parentheses/],
  ['unclosed paren inside', `[(${IP}]`, /never closed/],
  ['extra paren inside', `[${IP})]`, /no matching '\('/],
  ['paren crossing the bracket', `([${IP})]`, /no matching '\('/],
  ['empty parens', '[()]', /expected an object path/],
  ['dangling OR', `[${IP}] OR`, /expected '\[' .*end of pattern/],
  ['dangling OR inside', `[${IP} OR]`, /expected an object path/],
  ['two observations without joiner', `[${IP}] [${DOM}]`, /expected OR or end of pattern/],
  // Strings and escapes.
  ['unterminated string', "[url:value = 'abc]", /unterminated string literal starting at offset 13/],
  ['escaped closing quote', "[url:value = 'abc\\']", /unterminated string literal/],
  ['trailing backslash', "[url:value = 'abc\\", /unterminated string literal/],
  ['\\n escape', "[url:value = 'a\\nb']", /invalid escape.*'n'/],
  ['\\x escape', "[url:value = 'a\\x41']", /invalid escape.*'x'/],
  ['\\u escape', "[url:value = 'a\\u0041']", /invalid escape.*'u'/],
  ['\\" escape', "[url:value = 'a\\\"']", /invalid escape/],
  ['double-quoted string', '[url:value = "a"]', /unexpected character '"'/],
  // Garbage.
  ['empty', '', /empty pattern/],
  ['whitespace only', ' \n\t ', /empty pattern/],
  ['comment only', '/* nothing */', /empty pattern/],
  ['unterminated comment', `/* [${IP}]`, /unterminated comment/],
  ['trailing SQL', `[${IP}]; DROP TABLE iocs`, /unexpected character ';'/],
  ['astral outside a string', `[${IP}] 😀`, /unexpected character U\+1F600 at offset/],
  ['RLO outside a string', `[${IP}]\u202e`, /unexpected character U\+202E at offset/],
  ['control character outside a string', `[${IP}]\u0000`, /unexpected character U\+0000/],
  ['too long', `[url:value = '${'a'.repeat(MAX_PATTERN_LENGTH)}']`, /limit is 100000/],
  ['not a string', 42 as unknown as string, /must be a string/],
  ['null', null as unknown as string, /must be a string/],
];

describe('parsePattern rejects', () => {
  for (const [name, pattern, reason] of PARSE_REJECT_CASES) {
    it(name, () => {
      assert.match(expectRejected(parsePattern(pattern)), reason);
    });
  }

  it('shows bidi controls and lone surrogates in reasons as code points', () => {
    const reason = expectRejected(parsePattern("[file:hashes.'\u202eSHA\ud800' = 'a']"));
    assert.match(reason, /<U\+202E>SHA<U\+D800>/);
    assert.doesNotMatch(reason, /[\u202e\ud800]/);
  });

  it('keeps reasons short for huge tokens', () => {
    const reason = expectRejected(parsePattern(`[${'x'.repeat(90_000)}:value = 'a']`));
    assert.ok(reason.length < 200, `reason is ${reason.length} chars`);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Size and time limits
// ---------------------------------------------------------------------------------------------------------

describe('parsePattern limits', () => {
  it('accepts exactly the maximum length and refuses one more', () => {
    const prefix = "[url:value = '";
    const suffix = "']";
    const exact = `${prefix}${'a'.repeat(MAX_PATTERN_LENGTH - prefix.length - suffix.length)}${suffix}`;
    assert.equal(exact.length, MAX_PATTERN_LENGTH);
    assert.equal(expectOk(parsePattern(exact)).terms.length, 1);
    assert.match(expectRejected(parsePattern(`${exact} `)), /100001 characters long/);
  });

  // Their times are printed by bench/worst-case.ts and bench/fuzz.ts (n and 8n): a linear parser takes milliseconds.
  it('handles worst-case inputs near the limit without throwing', () => {
    const obs = "[ipv4-addr:value = '1.2.3.4'] OR ";
    const many = `${obs.repeat(Math.floor((MAX_PATTERN_LENGTH - 40) / obs.length))}[url:value = 'z']`;
    const escapes = `[url:value = '${"\\'\\\\".repeat(Math.floor((MAX_PATTERN_LENGTH - 20) / 4))}']`;
    const deepParens = `${'('.repeat(MAX_PATTERN_LENGTH / 2)}[url:value = 'a']`;
    const deepInner = `[${'('.repeat(MAX_PATTERN_LENGTH / 2 - 20)}url:value = 'a']`;
    const manyBrackets = '['.repeat(MAX_PATTERN_LENGTH);
    const manyQuotes = "'".repeat(MAX_PATTERN_LENGTH - 1);

    const manyParsed = expectOk(parsePattern(many));
    assert.equal(manyParsed.terms.length, Math.floor((MAX_PATTERN_LENGTH - 40) / obs.length) + 1);
    assert.equal(manyParsed.joiner, 'OR');
    const escParsed = expectOk(parsePattern(escapes));
    assert.equal(escParsed.terms[0]?.value, "'\\".repeat(Math.floor((MAX_PATTERN_LENGTH - 20) / 4)));
    assert.match(expectRejected(parsePattern(deepParens)), /unbalanced parentheses/);
    assert.match(expectRejected(parsePattern(deepInner)), /never closed/);
    assert.match(expectRejected(parsePattern(manyBrackets)), /expected an object path/);
    assert.match(expectRejected(parsePattern(manyQuotes)), /unexpected|unterminated|expected/);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Property-style round trip
// ---------------------------------------------------------------------------------------------------------

/** mulberry32: tiny seeded PRNG so a failing value can be reproduced from the seed. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const HOSTILE_FRAGMENTS: readonly string[] = [
  "'",
  '\\',
  "\\'",
  "'\\",
  '\\\\',
  "''",
  '[',
  ']',
  '[]',
  '][',
  '(',
  ')',
  "' OR '1'='1",
  "'] OR [url:value = '",
  ' OR ',
  ' AND ',
  'OR',
  'AND',
  ' FOLLOWEDBY ',
  ' WITHIN 5 SECONDS',
  '=',
  '!=',
  ' LIKE ',
  ':',
  '.',
  "file:hashes.'SHA-256'",
  "h'",
  "t'",
  '/*',
  '*/',
  '//',
  '"',
  '\n',
  '\r\n',
  '\t',
  '\u0000',
  '\u007f',
  '\u00a0',
  '\u2028',
  '\u200e', // LRM
  '\u200f', // RLM
  '\u202e', // RLO
  '\u2066', // LRI
  '\ufeff',
  'é',
  'ß',
  'İ',
  '中文',
  'العربية',
  '😀',
  '𝔘',
  '\u{10ffff}',
  '\ud800', // lone surrogates are valid JS strings and must survive too
  '\udc00',
  ' ',
  'http://',
  'x',
];

function randomCodePoint(rand: () => number): string {
  const r = rand();
  if (r < 0.5) return String.fromCharCode(0x20 + Math.floor(rand() * 95));
  if (r < 0.8) {
    let cp = Math.floor(rand() * 0x10000);
    if (cp >= 0xd800 && cp <= 0xdfff) cp -= 0x800;
    return String.fromCodePoint(cp);
  }
  return String.fromCodePoint(0x10000 + Math.floor(rand() * 0x100000));
}

function hostileValue(rand: () => number): string {
  const pieces = Math.floor(rand() * 12);
  let out = '';
  for (let k = 0; k < pieces; k += 1) {
    out += rand() < 0.6 ? (HOSTILE_FRAGMENTS[Math.floor(rand() * HOSTILE_FRAGMENTS.length)] as string) : randomCodePoint(rand);
  }
  return out;
}

const FIXED_HOSTILE_VALUES: readonly string[] = [
  '',
  ' ',
  "'",
  '\\',
  "\\'",
  "'\\",
  "' OR '1'='1",
  "1.2.3.4'] OR [ipv4-addr:value = '5.6.7.8",
  ' OR ',
  ' AND ',
  '[]',
  '\n',
  '\u200f\u202e😀',
  '\\'.repeat(1000),
  "'".repeat(1000),
  'x'.repeat(20_000),
];

const VALUES_PER_TYPE = 5_000;

describe('round trip parsePattern(buildPattern(t, v))', () => {
  for (const type of PATTERN_TYPES) {
    it(`${type}: ${VALUES_PER_TYPE} hostile values`, () => {
      const seed = 0x5eed0000 + PATTERN_TYPES.indexOf(type);
      const rand = mulberry32(seed);
      const values = [...FIXED_HOSTILE_VALUES];
      while (values.length < VALUES_PER_TYPE) values.push(hostileValue(rand));
      for (const value of values) {
        const pattern = buildPattern(type, value);
        const parsed = parsePattern(pattern);
        if (!parsed.ok) assert.fail(`seed ${seed}: ${JSON.stringify(pattern)} rejected: ${parsed.reason}`);
        assert.equal(parsed.terms.length, 1, `seed ${seed}: ${JSON.stringify(pattern)}`);
        assert.deepEqual(parsed.terms[0], { type, value }, `seed ${seed}: ${JSON.stringify(pattern)}`);
        assert.equal(parsed.joiner, 'single');
      }
    });
  }

  it('2–5 built comparisons combined with OR, as observations and inside one observation', () => {
    const rand = mulberry32(0xc0ffee);
    const separators = [' OR ', 'OR', '\n OR\t', '  OR  '];
    for (let iteration = 0; iteration < 2_000; iteration += 1) {
      const count = 2 + Math.floor(rand() * 4);
      const terms: PatternTerm[] = [];
      for (let k = 0; k < count; k += 1) {
        const type = PATTERN_TYPES[Math.floor(rand() * PATTERN_TYPES.length)] as PatternIocType;
        terms.push({ type, value: hostileValue(rand) });
      }
      const built = terms.map((term) => buildPattern(term.type, term.value));
      const sep = separators[Math.floor(rand() * separators.length)] as string;
      // A bare OR is only a separate token next to brackets/parens; before an identifier it would be `ORurl`.
      const innerSep = sep === 'OR' ? ' OR\n' : sep;
      const forms = [
        built.join(sep),
        `[${built.map((p) => p.slice(1, -1)).join(innerSep)}]`,
        `(${built.join(sep)})`,
        `[(${built.map((p) => p.slice(1, -1)).join(`)${sep}(`)})]`,
      ];
      for (const form of forms) {
        const parsed = parsePattern(form);
        if (!parsed.ok) assert.fail(`iteration ${iteration}: ${JSON.stringify(form)} rejected: ${parsed.reason}`);
        assert.deepEqual(parsed.terms, terms, `iteration ${iteration}: ${JSON.stringify(form)}`);
        assert.equal(parsed.joiner, 'OR');
      }
    }
  });

  it('built file hashes combined with AND inside one observation', () => {
    const rand = mulberry32(0xa11d);
    const hashTypes: PatternIocType[] = ['md5', 'sha1', 'sha256'];
    for (let iteration = 0; iteration < 500; iteration += 1) {
      const count = 2 + Math.floor(rand() * 4);
      const terms: PatternTerm[] = [];
      for (let k = 0; k < count; k += 1) {
        terms.push({ type: hashTypes[Math.floor(rand() * hashTypes.length)] as PatternIocType, value: hostileValue(rand) });
      }
      const form = `[${terms.map((term) => buildPattern(term.type, term.value).slice(1, -1)).join(' AND ')}]`;
      const parsed = expectOk(parsePattern(form));
      assert.deepEqual(parsed.terms, terms);
      assert.equal(parsed.joiner, 'AND');
    }
  });

  it('never throws on mangled patterns, and no proper prefix of a single pattern is accepted', () => {
    const rand = mulberry32(0xbadf00d);
    for (let iteration = 0; iteration < 5_000; iteration += 1) {
      const type = PATTERN_TYPES[Math.floor(rand() * PATTERN_TYPES.length)] as PatternIocType;
      const pattern = buildPattern(type, hostileValue(rand));

      const cut = Math.floor(rand() * pattern.length);
      const prefix = pattern.slice(0, cut);
      const prefixResult = parsePattern(prefix);
      assert.equal(prefixResult.ok, false, `prefix accepted: ${JSON.stringify(prefix)}`);

      const at = Math.floor(rand() * (pattern.length + 1));
      const mangled = pattern.slice(0, at) + hostileValue(rand) + pattern.slice(at + Math.floor(rand() * 3));
      const result = parsePattern(mangled);
      assert.equal(typeof result.ok, 'boolean');
      if (!result.ok) {
        assert.equal(typeof result.reason, 'string');
        assert.doesNotMatch(result.reason, /internal pattern parser error/);
      }

      const garbage = hostileValue(rand) + hostileValue(rand);
      const garbageResult = parsePattern(garbage);
      if (!garbageResult.ok) assert.doesNotMatch(garbageResult.reason, /internal pattern parser error/);
    }
  });
});
