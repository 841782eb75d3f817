/**
 * JSON.parse of a TAXII envelope in pieces, with turns of the event loop between them: one JSON.parse of a 7 MB
 * envelope (20,000 indicators) holds the thread for 50–130 ms. The body is read as the chunks it arrived in, never
 * joined: one 7 MB buffer or string, joined or decoded, held the thread 20–40 ms on its own (most of it the pages of a
 * fresh allocation). The bytes are cut at the members of the top-level object and at the elements of its `objects`
 * array, by a scanner that follows only strings and brackets (all ASCII: a byte of a multi-byte UTF-8 character is
 * never one of them), and each piece is decoded and parsed on its own (a JSON value parses the same alone as inside
 * its container; a cut at an ASCII byte decodes the same as the whole). Anything the scanner does not expect (another
 * shape, a piece that does not parse, a `__proto__` key) falls back to JSON.parse of the whole text: the value, or
 * the SyntaxError and its message, are then exactly JSON.parse's.
 */

import { setImmediate as nextTurn } from 'node:timers/promises';

/** Time parsed between two turns of the event loop. */
const TURN_MS = 5;

const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** The bytes of a body received in chunks, read as one run without joining them. */
class Bytes {
  private readonly chunks: Buffer[];
  /** The offset of each chunk in the run. */
  private readonly starts: number[] = [];
  readonly length: number;
  /** The chunk of the last byte read (reads go forward). */
  private current = 0;

  constructor(chunks: readonly Buffer[]) {
    this.chunks = chunks.filter((c) => c.length > 0);
    let at = 0;
    for (const c of this.chunks) {
      this.starts.push(at);
      at += c.length;
    }
    this.length = at;
  }

  private chunkOf(i: number): number {
    let k = this.current;
    if (i >= this.starts[k]! && i < this.starts[k]! + this.chunks[k]!.length) return k;
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      k = (lo + hi + 1) >> 1;
      if (this.starts[k]! <= i) lo = k;
      else hi = k - 1;
    }
    return (this.current = lo);
  }

  /** The byte at `i`; -1 outside the run. */
  at(i: number): number {
    if (i < 0 || i >= this.length) return -1;
    const k = this.chunkOf(i);
    return this.chunks[k]![i - this.starts[k]!]!;
  }

  /** Bytes `start` to `end` (exclusive) as UTF-8 text. */
  text(start: number, end: number): string {
    if (end <= start) return '';
    const first = this.chunkOf(start);
    const last = this.chunkOf(end - 1);
    if (first === last) return this.chunks[first]!.toString('utf8', start - this.starts[first]!, end - this.starts[first]!);
    const slices: Buffer[] = [];
    for (let k = first; k <= last; k++) {
      const from = Math.max(start - this.starts[k]!, 0);
      const to = Math.min(end - this.starts[k]!, this.chunks[k]!.length);
      slices.push(this.chunks[k]!.subarray(from, to));
    }
    return Buffer.concat(slices).toString('utf8');
  }

  whole(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

function skipSpace(bytes: Bytes, i: number): number {
  while (i < bytes.length && isSpace(bytes.at(i))) i++;
  return i;
}

/** The end (exclusive) of the value that starts at `i`, following strings and brackets only; -1 if it has none. */
function valueEnd(bytes: Bytes, i: number): number {
  const n = bytes.length;
  let depth = 0;
  for (; i < n; i++) {
    const c = bytes.at(i);
    if (c === 0x22) {
      for (i++; i < n; i++) {
        const d = bytes.at(i);
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
      if (i >= n) return -1;
      if (depth === 0) return i + 1;
    } else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      if (depth === 0) return i; // the end of a scalar, at its container's bracket
      if (--depth === 0) return i + 1;
    } else if (depth === 0 && (c === 0x2c || isSpace(c))) return i;
  }
  return depth === 0 ? n : -1;
}

class Unexpected extends Error {}

function parsePiece(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Unexpected();
  }
}

