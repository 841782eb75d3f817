import { setImmediate as nextTurn } from 'node:timers/promises';
import { parse as parseSync, type Options } from 'csv-parse/sync';

/**
 * CSV (RFC 4180) records for both readers, the file import (parsers/delimited.ts) and the feeds
 * (shapes/delimited-shape.ts), in two steps:
 * 1. the pre-splitter decides where each record starts and ends, by one rule (quote parity): a line with an odd
 *    number of quotes opens a quoted field that the next line with an odd number closes; one that never closes
 *    within MAX_RECORD_LINES (or MAX_RECORD_BYTES) is reported and dropped, and the lines after it are read again;
 * 2. each record is parsed on its own, so one bad record is reported at its own line and never swallows or shifts
 *    the ones after it. For speed, a batch of records (about 64 KB) is parsed in one csv-parse call, and record by
 *    record only when that call fails or does not give back exactly one row per record, at the line it started on.
 * Memory stays bounded by a batch and the work linear in the input.
 */

/** A quoted field may span lines, but not more than this: past it, the opening quote is taken as a mistake. */
const MAX_RECORD_LINES = 64;
const MAX_RECORD_BYTES = 1024 * 1024;
const BATCH_CHARS = 65536;

export interface LineProblem {
  line: number;
  reason: string;
}

/** One record as the pre-splitter cut it: its text (lines joined with `\n`, no final break) and its first line. */
export interface CsvRecord {
  text: string;
  line: number;
}

export type CsvPiece = { record: CsvRecord } | { problem: LineProblem };

/** A line as a problem report quotes it. */
export const excerpt = (line: string): string => JSON.stringify(line.length > 80 ? `${line.slice(0, 80)}…` : line);

export const quoteParityOdd = (line: string): boolean => {
  let odd = false;
  for (let i = line.indexOf('"'); i !== -1; i = line.indexOf('"', i + 1)) odd = !odd;
  return odd;
};

export interface SplitOptions {
  /** Lines starting with this are comments (default `#`). */
  comment?: string;
  /** The reason given for a quote that never closes, from the line it opened on. */
  unbalanced: (firstLine: string) => string;
}

/**
 * Numbered lines → whole records (or problems), in line order: `push` each line, then `end`. Blank lines and
 * comment lines are dropped; a quoted field that spans lines is joined.
 */
class CsvSplitter {
  private readonly comment: string;
  private pending: CsvRecord[] = [];
  private pendingBytes = 0;

  constructor(private readonly opts: SplitOptions) {
    this.comment = opts.comment ?? '#';
  }

  push(l: CsvRecord, out: CsvPiece[]): void {
    if (this.pending.length > 0) {
      this.pending.push(l);
      this.pendingBytes += l.text.length;
      if (quoteParityOdd(l.text)) {
        out.push({ record: { text: this.pending.map((p) => p.text).join('\n'), line: this.pending[0]!.line } });
        this.pending = [];
      } else if (this.pending.length >= MAX_RECORD_LINES || this.pendingBytes >= MAX_RECORD_BYTES) {
        this.giveUp(out);
      }
      return;
    }
    if (l.text.trim() === '' || l.text.startsWith(this.comment)) return;
    if (quoteParityOdd(l.text)) {
      this.pending = [l];
      this.pendingBytes = l.text.length;
      return;
    }
    out.push({ record: l });
  }

  end(out: CsvPiece[]): void {
    while (this.pending.length > 0) this.giveUp(out);
  }

  // The opening line is a mistake: report it, and read the lines after it again.
  private giveUp(out: CsvPiece[]): void {
    const [first, ...rest] = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    out.push({ problem: { line: first!.line, reason: this.opts.unbalanced(first!.text) } });
    for (const l of rest) this.push(l, out);
  }
}

/** csv-parse's "at line N" counts from the text it was given: say the file's line instead. */
export const fileLines = (message: string, start: number): string => message.replace(/\bat line (\d+)/g, (_, n: string) => `at line ${start + Number(n) - 1}`);

type Row = Record<string, string>;
export type CsvRow = { row: Row; line: number } | { problem: LineProblem };

/**
 * Records → rows, with `options` for csv-parse and the column names `columns()` gives at the time (errors are
 * caught here, not skipped by csv-parse). Records and problems come out in the order they went in.
 */
