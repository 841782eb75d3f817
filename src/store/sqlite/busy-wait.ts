/**
 * Waiting for SQLite's write lock without holding the thread. better-sqlite3 is synchronous: with a busy_timeout,
 * a write that finds another process (`socd import`) holding the lock sleeps inside SQLite, and every request of the
 * server waits with it. The store runs with busy_timeout 0 instead: a write that finds the lock taken fails at once
 * with SQLITE_BUSY, before it has changed anything, and is tried again after a timer, while the server goes on.
 */

/** How long a write waits for another process's lock before it fails (SQLITE_BUSY). */
export const BUSY_WAIT_MS = 30_000;
/** Pause between two tries: short, because the other process may leave the lock free for only a few ms. */
const RETRY_MS = [1, 2, 4];

/** SQLITE_BUSY and its extended codes (SQLITE_BUSY_SNAPSHOT…): the lock is held by another connection. */
export function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

export interface BusyWaitOptions {
  /** Gives up (rethrows SQLITE_BUSY) after this long; 0: one try. */
  waitMs?: number;
  /**
   * True when the failed statement ran inside a transaction that is still open: then it is not tried again (what the
   * transaction did before would be done twice).
   */
  inTransaction?: () => boolean;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `fn` (one statement, or one BEGIN IMMEDIATE transaction, so that SQLITE_BUSY means nothing was done), and
 * again after a pause each time it finds the database locked, until `waitMs` has passed.
 */
export async function whenNotBusy<T>(fn: () => T, opts: BusyWaitOptions = {}): Promise<T> {
  const waitMs = opts.waitMs ?? BUSY_WAIT_MS;
  const sleep = opts.sleep ?? sleepFor;
  const now = opts.now ?? (() => performance.now());
  const started = now();
  for (let attempt = 0; ; attempt++) {
    try {
      return fn();
    } catch (err) {
      if (!isBusy(err) || now() - started >= waitMs || opts.inTransaction?.()) throw err;
    }
    await sleep(RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]!);
  }
}
