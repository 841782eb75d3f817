import { randomBytes, randomUUID } from 'node:crypto';
import type { TokenSigner } from '../auth/signed-token.js';
import { type Actor, type AuditTrail, NO_AUDIT } from '../domain/audit.js';
import { BAND_RANGES } from '../domain/confidence.js';
import { isoMs } from '../domain/iso-time.js';
import { isSector, SECTORS } from '../domain/sectors.js';
import {
  type AttemptOutcome, isWebhookEvent, isWebhookFormat, type Webhook, type WebhookDelivery, WEBHOOK_EVENTS, WEBHOOK_FORMATS, type WebhookEvent, type WebhookPatch,
} from '../domain/webhooks.js';
import { AppError, InvalidParameterError, NotFoundError, RoleRequiredError } from '../errors/app-error.js';
import { envelope, renderBody } from '../notify/payloads.js';
import { parseTargetUrl, type TargetPolicy, targetRefusal } from '../notify/target.js';
import type { WebhookStore } from '../store/store.js';

/** Who calls: the actor of the audit trail, and whether it holds the admin role (global webhooks, every account's). */
export interface WebhookCaller {
  actor: Actor;
  admin: boolean;
}

/** Sends one delivery now (the delivery worker): what POST …/test answers with. */
export interface DeliverNow {
  deliverNow(deliveryId: number): Promise<AttemptOutcome | undefined>;
}

/** A webhook as the API shows it: never its secret. */
export interface WebhookView {
  id: number;
  scope: 'account' | 'global';
  account_id: number | null;
  name: string;
  url: string;
  format: Webhook['format'];
  events: WebhookEvent[];
  sectors: string[];
  min_confidence: number;
  enabled: boolean;
  created_at: string;
  created_by: number | null;
  last_attempt_at: string | null;
  last_status: number | null;
  last_error: string | null;
  last_delivered_at: string | null;
}

export interface DeliveryView {
  id: number;
  delivery_id: string;
  event: string;
  state: WebhookDelivery['state'];
  attempts: number;
  next_attempt_at: string | null;
  last_status: number | null;
  last_error: string | null;
  created_at: string;
  delivered_at: string | null;
  /** The body as sent (signed at each attempt). */
  body: string;
}

const iso = (t: number | null) => (t === null ? null : isoMs(t));

export function webhookView(w: Webhook): WebhookView {
  return {
    id: w.id, scope: w.accountId === null ? 'global' : 'account', account_id: w.accountId, name: w.name, url: w.url, format: w.format,
    events: w.events, sectors: w.sectors, min_confidence: w.minConfidence, enabled: w.enabled, created_at: isoMs(w.createdAt), created_by: w.createdBy,
    last_attempt_at: iso(w.lastAttemptAt), last_status: w.lastStatus, last_error: w.lastError, last_delivered_at: iso(w.lastDeliveredAt),
  };
}

export function deliveryView(d: WebhookDelivery): DeliveryView {
  return {
    id: d.id, delivery_id: d.uuid, event: d.event, state: d.state, attempts: d.attempts, next_attempt_at: d.state === 'pending' ? isoMs(d.nextAttemptAt) : null,
    last_status: d.lastStatus, last_error: d.lastError, created_at: isoMs(d.createdAt), delivered_at: iso(d.deliveredAt), body: d.body,
  };
}

/** Webhooks an account may keep, and global ones. */
export const MAX_ACCOUNT_WEBHOOKS = 25;
export const MAX_GLOBAL_WEBHOOKS = 100;
const MIN_SECRET = 24;
const MAX_NAME = 100;
const CREATE_FIELDS = ['name', 'url', 'format', 'events', 'sectors', 'min_confidence', 'secret', 'enabled', 'scope'] as const;
const PATCH_FIELDS = ['name', 'url', 'format', 'events', 'sectors', 'min_confidence', 'enabled'] as const;
export const WEBHOOK_LIST_PARAMS = ['limit', 'cursor', 'scope'] as const;
export const DELIVERY_LIST_PARAMS = ['limit', 'cursor'] as const;
/** The default lowest score of `iocs.sector`: the high band's floor (domain/confidence.ts). */
export const DEFAULT_MIN_CONFIDENCE = BAND_RANGES.high.min;

/** A secret to sign with: 32 random bytes, recognisable by its prefix in a receiver's configuration. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** The part of a URL safe to record (scheme, host, port): a Slack or Teams path and query are credentials. */
export function urlOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '?';
  }
}

