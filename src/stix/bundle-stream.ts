import { setImmediate as nextTurn } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import type { IocQuery, StixPage } from '../store/types.js';
import type { Tlp } from '../domain/tlp.js';
import { type ProducerIdentity, identityObject } from './identity.js';
import { tlpMarkingObject } from './tlp-markings.js';

/** What a bundle is read from: the store's pages of stored STIX JSON. */
export interface StixObjectSource {
  pageStixObjects(query: IocQuery): Promise<StixPage>;
  tlpLevelsInUse(): Promise<Tlp[]>;
}

export interface BundleOptions {
  identity: ProducerIdentity;
  /** IOC objects per chunk of text (100: ~80 KB). */
  pageSize?: number;
  /**
   * IOC objects per read of the store, a multiple of pageSize (default: pageSize). A store across the network
   * (PostgreSQL) pays a round trip per read: it reads ten chunks at a time; SQLite answers synchronously, one chunk
   * at a time, so that a read never holds the event loop long.
   */
  readSize?: number;
  /** Called with the running count of IOC objects after each chunk. */
  onProgress?: (objects: number) => void;
}

/**
 * One STIX 2.1 bundle (§8) as a stream of text chunks: the producer identity, the TLP marking definitions in
 * use, then the stored JSON of each IOC's latest version, page after page. Memory stays flat whatever the size:
 * nothing is parsed or re-rendered, and a page is released before the next is read.
 * `query.limit` caps the number of IOC objects (not pages).
 */
export async function* stixBundleChunks(source: StixObjectSource, query: Omit<IocQuery, 'after'>, opts: BundleOptions): AsyncGenerator<string> {
  // ~80 KB a page: chunks stay in V8's young generation (large strings would pile up until a full GC).
  const pageSize = opts.pageSize ?? 100;
  const readSize = Math.max(pageSize, opts.readSize ?? pageSize);
  const head = [identityObject(opts.identity), ...(await source.tlpLevelsInUse()).map(tlpMarkingObject)];
  yield `{"type":"bundle","id":"bundle--${randomUUID()}","objects":[${head.map((o) => JSON.stringify(o)).join(',')}`;
  let remaining = query.limit;
  let count = 0;
  const read = (after: IocQuery['after'] | undefined) => {
    const page = source.pageStixObjects({ ...query, limit: Math.min(readSize, remaining), ...(after ? { after } : {}) });
    page.catch(() => {}); // awaited in the loop, unless the consumer stops first
    return page;
  };
  // The next page is read while this one is written: a store across the network answers while the socket drains.
  let next: Promise<StixPage> | undefined = remaining > 0 ? read(undefined) : undefined;
  let first = true;
  while (next) {
    // A turn of the event loop between pages: with a store that answers synchronously (SQLite) and a socket that
    // keeps taking data, the whole bundle would otherwise be written without other requests being served.
    if (!first) await nextTurn();
    first = false;
    const page = await next;
    count += page.objects.length;
    remaining -= page.objects.length;
    next = page.next && remaining > 0 ? read(page.next) : undefined;
    for (let at = 0; at < page.objects.length; at += pageSize) {
      // Chunks of one page's size: a read of many pages is not written as one large string.
      if (at > 0) await nextTurn();
      yield `,${page.objects.slice(at, at + pageSize).join(',')}`;
    }
    opts.onProgress?.(count);
  }
  yield ']}';
}
