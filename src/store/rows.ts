import { randomUUID } from 'node:crypto';
import type { IocType } from '../domain/ioc-types.js';
import type { Tlp } from '../domain/tlp.js';
import { parseList } from './merge.js';
import type { ApiKeyWithAccount, Ioc, IocStatus, Plan, RunOutcome, SourceRun } from './types.js';

/**
 * Rows both stores read the same way (snake_case columns, numbers for times): their shapes and mappers, written
 * once. Rows whose booleans differ by driver (SQLite 0/1, PostgreSQL true/false) stay in each store.
 */
export interface RunRow {
  id: number;
  source_id: string;
  started_at: number;
  finished_at: number | null;
  outcome: RunOutcome;
  records: number;
  inserted: number;
  updated: number;
  unchanged: number;
  delisted: number;
  rejected: number;
  bytes: number;
  error: string | null;
  etag: string | null;
  last_modified: string | null;
}

export const runOf = (r: RunRow): SourceRun => ({
  id: r.id, sourceId: r.source_id, startedAt: r.started_at, finishedAt: r.finished_at, outcome: r.outcome, records: r.records,
  inserted: r.inserted, updated: r.updated, unchanged: r.unchanged, delisted: r.delisted, rejected: r.rejected, bytes: r.bytes,
  error: r.error, etag: r.etag, lastModified: r.last_modified,
});

export interface KeyRow {
  id: number;
  account_id: number;
  prefix: string;
  hash: string;
  name: string | null;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
  email: string;
  plan: Plan;
}

export function toKey(r: KeyRow): ApiKeyWithAccount {
  return {
    id: r.id, accountId: r.account_id, prefix: r.prefix, hash: r.hash, name: r.name, createdAt: r.created_at,
    lastUsedAt: r.last_used_at, revokedAt: r.revoked_at, email: r.email, plan: r.plan,
  };
}

/** A new STIX id for an IOC: `indicator--<uuid4>`, or `vulnerability--<uuid4>` for a CVE. Made once, never changed. */
export function newStixId(type: IocType): string {
  return `${type === 'cve' ? 'vulnerability' : 'indicator'}--${randomUUID()}`;
}

/** The columns of an `iocs` row that the REST representation reads. */
export interface IocColumns {
  stix_id: string;
  type: IocType;
  value: string;
  score: number;
  first_seen: number;
  last_seen: number;
  added_at: number;
  updated_at: number;
  tags: string;
  malware: string;
  sectors: string;
  tlp: Tlp;
  status: IocStatus;
  valid_until: number;
}

/** An `iocs` row as the API sees it; `redistributable` is passed normalized (SQLite stores 0/1). */
export function toIoc(r: IocColumns, redistributable: boolean, sources: string[]): Ioc {
  return {
    id: r.stix_id, type: r.type, value: r.value, score: r.score, firstSeen: r.first_seen, lastSeen: r.last_seen,
    addedAt: r.added_at, updatedAt: r.updated_at, sources, tags: parseList(r.tags), malware: parseList(r.malware),
    sectors: parseList(r.sectors), tlp: r.tlp, status: r.status, validUntil: r.valid_until, redistributable,
  };
}

/** The media types column of a loaded TAXII collection (a JSON list of strings), or null when absent or unreadable. */
export function parseMediaTypes(text: string | null): string[] | null {
  if (text === null) return null;
  try {
    const list: unknown = JSON.parse(text);
    return Array.isArray(list) && list.length > 0 && list.every((m) => typeof m === 'string') ? (list as string[]) : null;
  } catch {
    return null;
  }
}