/**
 * Webhooks over the REST API (README "Webhooks"): an analyst manages its own account's; an administrator also global
 * ones (`"scope": "global"`) and sees every account's. Another account's webhook is a 404 to a non-administrator.
 * The secret is answered once, at creation (or rotation); the URL is checked against the address policy
 * (notify/target.ts) when saved. Every change is audited, with the URL's origin only and never the secret.
 */
export class WebhookService {
  constructor(
    private readonly store: WebhookStore,
    private readonly signer: TokenSigner,
    private readonly sender: DeliverNow,
    private readonly settings: { policy: TargetPolicy; server: string; limits: { defaultLimit: number; maxLimit: number } },
    private readonly audit: AuditTrail = NO_AUDIT,
    private readonly clock: () => number = Date.now,
    private readonly refusal: typeof targetRefusal = targetRefusal,
  ) {}

  async list(caller: WebhookCaller, raw: Record<string, unknown>) {
    const q = this.params(raw, WEBHOOK_LIST_PARAMS);
    const scope = q.scope;
    if (scope !== undefined && scope !== 'global' && scope !== 'account') throw new InvalidParameterError('scope', 'global or account', ['global', 'account']);
    const { limit, after } = this.paging(q, 'webhooks', 0);
    // Not an administrator: its own account's only, whatever it asks.
    const accountId = !caller.admin ? caller.actor.accountId : scope === 'global' ? null : undefined;
    const page = await this.store.listWebhooks({ limit, ...(after !== undefined ? { after } : {}), ...(accountId !== undefined ? { accountId } : {}) });
    const items = caller.admin && scope === 'account' ? page.items.filter((w) => w.accountId !== null) : page.items;
    const next = page.next === null ? null : this.signer.sign({ v: 1, k: 'webhooks', a: page.next, s: scope ?? null, w: 0 });
    return { data: items.map(webhookView), pagination: { limit, next_cursor: next, has_more: next !== null } };
  }

  async get(caller: WebhookCaller, idText: string): Promise<WebhookView> {
    return webhookView(await this.owned(caller, idText));
  }

  async create(caller: WebhookCaller, body: unknown): Promise<{ webhook: WebhookView; secret: string }> {
    const input = this.object(body, CREATE_FIELDS);
    const scope = input.scope ?? 'account';
    if (scope !== 'account' && scope !== 'global') throw new InvalidParameterError('scope', 'account (yours) or global (every account; admin role)', ['account', 'global']);
    if (scope === 'global' && !caller.admin) throw new RoleRequiredError('a global webhook', 'admin');
    if (input.name === undefined) throw new InvalidParameterError('name', 'required: a name for the webhook, 1 to 100 characters');
    if (input.url === undefined) throw new InvalidParameterError('url', 'required: the https URL to post to');
    if (input.events === undefined) throw new InvalidParameterError('events', 'required: a list of events', WEBHOOK_EVENTS);
    const fields = await this.fields(input);
    const secret = input.secret === undefined ? newWebhookSecret() : this.secret(input.secret);
    const accountId = scope === 'global' ? null : caller.actor.accountId;
    const cap = accountId === null ? MAX_GLOBAL_WEBHOOKS : MAX_ACCOUNT_WEBHOOKS;
    const have = await this.store.listWebhooks({ accountId, limit: cap });
    if (have.items.length >= cap) throw new AppError(409, 'conflict', `${accountId === null ? 'there are' : 'this account has'} ${cap} webhooks already, the most allowed: remove one first`, { limit: cap });
    const w = await this.store.createWebhook({
      accountId, name: fields.name!, url: fields.url!, format: fields.format ?? 'json', events: fields.events!, sectors: fields.sectors ?? [],
      minConfidence: fields.minConfidence ?? DEFAULT_MIN_CONFIDENCE, secret, enabled: fields.enabled ?? true, createdAt: this.clock(), createdBy: caller.actor.accountId,
    });
    await this.audit.record(caller.actor, { action: 'webhook.create', target: String(w.id), details: this.auditDetails(w, { secret_given: input.secret !== undefined }) });
    return { webhook: webhookView(w), secret };
  }

