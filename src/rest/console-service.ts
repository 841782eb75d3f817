import type { Principal } from '../auth/authenticator.js';
import { BUILTIN_COLLECTIONS } from '../domain/collections.js';
import { BAND_RANGES, CONFIDENCE_BANDS } from '../domain/confidence.js';
import { IOC_STATUSES, type IocType } from '../domain/ioc-types.js';
import { isoMs } from '../domain/iso-time.js';
import type { ProducerIdentity } from '../stix/identity.js';
import type { IocReads, StatsReads, TallyRow, VersionLog } from '../store/store.js';
import { type ExportFilters, IocExport } from './ioc-export.js';
import type { IocService } from './ioc-service.js';

const DAY = 86_400_000;
/** The dashboard's chart: the last 30 days. */
export const ADDED_DAYS = 30;
/** Versions one answer of GET /api/v1/iocs/{id}/versions lists at most (newest first). */
export const MAX_VERSIONS = 100;

/** The TAXII collections a key can read (taxii/service.ts TaxiiService implements it; rest/ does not import taxii/). */
export interface CollectionCatalog {
  readonly rootName: string;
  readableCollections(who: Principal): Array<{
    root: string;
    collection: { id: string; alias: string; title: string; description: string; canRead(who: Principal): boolean; canWrite(who: Principal): boolean };
  }>;
}

/**
 * What the console shows beside the IOC lists (issue 16), each a cheap read: the dashboard's totals (the tallies the
 * database keeps, never a count of the table), the IOCs added per day by source (from the runs), the collections a
 * key can read with their sizes, and an IOC's version history from the STIX version log. No HTTP here.
 */
export class ConsoleService {
  constructor(
    private readonly store: StatsReads & Pick<VersionLog, 'pageLog'> & IocReads,
    private readonly iocs: IocService,
    private readonly taxii: CollectionCatalog,
    private readonly identity: ProducerIdentity,
    private readonly clock: () => number = Date.now,
  ) {}

  /** GET /api/v1/iocs/export: the list's filters checked now (a 400 before anything is sent), the file written later. */
  exporter(filters: ExportFilters): IocExport {
    return new IocExport(this.store, this.identity, filters);
  }

  /** GET /api/v1/stats. */
  async stats() {
    const now = this.clock();
    const tallies = await this.store.typeTallies();
    const byStatus = Object.fromEntries(IOC_STATUSES.map((s) => [s, 0])) as Record<string, number>;
    const byType: Record<string, number> = {};
    const byBand = Object.fromEntries(CONFIDENCE_BANDS.map((b) => [b, 0])) as Record<string, number>;
    let all = 0;
    for (const t of tallies) {
      all += t.n;
      byStatus[t.status] = (byStatus[t.status] ?? 0) + t.n;
      if (t.status !== 'active') continue;
      byType[t.key] = (byType[t.key] ?? 0) + t.n;
      byBand[t.band] = (byBand[t.band] ?? 0) + t.n;
    }
    const since = Math.floor(now / DAY) * DAY - (ADDED_DAYS - 1) * DAY;
    const added = await this.store.addedPerDay(since);
    return {
      computed_at: isoMs(now),
      totals: { all, by_status: byStatus, by_type: byType, by_band: byBand },
      added_per_day: added.map((a) => ({ day: a.day, source: a.source, new: a.added })),
      added_since: isoMs(since),
    };
  }

  /** GET /api/v1/collections: the TAXII collections this key can read, with their URLs and sizes. */
  async collections(who: Principal, baseUrl: string) {
    const [types, sectors] = await Promise.all([this.store.typeTallies(), this.store.sectorTallies()]);
    const data = this.taxii.readableCollections(who).map(({ root, collection: c }) => ({
      api_root_url: `${baseUrl}/api/taxii2/${root}/`,
      id: c.id,
      alias: c.alias || null,
      title: c.title,
      description: c.description,
      can_read: c.canRead(who),
      can_write: c.canWrite(who),
      object_count: root === this.taxii.rootName ? countOf(c.alias, types, sectors) : null,
      objects_url: `${baseUrl}/api/taxii2/${root}/collections/${c.id}/objects/`,
    }));
    return { discovery_url: `${baseUrl}/api/taxii2/`, data };
  }

  /** GET /api/v1/iocs/{id}/versions: the STIX versions of an IOC (by id or value), newest first. */
  async versions(idOrValue: string) {
    const { canonicalId } = await this.iocs.find(idOrValue);
    const page = await this.store.pageLog({
      collection: BUILTIN_COLLECTIONS[0]!.alias,
      ids: [canonicalId],
      limit: 10_000,
      versions: { last: false, first: false, all: true, modified: [] },
    });
    const entries = [...page.items].sort((a, b) => b.modified - a.modified || b.dateAdded - a.dateAdded);
    return {
      id: canonicalId,
      data: entries.slice(0, MAX_VERSIONS).map((e) => {
        const object = JSON.parse(e.json) as Record<string, unknown>;
        return { modified: isoMs(e.modified), date_added: isoMs(Math.floor(e.dateAdded / 1000)), revoked: object.revoked === true, object };
      }),
      more: entries.length > MAX_VERSIONS,
    };
  }
}

/**
 * The objects of a built-in collection counted from the tallies: the IOCs that belong to it now, revoked ones too (a
 * revoked object stays in a collection). A sector's collection reads the sector tallies; the others ask the
 * collection's own membership rule of each (type, band) cell. Collections of other roots or configured ones: null.
 */
function countOf(alias: string, types: readonly TallyRow[], sectors: readonly TallyRow[]): number | null {
  const c = BUILTIN_COLLECTIONS.find((b) => b.alias === alias);
  if (!c) return null;
  if (alias.startsWith('sector-')) return sectors.filter((t) => `sector-${t.key}` === alias).reduce((n, t) => n + t.n, 0);
  return types.filter((t) => c.member({ type: t.key as IocType, score: BAND_RANGES[t.band].canonical, sectors: [] })).reduce((n, t) => n + t.n, 0);
}
