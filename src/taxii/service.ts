import type { Principal } from '../auth/authenticator.js';
import { planAllows } from '../auth/plans.js';
import { BUILTIN_COLLECTIONS, type BuiltinCollection } from '../domain/collections.js';
import { STIX_MEDIA_TYPE } from '../stix/constants.js';
import type { Store } from '../store/store.js';
import type { LogEntry } from '../store/types.js';
import { findCollection } from './collections.js';
import { HEADER_DATE_ADDED_FIRST, HEADER_DATE_ADDED_LAST, MAX_PAGE_LIMIT, TAXII_MEDIA_TYPE } from './constants.js';
import { forbidden, notFound } from './errors.js';
import type { NextTokens } from './next-token.js';
import { canonicalFilters, type PagedEndpoint, parseTaxiiQuery } from './query.js';
import { formatTaxiiTimestamp } from './timestamps.js';

export interface TaxiiSettings {
  title: string;
  description: string;
  contact: string;
  /** The one API root, served at /api/taxii2/<name>/. */
  rootName: string;
  maxContentLength: number;
}

/** What an endpoint answers: a JSON text (stored objects are concatenated, never parsed) and headers. */
export interface TaxiiAnswer {
  status: number;
  body: string;
  headers: Record<string, string>;
}

const iso = (ms: number) => new Date(ms).toISOString();
const json = (status: number, value: unknown, headers: Record<string, string> = {}): TaxiiAnswer => ({ status, body: JSON.stringify(value), headers });

/**
 * TAXII 2.1 (OASIS, 10 June 2021) over the version log, without a web framework: each method is one endpoint
 * of §4–§5 and returns the answer; `http/` only adapts. The caller has authenticated the key and checked
 * Accept; collection visibility, permissions and parameters are checked here in the order of TAXII.md §2.
 */
export class TaxiiService {
  constructor(
    private readonly store: Store,
    private readonly tokens: NextTokens,
    private readonly settings: TaxiiSettings,
  ) {}

  /** §4.1 Server Discovery. */
  discovery(baseUrl: string): TaxiiAnswer {
    const root = `${baseUrl}/api/taxii2/${this.settings.rootName}/`;
    return json(200, {
      title: this.settings.title,
      description: this.settings.description,
      ...(this.settings.contact ? { contact: this.settings.contact } : {}),
      default: root,
      api_roots: [root],
    });
  }

  /** §4.2 Get API Root Information. */
  apiRoot(root: string): TaxiiAnswer {
    this.requireRoot(root);
    return json(200, {
      title: `${this.settings.title}: IOCs`,
      description: 'Indicators of compromise and vulnerabilities as STIX 2.1, in read-only collections by type, confidence and sector.',
      versions: [TAXII_MEDIA_TYPE],
      max_content_length: this.settings.maxContentLength,
      x_socd_default_page_limit: 1000,
      x_socd_max_page_limit: MAX_PAGE_LIMIT,
    });
  }

  /** §4.3 Get Status: statuses come with add-objects; none exists yet. */
  status(root: string, id: string): TaxiiAnswer {
    this.requireRoot(root);
    throw notFound(`no status ${id.slice(0, 80)}`);
  }

  /** §5.1 Get Collections: every collection this key may see, in a fixed order. */
  collections(root: string, who: Principal): TaxiiAnswer {
    this.requireRoot(root);
    return json(200, { collections: BUILTIN_COLLECTIONS.map((c) => this.collectionResource(c, who)) });
  }

  /** §5.2 Get a Collection. */
  collection(root: string, ref: string, who: Principal): TaxiiAnswer {
    this.requireRoot(root);
    return json(200, this.collectionResource(this.requireCollection(ref), who));
  }

  /** §5.4 Get Objects and §5.3 Get Object Manifests: one page of the collection's log. */
  async objects(root: string, ref: string, raw: Record<string, unknown>, who: Principal, manifest = false): Promise<TaxiiAnswer> {
    const c = this.readable(root, ref, who);
    const endpoint: PagedEndpoint = manifest ? 'manifest' : 'objects';
    const page = await this.page(c, raw, endpoint, undefined);
    return manifest ? this.manifestAnswer(page) : this.envelopeAnswer(page);
  }

  /** §5.6 Get an Object: its versions in the collection (match[version] last by default); unknown → 404. */
  async object(root: string, ref: string, objectId: string, raw: Record<string, unknown>, who: Principal): Promise<TaxiiAnswer> {
    const c = this.readable(root, ref, who);
    await this.requireObject(c, objectId);
    return this.envelopeAnswer(await this.page(c, raw, 'object', objectId));
  }

