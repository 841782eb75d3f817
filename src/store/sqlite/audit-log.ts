import { auditPageOf, auditSelect, type AuditRow } from '../audit-select.js';
import type { AuditLog } from '../store.js';
import type { AuditPage, AuditQuery, AuditRecord, NewAuditRecord } from '../types.js';
import type { SqliteConnection } from './connection.js';

/** The audit log (store.ts AuditLog): appended to, read newest first; the triggers of migration 10 refuse changes. */
export class SqliteAuditLog implements AuditLog {
  constructor(private readonly conn: SqliteConnection) {}

  async appendAudit(r: NewAuditRecord): Promise<AuditRecord> {
    const info = await this.conn.write(() => this.conn.db
      .prepare(
        `INSERT INTO audit_log (at, account_id, email, key_prefix, via, origin, action, target, details)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(r.at, r.accountId, r.email, r.keyPrefix, r.via, r.origin, r.action, r.target, JSON.stringify(r.details)));
    return { ...r, id: Number(info.lastInsertRowid) };
  }

  async listAudit(q: AuditQuery): Promise<AuditPage> {
    const { sql, params } = auditSelect(q, () => '?');
    return auditPageOf(this.conn.db.prepare(sql).all(...params) as AuditRow[], q.limit);
  }
}
