import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { wholeCsvRecords } from './csv-records.js';
import { type ParsedItem, type RawRecord, splitList } from './raw-record.js';

/** Header names we understand, first match wins; compared lowercase with spaces and dashes as underscores. */
const COLUMNS: Record<Exclude<keyof RawRecord, 'line'>, string[]> = {
  value: ['value', 'indicator', 'ioc', 'observable', 'url', 'ip', 'domain', 'hash'],
  type: ['type', 'ioc_type', 'indicator_type'],
  tags: ['tags', 'tag', 'labels'],
  malware: ['malware', 'malware_family', 'family', 'malware_printable'],
  sectors: ['sectors', 'sector', 'industry', 'industries'],
  // Our own exports carry both the integer score and its band: the integer is the finer one.
  confidence: ['score', 'confidence'],
  tlp: ['tlp'],
  firstSeen: ['first_seen', 'firstseen', 'first_seen_utc', 'dateadded', 'date_added'],
  lastSeen: ['last_seen', 'lastseen', 'last_online'],
  reference: ['reference', 'link', 'ref'],
};

export class MissingValueColumnError extends Error {
  override name = 'MissingValueColumnError';
}

/**
 * CSV (RFC 4180) with a header row. A row that cannot be parsed is reported with its line and skipped;
 * the rest of the file still loads (an unterminated quote included: see csv-records.ts).
 */
export async function* parseDelimited(input: Readable, opts: { delimiter?: string } = {}): AsyncGenerator<ParsedItem> {
  const problems: Array<{ line: number; reason: string }> = [];
  // The start line of every record csv-parse will see, in order; consumed by on_record / on_skip, which csv-parse
  // calls in input order (the header, consumed as column names, takes the first).
  const starts: number[] = [];
  let next = 1;
  const takeLine = () => {
    const line = starts[next++] ?? 0;
    if (next > 65_536) {
      starts.splice(0, next);
      next = 0;
    }
    return line;
  };
  const records = Readable.from(wholeCsvRecords(input, (p) => problems.push(p), starts), { objectMode: false });
  const parser = records.pipe(
    parse({
      delimiter: opts.delimiter ?? ',',
      columns: (header: string[]) => header.map((h) => h.trim().toLowerCase().replace(/[\s-]+/g, '_')),
      trim: true,
      relax_column_count: true,
      skip_records_with_error: true,
      max_record_size: 1024 * 1024,
      on_record: (record: Record<string, string>) => ({ record, line: takeLine() }),
      on_skip: (err) => {
        problems.push({ line: takeLine(), reason: err?.message ?? 'unreadable row' });
      },
    }),
  );
  // pipe() does not forward errors: a read that fails must fail the import, not crash the process.
  records.on('error', (err) => parser.destroy(err));
  let map: Partial<Record<keyof typeof COLUMNS, string>> | undefined;
  for await (const item of parser as AsyncIterable<{ record: Record<string, string>; line: number }>) {
    while (problems.length) yield { problem: problems.shift()! };
    const row = item.record;
    if (!map) {
      map = {};
      const names = Object.keys(row);
      for (const [field, candidates] of Object.entries(COLUMNS) as Array<[keyof typeof COLUMNS, string[]]>) {
        const found = candidates.find((c) => names.includes(c));
        if (found) map[field] = found;
      }
      if (!map.value) {
        throw new MissingValueColumnError(`no value column in the CSV header (${names.join(', ')}); name one of: ${COLUMNS.value.join(', ')}`);
      }
    }
    const cell = (f: keyof typeof COLUMNS) => {
      const name = map![f];
      const v = name === undefined ? undefined : row[name];
      return v === undefined || v === '' ? undefined : v;
    };
    const value = cell('value');
    if (value === undefined) {
      yield { problem: { line: item.line, reason: 'empty value' } };
      continue;
    }
    yield {
      record: {
        line: item.line,
        value,
        type: cell('type'),
        tags: splitList(cell('tags')),
        malware: splitList(cell('malware')),
        sectors: splitList(cell('sectors')),
        confidence: cell('confidence'),
        tlp: cell('tlp'),
        firstSeen: cell('firstSeen'),
        lastSeen: cell('lastSeen'),
        reference: cell('reference'),
      },
    };
  }
  while (problems.length) yield { problem: problems.shift()! };
}
