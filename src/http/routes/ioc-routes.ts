import type { FastifyInstance } from 'fastify';
import type { IocService } from '../../api/ioc-service.js';
import { requireFeature } from '../auth-hooks.js';
import { errorResponses, iocListQuerySchema, iocListSchema } from '../schemas.js';

/** GET /api/v1/iocs and GET /api/v1/iocs/{id}: every plan may read. */
export async function iocRoutes(app: FastifyInstance, opts: { iocs: IocService }): Promise<void> {
  const security: Array<Record<string, string[]>> = [{ bearerAuth: [] }, { basicAuth: [] }];
  app.get('/iocs', {
    preHandler: requireFeature('rest', 'the REST API'),
    schema: {
      summary: 'List IOCs',
      description: 'Keyset-paginated, filtered list of IOCs in the order they were added. Follow pagination.next_cursor while has_more.',
      tags: ['iocs'],
      security,
      querystring: iocListQuerySchema,
      response: { 200: iocListSchema, ...errorResponses },
    },
    handler: async (request) => opts.iocs.list(request.query as Record<string, unknown>),
  });

  app.get('/iocs/:id', {
    preHandler: requireFeature('rest', 'the REST API'),
    schema: {
      summary: 'One IOC with its sightings per source',
      tags: ['iocs'],
      security,
      params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
      response: { 200: { $ref: 'IocDetail#' }, ...errorResponses },
    },
    handler: async (request) => opts.iocs.get((request.params as { id: string }).id),
  });
}
