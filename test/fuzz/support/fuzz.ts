/**
 * Shared by the fuzz tests (test/fuzz/*.test.ts) and the long-run fuzzer (bench/fuzz.ts): a property is a name, an
 * arbitrary, a check that throws on a violation, and the number of runs it gets in `npm test`. The same checks
 * replay the regression corpus (test/fuzz/corpus/*.json), so a case found by `npm run fuzz` is kept by adding
 * its input there.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';

/** The seed of every property in `npm test`: a failure there reproduces exactly. `npm run fuzz` picks its own. */
export const TEST_SEED = 20260513;

export interface FuzzProperty {
  /** Unique; also what `npm run fuzz -- <filter>` matches. */
  name: string;
  /** Runs in `npm test` (bench/fuzz.ts multiplies this). */
  runs: number;
  /** A fast-check property whose predicate throws (assert) on a violation. */
  property: fc.IRawProperty<any, boolean>;
}

/** The checks a corpus file's cases are replayed through, by target name (the file name without `.json`). */
export type CorpusChecks = Record<string, (input: any) => void | Promise<void>>;

export interface CorpusCase {
  /** What the check receives; its shape depends on the target. */
  input: unknown;
  /** Where the case comes from and what it exercises. */
  note?: string;
  /** Set while the case still fails: the test is reported as todo and does not fail the suite. */
  todo?: string;
}

export interface CorpusFile {
  target: string;
  description?: string;
  cases: CorpusCase[];
}

/** Tests run from dist/test/fuzz/ with cwd = the repository root; the corpus is not compiled. */
export const CORPUS_DIR = path.resolve(process.cwd(), 'test/fuzz/corpus');

export function loadCorpus(dir = CORPUS_DIR): CorpusFile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const file = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as CorpusFile;
      return { ...file, target: file.target ?? f.slice(0, -5) };
    });
}

/**
 * Corpus inputs are JSON; strings may hold `{"$repeat": [unit, count]}` to describe a huge input compactly, and
 * `{"$concat": [...]}` to join parts. Anything else is returned as is.
 */
export function expandInput(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(expandInput);
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (Array.isArray(o.$repeat) && o.$repeat.length === 2) {
      const [unit, count] = o.$repeat as [unknown, unknown];
      return String(expandInput(unit)).repeat(Number(count));
    }
    if (Array.isArray(o.$concat)) return o.$concat.map((x) => String(expandInput(x))).join('');
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, expandInput(x)]));
  }
  return v;
}

/** A short printable label for a test name. */
export function label(v: unknown, max = 60): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
