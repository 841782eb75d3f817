/**
 * COPY … FROM STDIN (FORMAT binary), encoded without the driver: each field is its length and its bytes, so the
 * server neither scans the rows for delimiters and escapes (every byte of every 750-byte STIX JSON, twice) nor
 * parses digits, and there is nothing to escape here.
 */

/** The column types this encoder writes, as the tables declare them (the binary format has no coercion). */
export type CopyType = 'bigint' | 'integer' | 'text' | 'boolean';

/** "PGCOPY\n\377\r\n\0", then the flags and the length of the header extension (both 0). */
const HEADER = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
const TWO_32 = 4_294_967_296;
const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;
/** Strings up to this length are copied in JavaScript; longer ones by Buffer#write (a call into the runtime). */
const SHORT = 64;

/**
 * Buffers of COPYs the server has answered, taken again by the next ones. A bulk load encodes megabytes per slice:
 * a fresh buffer each time cost the process a page fault per 4 KiB written (~170k faults in a 200k import, a fifth
 * of its CPU in the kernel) and tens of MB of garbage waiting for a full collection. A few are kept, and only for a
 * while after the last COPY, so an idle server holds none.
 */
const spare: Buffer[] = [];
const SPARE_COUNT = 8;
const SPARE_LARGEST = 32 * 1024 * 1024;
const SPARE_KEPT_MS = 10_000;
let forget: NodeJS.Timeout | undefined;

/** A buffer of at least `size` bytes: the smallest spare one that fits, else a new one. */
function takeBuffer(size: number): Buffer {
  let best = -1;
  for (let i = 0; i < spare.length; i++) if (spare[i]!.length >= size && (best < 0 || spare[i]!.length < spare[best]!.length)) best = i;
  if (best < 0) return Buffer.allocUnsafe(size);
  const [buf] = spare.splice(best, 1);
  return buf!;
}

function giveBack(buf: Buffer): void {
  if (buf.length > SPARE_LARGEST) return;
  if (spare.length >= SPARE_COUNT) {
    // The smallest goes: the next slices need the sizes of the last ones.
    let smallest = 0;
    for (let i = 1; i < spare.length; i++) if (spare[i]!.length < spare[smallest]!.length) smallest = i;
    if (spare[smallest]!.length >= buf.length) return;
    spare.splice(smallest, 1);
  }
  spare.push(buf);
  if (forget) forget.refresh();
  else forget = setTimeout(() => {
    spare.length = 0;
    forget = undefined;
  }, SPARE_KEPT_MS).unref();
}

/** Rows in COPY's binary format, written straight into a growing buffer. */
export class CopyBinary {
  private buf: Buffer;
  private at = 0;

  constructor(size: number) {
    this.buf = takeBuffer(Math.max(size, 4096));
    HEADER.copy(this.buf, 0);
    this.at = HEADER.length;
  }

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const bigger = takeBuffer(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(bigger, 0, 0, this.at);
    giveBack(this.buf);
    this.buf = bigger;
  }

  private int32(n: number): void {
    const buf = this.buf;
    const at = this.at;
    buf[at] = n >>> 24;
    buf[at + 1] = n >>> 16;
    buf[at + 2] = n >>> 8;
    buf[at + 3] = n;
    this.at = at + 4;
  }

  /** Starts a row of `fields` fields. */
  row(fields: number): void {
    this.room(2);
    this.buf[this.at++] = fields >>> 8;
    this.buf[this.at++] = fields;
  }

  /** One field of the column type `type`: NULL for null and undefined. */
  field(type: CopyType, v: unknown): void {
    if (v === null || v === undefined) {
      this.room(4);
      this.int32(-1);
      return;
    }
    switch (type) {
      case 'bigint':
        return this.bigint(v);
      case 'integer':
        return this.integer(v);
      case 'boolean':
        return this.boolean(v);
      case 'text':
        return this.text(typeof v === 'string' ? v : String(v));
      default:
        throw new TypeError(`COPY: no binary encoding for ${String(type satisfies never)}`);
    }
  }

  /** int8: two's complement, big-endian; any safe integer. */
  private bigint(v: unknown): void {
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new TypeError(`COPY: ${String(v)} is not a bigint`);
    this.room(12);
    this.int32(8);
    const high = Math.floor(v / TWO_32);
    this.int32(high);
    this.int32(v - high * TWO_32);
  }

  private integer(v: unknown): void {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < INT32_MIN || v > INT32_MAX) throw new TypeError(`COPY: ${String(v)} is not an integer`);
    this.room(8);
    this.int32(4);
    this.int32(v);
  }

  private boolean(v: unknown): void {
    if (typeof v !== 'boolean') throw new TypeError(`COPY: ${String(v)} is not a boolean`);
    this.room(5);
    this.int32(1);
    this.buf[this.at++] = v ? 1 : 0;
  }

  /** UTF-8 bytes after their count. Short ASCII strings (values, ids, names) are copied char by char. */
  private text(t: string): void {
    const n = t.length;
    const start = this.at;
    if (n <= SHORT) {
      this.room(4 + n);
      const buf = this.buf;
      let at = start + 4;
      let i = 0;
      for (; i < n; i++) {
        const c = t.charCodeAt(i);
        if (c >= 0x80) break;
        buf[at++] = c;
      }
      if (i === n) {
        this.int32(n);
        this.at = at;
        return;
      }
    }
    this.room(4 + n * 3);
    const bytes = this.buf.write(t, start + 4, 'utf8');
    this.int32(bytes);
    this.at = start + 4 + bytes;
  }

  get length(): number {
    return this.at;
  }

  /** The data, with the trailer (a field count of -1). Nothing may be written after. */
  done(): Buffer {
    this.room(2);
    this.buf[this.at++] = 0xff;
    this.buf[this.at++] = 0xff;
    return this.buf.subarray(0, this.at);
  }

  /** Lends the buffer to the next COPY: only once nothing reads what `done` returned any more. */
  recycle(): void {
    giveBack(this.buf);
  }
}
