/**
 * Webhooks (README "Webhooks"): what a SOC wants to hear about without polling, pushed to a URL as generic JSON, a
 * Slack incoming-webhook message or a Microsoft Teams (Workflows) Adaptive Card. The event names are part of the API:
 * receivers route on them, so they never change meaning.
 */

/** The events a webhook may subscribe to (`ping` is sent by POST /api/v1/webhooks/{id}/test only). */
export const WEBHOOK_EVENTS = ['source.failing', 'source.recovered', 'source.stale', 'iocs.sector', 'allowlist.hit'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];
/** An event of a delivery: a subscribed one, or the test ping. */
export type DeliveryEvent = WebhookEvent | 'ping';

export function isWebhookEvent(v: unknown): v is WebhookEvent {
  return typeof v === 'string' && (WEBHOOK_EVENTS as readonly string[]).includes(v);
}

/** The shapes of a body: generic signed JSON, Slack incoming webhook (`{text, blocks}`), Teams Workflows (Adaptive Card). */
export const WEBHOOK_FORMATS = ['json', 'slack', 'teams'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

export function isWebhookFormat(v: unknown): v is WebhookFormat {
  return typeof v === 'string' && (WEBHOOK_FORMATS as readonly string[]).includes(v);
}

export const DELIVERY_STATES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/** A configured webhook. `accountId` null: a global one (an administrator's). Times epoch ms. */
export interface Webhook {
  id: number;
  accountId: number | null;
  name: string;
  url: string;
  format: WebhookFormat;
  events: WebhookEvent[];
  /** Sectors watched by `iocs.sector` (domain/sectors.ts slugs); empty: every new IOC, whatever its sectors. */
  sectors: string[];
  /** The lowest score an IOC of `iocs.sector` must have (0–100). */
  minConfidence: number;
  /** The HMAC key of x-socd-signature: kept in clear (it must sign), shown once at creation, never logged. */
  secret: string;
  enabled: boolean;
  createdAt: number;
  /** The account that created it (null: the CLI). */
  createdBy: number | null;
  /** The last attempt: when, its HTTP status (null: no answer), what went wrong (null: delivered). */
  lastAttemptAt: number | null;
  lastStatus: number | null;
  lastError: string | null;
  lastDeliveredAt: number | null;
}

export type NewWebhook = Omit<Webhook, 'id' | 'lastAttemptAt' | 'lastStatus' | 'lastError' | 'lastDeliveredAt'>;

/** What may change on a webhook (undefined keeps a field). */
export type WebhookPatch = Partial<Pick<Webhook, 'name' | 'url' | 'format' | 'events' | 'sectors' | 'minConfidence' | 'secret' | 'enabled'>>;

/** One notification to one webhook, with its body as sent (signed at each attempt) and its retry state. */
export interface WebhookDelivery {
  id: number;
  /** The x-socd-delivery header and the JSON body's `id`: receivers drop a repeat of one they have processed. */
  uuid: string;
  webhookId: number;
  event: DeliveryEvent;
  body: string;
  attempts: number;
  /** When it is due (pending), or when the worker's claim lapses (being attempted). */
  nextAttemptAt: number;
  state: DeliveryState;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: number;
  deliveredAt: number | null;
}

export type NewDelivery = Pick<WebhookDelivery, 'uuid' | 'webhookId' | 'event' | 'body'>;

/** A delivery claimed by a worker, with what sending it needs of its webhook. */
export interface ClaimedDelivery extends WebhookDelivery {
  url: string;
  secret: string;
  format: WebhookFormat;
}

/** How an attempt ended: delivered, to be tried again at `retryAt`, or given up. */
export type AttemptOutcome =
  | { state: 'delivered'; status: number; at: number }
  | { state: 'pending'; status: number | null; error: string; at: number; retryAt: number }
  | { state: 'failed'; status: number | null; error: string; at: number };

/** Attempts before a delivery is given up (the first one and seven retries: about 31 h of retries). */
export const MAX_ATTEMPTS = 8;

/** The wait after attempt n (1-based) before the next: 30 s, 2 min, 10 min, 1 h, 6 h, 12 h, 12 h. */
const BACKOFF_MS = [30_000, 120_000, 600_000, 3_600_000, 21_600_000, 43_200_000, 43_200_000];

/**
 * The wait before the next attempt after `attempts` failed ones, with ±20 % jitter (`random` in [0, 1)) so that
 * deliveries held up by one outage do not all come back in the same second. Undefined: give up.
 */
export function backoffMs(attempts: number, random: () => number = Math.random): number | undefined {
  if (attempts >= MAX_ATTEMPTS) return undefined;
  const base = BACKOFF_MS[Math.min(Math.max(attempts, 1), BACKOFF_MS.length) - 1]!;
  return Math.round(base * (0.8 + 0.4 * random()));
}
