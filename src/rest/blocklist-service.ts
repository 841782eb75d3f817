import { createHash } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { IocType } from '../domain/ioc-types.js';
import { normalizeDomain } from '../domain/normalize/domain.js';
import { InvalidParameterError } from '../errors/app-error.js';
import type { BlocklistReads } from '../store/store.js';
import type { BlocklistEntry, BlocklistQuery } from '../store/types.js';
import {
  BLOCKLIST_FORMATS, BLOCKLIST_TYPES, type BlocklistFormat, type BlocklistFormatter, type BlocklistType, FORMATTERS, type FormatOptions, iocTypesOf,
} from './blocklist-formats.js';
import { parseIocListQuery } from './ioc-query.js';

/** Query parameters of GET /api/v1/blocklists/{type}.txt. */
export const BLOCKLIST_PARAMS = ['confidence', 'industry', 'source', 'since', 'limit', 'format', 'subdomains', 'zone', 'category'] as const;
/** Most entries one list may hold when the client asks for a limit (none by default). */
export const MAX_BLOCKLIST_LIMIT = 10_000_000;
/** Rows read per page of the store: a page is one range scan; a few pages in flight at most. */
const PAGE = 2000;

/** A validated request: its validator (no list read yet) and, on demand, the list itself. */
export interface PreparedBlocklist {
  /** A strong validator of the identity representation: the query and the data version, hashed. */
  etag: string;
  /** The newest change of the data (epoch ms, whole seconds), 0 when nothing was ever stored. */
  lastModified: number;
  /** The text, in chunks of whole lines; `skipped` counts the values the format could not carry so far. */
  chunks(): AsyncGenerator<string>;
  readonly skipped: number;
}

/** GET /api/v1/blocklists/{type}.txt without HTTP: parameters, validator, the streamed list. */
export class BlocklistService {
  constructor(
    private readonly store: BlocklistReads,
    private readonly pageSize = PAGE,
  ) {}

  /** Validates (a bad parameter is a 400 before anything is read) and reads the data version: one cheap probe. */
  async prepare(typeRaw: string, raw: Record<string, unknown>): Promise<PreparedBlocklist> {
    const type = typeRaw.toLowerCase();
    if (!(BLOCKLIST_TYPES as readonly string[]).includes(type)) {
      throw new InvalidParameterError('type', `${JSON.stringify(typeRaw.slice(0, 64))} is not a blocklist type`, BLOCKLIST_TYPES);
    }
    for (const name of Object.keys(raw)) {
      if (!(BLOCKLIST_PARAMS as readonly string[]).includes(name)) throw new InvalidParameterError(name.slice(0, 64), 'unknown parameter', BLOCKLIST_PARAMS);
    }
    const { format: formatRaw, subdomains: subRaw, zone: zoneRaw, category: categoryRaw, ...filters } = raw;
    const { query, canonicalFilters } = parseIocListQuery(filters, { defaultLimit: undefined, maxLimit: MAX_BLOCKLIST_LIMIT, cursor: false });

    const format = (text(formatRaw, 'format') ?? 'plain').toLowerCase();
    if (!(BLOCKLIST_FORMATS as readonly string[]).includes(format)) {
      throw new InvalidParameterError('format', `${JSON.stringify(format.slice(0, 64))} is not a blocklist format`, BLOCKLIST_FORMATS);
    }
    const formatter = FORMATTERS[format as BlocklistFormat];
    const types = iocTypesOf(type as BlocklistType);
    if (!types.every((t) => formatter.types.includes(t))) {
      throw new InvalidParameterError('format', `format ${format} does not list ${type}`, `for ${type}: ${BLOCKLIST_FORMATS.filter((f) => types.every((t) => FORMATTERS[f].types.includes(t))).join(', ')}`);
    }
    const subText = text(subRaw, 'subdomains')?.toLowerCase();
    if (subText !== undefined && subText !== 'true' && subText !== 'false') throw new InvalidParameterError('subdomains', 'is true or false', ['true', 'false']);
    const zoneText = text(zoneRaw, 'zone');
    let zone = 'rpz.local';
    if (zoneText !== undefined) {
      const n = normalizeDomain(zoneText);
      if (!n.ok || n.value.length > 200) throw new InvalidParameterError('zone', `${JSON.stringify(zoneText.slice(0, 64))} is not a zone name`, 'a domain name of 200 characters at most, e.g. rpz.example.org');
      zone = n.value;
    }
    const categoryText = text(categoryRaw, 'category');
    let category = 1;
    if (categoryText !== undefined) {
      if (!/^\d{1,2}$/.test(categoryText) || Number(categoryText) < 1 || Number(categoryText) > 60) throw new InvalidParameterError('category', `${JSON.stringify(categoryText.slice(0, 64))} is not a category id`, '1–60');
      category = Number(categoryText);
    }

    const version = await this.store.dataVersion();
    const options: FormatOptions = { subdomains: subText === 'true', zone, category, serial: Math.floor(version.lastModified / 1000) >>> 0 };
    const limit = query.limit;
    const etag = `"bl-${createHash('sha256')
      .update(JSON.stringify([type, format, options.subdomains, zone, category, canonicalFilters, limit, version.seq, version.lastModified, version.tallies]))
      .digest('base64url')
      .slice(0, 32)}"`;
    const base: Omit<BlocklistQuery, 'type' | 'limit' | 'after'> = {};
    if (query.band) base.band = query.band;
    if (query.sector !== undefined) base.sector = query.sector;
    if (query.source !== undefined) base.source = query.source;
    if (query.since !== undefined) base.since = query.since;

    const state = { skipped: 0 };
    const store = this.store;
    const pageSize = this.pageSize;
    return {
      etag,
      lastModified: version.lastModified - (version.lastModified % 1000),
      get skipped() {
        return state.skipped;
      },
      chunks: () => listChunks(store, types, base, limit, formatter, options, state, pageSize),
    };
  }
}

