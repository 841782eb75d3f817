import { bandOf } from '../domain/confidence.js';
import type { Ioc, IocDetail } from '../store/types.js';
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
