import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { extname } from 'node:path';
import { pipeline, type Readable, Transform } from 'node:stream';
import { parseDelimited } from './delimited.js';
import { parseJsonDocument, parseNdjson } from './json-records.js';
import { parseLineList } from './line-list.js';
import type { ParsedItem } from './raw-record.js';

export const FILE_FORMATS = ['text', 'csv', 'tsv', 'json', 'ndjson'] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];

const BY_EXTENSION: Record<string, FileFormat> = {
  '.csv': 'csv', '.tsv': 'tsv', '.json': 'json', '.stix': 'json', '.ndjson': 'ndjson', '.jsonl': 'ndjson',
  '.txt': 'text', '.lst': 'text', '.list': 'text',
};

/** The format of a file: its extension, else a look at its first bytes. */
export async function detectFileFormat(path: string): Promise<FileFormat> {
  const byExt = BY_EXTENSION[extname(path).toLowerCase()];
  if (byExt) return byExt;
  const fh = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(4096), 0, 4096, 0);
    const head = buffer.subarray(0, bytesRead).toString('utf8').replace(/^\uFEFF/, '').trimStart();
    if (head.startsWith('[') || (head.startsWith('{') && !/^\{[^\n]*\}\s*\n\s*\{/.test(head))) return 'json';
    if (head.startsWith('{')) return 'ndjson';
    const firstLine = head.split(/\r?\n/, 1)[0]!.toLowerCase();
    // The header names the CSV reader knows for the value column (delimited.ts).
    if (/(^|[,\t])"?(value|indicator|ioc|observable|url|ip|domain|hash)"?([,\t]|$)/.test(firstLine)) return firstLine.includes('\t') ? 'tsv' : 'csv';
    return 'text';
  } finally {
    await fh.close();
  }
}

export function parseStream(input: Readable, format: FileFormat): AsyncGenerator<ParsedItem> {
  switch (format) {
    case 'csv': return parseDelimited(input);
    case 'tsv': return parseDelimited(input, { delimiter: '\t' });
    case 'json': return parseJsonDocument(input);
    case 'ndjson': return parseNdjson(input);
    case 'text': return parseLineList(input);
  }
}

/**
 * Records of a file, and a counter of bytes read for progress reports. The counter is a stage of the stream, not a
 * 'data' listener: a listener set the file flowing at once, and when the records were first asked for a moment
 * later (a store that connects first: PostgreSQL), the file had been read past them, and the import waited forever.
 */
export function openFileRecords(path: string, format: FileFormat, onBytes?: (n: number) => void): AsyncGenerator<ParsedItem> {
  const file = createReadStream(path, { highWaterMark: 256 * 1024 });
  if (!onBytes) return parseStream(file, format);
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      onBytes(chunk.length);
      done(null, chunk);
    },
  });
  // A read error reaches the parser through the counter (pipeline destroys the stages after the failing one).
  pipeline(file, counted, () => {});
  return parseStream(counted, format);
}