function text(v: unknown, name: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new InvalidParameterError(name, 'given more than once; give it once');
  return v;
}

/**
 * The list in chunks of one page of lines: every IOC type's pages merged by (score desc, id desc), the order each
 * store page comes in, so `limit` keeps the highest scores whatever the family. A skipped value does not count
 * against `limit`. Memory: one page per type.
 */
async function* listChunks(
  store: BlocklistReads,
  types: IocType[],
  base: Omit<BlocklistQuery, 'type' | 'limit' | 'after'>,
  limit: number,
  formatter: BlocklistFormatter,
  options: FormatOptions,
  state: { skipped: number },
  pageSize: number,
): AsyncGenerator<string> {
  const head = formatter.head(options);
  if (head) yield head;
  const cursors = types.map((type) => ({ type, rows: [] as BlocklistEntry[], at: 0, done: false, after: undefined as BlocklistEntry | undefined }));
  const fill = async (c: (typeof cursors)[number]) => {
    if (c.at < c.rows.length || c.done) return;
    const q: BlocklistQuery = { ...base, type: c.type, limit: pageSize };
    if (c.after) {
      q.after = { score: c.after.score, rowId: c.after.rowId };
      // A turn of the event loop between pages: SQLite answers a page without one, and a client on loopback takes the
      // lines as fast as they come (the 200,000 IPv4s of a 1M database held every other request 270 ms).
      await nextTurn();
    }
    c.rows = await store.blocklistPage(q);
    c.at = 0;
    if (c.rows.length < pageSize) c.done = true;
    c.after = c.rows[c.rows.length - 1] ?? c.after;
  };
  let served = 0;
  let chunk = '';
  let lines = 0;
  while (served < limit) {
    for (const c of cursors) await fill(c);
    let pick: (typeof cursors)[number] | undefined;
    for (const c of cursors) {
      const e = c.rows[c.at];
      if (!e) continue;
      const p = pick?.rows[pick.at];
      if (!p || e.score > p.score || (e.score === p.score && e.rowId > p.rowId)) pick = c;
    }
    if (!pick) break;
    const e = pick.rows[pick.at++]!;
    const out = formatter.entry(pick.type, e.value, e.score, options);
    if (out === null) {
      state.skipped++;
      continue;
    }
    served++;
    chunk += out;
    if (++lines >= pageSize) {
      yield chunk;
      chunk = '';
      lines = 0;
    }
  }
  if (chunk) yield chunk;
}
