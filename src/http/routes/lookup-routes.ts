import type { FastifyInstance } from 'fastify';
import { limitTier } from '../../domain/plans.js';
import { IOC_TYPES } from '../../domain/ioc-types.js';
import { type LookupService, VERDICTS } from '../../rest/lookup-service.js';
import { principalOf, requireFeature } from '../auth-hooks.js';
import { errorResponses } from '../schemas.js';

const key = { type: 'object', properties: { type: { type: 'string', enum: IOC_TYPES }, value: { type: 'string' } }, required: ['type', 'value'] } as const;

const resultSchema = {
  type: 'object',
  properties: {
    input: { type: 'string', description: 'the value as sent (or as found in the text, refanged and normalized)' },
    type: { type: 'string', enum: IOC_TYPES },
    value: { type: 'string', description: 'the normalized value' },
    verdict: { type: 'string', enum: VERDICTS },
    matched: { ...key, description: 'listed-network / listed-host: the stored network, host or parent domain that matched' },
    ioc_ids: { type: 'array', items: { type: 'string' }, description: 'the STIX ids of the matching IOCs, the deciding one first' },
    score: { type: 'integer' },
    confidence: { type: 'string' },
    tlp: { type: 'string' },
    tags: { type: 'array', items: { type: 'string' } },
    malware: { type: 'array', items: { type: 'string' } },
    sectors: { type: 'array', items: { type: 'string' } },
    sources: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          source: { type: 'string' },
          first_seen: { type: 'string', format: 'date-time' },
          last_seen: { type: 'string', format: 'date-time' },
          ended_at: { type: ['string', 'null'], format: 'date-time' },
        },
        required: ['source', 'first_seen', 'last_seen', 'ended_at'],
      },
    },
    allowlist_entry: {
      type: 'object',
      properties: { id: { type: 'integer' }, value: { type: 'string' }, reason: { type: 'string' } },
      required: ['id', 'value', 'reason'],
    },
  },
  required: ['input', 'type', 'value', 'verdict', 'ioc_ids'],
} as const;

const VERDICT_TEXT =
  'Verdicts, first that applies: `allowlisted` (the allow-list matches it), `listed` (an active IOC of that value), `listed-network` ' +
  '(an address or network inside a listed network, the longest prefix wins), `listed-host` (a URL or email whose host is a listed ' +
  'domain or address, or a domain, URL or email under a listed parent domain; the most specific wins), `revoked` (the IOC exists but ' +
  'is revoked), `unknown`.';

/** GET and POST /api/v1/lookup: every plan may look up; POST takes at most the plan's batch (plans.<plan>.lookupBatch). */
export async function lookupRoutes(app: FastifyInstance, opts: { lookup: LookupService }): Promise<void> {
  const security: Array<Record<string, string[]>> = [{ bearerAuth: [] }, { basicAuth: [] }];
  const guard = requireFeature('rest', 'the REST API');
  app.get('/lookup', {
    preHandler: guard,
    schema: {
      summary: 'Look up one value: its verdict',
      description: `One value (defanged forms work), normalized, with its verdict and, when listed, score, band, sources, tags, malware, sectors, TLP and IOC ids. ${VERDICT_TEXT}`,
      tags: ['lookup'],
      security,
      querystring: {
        type: 'object',
        properties: { value: { type: 'string', description: 'an IOC value: address, network, domain, URL, email, hash or CVE id', examples: ['185.220.101.5'] } },
      },
      response: { 200: resultSchema, ...errorResponses },
    },
    handler: async (request) => opts.lookup.lookupOne((request.query as { value?: unknown }).value),
  });

  app.post('/lookup', {
    preHandler: guard,
    schema: {
      summary: 'Look up many values, or the values in free text',
      description:
        'The body is a JSON array of values (`application/json`), or free text (`text/plain`: an email, a log excerpt, a ticket) from which ' +
        'addresses, networks, URLs, emails, domains, hashes and CVE ids are taken (refanged, normalized, de-duplicated, in order of first ' +
        'appearance). At most the plan\'s batch size of values (free 100, pro and admin 10,000 by default; `plans.<plan>.lookupBatch`): more ' +
        `is a 413 naming the limit. Array values that are no IOC value are listed in \`rejected\` with the reason. ${VERDICT_TEXT}`,
      tags: ['lookup'],
      security,
      body: {
        content: {
          'application/json': {
            schema: { type: 'array', items: { type: 'string' }, examples: [['185.220.101.5', 'hxxp://evil[.]example/x', 'sub.bad.example']] },
          },
          'text/plain': { schema: { type: 'string', examples: ['Blocked 185.220.101.5 contacting hxxp://evil[.]example/x'] } },
        },
      },
      response: {
        200: {
          type: 'object',
          properties: {
            data: { type: 'array', items: resultSchema },
            rejected: {
              type: 'array',
              items: { type: 'object', properties: { input: { type: 'string' }, reason: { type: 'string' } }, required: ['input', 'reason'] },
            },
            limit: { type: 'integer', description: 'the most values one look-up takes on this plan' },
          },
          required: ['data', 'rejected', 'limit'],
        },
        413: { $ref: 'Problem#' },
        415: { $ref: 'Problem#' },
        ...errorResponses,
      },
    },
    handler: async (request) => {
      const who = principalOf(request);
      const plan = limitTier(who.plan, who.roles);
      const body = typeof request.body === 'string' ? { text: request.body } : { json: request.body };
      return opts.lookup.lookupMany(body, plan);
    },
  });
}
