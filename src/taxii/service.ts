import { randomUUID } from 'node:crypto';
import { hasRole } from '../domain/roles.js';
import type { Principal } from '../auth/authenticator.js';
import { stixMediaType } from '../stix/constants.js';
import type { TaxiiStore, VersionLog } from '../store/store.js';
import type { LoadedRoot, LogEntry, LogQuery, ObjectPage } from '../store/types.js';
import { type AddObjectsRequest, type ObjectLimits, storeObjects, validateEnvelope } from './add-objects.js';
import type { CollectionRegistry, TaxiiCollection } from './collection-registry.js';
import { TAXII_MEDIA_TYPE } from '../stix/constants.js';
import { HEADER_DATE_ADDED_FIRST, HEADER_DATE_ADDED_LAST, MAX_PAGE_LIMIT } from './constants.js';
import { stringifyInTurns } from './envelope-text.js';
import { forbidden, notFound } from './errors.js';
import type { NextTokens } from './next-token.js';
import { canonicalFilters, type PageLimits, type PagedEndpoint, parseTaxiiQuery } from './query.js';
import { readLogPage, readObjectPage } from './page-chunks.js';
import { formatTaxiiTimestamp } from './timestamps.js';
import { DAY_MS } from '../domain/durations.js';

export interface TaxiiSettings {
  title: string;
  description: string;
  contact: string;
  /** Our API root, served at /api/taxii2/<name>/. */
  rootName: string;
  maxContentLength: number;
  /** API roots beside ours: configured ones, then those loaded from another server (socd taxii load). */
  loadedRoots?: readonly LoadedRoot[];
  /** §3.5 paging: default and largest `limit`. */
  pageLimits?: PageLimits;
  /** What one added object may be (size, depth). */
  objectLimits?: ObjectLimits;
  /** Bytes of stored objects in one page of objects (besides `limit`); default 4 MiB. */
  maxPageBytes?: number;
  /** Discovery values loaded from another server: they take the place of the configured ones. */
  loadedDiscovery?: Record<string, unknown> | null;
}

/** What an endpoint answers: a JSON text (stored objects are concatenated, never parsed) and headers. */
export interface TaxiiAnswer {
  status: number;
  /** The body: text, or the bytes of an envelope (envelopeAnswer). */
  body: string | Buffer;
  headers: Record<string, string>;
}

const ENVELOPE_END = Buffer.from(']}');

/** Bytes of objects in one page when the settings name none. */
const DEFAULT_MAX_PAGE_BYTES = 4 * 1024 * 1024;
/** Every version (§3.4.2 match[version]=all). */
const ALL_VERSIONS = { last: false, first: false, all: true, modified: [] };
const iso = (ms: number) => new Date(ms).toISOString();
const json = (status: number, value: unknown, headers: Record<string, string> = {}): TaxiiAnswer => ({ status, body: JSON.stringify(value), headers });

/**
 * TAXII 2.1 (OASIS, 10 June 2021) over the version log, without a web framework: each method is one endpoint
 * of §4–§5 and returns the answer; `http/` only adapts. The caller has authenticated the key and checked
 * Accept; collection visibility, permissions and parameters are checked here in the order of docs/taxii-conformance.md §2.
 */
export class TaxiiService {
  constructor(
    private readonly store: VersionLog & TaxiiStore,
    private readonly tokens: NextTokens,
    private readonly settings: TaxiiSettings,
    private readonly collectionsOf: CollectionRegistry,
    private readonly clock: () => number = Date.now,
  ) {}

  private get limits(): PageLimits {
    return this.settings.pageLimits ?? { defaultLimit: 1000, maxLimit: MAX_PAGE_LIMIT };
  }

  /** §4.1 Server Discovery. */
  discovery(baseUrl: string): TaxiiAnswer {
    const url = (name: string) => `${baseUrl}/api/taxii2/${name}/`;
    const roots = [this.settings.rootName, ...(this.settings.loadedRoots ?? []).map((r) => r.name)];
    const loaded = this.settings.loadedDiscovery ?? {};
    const text = (name: string, fallback: string) => (typeof loaded[name] === 'string' ? (loaded[name] as string) : fallback);
    // A loaded default names a root of the old server: keep it when that root was loaded.
    const loadedDefault = typeof loaded.default === 'string' ? /([^/]+)\/?$/.exec(loaded.default)?.[1] : undefined;
    const contact = text('contact', this.settings.contact);
    return json(200, {
      title: text('title', this.settings.title),
      description: text('description', this.settings.description),
      ...(contact ? { contact } : {}),
      default: url(loadedDefault && roots.includes(loadedDefault) ? loadedDefault : this.settings.rootName),
      api_roots: roots.map(url),
    });
  }

