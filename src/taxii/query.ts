import { STIX_IDENTIFIER } from '../stix/object-version.js';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from './constants.js';
import { badRequest } from './errors.js';
import { parseTaxiiTimestamp } from './timestamps.js';

/** Which filters each endpoint takes (TAXII 2.1 §5.3, §5.4, §5.6, §5.8). */
export const ENDPOINT_FILTERS = {
  objects: ['id', 'type', 'version', 'spec_version'],
  manifest: ['id', 'type', 'version', 'spec_version'],
  object: ['version', 'spec_version'],
  versions: ['spec_version'],
} as const;
export type PagedEndpoint = keyof typeof ENDPOINT_FILTERS;

/** match[version] (§3.4.2): `last` by default; several values OR together. `modified` holds exact versions, epoch ms. */
export interface VersionMatch {
  last: boolean;
  first: boolean;
  all: boolean;
  modified: number[];
}

export interface TaxiiQuery {
  /** Only versions added strictly after this, epoch µs (§3.4.1: exclusive). */
  addedAfter: number | undefined;
  limit: number;
  next: string | undefined;
  ids: string[] | undefined;
  types: string[] | undefined;
  versions: VersionMatch;
  /** Undefined: the latest spec version of each object (§3.4.2). */
  specVersions: string[] | undefined;
}

const STIX_TYPE = /^[a-z][a-z0-9-]{1,249}$/;
const SPEC_VERSION = /^\d{1,2}\.\d{1,2}$/;
const STIX_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/i;
const MATCH = /^match\[([^\]]*)\]$/;

/**
 * The query parameters of a paged TAXII endpoint. Several match fields AND, comma-separated values OR; a field
 * given twice, a malformed value, limit 0 → 400; an unknown match field is ignored (§3.4, docs/taxii-conformance.md §4).
 * `limit` is clamped to our maximum (§3.5).
 */
export interface PageLimits {
  defaultLimit: number;
  maxLimit: number;
}

export function parseTaxiiQuery(
  raw: Record<string, unknown>,
  endpoint: PagedEndpoint,
  limits: PageLimits = { defaultLimit: DEFAULT_PAGE_LIMIT, maxLimit: MAX_PAGE_LIMIT },
): TaxiiQuery {
  const allowed: readonly string[] = ENDPOINT_FILTERS[endpoint];
  const one = (name: string): string | undefined => {
    const v = raw[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw badRequest(`${name} is given more than once; give it once with comma-separated values`);
    return v;
  };
  const list = (name: string, valid: RegExp, what: string): string[] | undefined => {
    const v = one(name);
    if (v === undefined) return undefined;
    const values = v.split(',').map((s) => s.trim());
    for (const x of values) if (!valid.test(x)) throw badRequest(`${name}: ${JSON.stringify(x.slice(0, 80))} is not ${what}`);
    return [...new Set(values)];
  };

  for (const name of Object.keys(raw)) {
    const m = MATCH.exec(name);
    if (m && allowed.includes(m[1]!)) one(name);
  }

  let addedAfter: number | undefined;
  const after = one('added_after');
  if (after !== undefined) {
    addedAfter = parseTaxiiTimestamp(after);
    if (addedAfter === undefined) throw badRequest(`added_after: ${JSON.stringify(after.slice(0, 80))} is not a timestamp like 2026-05-17T00:00:00.000000Z`);
  }

  let limit = limits.defaultLimit;
  const limitRaw = one('limit');
  if (limitRaw !== undefined) {
    if (!/^\d{1,9}$/.test(limitRaw) || Number(limitRaw) < 1) throw badRequest(`limit: ${JSON.stringify(limitRaw.slice(0, 80))} is not a positive integer`);
    limit = Math.min(Number(limitRaw), limits.maxLimit);
  }

  const next = one('next');
  if (next !== undefined && (next === '' || next.length > 2048)) throw badRequest('next: not a token this server issued');

  const versions: VersionMatch = { last: false, first: false, all: false, modified: [] };
  const versionValues = allowed.includes('version') ? one('match[version]') : undefined;
  if (versionValues === undefined) versions.last = true;
  else {
    for (const v of versionValues.split(',').map((s) => s.trim())) {
      if (v === 'last' || v === 'first' || v === 'all') {
        versions[v] = true;
        continue;
      }
      // A real UTC timestamp, read as added_after is: Date.parse alone reads 2026-02-30 as 2 March.
      const us = STIX_TIMESTAMP.test(v) ? parseTaxiiTimestamp(v) : undefined;
      if (us === undefined) throw badRequest(`match[version]: ${JSON.stringify(v.slice(0, 80))} is not last, first, all or a STIX timestamp`);
      versions.modified.push(Math.floor(us / 1000));
    }
  }

  return {
    addedAfter,
    limit,
    next,
    ids: allowed.includes('id') ? list('match[id]', STIX_IDENTIFIER, 'a STIX identifier (type--uuid)') : undefined,
    types: allowed.includes('type') ? list('match[type]', STIX_TYPE, 'a STIX object type') : undefined,
    versions,
    specVersions: list('match[spec_version]', SPEC_VERSION, 'a spec version such as 2.1'),
  };
}

/** The filters a `next` token is bound to: everything but `limit` and `next` (clients change limit between pages). */
export function canonicalFilters(q: TaxiiQuery, scope: string): string {
  return JSON.stringify([scope, q.addedAfter ?? null, q.ids ?? null, q.types ?? null, q.versions, q.specVersions ?? null]);
}
