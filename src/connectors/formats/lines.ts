import { createInterface } from 'node:readline';

/** A line of a text body and its 1-based number. */
export interface NumberedLine {
  text: string;
  line: number;
}

/**
 * The lines of a text body, numbered from 1 (LF, CRLF or a lone CR, as node:readline splits them; a UTF-8 byte
 * order mark dropped from the first): how every line-based format reads (CSV, NDJSON, line lists).
 */
export async function* numberedLines(input: AsyncIterable<unknown> & NodeJS.ReadableStream): AsyncGenerator<NumberedLine> {
  let line = 0;
  for await (const text of createInterface({ input, crlfDelay: Infinity })) {
    line++;
    yield { text: line === 1 ? text.replace(/^\uFEFF/, '') : text, line };
  }
}
