import { filterDigest, type TokenSigner } from '../auth/signed-token.js';
import { InvalidParameterError, NotFoundError } from '../errors/app-error.js';
import type { Store } from '../store/store.js';
import type { IocPosition } from '../store/types.js';
import { type ListLimits, parseIocListQuery } from './ioc-query.js';
import { iocDetailView, iocView } from './ioc-view.js';

const STIX_ID = /^(indicator|vulnerability)--[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** REST reads of IOCs: query parsing, keyset paging with signed cursors, representation. No HTTP here. */
export class IocService {
  constructor(
    private readonly store: Store,
    private readonly signer: TokenSigner,
    private readonly limits: ListLimits,
  ) {}

  async list(rawQuery: Record<string, unknown>) {
    const parsed = parseIocListQuery(rawQuery, this.limits);
    const digest = filterDigest(parsed.canonicalFilters);
    let after: IocPosition | undefined;
    if (parsed.cursor !== undefined) after = this.readCursor(parsed.cursor, digest);
    const page = await this.store.queryIocs({ ...parsed.query, ...(after ? { after } : {}) });
    const next = page.next ? this.signer.sign({ v: 1, f: digest, a: page.next.addedAt, r: page.next.rowId }) : null;
    return {
      data: page.items.map(iocView),
      pagination: { limit: parsed.query.limit, next_cursor: next, has_more: next !== null },
    };
  }

  async get(id: string) {
    const normalized = id.trim().toLowerCase();
    if (!STIX_ID.test(normalized)) {
      throw new InvalidParameterError('id', 'not an IOC id', 'indicator--<uuid4> or vulnerability--<uuid4>, as listed by GET /api/v1/iocs');
    }
    const ioc = await this.store.getIoc(normalized);
    if (!ioc) throw new NotFoundError(`no IOC with id ${normalized}`);
    return iocDetailView(ioc);
  }

  private readCursor(cursor: string, digest: string): IocPosition {
    const p = this.signer.verify(cursor) as { v?: unknown; f?: unknown; a?: unknown; r?: unknown } | undefined;
    if (!p || p.v !== 1 || !Number.isSafeInteger(p.a) || !Number.isSafeInteger(p.r)) {
      throw new InvalidParameterError('cursor', 'not a cursor issued by this server', 'the pagination.next_cursor of a previous page');
    }
    if (p.f !== digest) {
      throw new InvalidParameterError('cursor', 'was issued for other filters; keep the filters of the first page (limit may change)');
    }
    return { addedAt: p.a as number, rowId: p.r as number };
  }
}
