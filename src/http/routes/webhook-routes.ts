import type { FastifyInstance, FastifyRequest } from 'fastify';
import { hasRole } from '../../domain/roles.js';
import { SECTORS } from '../../domain/sectors.js';
import { DELIVERY_STATES, WEBHOOK_EVENTS, WEBHOOK_FORMATS } from '../../domain/webhooks.js';
import type { WebhookCaller, WebhookService } from '../../rest/webhook-service.js';
import { actorOf, principalOf, requireRole } from '../auth-hooks.js';
import { errorResponses, pagedList, pagedQuery } from '../schemas.js';

const time = { type: ['string', 'null'], format: 'date-time' } as const;

const webhookSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    scope: { type: 'string', enum: ['account', 'global'], description: 'account: of account_id; global: an administrator\'s, for the whole server' },
    account_id: { type: ['integer', 'null'] },
    name: { type: 'string' },
    url: { type: 'string', description: 'where deliveries are POSTed (a Slack or Teams URL is itself a credential: keep it private)' },
    format: { type: 'string', enum: WEBHOOK_FORMATS },
    events: { type: 'array', items: { type: 'string', enum: WEBHOOK_EVENTS } },
    sectors: { type: 'array', items: { type: 'string', enum: SECTORS }, description: 'watched by iocs.sector; empty: any' },
    min_confidence: { type: 'integer', description: 'lowest score of an IOC told by iocs.sector' },
    enabled: { type: 'boolean' },
    created_at: { type: 'string', format: 'date-time' },
    created_by: { type: ['integer', 'null'] },
    last_attempt_at: time,
    last_status: { type: ['integer', 'null'], description: 'HTTP status of the last attempt (null: no answer)' },
    last_error: { type: ['string', 'null'] },
    last_delivered_at: time,
  },
  required: ['id', 'scope', 'account_id', 'name', 'url', 'format', 'events', 'sectors', 'min_confidence', 'enabled', 'created_at', 'created_by',
    'last_attempt_at', 'last_status', 'last_error', 'last_delivered_at'],
} as const;

const deliverySchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    delivery_id: { type: 'string', description: 'x-socd-delivery and the body\'s id: receivers drop repeats of it' },
    event: { type: 'string', enum: [...WEBHOOK_EVENTS, 'ping'] },
    state: { type: 'string', enum: DELIVERY_STATES },
    attempts: { type: 'integer' },
    next_attempt_at: { ...time, description: 'pending: when it is tried next' },
    last_status: { type: ['integer', 'null'] },
    last_error: { type: ['string', 'null'] },
    created_at: { type: 'string', format: 'date-time' },
    delivered_at: time,
    body: { type: 'string', description: 'the body as sent' },
  },
  required: ['id', 'delivery_id', 'event', 'state', 'attempts', 'next_attempt_at', 'last_status', 'last_error', 'created_at', 'delivered_at', 'body'],
} as const;

const fields = {
  name: { type: 'string', description: '1–100 characters' },
  url: { type: 'string', description: 'https URL of the receiver (a public address; see SOCD_WEBHOOK_ALLOW_PRIVATE)' },
  format: { type: 'string', enum: WEBHOOK_FORMATS, description: 'json (signed generic JSON, default), slack (incoming webhook), teams (Workflows webhook)' },
  events: { type: 'array', items: { type: 'string', enum: WEBHOOK_EVENTS } },
  sectors: { type: 'array', items: { type: 'string', enum: SECTORS }, description: 'for iocs.sector; empty or absent: any new IOC' },
  min_confidence: { type: 'integer', description: 'for iocs.sector: the lowest score, 0–100 (default 70, the high band)' },
  enabled: { type: 'boolean' },
} as const;

const createExample = {
  name: 'SOC channel', url: 'https://hooks.slack.com/services/T000/B000/XXXX', format: 'slack',
  events: ['source.failing', 'source.stale', 'iocs.sector'], sectors: ['energy', 'healthcare-public-health'], min_confidence: 85,
};

const idParams = { type: 'object', properties: { id: { type: 'string', description: 'the webhook id', examples: ['3'] } }, required: ['id'] } as const;
const secretAnswer = {
  type: 'object',
  properties: { webhook: webhookSchema, secret: { type: 'string', description: 'the signing secret: shown now only' } },
  required: ['webhook', 'secret'],
} as const;

/**
 * /api/v1/webhooks: the analyst role (requireRole) for an account's own webhooks; the admin role also sees every
 * account's and manages global ones. Answered by the WebhookService (rest/webhook-service.ts).
 */
