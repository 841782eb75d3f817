import type { Readable } from 'node:stream';
import { type CsvRecord, csvCells, readCsvRecords } from './csv-records.js';
import { numberedLines } from './lines.js';
import { FieldReader } from './map-fields.js';
import { DELIMITED_NULLS } from './record.js';
import type { DelimitedShape } from '../catalog/source-definition.js';
import type { RecordItem } from './record.js';


/**
 * Delimited text (docs/sources.md §2, shape D): skips the first `skipLines`, blank lines and comment lines (and finds a
 * commented header among them), then reads whole records (parsers/csv-records.ts), columns from the header or
 * the definition.
 */
export async function* readDelimited(body: Readable, shape: DelimitedShape): AsyncGenerator<RecordItem> {
  const comment = shape.comment ?? '#';
  const delimiter = shape.delimiter ?? ',';
  const csv = { delimiter, trim: true, relax_quotes: true, relax_column_count: true, max_record_size: 1024 * 1024 };
  const lines = numberedLines(body)[Symbol.asyncIterator]();
  let candidate: string | undefined;
  let header: string[] | undefined = shape.header === 'none' ? [...(shape.columns ?? [])] : undefined;
  let first: CsvRecord | undefined;
  // A line csv-parse cannot read (an unclosed quote in a comment that holds the delimiter) names no columns.
  const splitHeader = (text: string): string[] => csvCells(text, csv)?.map((h) => h.trim()) ?? [];
  // Up to the first data line: the header.
  for (;;) {
    const next = await lines.next();
    if (next.done) break;
    const { text, line } = next.value;
    if (line <= (shape.skipLines ?? 0) || text.trim() === '') continue;
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
      first = next.value;
    }
    break;
  }
  if (!header || header.length === 0) {
    yield { problem: { line: 0, reason: `no ${shape.header === 'commented' ? 'commented ' : ''}header line found` } };
    return;
  }
  const columns = header;
  // The lines left, after the first data line read above.
  const rows = readCsvRecords({ [Symbol.asyncIterator]: () => lines }, {
    ...(first !== undefined ? { first } : {}),
    split: { comment, unbalanced: () => 'unbalanced quote: a quoted field opened on this line never closes' },
    parse: csv,
    columns: () => columns,
  });
  const reader = new FieldReader([...DELIMITED_NULLS, ...(shape.nulls ?? [])]);
  for await (const item of rows) {
    if ('problem' in item) yield item;
    else yield reader.map(item.row, [], shape.fields, item.line);
  }
}
