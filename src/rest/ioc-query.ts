import { CONFIDENCE_BANDS, isConfidenceBand } from '../domain/confidence.js';
import { IOC_STATUSES, IOC_TYPES, isIocType, type IocType } from '../domain/ioc-types.js';
import { normalizeAny } from '../domain/normalize.js';
import { SECTORS, isSector } from '../domain/sectors.js';
import { InvalidParameterError } from '../errors/app-error.js';
import type { IocQuery } from '../store/types.js';
import { parseIsoTime } from '../domain/iso-time.js';

/** Query parameters of GET /api/v1/iocs (and of the STIX export, which adds nothing but shares them). */
export const IOC_LIST_PARAMS = ['type', 'since', 'industry', 'confidence', 'source', 'status', 'q', 'limit', 'cursor'] as const;
export const STATUS_FILTERS = [...IOC_STATUSES, 'all'] as const;
const SOURCE_ID = /^[a-z0-9][a-z0-9._:-]{0,63}$/;

export interface ParsedIocList {
  /** Every filter but the position; `limit` included. */
  query: Omit<IocQuery, 'after'>;
  cursor: string | undefined;
  /** The filters in a canonical form that a cursor is bound to (limit excluded: clients change it between pages). */
  canonicalFilters: string;
}

export interface ListLimits {
  /** Undefined: no limit unless the client gives one (exports). */
  defaultLimit: number | undefined;
  maxLimit: number;
  /** Exports are one answer, not pages: they take no cursor. */
  cursor?: boolean;
}

/** Validates the raw query string object; every problem is a 400 naming the parameter and what it accepts. */
export function parseIocListQuery(raw: Record<string, unknown>, limits: ListLimits): ParsedIocList {
  const allowed = limits.cursor === false ? IOC_LIST_PARAMS.filter((p) => p !== 'cursor') : IOC_LIST_PARAMS;
  for (const name of Object.keys(raw)) {
    if (!(allowed as readonly string[]).includes(name)) {
      throw new InvalidParameterError(shorten(name), 'unknown parameter', allowed);
    }
  }
  const get = (name: string): string | undefined => {
    const v = raw[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw new InvalidParameterError(name, 'given more than once; pass it once (comma-separate lists)');
    return v;
  };

  let types: IocType[] | undefined;
  const type = get('type');
  if (type !== undefined) {
    const parts = type.split(',').map((s) => s.trim().toLowerCase());
    for (const p of parts) if (!isIocType(p)) throw new InvalidParameterError('type', `${JSON.stringify(shorten(p))} is not an IOC type`, IOC_TYPES);
    types = [...new Set(parts as IocType[])];
  }

  let since: number | undefined;
  const sinceRaw = get('since');
  if (sinceRaw !== undefined) {
    since = parseIsoTime(sinceRaw);
    if (since === undefined) throw new InvalidParameterError('since', `${JSON.stringify(shorten(sinceRaw))} is not an ISO 8601 date-time`, 'ISO 8601, e.g. 2026-05-17T00:00:00Z or 2026-05-17');
  }

  const industry = get('industry')?.trim().toLowerCase();
  if (industry !== undefined && !isSector(industry)) {
    throw new InvalidParameterError('industry', `${JSON.stringify(shorten(industry))} is not a CISA sector slug`, SECTORS);
  }

  const confidence = get('confidence')?.trim().toLowerCase();
  if (confidence !== undefined && !isConfidenceBand(confidence)) {
    throw new InvalidParameterError('confidence', `${JSON.stringify(shorten(confidence))} is not a confidence band`, CONFIDENCE_BANDS);
  }

  const source = get('source')?.trim().toLowerCase();
  if (source !== undefined && !SOURCE_ID.test(source)) {
    throw new InvalidParameterError('source', `${JSON.stringify(shorten(source))} is not a source id`, 'a source id as listed by GET /api/v1/sources, e.g. urlhaus');
  }

  const statusRaw = get('status')?.trim().toLowerCase() ?? 'active';
  if (!(STATUS_FILTERS as readonly string[]).includes(statusRaw)) {
    throw new InvalidParameterError('status', `${JSON.stringify(shorten(statusRaw))} is not a status`, STATUS_FILTERS);
  }
  const status = statusRaw as IocQuery['status'];

  let value: string | undefined;
  const q = get('q');
  if (q !== undefined) {
    const n = normalizeAny(q);
    if (!n.ok) throw new InvalidParameterError('q', n.reason, 'an IOC value of a known type (IP, domain, URL, hash, CVE, email)');
    value = n.value;
    // A value is of exactly one type: narrow the type filter to it (empty when they disagree).
    types = types === undefined ? [n.type] : types.filter((t) => t === n.type);
  }

  const limitRaw = get('limit');
  let limit = limits.defaultLimit ?? Number.MAX_SAFE_INTEGER;
  if (limitRaw !== undefined) {
    if (!/^\d{1,9}$/.test(limitRaw) || Number(limitRaw) < 1 || Number(limitRaw) > limits.maxLimit) {
      throw new InvalidParameterError('limit', `${JSON.stringify(shorten(limitRaw))} is not an integer from 1 to ${limits.maxLimit}`, `1–${limits.maxLimit}`);
    }
    limit = Number(limitRaw);
  }

  const cursor = get('cursor');
  const query: Omit<IocQuery, 'after'> = { status, limit };
  if (types !== undefined) query.types = types;
  if (since !== undefined) query.since = since;
  if (industry !== undefined) query.sector = industry;
  if (confidence !== undefined) query.band = confidence;
  if (source !== undefined) query.source = source;
  if (value !== undefined) query.value = value;
  const canonicalFilters = JSON.stringify([types?.slice().sort() ?? null, since ?? null, industry ?? null, confidence ?? null, source ?? null, status, value ?? null]);
  return { query, cursor, canonicalFilters };
}

function shorten(s: string): string {
  return s.length > 64 ? `${s.slice(0, 64)}…` : s;
}
