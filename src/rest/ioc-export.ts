import { Readable, type Writable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import type { ProducerIdentity } from '../stix/identity.js';
import type { IocReads } from '../store/store.js';
import type { IocQuery } from '../store/types.js';
import { IOC_LIST_PARAMS, parseIocListQuery } from './ioc-query.js';
import { iocView } from './ioc-view.js';
import { MAX_EXPORT_LIMIT, StixExportService } from './stix-export-service.js';

export const EXPORT_FORMATS = ['stix', 'json', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** The REST list filters an export takes (no cursor), as given on the command line. */
export type ExportFilters = Partial<Record<Exclude<(typeof IOC_LIST_PARAMS)[number], 'cursor'>, string>>;

const CSV_COLUMNS = ['id', 'type', 'value', 'confidence', 'score', 'first_seen', 'last_seen', 'added_at', 'sources', 'tags', 'malware', 'sectors', 'tlp', 'status', 'valid_until'] as const;

/** IOCs a page of an export reads: with their CSV or JSON, a few ms of the event loop (2,000: 15–20 ms). */
const EXPORT_PAGE = 500;

/**
 * IOCs in REST order, page by page, as the REST representation, a turn of the event loop between pages: SQLite answers
 * a page without one, and a client on loopback takes the bytes as fast as they come (198,000 IOCs of CSV held every
 * other request 3.3 s).
 */
async function* iocViews(store: IocReads, query: Omit<IocQuery, 'after'>, onProgress: (n: number) => void) {
  let after: IocQuery['after'];
  let remaining = query.limit;
  let count = 0;
  while (remaining > 0) {
    if (after) await nextTurn();
    const page = await store.queryIocs({ ...query, limit: Math.min(EXPORT_PAGE, remaining), ...(after ? { after } : {}) });
    for (const ioc of page.items) yield iocView(ioc);
    count += page.items.length;
    remaining -= page.items.length;
    onProgress(count);
    if (!page.next) return;
    after = page.next;
  }
}

/**
 * An export of the REST selection: STIX is the bundle of GET /api/v1/iocs/stix (redistributable sources only);
 * JSON and CSV are the REST representation (every IOC: they stay in house). The query is validated on creation.
 */
export class IocExport {
  private readonly raw: Record<string, string> = {};
  private readonly query: Omit<IocQuery, 'after'>;

  constructor(
    private readonly store: IocReads,
    private readonly identity: ProducerIdentity,
    filters: ExportFilters,
  ) {
    for (const name of IOC_LIST_PARAMS) {
      const value = name === 'cursor' ? undefined : filters[name];
      if (value !== undefined) this.raw[name] = value;
    }
    this.query = parseIocListQuery(this.raw, { defaultLimit: undefined, maxLimit: MAX_EXPORT_LIMIT, cursor: false }).query;
  }

  /** How many IOCs the export holds at most (the limit, or every IOC). */
  async total(): Promise<number> {
    return Math.min(this.query.limit, await this.store.countIocs());
  }

  /** Writes the export to `out`, telling `onProgress` the count so far. */
  async write(format: ExportFormat, out: Writable, onProgress: (n: number) => void): Promise<void> {
    if (format === 'stix') {
      await pipeline(Readable.from(new StixExportService(this.store, this.identity).bundle(this.raw, onProgress)), out);
    } else if (format === 'json') {
      await pipeline(Readable.from(jsonArray(iocViews(this.store, this.query, onProgress))), out);
    } else {
      const rows = Readable.from(csvRows(iocViews(this.store, this.query, onProgress)));
      await pipeline(rows, stringify({ header: true, columns: [...CSV_COLUMNS] }), out);
    }
  }
}

async function* jsonArray(items: AsyncIterable<unknown>): AsyncGenerator<string> {
  let first = true;
  yield '[';
  for await (const item of items) {
    yield `${first ? '' : ','}\n${JSON.stringify(item)}`;
    first = false;
  }
  yield '\n]\n';
}

/** Lists joined with `;`, as `socd import` reads them back. */
async function* csvRows(items: AsyncIterable<ReturnType<typeof iocView>>) {
  for await (const v of items) {
    yield { ...v, sources: v.sources.join(';'), tags: v.tags.join(';'), malware: v.malware.join(';'), sectors: v.sectors.join(';') };
  }
}
