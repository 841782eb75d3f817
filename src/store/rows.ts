import type { ApiKeyWithAccount, Plan, RunOutcome, SourceRun } from './types.js';

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
