/**
 * JSON.parse of a TAXII envelope in pieces, with turns of the event loop between them: one JSON.parse of a 7 MB
 * envelope (20,000 indicators) holds the thread for 50–130 ms. The text is cut at the members of the top-level object
 * and at the elements of its `objects` array, by a scanner that follows only strings and brackets, and each piece is
 * parsed on its own (a JSON value parses the same alone as inside its container). Anything the scanner does not expect
 * (another shape, a piece that does not parse, a `__proto__` key) falls back to JSON.parse of the whole text: the
 * value, or the SyntaxError and its message, are then exactly JSON.parse's.
 */

/** Time parsed between two turns of the event loop. */
const TURN_MS = 5;

const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

function skipSpace(text: string, i: number): number {
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** The end (exclusive) of the value that starts at `i`, following strings and brackets only; -1 if it has none. */
function valueEnd(text: string, i: number): number {
  const n = text.length;
  let depth = 0;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
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

/** The same value as JSON.parse(text), or the same SyntaxError; parsed in pieces when `text` is an object. */
export async function parseJsonInTurns(text: string): Promise<unknown> {
  try {
    return await inPieces(text);
  } catch (err) {
    if (!(err instanceof Unexpected)) throw err;
    return JSON.parse(text);
  }
}

async function inPieces(text: string): Promise<unknown> {
  let turn = performance.now();
  const maybeTurn = async () => {
    if (performance.now() - turn < TURN_MS) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    turn = performance.now();
  };
  const expect = (i: number, code: number) => {
    if (text.charCodeAt(i) !== code) throw new Unexpected();
    return i + 1;
  };
  const out: Record<string, unknown> = {};
  let i = expect(skipSpace(text, 0), 0x7b);
  i = skipSpace(text, i);
  if (text.charCodeAt(i) === 0x7d) i++;
  else {
    for (;;) {
      if (text.charCodeAt(i) !== 0x22) throw new Unexpected();
      const keyEnd = valueEnd(text, i);
      if (keyEnd < 0) throw new Unexpected();
      const key = parsePiece(text.slice(i, keyEnd)) as string;
      if (key === '__proto__') throw new Unexpected();
      i = skipSpace(text, expect(skipSpace(text, keyEnd), 0x3a));
      if (key === 'objects' && text.charCodeAt(i) === 0x5b) {
        const elements: unknown[] = [];
        i = skipSpace(text, i + 1);
        if (text.charCodeAt(i) === 0x5d) i++;
        else {
          for (;;) {
            const end = valueEnd(text, i);
            if (end < 0) throw new Unexpected();
            elements.push(parsePiece(text.slice(i, end)));
            await maybeTurn();
            i = skipSpace(text, end);
            const c = text.charCodeAt(i);
            if (c === 0x5d) {
              i++;
              break;
            }
            i = skipSpace(text, expect(i, 0x2c));
          }
        }
        out[key] = elements;
      } else {
        const end = valueEnd(text, i);
        if (end < 0) throw new Unexpected();
        out[key] = parsePiece(text.slice(i, end));
        i = end;
      }
      i = skipSpace(text, i);
      if (text.charCodeAt(i) === 0x7d) {
        i++;
        break;
      }
      i = skipSpace(text, expect(i, 0x2c));
    }
  }
  if (skipSpace(text, i) !== text.length) throw new Unexpected();
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
        await new Promise<void>((resolve) => setImmediate(resolve));
        turn = performance.now();
      }
    }
    parts.push(`[${elements.join(',')}]`);
  }
  parts.push(parts.length ? '}' : '{}');
  return parts.join('');
}
