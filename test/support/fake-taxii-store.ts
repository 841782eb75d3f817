import type { TaxiiStore, VersionLog } from '../../src/store/store.js';
import { objectPageOf } from '../../src/store/log-page.js';
import type { AddOutcome, LogEntry, LogPage, LogQuery, NewObject, ObjectPage, SavedStatus } from '../../src/store/types.js';

/** One version in a collection of the fake log. */
interface FakeEntry extends LogEntry {
  collection: string;
  type: string;
}

/**
 * An in-memory version log with what `TaxiiService` calls of the `VersionLog & TaxiiStore` roles: pageLog (and pageObjects from it), addObjects,
 * deleteObject, saveStatus and getStatus. The selection is a plain reading of LogQuery (versions chosen per object,
 * spec versions as named or else the latest of each object), enough for unit tests of the service; the real SQL is
 * covered by the store contract suites. Every query and call is recorded, so that a test can see what reached the store.
 * The other members throw: a service path that reaches them is not one these tests mean to cover.
 */
export class FakeTaxiiStore implements VersionLog, TaxiiStore {
  readonly entries: FakeEntry[] = [];
  readonly statuses = new Map<string, SavedStatus>();
  readonly queries: LogQuery[] = [];
  readonly deletes: Array<{ collection: string; stixId: string; versions: ReadonlyArray<{ dateAdded: number; seq: number }> | undefined }> = [];
  readonly saved: Array<{ status: SavedStatus; now: number; pruneBefore: number }> = [];
  private seq = 0;

  /** Puts a version in a collection as if it had been added at `dateAddedUs` (epoch µs). */
  put(collection: string, o: { id: string; modified: number; specVersion?: string; dateAddedUs: number }): FakeEntry {
    const entry: FakeEntry = {
      collection, type: o.id.slice(0, o.id.indexOf('--')), stixId: o.id, modified: o.modified, specVersion: o.specVersion ?? '2.1',
      dateAdded: o.dateAddedUs, seq: ++this.seq,
      json: JSON.stringify({ id: o.id, modified: new Date(o.modified).toISOString(), spec_version: o.specVersion ?? '2.1' }),
    };
    this.entries.push(entry);
    return entry;
  }

  async pageLog(query: LogQuery): Promise<LogPage> {
    this.queries.push(query);
    const mine = this.entries.filter((e) => e.collection === query.collection && (!query.ids || query.ids.includes(e.stixId)) && (!query.types || query.types.includes(e.type)));
    // Spec versions: those named, else each object's latest.
    const latestSpec = new Map<string, string>();
    for (const e of mine) if ((latestSpec.get(e.stixId) ?? '') < e.specVersion) latestSpec.set(e.stixId, e.specVersion);
    const specOk = mine.filter((e) => (query.specVersions ? query.specVersions.includes(e.specVersion) : e.specVersion === latestSpec.get(e.stixId)));
    // Versions: first, last, all or exact `modified`, per object.
    const v = query.versions;
    const selected = specOk.filter((e) => {
      if (v.all) return true;
      const same = specOk.filter((o) => o.stixId === e.stixId).map((o) => o.modified);
      return (v.first && e.modified === Math.min(...same)) || (v.last && e.modified === Math.max(...same)) || v.modified.includes(e.modified);
    });
    const walk = selected
      .filter((e) => query.addedAfter === undefined || e.dateAdded > query.addedAfter)
      .filter((e) => !query.after || e.dateAdded > query.after.dateAdded || (e.dateAdded === query.after.dateAdded && e.seq > query.after.seq))
      .sort((a, b) => a.dateAdded - b.dateAdded || a.seq - b.seq);
    const items = walk.slice(0, query.limit).map(({ collection: _c, type: _t, ...e }) => e);
    return { items, more: walk.length > items.length };
  }

  async pageObjects(query: LogQuery): Promise<ObjectPage> {
    return objectPageOf(await this.pageLog(query));
  }

  async addObjects(collection: string, objects: readonly NewObject[], now: number): Promise<AddOutcome[]> {
    return objects.map((o) => {
      const modified = o.modified ?? now;
      if (this.entries.some((e) => e.collection === collection && e.stixId === o.stixId && e.modified === modified)) return { outcome: 'duplicate', modified };
      this.entries.push({ collection, type: o.type, stixId: o.stixId, modified, specVersion: o.specVersion, json: o.json, dateAdded: now * 1000, seq: ++this.seq });
      return { outcome: 'added', modified };
    });
  }

  async deleteObject(collection: string, stixId: string, versions: ReadonlyArray<{ dateAdded: number; seq: number }> | undefined): Promise<number> {
    this.deletes.push({ collection, stixId, versions });
    const doomed = this.entries.filter((e) => e.collection === collection && e.stixId === stixId && (!versions || versions.some((p) => p.seq === e.seq)));
    for (const e of doomed) this.entries.splice(this.entries.indexOf(e), 1);
    return doomed.length;
  }

  async saveStatus(status: SavedStatus, now: number, pruneBefore: number): Promise<void> {
    this.saved.push({ status, now, pruneBefore });
    this.statuses.set(status.id, status);
  }

  async getStatus(id: string): Promise<SavedStatus | undefined> {
    return this.statuses.get(id);
  }

  ensureSharedObjects(): Promise<number> {
    throw new Error('FakeTaxiiStore: ensureSharedObjects is not used by TaxiiService');
  }
  loadTaxii(): Promise<{ versions: number; duplicates: number }> {
    throw new Error('FakeTaxiiStore: loadTaxii is not used by TaxiiService');
  }
  loadedTaxiiRoots(): Promise<never[]> {
    throw new Error('FakeTaxiiStore: loadedTaxiiRoots is not used by TaxiiService');
  }
  loadedTaxiiCollections(): Promise<never[]> {
    throw new Error('FakeTaxiiStore: loadedTaxiiCollections is not used by TaxiiService');
  }
}
