import type { FastifyInstance } from 'fastify';
import { ALLOW_KINDS } from '../../domain/allowlist.js';
import { IOC_TYPES } from '../../domain/ioc-types.js';
import type { AllowListService } from '../../rest/allowlist-service.js';
import { actorOf, requireRole } from '../auth-hooks.js';
import { errorResponses, pagedList, pagedQuery } from '../schemas.js';

const entrySchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    value: { type: 'string', description: 'as written: an IOC value, a CIDR (network/prefix) or a domain suffix (*.example.com)' },
    kind: { type: 'string', enum: ALLOW_KINDS },
    type: { type: 'string', enum: IOC_TYPES, description: 'the IOC type of a value; ipv4 or ipv6 for a CIDR; domain for a suffix' },
    reason: { type: 'string' },
    author: { type: ['integer', 'null'], description: 'the account that added it; null: added with the CLI (socd allowlist add)' },
    created_at: { type: 'string', format: 'date-time' },
    expires_at: { type: ['string', 'null'], format: 'date-time' },
    expired: { type: 'boolean', description: 'past expires_at: it no longer matches' },
  },
  required: ['id', 'value', 'kind', 'type', 'reason', 'author', 'created_at', 'expires_at', 'expired'],
} as const;

const example = { value: '*.partner.example', reason: "our partner's mail and web servers", expires_at: '2027-01-01T00:00:00Z' };

/**
 * GET/POST /api/v1/allowlist and DELETE /api/v1/allowlist/{id}: the analyst role (requireRole), answered by the
 * AllowListService. Adding an entry revokes the active IOCs it matches and keeps them from coming back.
 */
export async function allowlistRoutes(app: FastifyInstance, opts: { allowlist: AllowListService }): Promise<void> {
  const security: Array<Record<string, string[]>> = [{ bearerAuth: [] }, { basicAuth: [] }];
  const guard = requireRole('analyst', 'the allow-list');
  const tags = ['allowlist'];
  app.get('/allowlist', {
    preParsing: guard,
    schema: {
      summary: 'List the allow-list',
      description: 'Entries in the order they were added, expired ones included. Follow pagination.next_cursor while has_more. Analyst role.',
      tags,
      security,
      querystring: pagedQuery({ description: 'entries per page (default and maximum as GET /api/v1/iocs)', example: '100' }),
      response: {
        200: pagedList(entrySchema),
        ...errorResponses,
      },
    },
    handler: async (request) => opts.allowlist.list(request.query as Record<string, unknown>),
  });

  app.post('/allowlist', {
    preParsing: guard,
    schema: {
      summary: 'Add an allow-list entry (revokes what it matches)',
      description:
        'A value of any IOC type (normalized), an IPv4/IPv6 CIDR (normalized to its network; it also matches URLs and email address ' +
        'literals on addresses in it), or a domain suffix `*.example.com` (the domain, its subdomains, URLs on them, emails at them). ' +
        'Every active IOC it matches is revoked at once (a final STIX version with revoked: true), and no write path stores a matching ' +
        'value while the entry is in force: runs count them as `allowlisted`. `revoked` says how many IOCs were revoked. Analyst role.',
      tags,
      security,
      body: {
        type: 'object',
        properties: {
          value: { type: 'string', description: 'an IOC value, a CIDR, or *.domain' },
          reason: { type: 'string', description: 'why it is allowed (1–500 characters)' },
          expires_at: { type: ['string', 'null'], description: 'optional, ISO 8601 (e.g. 2027-01-01T00:00:00Z): the entry stops matching then' },
        },
        required: ['value', 'reason'],
        examples: [example],
      },
      response: {
        201: { type: 'object', properties: { entry: entrySchema, revoked: { type: 'integer' } }, required: ['entry', 'revoked'] },
        409: { $ref: 'Problem#' },
        ...errorResponses,
      },
    },
    handler: async (request, reply) => {
      const added = await opts.allowlist.add(request.body, actorOf(request));
      return reply.code(201).header('location', `/api/v1/allowlist/${added.entry.id}`).send(added);
    },
  });

  app.delete('/allowlist/:id', {
    preParsing: guard,
    schema: {
      summary: 'Remove an allow-list entry',
      description: 'Nothing is restored at once: a value it held back comes back at its next sighting, as a new STIX object. Analyst role.',
      tags,
      security,
      params: { type: 'object', properties: { id: { type: 'string', description: 'the entry id', examples: ['12'] } }, required: ['id'] },
      response: { 204: { type: 'null', description: 'removed' }, ...errorResponses },
    },
    handler: async (request, reply) => {
      await opts.allowlist.remove((request.params as { id: string }).id, actorOf(request));
      return reply.code(204).send();
    },
  });
}