  async update(caller: WebhookCaller, idText: string, body: unknown): Promise<WebhookView> {
    const w = await this.owned(caller, idText);
    const input = this.object(body, PATCH_FIELDS);
    const patch = await this.fields(input);
    const updated = await this.store.updateWebhook(w.id, patch);
    if (!updated) throw new NotFoundError(`no webhook ${w.id}`);
    const changed = Object.keys(input);
    await this.audit.record(caller.actor, { action: 'webhook.update', target: String(w.id), details: { changed, ...this.auditDetails(updated) } });
    return webhookView(updated);
  }

  async remove(caller: WebhookCaller, idText: string): Promise<void> {
    const w = await this.owned(caller, idText);
    if (!(await this.store.deleteWebhook(w.id))) throw new NotFoundError(`no webhook ${w.id}`);
    await this.audit.record(caller.actor, { action: 'webhook.delete', target: String(w.id), details: this.auditDetails(w) });
  }

  async rotateSecret(caller: WebhookCaller, idText: string, body: unknown): Promise<{ webhook: WebhookView; secret: string }> {
    const w = await this.owned(caller, idText);
    const input = this.object(body ?? {}, ['secret']);
    const secret = input.secret === undefined ? newWebhookSecret() : this.secret(input.secret);
    const updated = await this.store.updateWebhook(w.id, { secret });
    if (!updated) throw new NotFoundError(`no webhook ${w.id}`);
    await this.audit.record(caller.actor, { action: 'webhook.rotate_secret', target: String(w.id), details: { id: w.id, name: w.name, secret_given: input.secret !== undefined } });
    return { webhook: webhookView(updated), secret };
  }

  /** Queues a `ping` and attempts it at once (enabled or not); the answer says how it went. */
  async test(caller: WebhookCaller, idText: string): Promise<{ delivered: boolean; delivery: DeliveryView }> {
    const w = await this.owned(caller, idText);
    const uuid = randomUUID();
    const now = this.clock();
    const body = renderBody(w.format, envelope(uuid, 'ping', now, this.settings.server, {
      message: 'A test delivery from SOC Defenders: this webhook is reachable.', webhook: { id: w.id, name: w.name },
    }));
    // Due later than now: a worker polling meanwhile leaves it to this request, which attempts it at once.
    const [id] = await this.store.enqueueDeliveries([{ uuid, webhookId: w.id, event: 'ping', body }], now, now + 60_000);
    const outcome = await this.sender.deliverNow(id!);
    await this.audit.record(caller.actor, { action: 'webhook.test', target: String(w.id), details: { id: w.id, name: w.name, delivered: outcome?.state === 'delivered', status: outcome?.status ?? null } });
    const d = await this.store.getDelivery(id!);
    return { delivered: outcome?.state === 'delivered', delivery: deliveryView(d!) };
  }

  async deliveries(caller: WebhookCaller, idText: string, raw: Record<string, unknown>) {
    const w = await this.owned(caller, idText);
    const q = this.params(raw, DELIVERY_LIST_PARAMS);
    const { limit, after: before } = this.paging(q, 'deliveries', w.id);
    const page = await this.store.listDeliveries(w.id, { limit, ...(before !== undefined ? { before } : {}) });
    const next = page.next === null ? null : this.signer.sign({ v: 1, k: 'deliveries', a: page.next, s: null, w: w.id });
    return { data: page.items.map(deliveryView), pagination: { limit, next_cursor: next, has_more: next !== null } };
  }

  /** The webhook, when the caller may see it: its own account's, or any for an administrator. Otherwise a 404. */
  private async owned(caller: WebhookCaller, idText: string): Promise<Webhook> {
    const id = Number(idText);
    if (!/^\d{1,15}$/.test(idText) || !Number.isSafeInteger(id) || id < 1) throw new InvalidParameterError('id', 'a webhook id (a positive integer)');
    const w = await this.store.getWebhook(id);
    if (!w || (!caller.admin && w.accountId !== caller.actor.accountId)) throw new NotFoundError(`no webhook ${id}`);
    return w;
  }