function csvParser(options: Options, columns: () => string[]): (items: CsvPiece[]) => Generator<CsvRow> {
  const parseText = (text: string, strict: boolean) =>
    parseSync(text, { ...options, columns: columns(), skip_records_with_error: false, ...(strict ? { relax_quotes: false } : {}) }) as unknown as Row[];
  // One record alone: its row, its problem, or (a mid-field quote that joined lines, read as a character under
  // relax_quotes) each of its lines alone.
  function* one(r: CsvRecord): Generator<CsvRow> {
    let rows: Row[];
    try {
      rows = parseText(`${r.text}\n`, false);
    } catch (err) {
      yield { problem: { line: r.line, reason: err instanceof Error ? fileLines(err.message, r.line) : 'unreadable row' } };
      return;
    }
    const parts = r.text.split('\n');
    if (rows.length <= 1 || parts.length === 1) {
      for (const row of rows) yield { row, line: r.line };
      return;
    }
    for (const [i, text] of parts.entries()) if (text.trim() !== '') yield* one({ text, line: r.line + i });
  }

  // Rows for records read together, or undefined unless csv-parse read them as the splitter cut them. Read
  // strictly (no relax_quotes), a text whose every record has even quote parity cannot leave a quoted field open
  // across a record's end: success with one row per record means each row is its record's (and relax_quotes
  // changes nothing on a text that reads strictly).
  const together = (records: CsvRecord[]): Row[] | undefined => {
    try {
      const rows = parseText(records.map((r) => `${r.text}\n`).join(''), true);
      return rows.length === records.length ? rows : undefined;
    } catch {
      return undefined;
    }
  };
  // A batch that fails is halved until the records that fail are alone: a few bad records cost a few more
  // calls (about 2·log2 of the batch each), not one call per record.
  function* group(records: CsvRecord[]): Generator<CsvRow> {
    if (records.length === 1) return yield* one(records[0]!);
    const rows = together(records);
    if (rows !== undefined) {
      for (const [i, row] of rows.entries()) yield { row, line: records[i]!.line };
      return;
    }
    const half = records.length >> 1;
    yield* group(records.slice(0, half));
    yield* group(records.slice(half));
  }
  function* batch(items: CsvPiece[]): Generator<CsvRow> {
    let records: CsvRecord[] = [];
    for (const it of items) {
      if ('record' in it) {
        records.push(it.record);
        continue;
      }
      if (records.length > 0) yield* group(records);
      records = [];
      yield it;
    }
    if (records.length > 0) yield* group(records);
  }

  return batch;
}

export interface CsvReadOptions {
  /** A line already read, to take before `lines`. */
  first?: CsvRecord;
  split: SplitOptions;
  /** csv-parse options for every record (`columns` comes from `columns()`). */
  parse: Options;
  columns: () => string[];
  /** Sees each piece before it is parsed: returns it, another piece in its place, or undefined to drop it. */
  intercept?: (piece: CsvPiece) => CsvPiece | undefined;
}

/**
 * The two steps on a stream of numbered lines: one async step per line, the rest synchronous, and the event loop
 * given back after each batch (and every 512 lines), so that a long feed never holds it.
 */
export async function* readCsvRecords(lines: AsyncIterable<CsvRecord>, o: CsvReadOptions): AsyncGenerator<CsvRow> {
  const splitter = new CsvSplitter(o.split);
  const parse = csvParser(o.parse, o.columns);
  const cut: CsvPiece[] = [];
  let pending: CsvPiece[] = [];
  let size = 0;
  let seen = 0;
  const take = () => {
    for (const piece of cut) {
      const p = o.intercept ? o.intercept(piece) : piece;
      if (p === undefined) continue;
      pending.push(p);
      if ('record' in p) size += p.record.text.length + 1;
    }
    cut.length = 0;
  };
  if (o.first) splitter.push(o.first, cut);
  for await (const l of lines) {
    splitter.push(l, cut);
    if (cut.length > 0) take();
    if (size >= BATCH_CHARS) {
      const ready = pending;
      pending = [];
      size = 0;
      yield* parse(ready);
      await nextTurn();
    } else if (++seen % 512 === 0) await nextTurn();
  }
  splitter.end(cut);
  take();
  if (pending.length > 0) yield* parse(pending);
}

/** Parses one record alone, for a header line: its cells, or undefined when csv-parse cannot read it. */
export function csvCells(text: string, options: Options): string[] | undefined {
  try {
    return (parseSync(text, { ...options, columns: false, info: false }) as string[][])[0];
  } catch {
    return undefined;
  }
}
