import type { AttemptOutcome, ClaimedDelivery, NewDelivery, NewWebhook, Webhook, WebhookDelivery, WebhookPatch } from '../../domain/webhooks.js';
import type { RunIoc, WebhookStore } from '../store.js';
import {
  type ClaimedRow, claimedOf, type DeliveryRow, deliveryOf, runIocOf, type RunIocRow, runIocsSql, webhookChanges, webhookOf, type WebhookRow,
} from '../webhook-rows.js';
import type { PgConnection } from './connection.js';

/** Webhooks and their delivery queue (store.ts WebhookStore), on the request pool. */
export class PgWebhooks implements WebhookStore {
  constructor(private readonly conn: PgConnection) {}

  async createWebhook(w: NewWebhook): Promise<Webhook> {
    const r = await this.conn.one<WebhookRow>(
      `INSERT INTO webhooks (account_id, name, url, format, events, sectors, min_confidence, secret, enabled, created_at, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING *`,
      [w.accountId, w.name, w.url, w.format, JSON.stringify(w.events), JSON.stringify(w.sectors), w.minConfidence, w.secret, w.enabled, w.createdAt, w.createdBy],
    );
    return webhookOf(r!);
  }

  async getWebhook(id: number): Promise<Webhook | undefined> {
    const r = await this.conn.one<WebhookRow>('SELECT * FROM webhooks WHERE id = $1', [id]);
    return r && webhookOf(r);
  }

  async listWebhooks(opts: { accountId?: number | null; after?: number; limit: number }): Promise<{ items: Webhook[]; next: number | null }> {
    const params: unknown[] = [opts.after ?? 0, opts.limit + 1];
    let owner = '';
    if (opts.accountId === null) owner = 'AND account_id IS NULL';
    else if (opts.accountId !== undefined) {
      params.push(opts.accountId);
      owner = 'AND account_id = $3';
    }
    const rows = await this.conn.rows<WebhookRow>(`SELECT * FROM webhooks WHERE id > $1 ${owner} ORDER BY id LIMIT $2`, params);
    const items = rows.slice(0, opts.limit).map(webhookOf);
    return { items, next: rows.length > opts.limit ? items[items.length - 1]!.id : null };
  }

  async updateWebhook(id: number, patch: WebhookPatch): Promise<Webhook | undefined> {
    const changes = webhookChanges(patch);
    const r = changes.length
      ? await this.conn.one<WebhookRow>(
        `UPDATE webhooks SET ${changes.map(([c], i) => `${c} = $${i + 2}`).join(', ')} WHERE id = $1 RETURNING *`,
        [id, ...changes.map(([, v]) => v)],
      )
      : await this.conn.one<WebhookRow>('SELECT * FROM webhooks WHERE id = $1', [id]);
    return r && webhookOf(r);
  }

  async deleteWebhook(id: number): Promise<boolean> {
    return ((await this.conn.pool.query('DELETE FROM webhooks WHERE id = $1', [id])).rowCount ?? 0) > 0;
  }

  async enqueueDeliveries(deliveries: readonly NewDelivery[], now: number, dueAt = now): Promise<number[]> {
    if (deliveries.length === 0) return [];
    const rows = await this.conn.rows<{ id: number }>(
      `INSERT INTO webhook_deliveries (uuid, webhook_id, event, body, attempts, next_attempt_at, state, created_at)
       SELECT u, w, e, b, 0, $6::bigint, 'pending', $5::bigint FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[]) WITH ORDINALITY AS t(u, w, e, b, n)
       ORDER BY n RETURNING id`,
      [deliveries.map((d) => d.uuid), deliveries.map((d) => d.webhookId), deliveries.map((d) => d.event), deliveries.map((d) => d.body), now, dueAt],
    );
    return rows.map((r) => Number(r.id)).sort((a, b) => a - b);
  }

