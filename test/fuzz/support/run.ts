/** Runs fuzz properties as node:test cases with the fixed seed (see fuzz.ts). */
import { it } from 'node:test';
import fc from 'fast-check';
import { type FuzzProperty, TEST_SEED } from './fuzz.js';

/** Generous: a property that hangs fails here instead of stalling the suite (a synchronous loop still cannot be cut). */
const TIMEOUT_MS = 60_000;

export function runProperties(properties: readonly FuzzProperty[]): void {
  for (const p of properties) {
    it(`${p.name} (${p.runs} runs)`, { timeout: TIMEOUT_MS }, async () => {
      await fc.assert(p.property, { seed: TEST_SEED, numRuns: p.runs, endOnFailure: false });
    });
  }
}
