/** COPY … FROM STDIN text format (PostgreSQL), encoded without the driver. */
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_SPECIALS = /[\\\t\n\r]/g;
const TAB = 9;
const NEWLINE = 10;
const CR = 13;
const BACKSLASH = 92;
const N = 78;
const E8 = 100_000_000;
/** Strings up to this length are copied in JavaScript; longer ones by Buffer#write. */
const SHORT = 64;

/**
 * Rows in COPY's text format, written straight into a growing buffer: no string per field, per line or per batch,
 * which on the heap became most of the garbage of a bulk load (and half a core of collector threads).
 */
export class CopyText {
  private buf: Buffer;
  private at = 0;

  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(Math.max(size, 4096));
  }

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(bigger, 0, 0, this.at);
    this.buf = bigger;
  }

  private byte(b: number): void {
    this.room(1);
    this.buf[this.at++] = b;
  }

  /** Between two fields. */
  tab(): void {
    this.byte(TAB);
  }

  /** After the last field of a row. */
  newline(): void {
    this.byte(NEWLINE);
  }

  /** One field: \N for NULL, t/f, the decimal digits of an integer, or text with the four characters COPY escapes. */
  field(v: unknown): void {
    if (v === null || v === undefined) {
      this.room(2);
      this.buf[this.at++] = BACKSLASH;
      this.buf[this.at++] = N;
    } else if (typeof v === 'number' && Number.isSafeInteger(v)) {
      this.integer(v);
    } else if (typeof v === 'boolean') {
      this.byte(v ? 116 : 102);
    } else {
      this.text(typeof v === 'string' ? v : String(v));
    }
  }

  /**
   * Text, escaped. Short ASCII strings (values, ids, names) are copied char by char: a call into the runtime per
   * field cost more than the copy; anything longer or not ASCII goes through Buffer#write.
   */
  private text(t: string): void {
    const n = t.length;
    if (n <= SHORT) {
      this.room(2 * n);
      const buf = this.buf;
      let at = this.at;
      let i = 0;
      for (; i < n; i++) {
        const c = t.charCodeAt(i);
        if (c >= 0x80) break;
        if (c === BACKSLASH || c === TAB || c === NEWLINE || c === CR) {
          buf[at++] = BACKSLASH;
          buf[at++] = c === BACKSLASH ? BACKSLASH : c === TAB ? 116 : c === NEWLINE ? 110 : 114;
        } else {
          buf[at++] = c;
        }
      }
      if (i === n) {
        this.at = at;
        return;
      }
    }
    const escaped = COPY_SPECIAL.test(t) ? t.replace(COPY_SPECIALS, (ch) => COPY_ESCAPES[ch]!) : t;
    this.room(escaped.length * 3);
    this.at += this.buf.write(escaped, this.at, 'utf8');
  }

  /** A safe integer's digits: in two halves below 1e8, so that every division is on small integers. */
  private integer(n: number): void {
    this.room(17);
    if (n < 0) {
      this.buf[this.at++] = 45;
      n = -n;
    }
    if (n < E8) {
      this.digits(n, 0);
    } else {
      const high = Math.floor(n / E8);
      this.digits(high, 0);
      this.digits(n - high * E8, 8);
    }
  }

  /** The digits of 0 <= n < 1e8, padded with zeros to `width`. */
  private digits(n: number, width: number): void {
    let count = 1;
    for (let x = n; x >= 10; x = (x / 10) | 0) count++;
    if (count < width) count = width;
    const buf = this.buf;
    let i = this.at + count - 1;
    this.at += count;
    for (let k = 0; k < count; k++) {
      const q = (n / 10) | 0;
      buf[i--] = 48 + n - q * 10;
      n = q;
    }
  }

  get length(): number {
    return this.at;
  }

  done(): Buffer {
    return this.buf.subarray(0, this.at);
  }
}