  /** §5.8 Get Object Versions: the `modified` of every version, oldest first. */
  async versions(root: string, ref: string, objectId: string, raw: Record<string, unknown>, who: Principal): Promise<TaxiiAnswer> {
    const c = this.readable(root, ref, who);
    await this.requireObject(c, objectId);
    const page = await this.page(c, raw, 'versions', objectId);
    if (page.items.length === 0) return json(200, {});
    return json(200, { more: page.more, ...(page.next ? { next: page.next } : {}), versions: page.items.map((e) => iso(e.modified)) }, dateHeaders(page.items));
  }

  private async page(c: BuiltinCollection, raw: Record<string, unknown>, endpoint: PagedEndpoint, objectId: string | undefined) {
    const q = parseTaxiiQuery(raw, endpoint);
    const scope = `${this.settings.rootName}/${c.alias}/${endpoint}/${objectId ?? ''}`;
    const canonical = canonicalFilters(q, scope);
    let after = q.addedAfter;
    // The token's position and added_after both bound the walk: the later one wins.
    if (q.next !== undefined) after = Math.max(after ?? -1, this.tokens.read(q.next, canonical).dateAdded);
    const page = await this.store.pageLog({
      collection: c.alias,
      addedAfter: after,
      limit: q.limit,
      ids: objectId !== undefined ? [objectId] : q.ids,
      types: q.types,
      versions: endpoint === 'versions' ? { last: false, first: false, all: true, modified: [] } : q.versions,
      specVersions: q.specVersions,
    });
    const last = page.items[page.items.length - 1];
    // §3.5 and TAXII.md §5: more: true always comes with a next.
    const next = page.more && last ? this.tokens.issue({ dateAdded: last.dateAdded }, canonical) : undefined;
    return { ...page, next };
  }

  private envelopeAnswer(page: { items: LogEntry[]; more: boolean; next: string | undefined }): TaxiiAnswer {
    if (page.items.length === 0) return json(200, {});
    // The envelope is written around the stored JSON texts: nothing is parsed or re-rendered.
    const head = `{"more":${page.more}${page.next ? `,"next":${JSON.stringify(page.next)}` : ''},"objects":[`;
    return { status: 200, body: `${head}${page.items.map((e) => e.json).join(',')}]}`, headers: dateHeaders(page.items) };
  }

  private manifestAnswer(page: { items: LogEntry[]; more: boolean; next: string | undefined }): TaxiiAnswer {
    if (page.items.length === 0) return json(200, {});
    return json(200, {
      more: page.more,
      ...(page.next ? { next: page.next } : {}),
      objects: page.items.map((e) => ({ id: e.stixId, date_added: formatTaxiiTimestamp(e.dateAdded), version: iso(e.modified), media_type: STIX_MEDIA_TYPE })),
    }, dateHeaders(page.items));
  }

  private collectionResource(c: BuiltinCollection, who: Principal) {
    return {
      id: c.id,
      title: c.title,
      description: c.description,
      alias: c.alias,
      can_read: planAllows(who.plan, 'taxii'),
      can_write: false,
      media_types: [STIX_MEDIA_TYPE],
    };
  }

  private requireRoot(root: string): void {
    if (root !== this.settings.rootName) throw notFound(`no API root ${JSON.stringify(root.slice(0, 80))}; this server's is ${this.settings.rootName}`);
  }

  private requireCollection(ref: string): BuiltinCollection {
    const c = findCollection(ref);
    if (!c) throw notFound(`no collection ${JSON.stringify(ref.slice(0, 80))}; GET the collections endpoint for the list`);
    return c;
  }

  private readable(root: string, ref: string, who: Principal): BuiltinCollection {
    this.requireRoot(root);
    const c = this.requireCollection(ref);
    if (!planAllows(who.plan, 'taxii')) throw forbidden(`reading ${c.alias} needs the Pro plan`);
    return c;
  }

  private async requireObject(c: BuiltinCollection, objectId: string): Promise<void> {
    const any = await this.store.pageLog({ collection: c.alias, limit: 1, ids: [objectId], versions: { last: false, first: false, all: true, modified: [] } });
    if (any.items.length === 0) throw notFound(`no object ${objectId.slice(0, 120)} in collection ${c.alias}`);
  }
}

/** §3.3: the date_added of the first and last item of this answer, µs precision. */
function dateHeaders(items: readonly LogEntry[]): Record<string, string> {
  return {
    [HEADER_DATE_ADDED_FIRST]: formatTaxiiTimestamp(items[0]!.dateAdded),
    [HEADER_DATE_ADDED_LAST]: formatTaxiiTimestamp(items[items.length - 1]!.dateAdded),
  };
}