  async claimDeliveries(opts: { now: number; leaseMs: number; limit: number; exclude?: readonly number[]; id?: number }): Promise<ClaimedDelivery[]> {
    // The UPDATE re-checks each row it takes (state and due time): when two nodes pick the same candidate, the second
    // waits for the first's commit, sees next_attempt_at pushed past the lease, and leaves it. One per webhook.
    const byId = opts.id !== undefined;
    const candidates = byId
      ? 'SELECT $3::bigint AS id'
      : `SELECT min(id) AS id FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= $1 AND NOT (webhook_id = ANY($3::bigint[]))
           AND webhook_id IN (SELECT id FROM webhooks WHERE enabled)
         GROUP BY webhook_id ORDER BY min(next_attempt_at), min(id) LIMIT $4`;
    const rows = await this.conn.rows<ClaimedRow>(
      `WITH taken AS (
         UPDATE webhook_deliveries d SET attempts = attempts + 1, next_attempt_at = $1::bigint + $2::bigint
         WHERE d.id IN (${candidates}) AND d.state = 'pending' ${byId ? '' : 'AND d.next_attempt_at <= $1'}
         RETURNING d.*)
       SELECT t.*, w.url, w.secret, w.format FROM taken t JOIN webhooks w ON w.id = t.webhook_id ORDER BY t.id`,
      byId ? [opts.now, opts.leaseMs, opts.id] : [opts.now, opts.leaseMs, [...(opts.exclude ?? [])], opts.limit],
    );
    return rows.map(claimedOf);
  }

  async finishAttempt(id: number, o: AttemptOutcome): Promise<void> {
    const error = o.state === 'delivered' ? null : o.error;
    await this.conn.pool.query(
      `WITH d AS (
         UPDATE webhook_deliveries SET state = $2, last_status = $3, last_error = $4, next_attempt_at = $5, delivered_at = $6 WHERE id = $1 RETURNING webhook_id)
       UPDATE webhooks SET last_attempt_at = $7, last_status = $3, last_error = $4, last_delivered_at = coalesce($6, last_delivered_at)
       WHERE id = (SELECT webhook_id FROM d)`,
      [id, o.state, o.status, error, o.state === 'pending' ? o.retryAt : o.at, o.state === 'delivered' ? o.at : null, o.at],
    );
  }

  async getDelivery(id: number): Promise<WebhookDelivery | undefined> {
    const r = await this.conn.one<DeliveryRow>('SELECT * FROM webhook_deliveries WHERE id = $1', [id]);
    return r && deliveryOf(r);
  }

  async listDeliveries(webhookId: number, opts: { before?: number; limit: number }): Promise<{ items: WebhookDelivery[]; next: number | null }> {
    const rows = await this.conn.rows<DeliveryRow>(
      'SELECT * FROM webhook_deliveries WHERE webhook_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3',
      [webhookId, opts.before ?? Number.MAX_SAFE_INTEGER, opts.limit + 1],
    );
    const items = rows.slice(0, opts.limit).map(deliveryOf);
    return { items, next: rows.length > opts.limit ? items[items.length - 1]!.id : null };
  }

  async pruneDeliveries(before: number): Promise<number> {
    return (await this.conn.pool.query("DELETE FROM webhook_deliveries WHERE created_at < $1 AND state <> 'pending'", [before])).rowCount ?? 0;
  }

  async runIocs(q: { source: string; since: number; sectors: readonly string[]; minScore: number; limit: number; countCap: number }): Promise<{ count: number; items: RunIoc[] }> {
    const params: Array<string | number> = [];
    const { sql, order } = runIocsSql(q, (v) => (params.push(v), typeof v === 'number' ? `$${params.length}::bigint` : `$${params.length}::text`));
    const counted = await this.conn.one<{ n: number }>(`SELECT count(*) AS n FROM (${sql} LIMIT ${Number(q.countCap)}) c`, params);
    const count = Number(counted?.n ?? 0);
    const items = count === 0 ? [] : (await this.conn.rows<RunIocRow>(`${sql} ORDER BY ${order} LIMIT ${Number(q.limit)}`, params)).map(runIocOf);
    return { count, items };
  }
}
