/**
 * Times of the worst-case inputs that the tests check for their answers only (tests never time anything): the STIX
 * schema check of a long invalid custom type, the pattern reader and grammar check near their length limits, the CDN
 * range table's look-ups, and normalization of hostile values. Each figure is the best of three after a warm-up;
 * linear code takes milliseconds here, a quadratic pass or catastrophic regex backtracking seconds to minutes.
 * `npm run fuzz` times the same parsers at sizes n and 8n.
 *
 *   node dist/bench/worst-case.js
 *
 * Prints figures; asserts nothing.
 */
import { performance } from 'node:perf_hooks';
import { RangeTable } from '../src/domain/cdn-ranges.js';
import { IOC_TYPES } from '../src/domain/ioc-types.js';
import { MAX_VALUE_LENGTH, detectType, normalize, normalizeAny } from '../src/domain/normalize.js';
import { checkPatternGrammar, MAX_PATTERN_GRAMMAR_LENGTH } from '../src/stix/pattern-grammar.js';
import { MAX_PATTERN_LENGTH, parsePattern } from '../src/stix/pattern-parse.js';
import { schemaErrors } from '../src/stix/schema-validator.js';

function best(fn: () => unknown): number {
  fn();
  let ms = Infinity;
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    fn();
    ms = Math.min(ms, performance.now() - t);
  }
  return ms;
}

const rows: Array<[string, () => unknown]> = [];

// test/support/stix-validator.test.ts: a bundle whose member has a 41-character invalid custom type.
const identity = { type: `${'a'.repeat(40)}_`, spec_version: '2.1', id: 'identity--21852fb8-5d68-4e9e-9759-1262813eb5c4', created: '2026-05-17T00:00:00.000Z', modified: '2026-05-17T00:00:00.000Z', name: 'x' };
rows.push(['schemaErrors: long invalid custom type', () => schemaErrors({ type: 'bundle', id: 'bundle--1ef5a4e2-4c4a-4745-992e-1f486f856d92', objects: [identity] })]);

// test/stix/pattern.test.ts: inputs near MAX_PATTERN_LENGTH.
const obs = "[ipv4-addr:value = '1.2.3.4'] OR ";
const patterns: Array<[string, string]> = [
  ['many observations', `${obs.repeat(Math.floor((MAX_PATTERN_LENGTH - 40) / obs.length))}[url:value = 'z']`],
  ['escapes', `[url:value = '${"\\'\\\\".repeat(Math.floor((MAX_PATTERN_LENGTH - 20) / 4))}']`],
  ['deep parentheses', `${'('.repeat(MAX_PATTERN_LENGTH / 2)}[url:value = 'a']`],
  ['deep inner parentheses', `[${'('.repeat(MAX_PATTERN_LENGTH / 2 - 20)}url:value = 'a']`],
  ['brackets', '['.repeat(MAX_PATTERN_LENGTH)],
  ['quotes', "'".repeat(MAX_PATTERN_LENGTH - 1)],
];
for (const [name, p] of patterns) rows.push([`parsePattern: ${name}`, () => parsePattern(p)]);

// test/stix/pattern-grammar.test.ts: long flat inputs.
const term = "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']";
const parts: string[] = [];
while ((parts.length + 1) * (term.length + 4) < MAX_PATTERN_GRAMMAR_LENGTH) parts.push(term);
const flat = parts.join(' OR ');
const grammar: Array<[string, string]> = [
  ['flat OR', flat],
  ['one observation, many AND', `[${parts.map((p) => p.slice(1, -1)).join(' AND ')}]`],
  ['qualifiers', `([a:b = 1])${' WITHIN 1 SECONDS'.repeat(3_000)}`],
  ['trailing OR', `${flat} OR`],
  ['backslashes', `'${'\\\\'.repeat(30_000)}`],
];
for (const [name, p] of grammar) rows.push([`checkPatternGrammar: ${name}`, () => checkPatternGrammar(p)]);

// test/domain/cdn-ranges.test.ts: 200,000 look-ups in a table of 200,000 ranges.
const n = 200_000;
const table = new RangeTable(Array.from({ length: n }, (_, i) => ({ range: { v6: false, start: BigInt(i * 16), end: BigInt(i * 16 + 7) }, label: i, text: String(i) })).reverse());
rows.push(['RangeTable: 200,000 look-ups', () => {
  for (let i = 0; i < n; i++) {
    const a = ((i * 2654435761) >>> 0) % (n * 16);
    table.findV4(a, a);
  }
}]);

// test/domain/normalize.test.ts: hostile values through every normalizer, and a 1 MB URL.
const ONE_MB = 'a'.repeat(1024 * 1024);
const hostile: Array<[string, string]> = [
  ['1 MB', ONE_MB],
  ['[.] × n', '[.]'.repeat(Math.floor(MAX_VALUE_LENGTH / 3))],
  ['(dot) × n', '(dot)'.repeat(Math.floor(MAX_VALUE_LENGTH / 5))],
  [':: × n', '::'.repeat(MAX_VALUE_LENGTH / 2)],
  ['a. × n', 'a.'.repeat(MAX_VALUE_LENGTH / 2)],
  ['hxxp × n', 'hxxp'.repeat(MAX_VALUE_LENGTH / 4)],
];
for (const [name, value] of hostile) {
  rows.push([`normalize, every type: ${name}`, () => {
    for (const type of IOC_TYPES) normalize(type, value);
    detectType(value);
    normalizeAny(value);
  }]);
}
rows.push(["normalize('url', 1 MB) × 100", () => {
  for (let i = 0; i < 100; i++) normalize('url', ONE_MB);
}]);

console.log(`${'case'.padEnd(48)} ${'ms'.padStart(10)}`);
for (const [name, fn] of rows) console.log(`${name.padEnd(48)} ${best(fn).toFixed(3).padStart(10)}`);
