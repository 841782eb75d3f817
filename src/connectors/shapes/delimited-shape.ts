import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { FieldReader } from '../map-fields.js';
import type { DelimitedShape } from '../source-definition.js';
import type { ShapeItem } from './shape-item.js';

/**
 * What every delimited feed means by "no value" (issue 12): URLhaus and ThreatFox write `None`, MalwareBazaar `n/a`,
 * others `null`, `-` or nothing. Compared trimmed and case-insensitively, on whole cells and on each item of a list
 * cell; a source's own `nulls` add to these.
 */
export const DELIMITED_NULLS: readonly string[] = ['', 'none', 'null', 'n/a', '-'];

/** A quoted field may span lines, but not more than this: past it, the opening quote is taken as a mistake. */
const MAX_RECORD_LINES = 64;

const quoteParityOdd = (line: string): boolean => {
  let odd = false;
  for (let i = line.indexOf('"'); i !== -1; i = line.indexOf('"', i + 1)) odd = !odd;
  return odd;
};

interface Prepared {
  header: string[] | undefined;
  /** Whole records (each ends in a newline), as csv-parse input; their first physical lines are in `starts`. */
  records: AsyncGenerator<string>;
  starts: number[];
  problems: Array<{ line: number; reason: string }>;
}

/**
 * Lines → whole CSV records: skips the first `skipLines`, blank lines and comment lines (and finds a commented
 * header among them), joins a quoted field that spans lines, and drops a line whose quote never closes, so that
 * one bad line costs one line.
 */
async function prepare(body: Readable, shape: DelimitedShape): Promise<Prepared> {
  const comment = shape.comment ?? '#';
  const delimiter = shape.delimiter ?? ',';
  const lines = createInterface({ input: body, crlfDelay: Infinity })[Symbol.asyncIterator]();
  const starts: number[] = [];
  const problems: Prepared['problems'] = [];
  let lineNo = 0;
  let candidate: string | undefined;
  let header: string[] | undefined = shape.header === 'none' ? [...(shape.columns ?? [])] : undefined;
  let first: string | undefined;
  // A line csv-parse cannot read (an unclosed quote in a comment that holds the delimiter) names no columns.
  const splitHeader = (text: string): string[] => {
    try {
      return (parseSync(text, { delimiter, trim: true, relax_quotes: true, relax_column_count: true }) as string[][])[0]?.map((h) => h.trim()) ?? [];
    } catch {
      return [];
    }
  };
  // Up to the first data line: the header.
  for (;;) {
    const next = await lines.next();
    if (next.done) break;
    lineNo++;
    const text = lineNo === 1 ? next.value.replace(/^\uFEFF/, '') : next.value;
    if (lineNo <= (shape.skipLines ?? 0) || text.trim() === '') continue;
    if (text.startsWith(comment)) {
      const inner = text.slice(comment.length).trim();
      if (shape.header === 'commented' && inner.includes(delimiter)) {
        const cols = splitHeader(inner);
        if (cols.length >= 2) candidate = inner;
      }
      continue;
    }
    if (shape.header === 'first') header = splitHeader(text);
    else {
      if (shape.header === 'commented' && candidate !== undefined) header = splitHeader(candidate);
      first = text;
    }
    break;
  }
  const firstLine = lineNo;
  async function* records(): AsyncGenerator<string> {
    let chunk = '';
    let pending: string[] = [];
    let pendingStart = 0;
    const emit = (text: string, at: number) => {
      starts.push(at);
      chunk += `${text}\n`;
    };
    const consider = (text: string, at: number) => {
      if (pending.length > 0) {
        pending.push(text);
        if (quoteParityOdd(text)) {
          emit(pending.join('\n'), pendingStart);
          pending = [];
        } else if (pending.length >= MAX_RECORD_LINES) {
          problems.push({ line: pendingStart, reason: 'unbalanced quote: a quoted field opened on this line never closes' });
          const rest = pending.slice(1);
          pending = [];
          rest.forEach((l, i) => consider(l, pendingStart + 1 + i));
        }
        return;
      }
      if (text.trim() === '' || text.startsWith(comment)) return;
      if (quoteParityOdd(text)) {
        pending = [text];
        pendingStart = at;
        return;
      }
      emit(text, at);
    };
    if (first !== undefined) consider(first, firstLine);
    for (;;) {
      const next = await lines.next();
      if (next.done) break;
      lineNo++;
      consider(next.value, lineNo);
      if (chunk.length >= 65536) {
        yield chunk;
        chunk = '';
      }
    }
    if (pending.length > 0) {
      problems.push({ line: pendingStart, reason: 'unbalanced quote: a quoted field opened on this line never closes' });
      const rest = pending.slice(1);
      pending = [];
      rest.forEach((l, i) => consider(l, pendingStart + 1 + i));
    }
    if (chunk) yield chunk;
  }
  return { header, records: records(), starts, problems };
}

/** Delimited text (SOURCES.md shape D): csv-parse on whole records, columns from the header or the definition. */
export async function* readDelimited(body: Readable, shape: DelimitedShape): AsyncGenerator<ShapeItem> {
  const { header, records, starts, problems } = await prepare(body, shape);
  if (!header || header.length === 0) {
    yield { problem: { line: 0, reason: `no ${shape.header === 'commented' ? 'commented ' : ''}header line found` } };
    return;
  }
  const reader = new FieldReader([...DELIMITED_NULLS, ...(shape.nulls ?? [])]);
  let index = 0;
  const source = Readable.from(records, { objectMode: false });
  const parser = source.pipe(
    parse({
      delimiter: shape.delimiter ?? ',',
      columns: header,
      trim: true,
      relax_quotes: true,
      relax_column_count: true,
      skip_records_with_error: true,
      max_record_size: 1024 * 1024,
      on_skip: (err) => {
        problems.push({ line: starts[index++] ?? 0, reason: err?.message ?? 'unreadable row' });
      },
    }),
  );
  // pipe() does not forward errors: a download that breaks off must fail the parse, not crash the process.
  source.on('error', (err) => parser.destroy(err));
  for await (const row of parser as AsyncIterable<Record<string, string>>) {
    while (problems.length) yield { problem: problems.shift()! };
    const line = starts[index++] ?? 0;
    if (index > 65_536) {
      starts.splice(0, index);
      index = 0;
    }
    const out = reader.map(row, [], shape.fields, line);
    yield out;
  }
  while (problems.length) yield { problem: problems.shift()! };
}