  private params(raw: Record<string, unknown>, allowed: readonly string[]): Record<string, string | undefined> {
    const out: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(raw)) {
      if (!allowed.includes(k)) throw new InvalidParameterError(k.slice(0, 50), 'unknown parameter', allowed);
      if (typeof v !== 'string') throw new InvalidParameterError(k, 'given more than once; pass it once');
      out[k] = v;
    }
    return out;
  }

  private paging(q: Record<string, string | undefined>, kind: string, webhook: number): { limit: number; after: number | undefined } {
    const limit = q.limit === undefined ? Math.min(this.settings.limits.defaultLimit, 100) : Number(q.limit);
    if (!/^\d{1,4}$/.test(q.limit ?? '1') || limit < 1 || limit > 100) throw new InvalidParameterError('limit', 'an integer from 1 to 100');
    if (q.cursor === undefined) return { limit, after: undefined };
    const p = this.signer.verify(q.cursor) as { v?: unknown; k?: unknown; a?: unknown; s?: unknown; w?: unknown } | undefined;
    if (!p || p.v !== 1 || p.k !== kind || !Number.isSafeInteger(p.a) || p.w !== webhook || (kind === 'webhooks' && p.s !== (q.scope ?? null))) {
      throw new InvalidParameterError('cursor', 'not a cursor issued by this server for this list', 'the pagination.next_cursor of a previous page');
    }
    return { limit, after: p.a as number };
  }

  private object<K extends string>(body: unknown, allowed: readonly K[]): Partial<Record<K, unknown>> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidParameterError('body', 'a JSON object');
    for (const k of Object.keys(body)) {
      if (!(allowed as readonly string[]).includes(k)) throw new InvalidParameterError(k.slice(0, 50), 'unknown field', allowed);
    }
    return body as Partial<Record<K, unknown>>;
  }

  private secret(v: unknown): string {
    if (typeof v !== 'string' || v.length < MIN_SECRET || v.length > 256 || !/^[\x21-\x7e]+$/.test(v)) {
      throw new InvalidParameterError('secret', `${MIN_SECRET} to 256 printable characters without spaces (leave it out and one is made)`);
    }
    return v;
  }

  /** Checks the fields given (create or patch) and returns them as the store's names. */
  private async fields(input: Partial<Record<string, unknown>>): Promise<WebhookPatch> {
    const out: WebhookPatch = {};
    if (input.name !== undefined) {
      const name = typeof input.name === 'string' ? input.name.trim() : '';
      if (name === '' || name.length > MAX_NAME || /[\u0000-\u001f\u007f]/.test(name)) throw new InvalidParameterError('name', `1 to ${MAX_NAME} characters on one line`);
      out.name = name;
    }
    if (input.url !== undefined) {
      const url = parseTargetUrl(input.url);
      if (typeof url === 'string') throw new InvalidParameterError('url', url);
      const why = await this.refusal(url, this.settings.policy);
      if (why) throw new InvalidParameterError('url', `refused: ${why}`);
      out.url = url.toString();
    }
    if (input.format !== undefined) {
      if (!isWebhookFormat(input.format)) throw new InvalidParameterError('format', 'json, slack or teams', WEBHOOK_FORMATS);
      out.format = input.format;
    }
    if (input.events !== undefined) {
      const e = input.events;
      if (!Array.isArray(e) || e.length === 0 || e.length > WEBHOOK_EVENTS.length || !e.every(isWebhookEvent)) {
        throw new InvalidParameterError('events', 'a non-empty list of events', WEBHOOK_EVENTS);
      }
      out.events = WEBHOOK_EVENTS.filter((x) => e.includes(x));
    }
    if (input.sectors !== undefined) {
      const s = input.sectors;
      if (!Array.isArray(s) || s.length > SECTORS.length || !s.every((x) => typeof x === 'string' && isSector(x))) {
        throw new InvalidParameterError('sectors', 'a list of sector slugs (empty: every new IOC, whatever its sectors)', SECTORS);
      }
      out.sectors = SECTORS.filter((x) => s.includes(x));
    }
    if (input.min_confidence !== undefined) {
      const m = input.min_confidence;
      if (typeof m !== 'number' || !Number.isInteger(m) || m < 0 || m > 100) throw new InvalidParameterError('min_confidence', 'an integer score from 0 to 100 (high band: 70)');
      out.minConfidence = m;
    }
    if (input.enabled !== undefined) {
      if (typeof input.enabled !== 'boolean') throw new InvalidParameterError('enabled', 'true or false');
      out.enabled = input.enabled;
    }
    return out;
  }

  private auditDetails(w: Webhook, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      id: w.id, name: w.name, scope: w.accountId === null ? 'global' : 'account', account_id: w.accountId, url_origin: urlOrigin(w.url), format: w.format,
      events: w.events, sectors: w.sectors, min_confidence: w.minConfidence, enabled: w.enabled, ...extra,
    };
  }
}