  /** §4.2 Get API Root Information. */
  apiRoot(root: string): TaxiiAnswer {
    const loaded = this.requireRoot(root);
    if (loaded) {
      return json(200, {
        title: loaded.title,
        ...(loaded.description ? { description: loaded.description } : {}),
        versions: [TAXII_MEDIA_TYPE],
        max_content_length: loaded.maxContentLength,
      });
    }
    return json(200, {
      title: `${this.settings.title}: IOCs`,
      description: 'Indicators of compromise and vulnerabilities as STIX 2.1, in read-only collections by type, confidence and sector.',
      versions: [TAXII_MEDIA_TYPE],
      max_content_length: this.settings.maxContentLength,
      x_socd_default_page_limit: this.limits.defaultLimit,
      x_socd_max_page_limit: this.limits.maxLimit,
    });
  }

  /**
   * §4.3 Get Status: the result of an add, kept 7 days, shown to the account whose key made the request and to
   * admins; to anyone else it does not exist (404, as for a collection a key may not see). A status loaded from
   * another server has no account: every key allowed on TAXII sees it, as it sees the loaded collections.
   */
  async status(root: string, id: string, who: Principal): Promise<TaxiiAnswer> {
    this.requireRoot(root);
    const stored = /^[0-9a-f-]{36}$/.test(id) ? await this.store.getStatus(id) : undefined;
    const mine = stored !== undefined && (stored.accountId === null || stored.accountId === who.accountId || hasRole(who.roles, 'admin'));
    if (!stored || !mine) throw notFound(`no status ${id.slice(0, 80)}`);
    return { status: 200, body: stored.json, headers: {} };
  }

  /** The name of our own API root (the built-in collections'). */
  get rootName(): string {
    return this.settings.rootName;
  }

  /** Every collection of every root this key may read, root by root in discovery order (GET /api/v1/collections). */
  readableCollections(who: Principal): Array<{ root: string; collection: TaxiiCollection }> {
    const roots = [this.settings.rootName, ...(this.settings.loadedRoots ?? []).map((r) => r.name)];
    return roots.flatMap((root) => this.collectionsOf.visible(root, who).filter((c) => c.canRead(who)).map((collection) => ({ root, collection })));
  }

  /** §5.1 Get Collections: every collection this key may see, in a fixed order. */
  collections(root: string, who: Principal): TaxiiAnswer {
    this.requireRoot(root);
    const visible = this.collectionsOf.visible(root, who);
    return json(200, visible.length ? { collections: visible.map((c) => this.collectionResource(c, who)) } : {});
  }

  /** §5.2 Get a Collection. */
  collection(root: string, ref: string, who: Principal): TaxiiAnswer {
    this.requireRoot(root);
    return json(200, this.collectionResource(this.requireCollection(root, ref, who), who));
  }

  /**
   * §5.5 Add Objects. After the visibility and permission checks: Content-Type (415), size (413, from
   * Content-Length before reading), then the body (422 when it is not an envelope or a bundle). Each object is
   * validated alone; the valid ones are stored, duplicates of a stored (id, version) are successes.
   */
  async addObjects(root: string, ref: string, who: Principal, request: AddObjectsRequest): Promise<TaxiiAnswer> {
    this.requireRoot(root);
    const c = this.requireCollection(root, ref, who);
    if (!c.canWrite(who)) throw forbidden(`this key may not add objects to ${c.alias || c.id}`);
    const requestTimestamp = this.clock() * 1000;
    const checked = await validateEnvelope(request, this.settings.maxContentLength, this.settings.objectLimits);
    const outcomes = await storeObjects(this.store, c.key, checked.valid.map((v) => v.object), this.clock());
    const successes = checked.valid.map((v, i) => ({
      id: v.object.stixId,
      version: v.version ?? iso(outcomes[i]!.modified),
      ...(outcomes[i]!.outcome === 'duplicate' ? { message: 'already in the collection with this version' } : {}),
    }));
    const status = {
      id: randomUUID(),
      status: 'complete',
      request_timestamp: formatTaxiiTimestamp(requestTimestamp),
      total_count: successes.length + checked.failures.length,
      success_count: successes.length,
      ...(successes.length ? { successes } : {}),
      failure_count: checked.failures.length,
      ...(checked.failures.length ? { failures: checked.failures } : {}),
      pending_count: 0,
    };
    const body = await stringifyInTurns(status);
    const now = this.clock();
    await this.store.saveStatus({ id: status.id, collection: c.key, accountId: who.accountId, json: body }, now, now - 7 * DAY_MS);
    return { status: 202, body, headers: {} };
  }

