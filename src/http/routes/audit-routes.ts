import type { FastifyInstance } from 'fastify';
import type { AuditService } from '../../rest/audit-service.js';
import { requireRole } from '../auth-hooks.js';
import { errorResponses } from '../schemas.js';

const recordSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer', description: 'grows with every record' },
    at: { type: 'string', format: 'date-time' },
    action: { type: 'string', description: 'dotted: allowlist.add, allowlist.remove, key.create, key.revoke, account.update, ioc.revoke, ioc.import, taxii.load, auth.failed_burst, …' },
    target: { type: ['string', 'null'], description: 'what it acted on: an allow-list value, a key prefix, an account email, an IOC id, a client address…' },
    actor: {
      type: 'object',
      properties: {
        via: { type: 'string', enum: ['api', 'cli', 'system'] },
        account_id: { type: ['integer', 'null'] },
        email: { type: ['string', 'null'] },
        key_prefix: { type: ['string', 'null'], description: 'the public prefix of the key used (never the key)' },
        origin: { type: ['string', 'null'], description: 'api: the client address; cli: user@host' },
      },
      required: ['via', 'account_id', 'email', 'key_prefix', 'origin'],
    },
    details: { type: 'object', additionalProperties: true, description: 'what changed: small, secret-free JSON (at most 8 KB; `truncated: true` when cut)' },
  },
  required: ['id', 'at', 'action', 'target', 'actor', 'details'],
} as const;

const example = {
  id: 42,
  at: '2026-05-17T12:00:00.000Z',
  action: 'allowlist.add',
  target: '*.partner.example',
  actor: { via: 'api', account_id: 1, email: 'admin@example.com', key_prefix: 'sk_live_AbCd1234', origin: '203.0.113.7' },
  details: { id: 3, kind: 'suffix', type: 'domain', reason: "our partner's servers", expires_at: null, revoked: 2 },
};

/** GET /api/v1/audit: the audit log, newest first, for the admin role (requireRole). Thin over rest/AuditService. */
export async function auditRoutes(app: FastifyInstance, opts: { auditLog: AuditService }): Promise<void> {
  app.get('/audit', {
    preParsing: requireRole('admin', 'the audit log'),
    schema: {
      summary: 'Read the audit log',
      description:
        'Every change made through the API or the CLI — allow-list entries, keys, plans, revocations, imports and more — with who, when, ' +
        'from where and what; and bursts of failed sign-ins from one address (`auth.failed_burst`, never the key). Newest first; follow ' +
        'pagination.next_cursor while has_more (the cursor is bound to the filters; limit may change). The log is append-only. Admin role.',
      tags: ['audit'],
      security: [{ bearerAuth: [] }, { basicAuth: [] }],
      querystring: {
        type: 'object',
        properties: {
          action: { type: 'string', description: 'an exact action (allowlist.add), or a prefix ending in .* (allowlist.*)', examples: ['allowlist.*'] },
          email: { type: 'string', description: "the acting account's email (any case)", examples: ['admin@example.com'] },
          target: { type: 'string', description: 'the exact target', examples: ['*.partner.example'] },
          since: { type: 'string', description: 'ISO 8601: records at or after it', examples: ['2026-05-01T00:00:00Z'] },
          until: { type: 'string', description: 'ISO 8601: records before it', examples: ['2026-06-01T00:00:00Z'] },
          limit: { type: 'string', description: 'records per page (default and maximum as GET /api/v1/iocs)', examples: ['50'] },
          cursor: { type: 'string', description: 'pagination.next_cursor of the previous page' },
        },
      },
      response: {
        200: {
          type: 'object',
          properties: {
            data: { type: 'array', items: recordSchema },
            pagination: {
              type: 'object',
              properties: { limit: { type: 'integer' }, next_cursor: { type: ['string', 'null'] }, has_more: { type: 'boolean' } },
              required: ['limit', 'next_cursor', 'has_more'],
            },
          },
          required: ['data', 'pagination'],
          examples: [{ data: [example], pagination: { limit: 50, next_cursor: null, has_more: false } }],
        },
        ...errorResponses,
      },
    },
    handler: async (request) => opts.auditLog.list(request.query as Record<string, unknown>),
  });
}
