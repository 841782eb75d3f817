import { IOC_STATUSES, type IocStatus } from '../domain/ioc-types.js';

/*
 * Values written into the SQL of the hot read statements instead of bound: SQLite prepares a statement again at
 * every new binding of a parameter that may change its plan, and it counts among those a LIMIT and a value compared
 * with a partial index's WHERE. Measured on a REST or TAXII page of 100: 6-7% of the server's CPU went to preparing
 * the page's statement again. Both are checked here before they become SQL text. SQLite's statement cache is bounded
 * (connection.ts), so a client varying its limit costs a prepare per page, as every page cost before. PostgreSQL binds
 * a LIMIT (the dialects' `limit`): its named statements are kept per SQL text and connection without bound.
 */

/** A row count as an SQL integer literal: a positive safe integer, else an error (it is written into the SQL). */
export function limitLiteral(n: number): string {
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`not a row limit: ${String(n)}`);
  return String(n);
}

/** An IOC status as an SQL string literal: one of IOC_STATUSES, else an error. */
export function statusLiteral(status: IocStatus): string {
  if (!(IOC_STATUSES as readonly string[]).includes(status)) throw new Error(`unknown IOC status ${JSON.stringify(status)}`);
  return `'${status}'`;
}