export async function webhookRoutes(app: FastifyInstance, opts: { webhooks: WebhookService }): Promise<void> {
  const { webhooks } = opts;
  const security: Array<Record<string, string[]>> = [{ bearerAuth: [] }, { basicAuth: [] }];
  const guard = requireRole('analyst', 'webhooks');
  const tags = ['webhooks'];
  const caller = (request: FastifyRequest): WebhookCaller => ({ actor: actorOf(request), admin: hasRole(principalOf(request).roles, 'admin') });
  const id = (request: FastifyRequest) => (request.params as { id: string }).id;

  app.get('/webhooks', {
    preParsing: guard,
    schema: {
      summary: 'List webhooks',
      description: 'Your account\'s webhooks in id order; an administrator sees every account\'s and the global ones (`scope` narrows it). Never the secrets. Analyst role.',
      tags,
      security,
      querystring: {
        ...pagedQuery({ description: 'webhooks per page (1–100)', example: '50' }),
        properties: { ...pagedQuery({ description: 'webhooks per page (1–100)', example: '50' }).properties, scope: { type: 'string', enum: ['account', 'global'], description: 'administrators: only global or only accounts\' webhooks' } },
      },
      response: { 200: pagedList(webhookSchema), ...errorResponses },
    },
    handler: async (request) => webhooks.list(caller(request), request.query as Record<string, unknown>),
  });

  app.post('/webhooks', {
    preParsing: guard,
    schema: {
      summary: 'Create a webhook',
      description:
        'Deliveries are POSTed as JSON, signed with `x-socd-signature: sha256=<HMAC-SHA256(secret, timestamp + "." + body)>` (README "Webhooks"). ' +
        'The `secret` is answered once: keep it (give your own, 24–256 characters, or one is made). The URL must be https on a public address ' +
        '(checked after resolving its name; private targets only where SOCD_WEBHOOK_ALLOW_PRIVATE allows). `"scope": "global"` (admin role) ' +
        'makes a webhook of the whole server. Analyst role.',
      tags,
      security,
      body: {
        type: 'object',
        properties: { ...fields, secret: { type: 'string', description: 'optional: your own signing secret' }, scope: { type: 'string', enum: ['account', 'global'] } },
        examples: [createExample],
      },
      response: { 201: secretAnswer, 409: { $ref: 'Problem#' }, ...errorResponses },
    },
    handler: async (request, reply) => {
      const made = await webhooks.create(caller(request), request.body);
      return reply.code(201).header('location', `/api/v1/webhooks/${made.webhook.id}`).send(made);
    },
  });

  app.get('/webhooks/:id', {
    preParsing: guard,
    schema: {
      summary: 'Show a webhook',
      description: 'With the outcome of its last attempt. Another account\'s webhook is a 404 (administrators see all). Analyst role.',
      tags,
      security,
      params: idParams,
      response: { 200: webhookSchema, ...errorResponses },
    },
    handler: async (request) => webhooks.get(caller(request), id(request)),
  });

  app.patch('/webhooks/:id', {
    preParsing: guard,
    schema: {
      summary: 'Change a webhook',
      description: 'Any of name, url (checked again), format, events, sectors, min_confidence, enabled. A disabled webhook is sent nothing new; its queued deliveries wait until it is enabled again. Analyst role.',
      tags,
      security,
      params: idParams,
      body: { type: 'object', properties: fields, examples: [{ enabled: false }] },
      response: { 200: webhookSchema, ...errorResponses },
    },
    handler: async (request) => webhooks.update(caller(request), id(request), request.body),
  });

  app.delete('/webhooks/:id', {
    preParsing: guard,
    schema: {
      summary: 'Remove a webhook',
      description: 'With its queued and past deliveries. Analyst role.',
      tags,
      security,
      params: idParams,
      response: { 204: { type: 'null', description: 'removed' }, ...errorResponses },
    },
    handler: async (request, reply) => {
      await webhooks.remove(caller(request), id(request));
      return reply.code(204).send();
    },
  });

  app.post('/webhooks/:id/test', {
    preParsing: guard,
    schema: {
      summary: 'Send a test delivery now',
      description: 'Queues a `ping` and attempts it at once (even while the webhook is disabled). `delivered` says whether the receiver answered 2xx; otherwise the delivery is retried like any other. Analyst role.',
      tags,
      security,
      params: idParams,
      response: {
        200: { type: 'object', properties: { delivered: { type: 'boolean' }, delivery: deliverySchema }, required: ['delivered', 'delivery'], examples: [{ delivered: true }] },
        ...errorResponses,
      },
    },
    handler: async (request) => webhooks.test(caller(request), id(request)),
  });

  app.post('/webhooks/:id/rotate-secret', {
    preParsing: guard,
    schema: {
      summary: 'Replace the signing secret',
      description: 'A new secret (yours, or one made), answered once; deliveries are signed with it from the next attempt. Analyst role.',
      tags,
      security,
      params: idParams,
      body: { type: ['object', 'null'], properties: { secret: { type: 'string' } }, examples: [{}] },
      response: { 200: secretAnswer, ...errorResponses },
    },
    handler: async (request) => webhooks.rotateSecret(caller(request), id(request), request.body),
  });

  app.get('/webhooks/:id/deliveries', {
    preParsing: guard,
    schema: {
      summary: 'Recent deliveries of a webhook',
      description: `Newest first, with their state (pending, delivered, failed), attempts, last status and error, and the body as sent. Kept for SOCD_WEBHOOK_RETENTION_DAYS (pending ones until they end). Analyst role.`,
      tags,
      security,
      params: idParams,
      querystring: pagedQuery({ description: 'deliveries per page (1–100)', example: '20' }),
      response: { 200: pagedList(deliverySchema), ...errorResponses },
    },
    handler: async (request) => webhooks.deliveries(caller(request), id(request), request.query as Record<string, unknown>),
  });
}
