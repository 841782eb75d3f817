import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * Scans read in windows. SQLite's statements run on the event loop: a page whose filter passes over many entries of
 * the index that drives it (a TAXII `match[version]` no member has, a REST walk of revoked IOCs among active ones) would
 * hold every other client for the whole scan. Such a page is read a window of entries at a time, each bounded by the
 * position of its last entry, with a turn of the event loop between windows. Any bound gives the same page, so a
 * window's size is chosen by time alone.
 */

/**
 * How many entries (of a collection's members, or of the index that drives a REST walk) the windows of a filtered
 * scan read. The first reads a few pages' worth (a page seldom needs more), fewer if a window of the same kind read
 * before showed that to take longer than its share of WINDOW_MS; each next one is sized from the time the last took
 * per entry, at most 4 times the last, within [MIN, MAX]. The cost of an entry varies tenfold: at 1M IOCs on SQLite,
 * 0.4 µs in `all-iocs`, whose members lie in log order beside their versions, and 4.6 µs in `sector-dams`, whose
 * versions are scattered. Scans that run at once share WINDOW_MS: the windows of all of them run in one turn of the
 * event loop.
 */
export class WindowSize {
  static readonly WINDOW_MS = 4;
  static readonly MIN = 64;
  static readonly MAX = 65_536;
  members: number;
  /** Milliseconds a member of the last window took. */
  cost: number | undefined;

  /**
   * An entry's time when nothing of its kind was read yet: a member of `sector-dams` at 1M IOCs on SQLite (4.6 µs),
   * rounded up. Entries read from disk cost more (about 30 µs: a first window of 4,004 took 127 ms after a start).
   */
  static readonly DEFAULT_COST_MS = 0.005;

  /** `cost`: an entry's time in an earlier scan of the kind (else DEFAULT_COST_MS); `sharing`: the scans running at once. */
  constructor(limit: number, cost?: number, sharing = 1) {
    this.cost = cost;
    this.members = WindowSize.bound(Math.min(4 * (limit + 1), WindowSize.fit(cost ?? WindowSize.DEFAULT_COST_MS, sharing)));
  }

  /** The last window took `ms`, `sharing` scans running: sizes the next. */
  took(ms: number, sharing = 1): void {
    this.cost = ms / this.members;
    this.members = WindowSize.bound(Math.min(4 * this.members, WindowSize.fit(this.cost, sharing)));
  }

  private static fit(cost: number, sharing: number): number {
    return cost > 0 ? Math.floor(WindowSize.WINDOW_MS / Math.max(1, sharing) / cost) : Infinity;
  }

  private static bound(members: number): number {
    return Math.max(WindowSize.MIN, Math.min(WindowSize.MAX, members));
  }
}

/** The windowed scans of one database: the scans running at once share a turn's time; each kind keeps its last cost. */
export class ScanWindows {
  private scans = 0;
  private readonly costs = new Map<string, number>();

  /**
   * Whether a scan that passes over at most `entries` entries (undefined: unknown) fits in a turn of the event loop, at
   * the cost per entry the last window of this kind showed (else WindowSize.DEFAULT_COST_MS): then it needs no
   * windows.
   */
  fitsOneTurn(kind: string, entries: number | undefined): boolean {
    return entries !== undefined && entries * (this.costs.get(kind) ?? WindowSize.DEFAULT_COST_MS) <= 2 * WindowSize.WINDOW_MS;
  }

  /**
   * Calls `window(entries)` until it answers true (the page is full, or the entries ended), with a turn of the event
   * loop between calls. `kind` names what is scanned (a collection, a REST walk's index), for the first window's size;
   * `limit` is the page's.
   */
  async run(kind: string, limit: number, window: (entries: number) => boolean): Promise<void> {
    const size = new WindowSize(limit, this.costs.get(kind), this.scans + 1);
    this.scans++;
    try {
      for (;;) {
        const started = performance.now();
        if (window(size.members)) return;
        size.took(performance.now() - started, this.scans);
        await nextTurn();
      }
    } finally {
      this.scans--;
      if (size.cost !== undefined) this.costs.set(kind, size.cost);
    }
  }
}
