import { CONFIDENCE_BANDS, describeBands } from '../domain/confidence.js';
import { IOC_STATUSES, IOC_TYPES } from '../domain/ioc-types.js';
import { SECTORS } from '../domain/sectors.js';
import { TLP_LEVELS } from '../domain/tlp.js';
import { STATUS_FILTERS } from '../rest/ioc-query.js';

/** JSON schemas of the REST API: they document it (OpenAPI) and serialize answers. Derived from the domain lists. */
const isoTime = { type: 'string', format: 'date-time' } as const;
const stringList = { type: 'array', items: { type: 'string' } } as const;

export const problemSchema = {
  $id: 'Problem',
  type: 'object',
  description: 'RFC 9457 problem details',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string', description: 'stable machine-readable code' },
    parameter: { type: 'string' },
    allowed: {},
    required_plan: { type: 'string' },
    required_role: { type: 'string', enum: ['submitter', 'analyst', 'admin'], description: 'role_required: the role the route needs' },
    limit: { type: 'integer', description: 'the limit a request went over (a look-up batch: the plan\'s size)' },
    plan: { type: 'string' },
    run_id: { type: 'integer', description: 'run_in_progress: the run of the source queued or running already (GET /api/v1/sources/{id}/runs/{run_id})' },
    reason: { type: 'string', description: 'source_not_runnable: why the source does not run now' },
  },
  required: ['type', 'title', 'status', 'detail', 'code'],
} as const;

const iocProperties = {
  id: { type: 'string', description: 'STIX id, stable forever: indicator--<uuid4> (vulnerability--<uuid4> for CVEs)' },
  type: { type: 'string', enum: IOC_TYPES },
  value: { type: 'string', description: 'canonical (normalized) value' },
  confidence: { type: 'string', enum: CONFIDENCE_BANDS, description: `band of the score: ${describeBands()}` },
  score: { type: 'integer', minimum: 0, maximum: 100 },
  first_seen: isoTime,
  last_seen: isoTime,
  added_at: isoTime,
  sources: stringList,
  tags: stringList,
  malware: stringList,
  sectors: { type: 'array', items: { type: 'string', enum: SECTORS } },
  tlp: { type: 'string', enum: TLP_LEVELS },
  status: { type: 'string', enum: IOC_STATUSES },
  valid_until: isoTime,
} as const;

export const iocSchema = {
  $id: 'Ioc',
  type: 'object',
  properties: iocProperties,
  required: Object.keys(iocProperties),
} as const;

export const iocDetailSchema = {
  $id: 'IocDetail',
  type: 'object',
  properties: {
    ...iocProperties,
    sightings: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          source: { type: 'string' },
          first_seen: isoTime,
          last_seen: isoTime,
          count: { type: 'integer' },
          confidence: { type: ['integer', 'null'] },
          reference: { type: ['string', 'null'] },
          ended_at: { type: ['string', 'null'], format: 'date-time' },
          expires_at: {
            type: ['string', 'null'], format: 'date-time',
            description: 'The end of validity this source claimed (a submitted valid_until); null: none. When every live sighting claims one, the IOC\'s valid_until is at most the latest claim.',
          },
        },
      },
    },
  },
} as const;

/** Query parameters that take a comma-separated list in their one value (`type=ipv4,domain`). */
export const COMMA_LIST_PARAMETERS: ReadonlySet<string> = new Set(['type']);

export const iocListQuerySchema = {
  type: 'object',
  properties: {
    type: { type: 'string', description: `one type or a comma list of: ${IOC_TYPES.join(', ')}`, examples: ['ipv4,domain'] },
    since: { type: 'string', description: 'ISO 8601 date or date-time: only IOCs added after it' },
    industry: { type: 'string', description: `CISA sector slug: ${SECTORS.join(', ')}` },
    confidence: { type: 'string', description: `confidence band: ${CONFIDENCE_BANDS.join(', ')}`, examples: ['high'] },
    source: { type: 'string', description: 'source id (GET /api/v1/sources lists them)' },
    status: { type: 'string', description: `${STATUS_FILTERS.join(', ')} (default active)` },
    q: { type: 'string', description: 'an exact value of any type, normalized first (defanged values are accepted)' },
    limit: { type: 'string', description: 'page size, 1–1000 (default 100)' },
    cursor: { type: 'string', description: 'pagination.next_cursor of the previous page (same filters)' },
  },
} as const;

export const iocListSchema = {
  type: 'object',
  properties: {
    data: { type: 'array', items: { $ref: 'Ioc#' } },
    pagination: {
      type: 'object',
      properties: {
        limit: { type: 'integer' },
        next_cursor: { type: ['string', 'null'] },
        has_more: { type: 'boolean' },
      },
      required: ['limit', 'next_cursor', 'has_more'],
    },
  },
  required: ['data', 'pagination'],
} as const;

export const errorResponses = {
  400: { $ref: 'Problem#' },
  401: { $ref: 'Problem#' },
  403: { $ref: 'Problem#' },
  404: { $ref: 'Problem#' },
  429: { $ref: 'Problem#' },
} as const;

/** The query of a keyset-paged list: `limit` (what a page holds) and the `cursor` of the previous page. */
export function pagedQuery(limit: { description: string; example: string }) {
  return {
    type: 'object',
    properties: {
      limit: { type: 'string', description: limit.description, examples: [limit.example] },
      cursor: { type: 'string', description: 'pagination.next_cursor of the previous page' },
    },
  } as const;
}

/** A keyset-paged list's answer: `data` of `item`, and `pagination` to follow while has_more. */
export function pagedList<T extends object>(item: T) {
  return {
    type: 'object',
    properties: {
      data: { type: 'array', items: item },
      pagination: {
        type: 'object',
        properties: { limit: { type: 'integer' }, next_cursor: { type: ['string', 'null'] }, has_more: { type: 'boolean' } },
        required: ['limit', 'next_cursor', 'has_more'],
      },
    },
    required: ['data', 'pagination'],
  } as const;
}
