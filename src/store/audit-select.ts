import type { AuditQuery, AuditRecord } from './types.js';

/**
 * The audit log's page query, written once for both dialects (docs/architecture.md §4): `ph(n)` is the dialect's
 * n-th placeholder (`?` or `$n`). Newest first by id; the filters each have an index led by their column
 * (migrations: audit_log_action, audit_log_email, audit_log_target, audit_log_at), and an action prefix is a range
 * on the `action` column (byte order: SQLite's BINARY collation, PostgreSQL's COLLATE "C").
 */
export function auditSelect(q: AuditQuery, ph: (n: number) => string): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (cond: (p: string) => string, value: unknown) => {
    params.push(value);
    where.push(cond(ph(params.length)));
  };
  if (q.before !== undefined) add((p) => `id < ${p}`, q.before);
  if (q.action !== undefined) add((p) => `action = ${p}`, q.action);
  if (q.actionPrefix !== undefined && q.actionPrefix !== '') {
    add((p) => `action >= ${p}`, q.actionPrefix);
    add((p) => `action < ${p}`, prefixEnd(q.actionPrefix));
  }
  if (q.email !== undefined) add((p) => `lower(email) = ${p}`, asciiLower(q.email));
  if (q.accountId !== undefined) add((p) => `account_id = ${p}`, q.accountId);
  if (q.target !== undefined) add((p) => `target = ${p}`, q.target);
  if (q.since !== undefined) add((p) => `at >= ${p}`, q.since);
  if (q.until !== undefined) add((p) => `at < ${p}`, q.until);
  params.push(q.limit + 1);
  const sql = `SELECT * FROM audit_log${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${ph(params.length)}`;
  return { sql, params };
}

/** The least string above every string that starts with `prefix` (its last code unit moved up by one). */
function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/** ASCII lower case, as SQLite's lower() (PostgreSQL's agrees on ASCII, which emails are in practice). */
function asciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** An `audit_log` row, as both databases return it (PostgreSQL BIGINTs may come back as strings). */
export interface AuditRow {
  id: number | string;
  at: number | string;
  account_id: number | string | null;
  email: string | null;
  key_prefix: string | null;
  via: AuditRecord['via'];
  origin: string | null;
  action: string;
  target: string | null;
  details: string;
}

export function auditRecordOf(r: AuditRow): AuditRecord {
  let details: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(r.details);
    details = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : { value: parsed };
  } catch {
    details = {};
  }
  return {
    id: Number(r.id), at: Number(r.at), accountId: r.account_id === null ? null : Number(r.account_id), email: r.email,
    keyPrefix: r.key_prefix, via: r.via, origin: r.origin, action: r.action, target: r.target, details,
  };
}

/** The page of `rows` read with `limit + 1`. */
export function auditPageOf(rows: readonly AuditRow[], limit: number): { items: AuditRecord[]; next: number | null } {
  const items = rows.slice(0, limit).map(auditRecordOf);
  return { items, next: rows.length > limit ? items[items.length - 1]!.id : null };
}

/** Most bytes of the details JSON a row may hold (the databases check it too; the trail keeps records far below). */
export const AUDIT_DETAILS_MAX_BYTES = 16_384;
