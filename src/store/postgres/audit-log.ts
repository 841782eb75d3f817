import { auditPageOf, auditSelect, type AuditRow } from '../audit-select.js';
import type { AuditLog } from '../store.js';
import type { AuditPage, AuditQuery, AuditRecord, NewAuditRecord } from '../types.js';
import type { PgConnection } from './connection.js';

/** The audit log (store.ts AuditLog): appended to, read newest first; the trigger of migration 13 refuses changes. */
export class PgAuditLog implements AuditLog {
  constructor(private readonly conn: PgConnection) {}

  async appendAudit(r: NewAuditRecord): Promise<AuditRecord> {
    const row = await this.conn.one<{ id: string | number }>(
      `INSERT INTO audit_log (at, account_id, email, key_prefix, via, origin, action, target, details)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
      [r.at, r.accountId, r.email, r.keyPrefix, r.via, r.origin, r.action, r.target, JSON.stringify(r.details)],
    );
    return { ...r, id: Number(row!.id) };
  }

  async listAudit(q: AuditQuery): Promise<AuditPage> {
    const { sql, params } = auditSelect(q, (n) => `$${n}`);
    return auditPageOf(await this.conn.rows<AuditRow>(sql, params), q.limit);
  }
}