/**
 * The same value as JSON.parse of the chunks joined and decoded as UTF-8, or the same SyntaxError; parsed in pieces
 * when they hold an object.
 */
export async function parseJsonInTurns(body: readonly Buffer[]): Promise<unknown> {
  const bytes = new Bytes(body);
  try {
    return await inPieces(bytes);
  } catch (err) {
    if (!(err instanceof Unexpected)) throw err;
    return JSON.parse(bytes.whole());
  }
}

async function inPieces(bytes: Bytes): Promise<unknown> {
  let turn = performance.now();
  const maybeTurn = async () => {
    if (performance.now() - turn < TURN_MS) return;
    await nextTurn();
    turn = performance.now();
  };
  const expect = (i: number, code: number) => {
    if (bytes.at(i) !== code) throw new Unexpected();
    return i + 1;
  };
  const out: Record<string, unknown> = {};
  let i = expect(skipSpace(bytes, 0), 0x7b);
  i = skipSpace(bytes, i);
  if (bytes.at(i) === 0x7d) i++;
  else {
    for (;;) {
      if (bytes.at(i) !== 0x22) throw new Unexpected();
      const keyEnd = valueEnd(bytes, i);
      if (keyEnd < 0) throw new Unexpected();
      const key = parsePiece(bytes.text(i, keyEnd)) as string;
      if (key === '__proto__') throw new Unexpected();
      i = skipSpace(bytes, expect(skipSpace(bytes, keyEnd), 0x3a));
      if (key === 'objects' && bytes.at(i) === 0x5b) {
        const elements: unknown[] = [];
        i = skipSpace(bytes, i + 1);
        if (bytes.at(i) === 0x5d) i++;
        else {
          for (;;) {
            const end = valueEnd(bytes, i);
            if (end < 0) throw new Unexpected();
            elements.push(parsePiece(bytes.text(i, end)));
            await maybeTurn();
            i = skipSpace(bytes, end);
            const c = bytes.at(i);
            if (c === 0x5d) {
              i++;
              break;
            }
            i = skipSpace(bytes, expect(i, 0x2c));
          }
        }
        out[key] = elements;
      } else {
        const end = valueEnd(bytes, i);
        if (end < 0) throw new Unexpected();
        out[key] = parsePiece(bytes.text(i, end));
        i = end;
      }
      i = skipSpace(bytes, i);
      if (bytes.at(i) === 0x7d) {
        i++;
        break;
      }
      i = skipSpace(bytes, expect(i, 0x2c));
    }
  }
  if (skipSpace(bytes, i) !== bytes.length) throw new Unexpected();
  return out;
}

/**
 * JSON.stringify(value) for a plain object, in pieces with turns of the event loop between them: the status of a
 * 20,000-object POST (1.4 MB, one entry per object) took one 25–35 ms turn to write. Each member is written alone,
 * and a member that is an array element by element; the text is exactly JSON.stringify's (members whose value is
 * undefined are left out, array holes and undefined elements become null).
 */
export async function stringifyInTurns(value: Record<string, unknown>): Promise<string> {
  let turn = performance.now();
  const parts: string[] = [];
  for (const [key, member] of Object.entries(value)) {
    const text = Array.isArray(member) ? undefined : JSON.stringify(member);
    if (!Array.isArray(member) && text === undefined) continue;
    parts.push(`${parts.length ? ',' : '{'}${JSON.stringify(key)}:`);
    if (!Array.isArray(member)) {
      parts.push(text!);
      continue;
    }
    const elements: string[] = [];
    for (let i = 0; i < member.length; i++) {
      elements.push(JSON.stringify(member[i]) ?? 'null');
      if (performance.now() - turn >= TURN_MS) {
        await nextTurn();
        turn = performance.now();
      }
    }
    parts.push(`[${elements.join(',')}]`);
  }
  parts.push(parts.length ? '}' : '{}');
  return parts.join('');
}
