import { filterDigest, type TokenSigner } from '../auth/signed-token.js';
import { InvalidParameterError, NotFoundError } from '../errors/app-error.js';
import type { IocReads } from '../store/store.js';
import type { IocPosition } from '../store/types.js';
import { normalizeAny } from '../domain/normalize.js';
import { type ListLimits, parseIocListQuery } from './ioc-query.js';
import { iocDetailView, iocListText } from './ioc-view.js';

const STIX_ID = /^(indicator|vulnerability)--[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** REST reads of IOCs: query parsing, keyset paging with signed cursors, representation. No HTTP here. */
export class IocService {
  constructor(
    private readonly store: IocReads,
    private readonly signer: TokenSigner,
    private readonly limits: ListLimits,
  ) {}

  /** A page of the list as JSON text (iocListText), ready to send. */
  async list(rawQuery: Record<string, unknown>): Promise<string> {
    const parsed = parseIocListQuery(rawQuery, this.limits);
    const digest = filterDigest(parsed.canonicalFilters);
    let after: IocPosition | undefined;
    if (parsed.cursor !== undefined) after = this.readCursor(parsed.cursor, digest);
    const page = await this.store.listIocs({ ...parsed.query, ...(after ? { after } : {}) });
    const next = page.next ? this.signer.sign({ v: 1, f: digest, a: page.next.addedAt, r: page.next.rowId }) : null;
    return iocListText(page.items, { limit: parsed.query.limit, next_cursor: next, has_more: next !== null });
  }

  async get(id: string) {
    return (await this.find(id)).view;
  }

  /**
   * GET /api/v1/iocs/{id}: by STIX id or, failing that, by value. A segment that is not an id but normalizes to an
   * IOC value (`185.220.101.5`, `hxxp://evil[.]com/x` percent-encoded, `cve-2024-3094`) is answered with the IOC
   * of that value, whatever its status, and `canonicalId` says where it lives; the list's `q` parameter is the
   * search by value with filters, and the errors say so.
   */
  async find(idOrValue: string): Promise<{ view: ReturnType<typeof iocDetailView>; canonicalId: string }> {
    const normalized = idOrValue.trim().toLowerCase();
    if (STIX_ID.test(normalized)) {
      const ioc = await this.store.getIoc(normalized);
      if (!ioc) throw new NotFoundError(`no IOC with id ${normalized}`);
      return { view: iocDetailView(ioc), canonicalId: ioc.id };
    }
    const value = normalizeAny(idOrValue);
    const search = (v: string) => `GET /api/v1/iocs?q=${encodeURIComponent(v)}`;
    if (!value.ok) {
      throw new InvalidParameterError(
        'id',
        `${JSON.stringify(shorten(idOrValue))} is neither an IOC id (indicator--<uuid4> or vulnerability--<uuid4>, as listed by GET /api/v1/iocs) nor an IOC value (${value.reason}); to search by value use GET /api/v1/iocs?q=<value>`,
        'indicator--<uuid4>, vulnerability--<uuid4>, or an IOC value',
      );
    }
    const page = await this.store.queryIocs({ value: value.value, types: [value.type], status: 'all', limit: 1 });
    const ioc = page.items[0] && (await this.store.getIoc(page.items[0].id));
    if (!ioc) {
      throw new NotFoundError(`no IOC has the value ${shorten(value.value)} (${value.type}), active or revoked; ${search(value.value)} searches by value, with the list's filters`);
    }
    return { view: iocDetailView(ioc), canonicalId: ioc.id };
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

function shorten(s: string): string {
  return s.length > 100 ? `${s.slice(0, 100)}…` : s;
}
