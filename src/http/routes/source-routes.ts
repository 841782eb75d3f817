import type { FastifyInstance } from 'fastify';
import type { SourceService } from '../../rest/source-service.js';
import { requireFeature } from '../auth-hooks.js';
import { errorResponses } from '../schemas.js';

const runSchema = {
  type: ['object', 'null'],
  properties: {
    started_at: { type: 'string', format: 'date-time' },
    finished_at: { type: ['string', 'null'], format: 'date-time' },
    outcome: { type: 'string', enum: ['running', 'ok', 'not-modified', 'failed', 'skipped'] },
    records: { type: 'integer' },
    new: { type: 'integer' },
    updated: { type: 'integer' },
    unchanged: { type: 'integer' },
    delisted: { type: 'integer' },
    rejected: { type: 'integer' },
    allowlisted: { type: 'integer', description: 'values the allow-list held back (excluded by allow-list)' },
    bytes: { type: 'integer' },
    duration_ms: { type: ['integer', 'null'] },
    error: { type: ['string', 'null'] },
  },
} as const;

const sourceListSchema = {
  type: 'object',
  properties: {
    data: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          name: { type: 'string' },
          homepage: { type: 'string' },
          license: { type: 'string' },
          redistributable: { type: 'boolean' },
          enabled: { type: 'boolean' },
          status_reason: { type: ['string', 'null'] },
          mode: { type: 'string', enum: ['snap', 'inc'] },
          schedule: { type: 'string' },
          reliability: { type: 'number' },
          aggregate_of: { type: 'array', items: { type: 'string' } },
          custom: { type: 'boolean' },
          last_run: runSchema,
        },
      },
    },
  },
} as const;

/** GET /api/v1/sources: the catalog with each source's configuration state and last run; any valid key. */
export async function sourceRoutes(app: FastifyInstance, opts: { sources: SourceService }): Promise<void> {
  app.get('/sources', {
    // Every plan reads the REST API, so any valid key may list the sources.
    preHandler: requireFeature('rest', 'the REST API'),
    schema: {
      summary: 'Sources and their last run',
      description: 'Every catalog and custom source: enabled or why not, licence, schedule, and the outcome and counts of its last run.',
      tags: ['sources'],
      security: [{ bearerAuth: [] }, { basicAuth: [] }],
      response: { 200: sourceListSchema, ...errorResponses },
    },
    handler: async () => opts.sources.list(),
  });
}
