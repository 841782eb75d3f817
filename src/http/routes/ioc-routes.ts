import type { FastifyInstance } from 'fastify';
import type { IocService } from '../../rest/ioc-service.js';
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
    // Written as JSON text by the service: sent as it is (the schema above documents it, fast-json-stringify is skipped),
    // encoded once here. Given as a string, Fastify would measure its bytes for content-length and Node encode them
    // again when writing, each walk going over the pieces the text was concatenated from.
    handler: async (request, reply) => reply.type('application/json; charset=utf-8').send(Buffer.from(await opts.iocs.list(request.query as Record<string, unknown>), 'utf8')),
  });

  app.get('/iocs/:id', {
    preHandler: requireFeature('rest', 'the REST API'),
    schema: {
      summary: 'One IOC with its sightings per source, by id or by value',
      description:
        'By STIX id (`indicator--<uuid4>`, `vulnerability--<uuid4>`), or by value: a path segment that is not an id but is an IOC value ' +
        '(`/api/v1/iocs/185.220.101.5`; normalized first, so defanged values work; percent-encode `/`, `?` and `#` of URLs) is answered ' +
        'with the IOC of that value, active or revoked, and `Content-Location` names its id. A value no IOC has is a 404 that points to ' +
        '`GET /api/v1/iocs?q=VALUE`; a segment that is neither is a 400.',
      tags: ['iocs'],
      security,
      params: {
        type: 'object',
        properties: { id: { type: 'string', description: 'an IOC id (indicator--<uuid4>, vulnerability--<uuid4>) or an IOC value', examples: ['185.220.101.5', 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f'] } },
        required: ['id'],
      },
      response: { 200: { $ref: 'IocDetail#' }, ...errorResponses },
    },
    handler: async (request, reply) => {
      const found = await opts.iocs.find((request.params as { id: string }).id);
      // Answered here rather than redirected: a redirect would cost clients a round trip, and curl without -L an answer.
      void reply.header('content-location', `/api/v1/iocs/${found.canonicalId}`);
      return found.view;
    },
  });
}
