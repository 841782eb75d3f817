import { bandOf } from '../domain/confidence.js';
import type { Ioc, IocDetail, IocListRow } from '../store/types.js';
import { isoMs } from '../domain/iso-time.js';

/** The REST representation of an IOC (snake_case, ISO times); one place so list and detail agree. */
export function iocView(ioc: Ioc) {
  return {
    id: ioc.id,
    type: ioc.type,
    value: ioc.value,
    confidence: bandOf(ioc.score),
    score: ioc.score,
    first_seen: isoMs(ioc.firstSeen),
    last_seen: isoMs(ioc.lastSeen),
    added_at: isoMs(ioc.addedAt),
    sources: ioc.sources,
    tags: ioc.tags,
    malware: ioc.malware,
    sectors: ioc.sectors,
    tlp: ioc.tlp,
    status: ioc.status,
    valid_until: isoMs(ioc.validUntil),
  };
}

export function iocDetailView(ioc: IocDetail) {
  return {
    ...iocView(ioc),
    sightings: ioc.sightings.map((s) => ({
      source: s.source,
      first_seen: isoMs(s.firstSeen),
      last_seen: isoMs(s.lastSeen),
      count: s.count,
      confidence: s.confidence,
      reference: s.reference,
      ended_at: s.endedAt === null ? null : isoMs(s.endedAt),
      // The source's claim of the end of validity (a submitted valid_until): why valid_until may be earlier.
      expires_at: s.expiresAt === null ? null : isoMs(s.expiresAt),
    })),
  };
}

const str = JSON.stringify;

/**
 * A REST list page as JSON text: `{"data":[iocView…],"pagination":…}` written straight from the rows, the same
 * properties in the same order as iocView and the list schema (test/rest/ioc-view.test.ts checks it against
 * iocView), without a view object per IOC serialized again: the sources, label lists, TLP and status are spliced as
 * the JSON members the store writes from the lists it holds (store/rows.ts listTextColumns). A page of 100 is the
 * REST API's commonest answer.
 */
export function iocListText(items: readonly IocListRow[], pagination: { limit: number; next_cursor: string | null; has_more: boolean }): string {
  let out = '{"data":[';
  for (let i = 0; i < items.length; i++) {
    const c = items[i]!;
    if (i > 0) out += ',';
    out += `{"id":${str(c.id)},"type":${str(c.type)},"value":${str(c.value)},"confidence":"${bandOf(c.score)}","score":${c.score},` +
      `"first_seen":"${isoMs(c.firstSeen)}","last_seen":"${isoMs(c.lastSeen)}","added_at":"${isoMs(c.addedAt)}",` +
      `${c.labelsJson},"valid_until":"${isoMs(c.validUntil)}"}`;
  }
  return `${out}],"pagination":{"limit":${pagination.limit},"next_cursor":${str(pagination.next_cursor)},"has_more":${pagination.has_more}}}`;
}
