import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

/** A quoted field may span lines, but not more than this: past it, the opening quote is taken as a mistake. */
const MAX_RECORD_LINES = 64;
const MAX_RECORD_BYTES = 1024 * 1024;

export interface LineProblem {
  line: number;
  reason: string;
}

const excerpt = (line: string): string => JSON.stringify(line.length > 80 ? `${line.slice(0, 80)}…` : line);

const ignorable = (line: string): boolean => line.trim() === '' || line.startsWith('#');

const quoteParityOdd = (line: string): boolean => {
  let odd = false;
  for (let i = line.indexOf('"'); i !== -1; i = line.indexOf('"', i + 1)) odd = !odd;
  return odd;
};

/**
 * Splits CSV text into whole records before csv-parse sees it, so that one bad line costs one line:
 * an unterminated quote (a line whose quote never closes within MAX_RECORD_LINES) is reported and dropped, and
 * parsing resumes on the next line. Blank lines and `#` comment lines are dropped here too, so every record
 * emitted is one record for csv-parse; the physical line each starts on is pushed to `starts`, in order.
 */
async function* wholeRecordsByLine(input: Readable, onProblem: (p: LineProblem) => void, starts: number[]): AsyncGenerator<string> {
  let pending: string[] = [];
  let pendingBytes = 0;
  let lineNo = 0;

  // Lines already read that must be looked at again after an unterminated quote was dropped.
  function* settle(lines: string[], final: boolean): Generator<string> {
    let i = 0;
    while (i < lines.length) {
      const first = lines[i]!;
      if (!quoteParityOdd(first)) {
        if (!ignorable(first)) {
          starts.push(lineNo - lines.length + i + 1);
          yield `${first}\n`;
        }
        i++;
        continue;
      }
      let j = i + 1;
      let odd = true;
      let bytes = first.length;
      while (j < lines.length && odd && j - i < MAX_RECORD_LINES && bytes < MAX_RECORD_BYTES) {
        if (quoteParityOdd(lines[j]!)) odd = false;
        bytes += lines[j]!.length;
        j++;
      }
      if (!odd) {
        starts.push(lineNo - lines.length + i + 1);
        yield `${lines.slice(i, j).join('\n')}\n`;
        i = j;
        continue;
      }
      if (!final && j === lines.length && j - i < MAX_RECORD_LINES && bytes < MAX_RECORD_BYTES) {
        // Still open and may close on a line not read yet.
        pending = lines.slice(i);
        pendingBytes = bytes;
        return;
      }
      onProblem({ line: lineNo - lines.length + i + 1, reason: `unbalanced quote: a quoted field opened on this line never closes: ${excerpt(first)}` });
      i++;
    }
    pending = [];
    pendingBytes = 0;
  }

  for await (const text of createInterface({ input, crlfDelay: Infinity })) {
    lineNo++;
    const line = lineNo === 1 ? text.replace(/^\uFEFF/, '') : text;
    if (pending.length === 0 && !quoteParityOdd(line)) {
      if (!ignorable(line)) {
        starts.push(lineNo);
        yield `${line}\n`;
      }
      continue;
    }
    pending.push(line);
    pendingBytes += line.length;
    if (pending.length === 1) continue;
    if (quoteParityOdd(line) || pending.length >= MAX_RECORD_LINES || pendingBytes >= MAX_RECORD_BYTES) {
      yield* settle(pending, false);
    }
  }
  if (pending.length > 0) yield* settle(pending, true);
}

/** The records of `wholeRecordsByLine`, joined into chunks of about 64 KB: one stream write per chunk, not per line. */
export async function* wholeCsvRecords(input: Readable, onProblem: (p: LineProblem) => void, starts: number[]): AsyncGenerator<string> {
  let chunk = '';
  for await (const record of wholeRecordsByLine(input, onProblem, starts)) {
    chunk += record;
    if (chunk.length >= 65536) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}
