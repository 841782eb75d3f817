/**
 * The Search page's filters and the URL query that carries them (so a search is a link), and the query sent to
 * GET /api/v1/iocs and its exports. Pure: no DOM; unit-tested in test/web/search-query.test.ts.
 */
export const IOC_TYPES = ['ipv4', 'ipv6', 'domain', 'url', 'md5', 'sha1', 'sha256', 'cve', 'email'] as const;
export const BANDS = ['low', 'medium', 'high'] as const;
export const STATUSES = ['active', 'revoked', 'all'] as const;
export const SECTORS = [
  'chemical', 'commercial-facilities', 'communications', 'critical-manufacturing', 'dams', 'defense-industrial-base',
  'emergency-services', 'energy', 'financial-services', 'food-agriculture', 'government-facilities',
  'healthcare-public-health', 'information-technology', 'nuclear', 'transportation-systems', 'water-wastewater',
] as const;
export const PAGE_SIZES = [25, 100, 500] as const;

/** The list filters of GET /api/v1/iocs, named as the REST API names them (URL = API query). */
export interface SearchFilters {
  type: string;
  confidence: string;
  industry: string;
  source: string;
  status: string;
  since: string;
  q: string;
}

export const FILTER_NAMES = ['type', 'confidence', 'industry', 'source', 'status', 'since', 'q'] as const satisfies readonly (keyof SearchFilters)[];

/** Longest text a filter keeps from a URL (a link is outside input: bound it). */
const MAX_FILTER = 2048;

export interface SearchState {
  filters: SearchFilters;
  /** Page size sent as `limit`. */
  limit: number;
  /** The keyset cursor of the page shown (pagination.next_cursor of the page before), empty on the first page. */
  cursor: string;
}

/** Reads the page's URL query; unknown parameters are ignored, a page size outside the choices is the default. */
export function parseSearch(query: URLSearchParams): SearchState {
  const get = (k: string) => (query.get(k) ?? '').trim().slice(0, MAX_FILTER);
  const filters = Object.fromEntries(FILTER_NAMES.map((k) => [k, get(k)])) as unknown as SearchFilters;
  const n = Number(get('limit'));
  const limit = (PAGE_SIZES as readonly number[]).includes(n) ? n : 100;
  return { filters, limit, cursor: get('cursor') };
}

/** The non-empty filters, as query parameters for the API (list, export, STIX) and for the page URL. */
export function filterQuery(filters: SearchFilters): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of FILTER_NAMES) {
    const v = filters[k].trim();
    if (v !== '') out[k] = v;
  }
  return out;
}

/** The page URL (path and query) of a search state: filters, then the page size when not the default, then the cursor. */
export function searchHref(state: SearchState): string {
  const p = new URLSearchParams(filterQuery(state.filters));
  if (state.limit !== 100) p.set('limit', String(state.limit));
  if (state.cursor) p.set('cursor', state.cursor);
  const s = p.toString();
  return s ? `/search?${s}` : '/search';
}

/** Whether any filter is set (the page then says what is filtered). */
export function hasFilters(filters: SearchFilters): boolean {
  return Object.keys(filterQuery(filters)).length > 0;
}
