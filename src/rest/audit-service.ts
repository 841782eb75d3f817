import { filterDigest, type TokenSigner } from '../auth/signed-token.js';
import { isoMs, parseIsoTime } from '../domain/iso-time.js';
import { InvalidParameterError } from '../errors/app-error.js';
import type { AuditLog } from '../store/store.js';
import type { AuditQuery, AuditRecord } from '../store/types.js';

/** A record as GET /api/v1/audit and `socd audit --json` show it. */
export interface AuditRecordView {
  id: number;
  at: string;
  action: string;
  target: string | null;
  actor: { via: AuditRecord['via']; account_id: number | null; email: string | null; key_prefix: string | null; origin: string | null };
  details: Record<string, unknown>;
}

export const AUDIT_PARAMS = ['action', 'email', 'target', 'since', 'until', 'limit', 'cursor'] as const;
/** `allowlist.add`, or a prefix written `allowlist.*`. */
const ACTION = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*(\.\*)?$/;

export function auditRecordView(r: AuditRecord): AuditRecordView {
  return {
    id: r.id, at: isoMs(r.at), action: r.action, target: r.target,
    actor: { via: r.via, account_id: r.accountId, email: r.email, key_prefix: r.keyPrefix, origin: r.origin },
    details: r.details,
  };
}

/**
 * The audit log without HTTP (GET /api/v1/audit and `socd audit`): filters checked here, newest first, a signed
 * cursor bound to the filters (as the IOC list's; limit may change between pages). Reading is not recorded.
 */
export class AuditService {
  constructor(
    private readonly store: AuditLog,
    private readonly signer: TokenSigner,
    private readonly limits: { defaultLimit: number; maxLimit: number },
  ) {}

  async list(rawQuery: Record<string, unknown>) {
    for (const name of Object.keys(rawQuery)) {
      if (!(AUDIT_PARAMS as readonly string[]).includes(name)) throw new InvalidParameterError(name.slice(0, 50), 'unknown parameter', AUDIT_PARAMS);
    }
    const one = (name: string): string | undefined => {
      const v = rawQuery[name];
      if (v !== undefined && typeof v !== 'string') throw new InvalidParameterError(name, 'given more than once; pass it once');
      return v;
    };
    const q: Omit<AuditQuery, 'limit' | 'before'> = {};
    const action = one('action');
    if (action !== undefined) {
      if (action.length > 100 || !ACTION.test(action)) {
        throw new InvalidParameterError('action', 'a dotted lower-case action, or a prefix ending in .*', 'e.g. allowlist.add, key.*, auth.failed_burst');
      }
      if (action.endsWith('.*')) q.actionPrefix = action.slice(0, -1);
      else q.action = action;
    }
    const email = one('email');
    if (email !== undefined) {
      if (email === '' || email.length > 320 || /[\u0000-\u001f\u007f]/.test(email)) throw new InvalidParameterError('email', 'an account email');
      q.email = email.trim();
    }
    const target = one('target');
    if (target !== undefined) {
      if (target === '' || target.length > 500) throw new InvalidParameterError('target', 'the exact target of a record, 1 to 500 characters');
      q.target = target;
    }
    for (const name of ['since', 'until'] as const) {
      const text = one(name);
      if (text === undefined) continue;
      const t = parseIsoTime(text);
      if (t === undefined) throw new InvalidParameterError(name, 'not an ISO 8601 date-time', 'ISO 8601, e.g. 2026-05-17T00:00:00Z');
      q[name] = t;
    }
    const limitText = one('limit');
    const limit = limitText === undefined ? this.limits.defaultLimit : Number(limitText);
    if (!/^\d{1,7}$/.test(limitText ?? '1') || limit < 1 || limit > this.limits.maxLimit) {
      throw new InvalidParameterError('limit', `an integer from 1 to ${this.limits.maxLimit}`);
    }
    const digest = filterDigest(JSON.stringify(['audit', q.action ?? null, q.actionPrefix ?? null, q.email?.toLowerCase() ?? null, q.target ?? null, q.since ?? null, q.until ?? null]));
    const cursor = one('cursor');
    let before: number | undefined;
    if (cursor !== undefined) {
      const p = this.signer.verify(cursor) as { v?: unknown; k?: unknown; f?: unknown; b?: unknown } | undefined;
      if (!p || p.v !== 1 || p.k !== 'audit' || !Number.isSafeInteger(p.b)) {
        throw new InvalidParameterError('cursor', 'not a cursor issued by this server', 'the pagination.next_cursor of a previous page');
      }
      if (p.f !== digest) throw new InvalidParameterError('cursor', 'was issued for other filters; keep the filters of the first page (limit may change)');
      before = p.b as number;
    }
    const page = await this.store.listAudit({ ...q, limit, ...(before !== undefined ? { before } : {}) });
    const next = page.next === null ? null : this.signer.sign({ v: 1, k: 'audit', f: digest, b: page.next });
    return { data: page.items.map(auditRecordView), pagination: { limit, next_cursor: next, has_more: next !== null } };
  }
}