  /**
   * §5.7 Delete an Object. What goes is what GET …/objects/{id}/ would return with the same match[version] and
   * match[spec_version] (first and last by the version rule of store/log-page.ts, the latest spec version unless
   * one is named), except that match[version] defaults to all; with neither parameter every version goes (ours,
   * docs/taxii-conformance.md §3), so that the object is gone from objects and manifest.
   */
  async deleteObject(root: string, ref: string, objectId: string, raw: Record<string, unknown>, who: Principal): Promise<TaxiiAnswer> {
    this.requireRoot(root);
    const c = this.requireCollection(root, ref, who);
    // §5.7 and docs/taxii-conformance.md §2: both rights to delete; a visible collection without one of them is a 403.
    if (!c.canRead(who) || !c.canWrite(who)) throw forbidden(`deleting from ${c.alias || c.id} needs both read and write access`);
    const q = parseTaxiiQuery(raw, 'object', this.limits);
    await this.requireObject(c, objectId);
    let selected: Array<{ dateAdded: number; seq: number }> | undefined;
    if (raw['match[version]'] !== undefined || raw['match[spec_version]'] !== undefined) {
      selected = [];
      const versions = raw['match[version]'] !== undefined ? q.versions : ALL_VERSIONS;
      let after: { dateAdded: number; seq: number } | undefined;
      for (;;) {
        const page = await this.store.pageLog({ collection: c.key, limit: MAX_PAGE_LIMIT, ids: [objectId], versions, specVersions: q.specVersions, after });
        selected.push(...page.items.map((e) => ({ dateAdded: e.dateAdded, seq: e.seq })));
        const last = page.items[page.items.length - 1];
        if (!page.more || !last) break;
        after = { dateAdded: last.dateAdded, seq: last.seq };
      }
    }
    await this.store.deleteObject(c.key, objectId, selected);
    return { status: 200, body: '', headers: {} };
  }

  /** §5.4 Get Objects and §5.3 Get Object Manifests: one page of the collection's log. */
  async objects(root: string, ref: string, raw: Record<string, unknown>, who: Principal, manifest = false): Promise<TaxiiAnswer> {
    const c = this.readable(root, ref, who);
    return manifest ? this.manifestAnswer(await this.page(c, raw, 'manifest', undefined)) : this.envelopeAnswer(await this.objectPage(c, raw, 'objects', undefined));
  }

  /** §5.6 Get an Object: its versions in the collection (match[version] last by default); unknown → 404. */
  async object(root: string, ref: string, objectId: string, raw: Record<string, unknown>, who: Principal): Promise<TaxiiAnswer> {
    const c = this.readable(root, ref, who);
    await this.requireObject(c, objectId);
    return this.envelopeAnswer(await this.objectPage(c, raw, 'object', objectId));
  }

  /** §5.8 Get Object Versions: the `modified` of every version, oldest first. */
  async versions(root: string, ref: string, objectId: string, raw: Record<string, unknown>, who: Principal): Promise<TaxiiAnswer> {
    const c = this.readable(root, ref, who);
    await this.requireObject(c, objectId);
    const page = await this.page(c, raw, 'versions', objectId);
    if (page.items.length === 0) return json(200, {});
    return json(200, { more: page.more, ...(page.next ? { next: page.next } : {}), versions: page.items.map((e) => iso(e.modified)) }, entryDateHeaders(page.items));
  }

  /** The log query of a paged endpoint's parameters, and the filters a `next` token is bound to. */
  private logQuery(c: TaxiiCollection, raw: Record<string, unknown>, endpoint: PagedEndpoint, objectId: string | undefined): { query: LogQuery; canonical: string } {
    const q = parseTaxiiQuery(raw, endpoint, this.limits);
    const scope = `${c.root}/${c.key}/${endpoint}/${objectId ?? ''}`;
    const canonical = canonicalFilters(q, scope);
    // The token's position and added_after both bound the walk.
    const after = q.next !== undefined ? this.tokens.read(q.next, canonical) : undefined;
    const query: LogQuery = {
      collection: c.key,
      addedAfter: q.addedAfter,
      after,
      limit: q.limit,
      ids: objectId !== undefined ? [objectId] : q.ids,
      types: q.types,
      versions: endpoint === 'versions' ? ALL_VERSIONS : q.versions,
      specVersions: q.specVersions,
      // Pages that carry objects end at a byte budget too, whatever size of object was stored.
      maxBytes: endpoint === 'objects' || endpoint === 'object' ? (this.settings.maxPageBytes ?? DEFAULT_MAX_PAGE_BYTES) : undefined,
    };
    return { query, canonical };
  }

