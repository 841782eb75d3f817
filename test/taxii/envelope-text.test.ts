import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseJsonInTurns } from '../../src/taxii/envelope-text.js';

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
