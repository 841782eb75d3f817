import { createWriteStream } from 'node:fs';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import cliProgress from 'cli-progress';
import { IOC_LIST_PARAMS, parseIocListQuery } from '../api/ioc-query.js';
import { iocView } from '../api/ioc-view.js';
import { MAX_EXPORT_LIMIT, StixExportService } from '../api/stix-export-service.js';
import type { IocReads } from '../store/store.js';
import type { IocQuery } from '../store/types.js';
import { withContext } from './context.js';

export const EXPORT_FORMATS = ['stix', 'json', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportOptions {
  format: ExportFormat;
  out?: string;
  type?: string;
  since?: string;
  industry?: string;
  confidence?: string;
  source?: string;
  status?: string;
  q?: string;
  limit?: string;
}

const CSV_COLUMNS = ['id', 'type', 'value', 'confidence', 'score', 'first_seen', 'last_seen', 'added_at', 'sources', 'tags', 'malware', 'sectors', 'tlp', 'status', 'valid_until'] as const;

/** IOCs in REST order, page by page, as the REST representation. */
async function* iocViews(store: IocReads, query: Omit<IocQuery, 'after'>, onProgress: (n: number) => void) {
  let after: IocQuery['after'];
  let remaining = query.limit;
  let count = 0;
  while (remaining > 0) {
    const page = await store.queryIocs({ ...query, limit: Math.min(2000, remaining), ...(after ? { after } : {}) });
    for (const ioc of page.items) yield iocView(ioc);
    count += page.items.length;
    remaining -= page.items.length;
    onProgress(count);
    if (!page.next) return;
    after = page.next;
  }
}

/**
 * `socd export`: the same selection as the API, to a file or stdout. STIX is the bundle of GET /api/v1/iocs/stix
 * (redistributable sources only); JSON and CSV are the REST representation (every IOC: they stay in house).
 */
export async function exportCommand(opts: ExportOptions): Promise<void> {
  const raw: Record<string, string> = {};
  for (const name of IOC_LIST_PARAMS) {
    if (name !== 'cursor' && opts[name] !== undefined) raw[name] = opts[name]!;
  }
  await withContext(async ({ store, identity }) => {
    const { query } = parseIocListQuery(raw, { defaultLimit: undefined, maxLimit: MAX_EXPORT_LIMIT, cursor: false });
    const total = Math.min(query.limit, await store.countIocs());
    const bar = process.stderr.isTTY
      ? new cliProgress.SingleBar({ format: `exporting ${opts.format} [{bar}] {value} objects`, stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic)
      : undefined;
    bar?.start(total, 0);
    let exported = 0;
    const progress = (n: number) => {
      exported = n;
      bar?.update(Math.min(n, total));
    };
    const out: Writable = opts.out ? createWriteStream(opts.out) : process.stdout;
    const started = process.hrtime.bigint();
    try {
      if (opts.format === 'stix') {
        await pipeline(Readable.from(new StixExportService(store, identity).bundle(raw, progress)), out);
      } else if (opts.format === 'json') {
        await pipeline(Readable.from(jsonArray(iocViews(store, query, progress))), out);
      } else {
        const rows = Readable.from(csvRows(iocViews(store, query, progress)));
        await pipeline(rows, stringify({ header: true, columns: [...CSV_COLUMNS] }), out);
      }
    } finally {
      bar?.update(exported);
      bar?.stop();
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    process.stderr.write(`exported ${exported} IOCs as ${opts.format} in ${seconds.toFixed(1)} s${opts.out ? ` to ${opts.out}` : ''}\n`);
  });
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
