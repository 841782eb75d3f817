import { Readable } from 'node:stream';
import { parse as parseSync } from 'csv-parse/sync';
import { type CsvPiece, excerpt, fileLines, readCsvRecords } from './csv-records.js';
import { numberedLines } from './lines.js';
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
  validUntil: ['valid_until', 'validuntil'],
};

export class MissingValueColumnError extends Error {
  override name = 'MissingValueColumnError';
}

/**
 * CSV (RFC 4180) with a header row. A row that cannot be parsed is reported with its line and skipped;
 * the rest of the file still loads (an unterminated quote included: see csv-records.ts).
 */
export async function* parseDelimited(input: Readable, opts: { delimiter?: string } = {}): AsyncGenerator<ParsedItem> {
  const csv = { delimiter: opts.delimiter ?? ',', trim: true, relax_column_count: true, max_record_size: 1024 * 1024 };
  // The header, consumed as column names, is the first record csv-parse can read.
  let header: string[] | undefined;
  const intercept = (piece: CsvPiece): CsvPiece | undefined => {
    if (header !== undefined || !('record' in piece)) return piece;
    try {
      header = (parseSync(`${piece.record.text}\n`, csv) as string[][])[0]?.map((h) => h.trim().toLowerCase().replace(/[\s-]+/g, '_')) ?? [];
      return undefined;
    } catch (err) {
      return { problem: { line: piece.record.line, reason: err instanceof Error ? fileLines(err.message, piece.record.line) : 'unreadable row' } };
    }
  };
  const rows = readCsvRecords(numberedLines(input), {
    split: { unbalanced: (first) => `unbalanced quote: a quoted field opened on this line never closes: ${excerpt(first)}` },
    parse: csv,
    columns: () => header ?? [],
    intercept,
  });
  let map: Partial<Record<keyof typeof COLUMNS, string>> | undefined;
  for await (const item of rows) {
    if ('problem' in item) {
      yield item;
      continue;
    }
    const row = item.row;
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
        validUntil: cell('validUntil'),
      },
    };
  }
}
