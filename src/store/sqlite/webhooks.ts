import type { AttemptOutcome, ClaimedDelivery, NewDelivery, NewWebhook, Webhook, WebhookDelivery, WebhookPatch } from '../../domain/webhooks.js';
import type { RunIoc, WebhookStore } from '../store.js';
import {
  type ClaimedRow, claimedOf, type DeliveryRow, deliveryOf, runIocOf, type RunIocRow, runIocsSql, webhookChanges, webhookOf, type WebhookRow,
} from '../webhook-rows.js';
import type { SqliteConnection } from './connection.js';

/**
 * Webhooks and their delivery queue (store.ts WebhookStore). Every write goes through the side connection: the
 * delivery worker and the API must not wait for an ingestion run of this process to end (connection.ts sideWrite).
 */
export class SqliteWebhooks implements WebhookStore {
  constructor(private readonly conn: SqliteConnection) {}

  async createWebhook(w: NewWebhook): Promise<Webhook> {
    return this.conn.sideWrite((db) => {
      const id = Number(db.prepare(
        `INSERT INTO webhooks (account_id, name, url, format, events, sectors, min_confidence, secret, enabled, created_at, created_by)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(w.accountId, w.name, w.url, w.format, JSON.stringify(w.events), JSON.stringify(w.sectors), w.minConfidence, w.secret, w.enabled ? 1 : 0, w.createdAt, w.createdBy).lastInsertRowid);
      return webhookOf(db.prepare('SELECT * FROM webhooks WHERE id = ?').get(id) as WebhookRow);
    });
  }

  async getWebhook(id: number): Promise<Webhook | undefined> {
    const r = this.conn.db.prepare('SELECT * FROM webhooks WHERE id = ?').get(id) as WebhookRow | undefined;
    return r && webhookOf(r);
  }

  async listWebhooks(opts: { accountId?: number | null; after?: number; limit: number }): Promise<{ items: Webhook[]; next: number | null }> {
    const owner = opts.accountId === undefined ? '' : opts.accountId === null ? 'AND account_id IS NULL' : 'AND account_id = @account';
    const rows = this.conn.db
      .prepare(`SELECT * FROM webhooks WHERE id > @after ${owner} ORDER BY id LIMIT @limit`)
      .all({ after: opts.after ?? 0, limit: opts.limit + 1, ...(typeof opts.accountId === 'number' ? { account: opts.accountId } : {}) }) as WebhookRow[];
    const items = rows.slice(0, opts.limit).map(webhookOf);
    return { items, next: rows.length > opts.limit ? items[items.length - 1]!.id : null };
  }

  async updateWebhook(id: number, patch: WebhookPatch): Promise<Webhook | undefined> {
    const changes = webhookChanges(patch).map(([c, v]) => [c, typeof v === 'boolean' ? (v ? 1 : 0) : v] as const);
    return this.conn.sideWrite((db) => {
      if (changes.length) db.prepare(`UPDATE webhooks SET ${changes.map(([c]) => `${c} = ?`).join(', ')} WHERE id = ?`).run(...changes.map(([, v]) => v), id);
      const r = db.prepare('SELECT * FROM webhooks WHERE id = ?').get(id) as WebhookRow | undefined;
      return r && webhookOf(r);
    });
  }

  async deleteWebhook(id: number): Promise<boolean> {
    return this.conn.sideWrite((db) => db.prepare('DELETE FROM webhooks WHERE id = ?').run(id).changes > 0);
  }

  async enqueueDeliveries(deliveries: readonly NewDelivery[], now: number, dueAt = now): Promise<number[]> {
    if (deliveries.length === 0) return [];
    return this.conn.sideWrite((db) => db.transaction(() => {
      const insert = db.prepare(
        `INSERT INTO webhook_deliveries (uuid, webhook_id, event, body, attempts, next_attempt_at, state, created_at) VALUES (?, ?, ?, ?, 0, ?, 'pending', ?)`,
      );
      return deliveries.map((d) => Number(insert.run(d.uuid, d.webhookId, d.event, d.body, dueAt, now).lastInsertRowid));
    }).immediate());
  }

  async claimDeliveries(opts: { now: number; leaseMs: number; limit: number; exclude?: readonly number[]; id?: number }): Promise<ClaimedDelivery[]> {
    const exclude = opts.exclude ?? [];
    return this.conn.sideWrite((db) => db.transaction(() => {
      // One due delivery per webhook (its oldest): a receiver that hangs holds one slot, never every slot. A disabled
      // webhook's deliveries wait (they go when it is enabled again).
      const ids = opts.id !== undefined
        ? (db.prepare("SELECT id FROM webhook_deliveries WHERE id = ? AND state = 'pending'").pluck().all(opts.id) as number[])
        : (db.prepare(
          // By the index of what is due: the planner preferred the one by webhook and read every delivery in history.
          `SELECT min(id) FROM webhook_deliveries INDEXED BY webhook_deliveries_due WHERE state = 'pending' AND next_attempt_at <= ?
             AND webhook_id IN (SELECT id FROM webhooks WHERE enabled = 1)
             ${exclude.length ? `AND webhook_id NOT IN (${exclude.map(() => '?').join(', ')})` : ''}
           GROUP BY webhook_id ORDER BY min(next_attempt_at), min(id) LIMIT ?`,
        ).pluck().all(opts.now, ...exclude, opts.limit) as number[]);
      if (ids.length === 0) return [];
      const marks = ids.map(() => '?').join(', ');
      db.prepare(`UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = ? WHERE id IN (${marks})`).run(opts.now + opts.leaseMs, ...ids);
      const rows = db.prepare(
        `SELECT d.*, w.url, w.secret, w.format FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.id IN (${marks}) ORDER BY d.id`,
      ).all(...ids) as ClaimedRow[];
      return rows.map(claimedOf);
    }).immediate());
  }

  async finishAttempt(id: number, o: AttemptOutcome): Promise<void> {
    const error = o.state === 'delivered' ? null : o.error;
    await this.conn.sideWrite((db) => db.transaction(() => {
      db.prepare(
        `UPDATE webhook_deliveries SET state = ?, last_status = ?, last_error = ?, next_attempt_at = ?, delivered_at = ? WHERE id = ?`,
      ).run(o.state, o.status, error, o.state === 'pending' ? o.retryAt : o.at, o.state === 'delivered' ? o.at : null, id);
      db.prepare(
        `UPDATE webhooks SET last_attempt_at = ?, last_status = ?, last_error = ?, last_delivered_at = coalesce(?, last_delivered_at)
         WHERE id = (SELECT webhook_id FROM webhook_deliveries WHERE id = ?)`,
      ).run(o.at, o.status, error, o.state === 'delivered' ? o.at : null, id);
    }).immediate());
  }

  async getDelivery(id: number): Promise<WebhookDelivery | undefined> {
    const r = this.conn.db.prepare('SELECT * FROM webhook_deliveries WHERE id = ?').get(id) as DeliveryRow | undefined;
    return r && deliveryOf(r);
  }

  async listDeliveries(webhookId: number, opts: { before?: number; limit: number }): Promise<{ items: WebhookDelivery[]; next: number | null }> {
    const rows = this.conn.db
      .prepare('SELECT * FROM webhook_deliveries WHERE webhook_id = ? AND id < ? ORDER BY id DESC LIMIT ?')
      .all(webhookId, opts.before ?? Number.MAX_SAFE_INTEGER, opts.limit + 1) as DeliveryRow[];
    const items = rows.slice(0, opts.limit).map(deliveryOf);
    return { items, next: rows.length > opts.limit ? items[items.length - 1]!.id : null };
  }

  async pruneDeliveries(before: number): Promise<number> {
    return this.conn.sideWrite((db) => db.prepare("DELETE FROM webhook_deliveries WHERE created_at < ? AND state <> 'pending'").run(before).changes);
  }

  async runIocs(q: { source: string; since: number; sectors: readonly string[]; minScore: number; limit: number; countCap: number }): Promise<{ count: number; items: RunIoc[] }> {
    const params: Array<string | number> = [];
    const { sql, order } = runIocsSql(q, (v) => (params.push(v), '?'));
    const { db } = this.conn;
    const count = db.prepare(`SELECT count(*) FROM (${sql} LIMIT ?)`).pluck().get(...params, q.countCap) as number;
    const items = count === 0 ? [] : (db.prepare(`${sql} ORDER BY ${order} LIMIT ?`).all(...params, q.limit) as RunIocRow[]).map(runIocOf);
    return { count, items };
  }
}
