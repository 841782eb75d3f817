import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseJsonInTurns, stringifyInTurns } from '../../src/taxii/envelope-text.js';

/** The value JSON.parse gives, or its error message. */
function reference(text: string): { value?: unknown; error?: string } {
  try {
    return { value: JSON.parse(text) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

async function inTurns(text: string): Promise<{ value?: unknown; error?: string }> {
  try {
    return { value: await parseJsonInTurns(text) };
  } catch (err) {
    assert.ok(err instanceof SyntaxError);
    return { error: err.message };
  }
}

const indicator = (n: number) => ({ type: 'indicator', id: `indicator--${n}`, name: `a "quoted" \\ name ]}{[ ${n}`, labels: ['x', 'y'], nested: { a: [1, { b: null }] }, n: -1.5e3, t: true });

describe('parseJsonInTurns', () => {
  it('gives what JSON.parse gives, value or error, for envelopes and for everything else', async () => {
    const big = JSON.stringify({ more: false, objects: Array.from({ length: 3000 }, (_, i) => indicator(i)) });
    const texts = [
      big,
      JSON.stringify({ objects: Array.from({ length: 3000 }, (_, i) => indicator(i)) }, null, 2),
      '{"objects":[]}', '{}', ' { "objects" : [ 1 , "two" , null , [ ] , { } ] } ', '{"objects": "nope"}', '{"more": false}',
      '{"objects":[{"a":1}],"objects":[{"b":2}]}', '{"obj\\u0065cts":[{"a":1}]}', '{"__proto__":{"x":1},"objects":[]}',
      '[]', '[{"objects":[]}]', '"text"', '12', 'null', '',
      'not json', '{"objects":[1,2,]}', '{"objects":[{"a":1} x]}', '{"objects":[{"a":1}]} trailing', '{"objects":[{"a":1}]',
      '{"objects":[{"a":"unterminated]}', '{"objects":[tru]}', '{"a":1,}', '{,}', '{"a" 1}', '\uFEFF{"objects":[]}',
      big.slice(0, -10), `${big.slice(0, 5000)},,${big.slice(5000)}`,
    ];
    for (const text of texts) assert.deepEqual(await inTurns(text), reference(text), text.slice(0, 80));
  });
});

describe('stringifyInTurns', () => {
  it('writes exactly what JSON.stringify writes, for a 20,000-entry status and for any plain object', async () => {
    const status = {
      id: 'b4f0e2a4-5d7c-4a8e-9d0b-1f2e3d4c5b6a', status: 'complete', request_timestamp: '2026-12-02T19:00:00.000000Z',
      total_count: 20_001, success_count: 20_000,
      successes: Array.from({ length: 20_000 }, (_, i) => ({ id: `indicator--${i}`, version: '2026-12-02T19:00:00.000Z', ...(i % 7 ? {} : { message: 'already "there" \\ <script>' }) })),
      failure_count: 1, failures: [{ id: 'indicator--x', message: 'bad \u2028 pattern' }], pending_count: 0,
    };
    assert.equal(await stringifyInTurns(status), JSON.stringify(status));
    for (const value of [{}, { a: undefined }, { a: [] }, { a: [undefined, () => 1, null] }, { a: undefined, b: 1 }, { a: 1, b: undefined }, { a: [1], b: { c: [2] } }]) {
      assert.equal(await stringifyInTurns(value as Record<string, unknown>), JSON.stringify(value));
    }
    await fc.assert(fc.asyncProperty(fc.dictionary(fc.string(), fc.jsonValue()), async (value) => {
      assert.equal(await stringifyInTurns(value), JSON.stringify(value));
    }), { seed: 20260513, numRuns: 300 });
  });
});