  /** §3.5 and docs/taxii-conformance.md §5: more: true always comes with a next. */
  private nextToken(more: boolean, last: { dateAdded: number; seq: number } | undefined, canonical: string): string | undefined {
    return more && last ? this.tokens.issue({ dateAdded: last.dateAdded, seq: last.seq }, canonical) : undefined;
  }

  private async page(c: TaxiiCollection, raw: Record<string, unknown>, endpoint: PagedEndpoint, objectId: string | undefined) {
    const { query, canonical } = this.logQuery(c, raw, endpoint, objectId);
    const page = await readLogPage((q) => this.store.pageLog(q), query);
    return { ...page, next: this.nextToken(page.more, page.items[page.items.length - 1], canonical) };
  }

  private async objectPage(c: TaxiiCollection, raw: Record<string, unknown>, endpoint: 'objects' | 'object', objectId: string | undefined) {
    const { query, canonical } = this.logQuery(c, raw, endpoint, objectId);
    const page = await readObjectPage((q) => this.store.pageObjects(q), query);
    return { ...page, next: this.nextToken(page.more, page.last, canonical) };
  }

  private envelopeAnswer(page: ObjectPage & { next: string | undefined }): TaxiiAnswer {
    if (page.count === 0) return json(200, {});
    // The envelope is written around the stored JSON texts, as the store joined them: nothing is parsed or re-rendered.
    const head = `{"more":${page.more}${page.next ? `,"next":${JSON.stringify(page.next)}` : ''},"objects":[`;
    return {
      status: 200,
      body: Buffer.concat([Buffer.from(head), page.json, ENVELOPE_END]),
      headers: dateHeaders(page.firstAdded!, page.last!.dateAdded),
    };
  }

  private manifestAnswer(page: { items: LogEntry[]; more: boolean; next: string | undefined }): TaxiiAnswer {
    if (page.items.length === 0) return json(200, {});
    return json(200, {
      more: page.more,
      ...(page.next ? { next: page.next } : {}),
      objects: page.items.map((e) => ({ id: e.stixId, date_added: formatTaxiiTimestamp(e.dateAdded), version: iso(e.modified), media_type: stixMediaType(e.specVersion) })),
    }, entryDateHeaders(page.items));
  }

  private collectionResource(c: TaxiiCollection, who: Principal) {
    return {
      id: c.id,
      title: c.title,
      ...(c.description ? { description: c.description } : {}),
      ...(c.alias ? { alias: c.alias } : {}),
      can_read: c.canRead(who),
      can_write: c.canWrite(who),
      media_types: c.mediaTypes,
    };
  }

  /** Ours (undefined) or a loaded root; anything else is a 404. */
  private requireRoot(root: string): LoadedRoot | undefined {
    if (root === this.settings.rootName) return undefined;
    const loaded = this.settings.loadedRoots?.find((r) => r.name === root);
    if (!loaded) throw notFound(`no API root ${JSON.stringify(root.slice(0, 80))}; the discovery document lists them`);
    return loaded;
  }

  /** A collection this key may see (docs/taxii-conformance.md §2: the others answer 404, as if they did not exist). */
  private requireCollection(root: string, ref: string, who: Principal): TaxiiCollection {
    const c = this.collectionsOf.find(root, ref);
    if (!c || !(c.canRead(who) || c.canWrite(who))) throw notFound(`no collection ${JSON.stringify(ref.slice(0, 80))}; GET the collections endpoint for the list`);
    return c;
  }

  private readable(root: string, ref: string, who: Principal): TaxiiCollection {
    this.requireRoot(root);
    const c = this.requireCollection(root, ref, who);
    if (!c.canRead(who)) throw forbidden(`this key may not read ${c.alias || c.id}`);
    return c;
  }

  private async requireObject(c: TaxiiCollection, objectId: string): Promise<void> {
    const any = await this.store.pageLog({ collection: c.key, limit: 1, ids: [objectId], versions: ALL_VERSIONS, specVersions: undefined });
    if (any.items.length === 0) throw notFound(`no object ${objectId.slice(0, 120)} in collection ${c.alias || c.id}`);
  }
}

/** §3.3: the date_added of the first and last item of this answer (epoch µs), µs precision. */
function dateHeaders(first: number, last: number): Record<string, string> {
  return { [HEADER_DATE_ADDED_FIRST]: formatTaxiiTimestamp(first), [HEADER_DATE_ADDED_LAST]: formatTaxiiTimestamp(last) };
}

/** dateHeaders of a non-empty page of log entries. */
const entryDateHeaders = (items: readonly LogEntry[]) => dateHeaders(items[0]!.dateAdded, items[items.length - 1]!.dateAdded);
