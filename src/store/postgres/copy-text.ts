/** COPY … FROM STDIN text format (PostgreSQL), encoded without the driver. */
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_SPECIALS = /[\\\t\n\r]/g;
const TAB = 9;
const NEWLINE = 10;
const NULL_FIELD = Buffer.from('\\N');

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
      this.at += NULL_FIELD.copy(this.buf, this.at);
    } else if (typeof v === 'number' && Number.isSafeInteger(v)) {
      this.integer(v);
    } else if (typeof v === 'boolean') {
      this.byte(v ? 116 : 102);
    } else {
      let t = typeof v === 'string' ? v : String(v);
      if (COPY_SPECIAL.test(t)) t = t.replace(COPY_SPECIALS, (ch) => COPY_ESCAPES[ch]!);
      this.room(t.length * 3);
      this.at += this.buf.write(t, this.at, 'utf8');
    }
  }

  private integer(n: number): void {
    this.room(17);
    if (n < 0) {
      this.buf[this.at++] = 45;
      n = -n;
    }
    let digits = 1;
    for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
    this.at += digits;
    for (let i = this.at - 1; i >= this.at - digits; i--) {
      this.buf[i] = 48 + (n % 10);
      n = Math.floor(n / 10);
    }
  }

  get length(): number {
    return this.at;
  }

  done(): Buffer {
    return this.buf.subarray(0, this.at);
  }
}
