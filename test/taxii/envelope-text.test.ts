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

/** The text as UTF-8 bytes in chunks of `size` (the last shorter): most cuts fall inside multi-byte characters. */
function chunked(text: string, size: number): Buffer[] {
  const bytes = Buffer.from(text, 'utf8');
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
  return chunks;
}

async function inTurns(chunks: Buffer[]): Promise<{ value?: unknown; error?: string }> {
  try {
    return { value: await parseJsonInTurns(chunks) };
  } catch (err) {
    assert.ok(err instanceof SyntaxError);
    return { error: err.message };
  }
}

const indicator = (n: number) => ({ type: 'indicator', id: `indicator--${n}`, name: `a "quoted" \\ name ]}{[ é日🦠 ${n}`, labels: ['x', 'y'], nested: { a: [1, { b: null }] }, n: -1.5e3, t: true });

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
    for (const text of texts) {
      // Chunks of a byte or two for the short texts; for the long ones, cuts inside characters all the same (7).
      const sizes = text.length > 20_000 ? [7, 1000, 65_536] : [1, 2, 3, 7];
      for (const size of [...sizes, Math.max(1, Buffer.byteLength(text))]) {
        assert.deepEqual(await inTurns(chunked(text, size)), reference(text), `${text.slice(0, 80)} in chunks of ${size}`);
      }
    }
    // Empty chunks, and none at all.
    assert.deepEqual(await inTurns([Buffer.alloc(0), ...chunked('{"objects":[1]}', 4), Buffer.alloc(0)]), { value: { objects: [1] } });
    assert.deepEqual(await inTurns([]), reference(''));
  });

  it('gives what JSON.parse of the decoded bytes gives for any envelope and any chunks, bytes that are not UTF-8 included', async () => {
    const envelope = fc.record({ objects: fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 20 }), more: fc.boolean() }, { requiredKeys: [] });
    await fc.assert(fc.asyncProperty(envelope, fc.integer({ min: 1, max: 40 }), fc.option(fc.nat(), { nil: undefined }), async (value, size, corrupt) => {
      const bytes = Buffer.from(JSON.stringify(value), 'utf8');
      // Now and then a byte that makes the UTF-8 invalid (a lone continuation byte, or a lead byte without its tail).
      if (corrupt !== undefined && bytes.length > 0) bytes[corrupt % bytes.length] = corrupt % 2 ? 0x80 : 0xe2;
      const chunks: Buffer[] = [];
      for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
      assert.deepEqual(await inTurns(chunks), reference(bytes.toString('utf8')));
    }), { seed: 20261203, numRuns: 400 });
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
