import type { Readable } from 'node:stream';

/** What shapes that fetch more than one document (pages, MISP events, TAXII) get from the runner. */
export interface FetchContext {
  /** Downloads one more document with the source's transport settings (auth, cap, retries, URL rewriting). */
  get(url: string, headers?: Record<string, string>): Promise<Readable>;
  /** Start of the last successful run, or a first-run horizon: the lower bound of incremental fetches. Epoch ms. */
  since: number;
  now: number;
  sleep(ms: number): Promise<void>;
}
