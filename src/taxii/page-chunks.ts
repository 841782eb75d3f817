import { setImmediate as nextTurn } from 'node:timers/promises';
import type { LogPage, LogQuery, ObjectPage } from '../store/types.js';

/**
 * A TAXII page larger than this many objects is read as several pages of the store, one after the other, with a turn
 * of the event loop between them. A page of 10,000 (MAX_PAGE_LIMIT) held every other request of a SQLite server
 * 64–207 ms at 1M IOCs; 1,000 is the default limit, read in one.
 */
export const PAGE_CHUNK = 1000;

const COMMA = Buffer.from(',');

/**
 * The page of `q` (VersionLog.pageObjects), read `chunk` objects at a time from where the last chunk ended: the same
 * objects, positions and `more` as one read, the byte budget (`maxBytes`, on the objects' own bytes) carried from
 * chunk to chunk. Only the first object of the whole page may pass the budget.
 */
export async function readObjectPage(read: (q: LogQuery) => Promise<ObjectPage>, q: LogQuery, chunk = PAGE_CHUNK): Promise<ObjectPage> {
  if (q.limit <= chunk) return read(q);
  const parts: Buffer[] = [];
  let count = 0;
  let objectBytes = 0;
  let firstAdded: number | undefined;
  let last: ObjectPage['last'];
  let more = false;
  for (let after = q.after; ; ) {
    const want = Math.min(chunk, q.limit - count);
    const budget = q.maxBytes === undefined ? undefined : Math.max(0, q.maxBytes - objectBytes);
    const page = await read({ ...q, after, limit: want, maxBytes: budget });
    // The one object a read gives whatever the budget, past what is left of it: it starts the next page instead.
    const bytes = page.json.length - Math.max(0, page.count - 1);
    if (count > 0 && budget !== undefined && page.count === 1 && bytes > budget) {
      more = true;
      break;
    }
    if (page.count > 0) {
      parts.push(page.json);
      count += page.count;
      objectBytes += bytes;
      firstAdded ??= page.firstAdded;
      last = page.last;
    }
    more = page.more;
    // Ended: no more, the limit reached, or this chunk cut short by the budget.
    if (!page.more || count >= q.limit || page.count < want || !page.last) break;
    after = page.last;
    await nextTurn();
  }
  return { json: parts.length === 1 ? parts[0]! : Buffer.concat(parts.flatMap((p, i) => (i > 0 ? [COMMA, p] : [p]))), count, firstAdded, last, more };
}

/** The page of `q` (VersionLog.pageLog), read as readObjectPage reads objects (a manifest's and versions' pages). */
export async function readLogPage(read: (q: LogQuery) => Promise<LogPage>, q: LogQuery, chunk = PAGE_CHUNK): Promise<LogPage> {
  if (q.limit <= chunk) return read(q);
  const items: LogPage['items'] = [];
  let more = false;
  for (let after = q.after; ; ) {
    const want = Math.min(chunk, q.limit - items.length);
    const page = await read({ ...q, after, limit: want });
    for (const e of page.items) items.push(e);
    more = page.more;
    const last = page.items[page.items.length - 1];
    if (!page.more || items.length >= q.limit || page.items.length < want || !last) break;
    after = { dateAdded: last.dateAdded, seq: last.seq };
    await nextTurn();
  }
  return { items, more };
}
