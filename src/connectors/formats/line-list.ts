import type { Readable } from 'node:stream';
import { numberedLines } from './lines.js';
import type { ParsedItem } from './raw-record.js';

const COMMENT = /^\s*(#|;|\/\/)/;

/**
 * A plain list, one value per line. Blank lines and lines starting with `#`, `;` or `//` are comments.
 * The value is the first whitespace-separated token: no IOC contains whitespace, and many lists append notes.
 */
export async function* parseLineList(input: Readable): AsyncGenerator<ParsedItem> {
  for await (const { text, line } of numberedLines(input)) {
    if (text.trim() === '' || COMMENT.test(text)) continue;
    const value = text.trim().split(/\s/, 1)[0]!;
    yield { record: { line, value } };
  }
}
