/**
 * A deterministic measure of the work a string parser does, so that "linear time" can be checked without a clock.
 *
 * While `measureWork(fn)` runs `fn`, the String.prototype methods a scanner uses and RegExp.prototype.exec are
 * wrapped to add up the characters each call looks at: 1 per charCodeAt/codePointAt/at, the length scanned by
 * indexOf/includes (up to the hit), the length of the receiver for trim/toLowerCase/split/iteration, the length of
 * the result for slice/substring, and for a regex the span from lastIndex to the end of the match (or of the
 * string). Then `fn(repeat(unit, 8n))` must cost at most about 8× `fn(repeat(unit, n))`: a quadratic scan costs
 * 64×, so the ratio tells them apart without timing anything.
 *
 * What it cannot see: element access `s[i]`, `+=` concatenation, backtracking inside the regex engine, and native
 * code (domainToASCII, JSON.parse). Those are covered by bounded input sizes here and by `npm run fuzz` timings.
 *
 * Wrapping is synchronous and undone in `finally`; nothing else runs while `fn` runs.
 */
import assert from 'node:assert/strict';

type AnyFn = (this: unknown, ...args: unknown[]) => unknown;

const str = (v: unknown): string => (typeof v === 'string' ? v : String(v));

/** Cost of one call, from its receiver, arguments and result. */
type Cost = (self: string, args: unknown[], result: unknown) => number;

const STRING_COSTS: Record<string, Cost> = {
  charCodeAt: () => 1,
  codePointAt: () => 1,
  at: () => 1,
  charAt: () => 1,
  indexOf: (s, args, r) => {
    const from = Math.max(0, Number(args[1] ?? 0) || 0);
    const hit = typeof r === 'number' && r >= 0 ? r : s.length;
    return Math.max(1, hit - from) + str(args[0]).length;
  },
  includes: (s, args) => Math.max(1, s.length - Math.max(0, Number(args[1] ?? 0) || 0)),
  lastIndexOf: (s, args, r) => Math.max(1, s.length - (typeof r === 'number' && r >= 0 ? r : 0)) + str(args[0]).length,
  startsWith: (_s, args) => str(args[0]).length + 1,
  endsWith: (_s, args) => str(args[0]).length + 1,
  slice: (_s, _a, r) => str(r).length + 1,
  substring: (_s, _a, r) => str(r).length + 1,
  substr: (_s, _a, r) => str(r).length + 1,
  trim: (s) => s.length + 1,
  trimStart: (s) => s.length + 1,
  trimEnd: (s) => s.length + 1,
  toLowerCase: (s) => s.length + 1,
  toUpperCase: (s) => s.length + 1,
  normalize: (s) => s.length + 1,
  split: (s) => s.length + 1,
  replace: (s) => s.length + 1,
  replaceAll: (s) => s.length + 1,
  search: (s) => s.length + 1,
  match: (s) => s.length + 1,
  padStart: (_s, _a, r) => str(r).length + 1,
  padEnd: (_s, _a, r) => str(r).length + 1,
  repeat: (_s, _a, r) => str(r).length + 1,
  concat: (_s, _a, r) => str(r).length + 1,
};

export interface WorkReport<T> {
  result: T;
  work: number;
}

let active = false;

/** Runs `fn` with the meter on and returns its result and the characters looked at. Not reentrant. */
export function measureWork<T>(fn: () => T): WorkReport<T> {
  if (active) throw new Error('measureWork is not reentrant');
  active = true;
  let work = 0;
  let counting = true;
  const restore: Array<() => void> = [];
  const wrap = (target: object, name: string | symbol, cost: (self: unknown, args: unknown[], result: unknown) => number) => {
    const original = (target as Record<string | symbol, unknown>)[name] as AnyFn;
    const wrapped = function (this: unknown, ...args: unknown[]): unknown {
      const result = original.apply(this, args);
      if (counting) {
        counting = false; // the cost functions themselves use string methods
        try {
          work += cost(this, args, result);
        } finally {
          counting = true;
        }
      }
      return result;
    };
    Object.defineProperty(target, name, { value: wrapped, writable: true, configurable: true, enumerable: false });
    restore.push(() => Object.defineProperty(target, name, { value: original, writable: true, configurable: true, enumerable: false }));
  };
  try {
    for (const [name, cost] of Object.entries(STRING_COSTS)) {
      wrap(String.prototype, name, (self, args, r) => cost(str(self), args, r));
    }
    wrap(String.prototype, Symbol.iterator, (self) => str(self).length + 1);
    // A regex scans from lastIndex (global/sticky) or 0 to the end of its match, or to the end of the input.
    const exec = RegExp.prototype.exec as AnyFn;
    const execWrapped = function (this: RegExp, ...args: unknown[]): unknown {
      const input = str(args[0]);
      const from = this.global || this.sticky ? this.lastIndex : 0;
      const m = exec.apply(this, args) as RegExpExecArray | null;
      // A sticky regex (split's slow path uses one per position) only looks at lastIndex onwards up to its match.
      if (counting) work += this.sticky ? 1 + (m ? m[0].length : 0) : Math.max(1, (m ? m.index + m[0].length : input.length) - from);
      return m;
    };
    Object.defineProperty(RegExp.prototype, 'exec', { value: execWrapped, writable: true, configurable: true, enumerable: false });
    restore.push(() => Object.defineProperty(RegExp.prototype, 'exec', { value: exec, writable: true, configurable: true, enumerable: false }));
    const result = fn();
    return { result, work };
  } finally {
    for (const undo of restore.reverse()) undo();
    active = false;
  }
}

/**
 * Work of `fn(unit.repeat(n))` and `fn(unit.repeat(8n))`. Linear code gives a ratio near 8 (less when a limit or an
 * early exit stops the scan); quadratic code gives about 64.
 */
export function workRatio(fn: (input: string) => unknown, unit: string, n: number): { small: number; large: number; ratio: number } {
  const small = measureWork(() => fn(unit.repeat(n))).work;
  const large = measureWork(() => fn(unit.repeat(8 * n))).work;
  return { small, large, ratio: large / Math.max(1, small) };
}

/** Linear code: 8× the input costs ≤ 8× the work (16× allowed for fixed overheads); quadratic costs 64×. */
export const MAX_WORK_RATIO = 16;
/** Measured work per input character is 3–70 for the functions checked; a rescan per token would cost hundreds. */
export const MAX_WORK_PER_CHAR = 256;

/** A function the fuzz suite checks for linear work, and the longest input it takes. */
export interface WorkTarget {
  fn: (s: string) => unknown;
  maxInput: number;
}

/**
 * Asserts that `targets[target]` does linear work on `unit` repeated: the ratio between n and 8n repeats, and a bound
 * per character, so that a constant-factor blow-up (a rescan per token) is caught too.
 */
export function assertLinearWork(targets: Readonly<Record<string, WorkTarget>>, input: { target: string; unit: string; n?: number }): void {
  const target = targets[input.target];
  assert.ok(target, `unknown work target ${input.target}`);
  const n = input.n ?? Math.max(1, Math.floor(target.maxInput / 8 / Math.max(1, input.unit.length)));
  const { small, large, ratio } = workRatio(target.fn, input.unit, n);
  assert.ok(ratio <= MAX_WORK_RATIO, `${input.target}: ${JSON.stringify(input.unit)}×${n} cost ${small}, ×${8 * n} cost ${large} (ratio ${ratio.toFixed(1)})`);
  const length = input.unit.length * 8 * n + 32;
  assert.ok(large <= MAX_WORK_PER_CHAR * length, `${input.target}: ${large} units of work for ${length} characters`);
}
