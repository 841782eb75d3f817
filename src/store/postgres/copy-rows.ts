import { setImmediate as nextTurn } from 'node:timers/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { CopyBinary, type CopyType } from './copy-binary.js';

/**
 * The bulk paths of the PostgreSQL store: many rows in one statement (one parameter per column, unnest()ed), and
 * COPY … FROM STDIN in binary format for new rows. log-work.ts sends its flushes through them.
 */

type PoolClient = pg.PoolClient;

/** Rows encoded (or observations reconciled) between two turns of the event loop, less one (a power of two). */
export const YIELD_EVERY = 255;

/** Numbered query parameters, for SQL built in pieces. */
export class Params {
  readonly values: unknown[] = [];
  add(value: unknown, type?: string): string {
    this.values.push(value);
    return type ? `$${this.values.length}::${type}` : `$${this.values.length}`;
  }
}

export type Col<T> = readonly [name: string, type: CopyType, get: (r: T) => unknown];

const RS = '\x1e';
const US = '\x1f';

/**
 * One column of many rows as a single text parameter split by PostgreSQL: elements joined by the record separator,
 * NULL as the unit separator. pg's own array literals escape every element (each quote of each 750-byte STIX JSON)
 * and cost more CPU and garbage than the database's work; nothing we store contains these two control characters
 * (values are normalized, labels filtered, JSON escapes them), and a column where one would appear, or an empty
 * string that a split cannot tell from no element, goes as a plain array.
 */
export function column(p: Params, values: unknown[], type: string): string {
  const texts: string[] = new Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) texts[i] = US;
    else {
      const t = typeof v === 'string' ? v : String(v);
      if (t === '' || t.includes(RS) || t.includes(US)) return p.add(values, `${type}[]`);
      texts[i] = t;
    }
  }
  return `string_to_array(${p.add(texts.join(RS), 'text')}, chr(30), chr(31))::${type}[]`;
}

/** `unnest(col1, col2, …) AS u(c1, c2, …)`: many rows in one statement, one parameter per column. */
export function unnestOf<T>(p: Params, rows: readonly T[], cols: readonly Col<T>[]): string {
  return `unnest(${cols.map(([, type, get]) => column(p, rows.map(get), type)).join(', ')}) AS u(${cols.map((c) => c[0]).join(', ')})`;
}

/** Bytes per row of each table's last COPY: the next buffer starts at about the right size. */
const copyRowBytes = new Map<string, number>();

/** A statement made ready, sent when called. */
export type Send = (c: PoolClient) => Promise<unknown>;

/**
 * Statements of one connection sent one after the other, each as soon as the one before has completed, while the
 * caller goes on: pg would queue them itself, but that is deprecated (pg 9 removes it). After a failure the next
 * ones are still sent; in a transaction they fail as aborted, and the caller reports the first failure.
 */
export class Sequence {
  private tail: Promise<unknown> = Promise.resolve();

  then<T>(send: () => Promise<T>): Promise<T> {
    const sent = this.tail.then(send, send);
    this.tail = sent.catch(() => {});
    return sent;
  }
}

/**
 * New rows by COPY … FROM STDIN (binary format): the server reads them straight into tuples, with no plan and no
 * arrays to build and unnest: the cheapest bulk insert PostgreSQL has. The data is encoded now; the returned
 * function sends it, and settles when the server has it.
 */
export async function copyRows<T>(table: string, cols: readonly Col<T>[], rows: readonly T[]): Promise<Send> {
  const data = new CopyBinary(Math.ceil(rows.length * (copyRowBytes.get(table) ?? 128) * 1.1));
  for (let r = 0; r < rows.length; r++) {
    if ((r & YIELD_EVERY) === YIELD_EVERY) await nextTurn();
    const row = rows[r]!;
    data.row(cols.length);
    for (let k = 0; k < cols.length; k++) data.field(cols[k]![1], cols[k]![2](row));
  }
  if (rows.length > 0) copyRowBytes.set(table, data.length / rows.length);
  const bytes = data.done();
  const sql = `COPY ${table} (${cols.map((x) => x[0]).join(', ')}) FROM STDIN (FORMAT binary)`;
  return (c) => {
    const stream = c.query(copyFrom(sql));
    return new Promise<void>((resolve, reject) => {
      // Answered: the server has read every byte, and the buffer may serve the next COPY.
      stream.on('finish', () => {
        data.recycle();
        resolve();
      });
      stream.on('error', reject);
      stream.end(bytes);
    });
  };
}
