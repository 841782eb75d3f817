import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import negotiate from '@fastify/accept-negotiator';
import type { FastifyInstance } from 'fastify';
import type { StixExportService } from '../../rest/stix-export-service.js';
import { STIX_MEDIA_TYPE } from '../../stix/constants.js';
import { requireFeature } from '../auth-hooks.js';
import { errorResponses, iocListQuerySchema } from '../schemas.js';

const { cursor: _cursor, ...exportQuery } = iocListQuerySchema.properties;

/** GET /api/v1/iocs/stix: one STIX 2.1 bundle of the selected IOCs, streamed; Pro plan. */
export async function stixRoutes(app: FastifyInstance, opts: { stix: StixExportService }): Promise<void> {
  app.get('/iocs/stix', {
    preHandler: requireFeature('stix', 'STIX export'),
    schema: {
      summary: 'The selected IOCs as one STIX 2.1 bundle',
      description:
        'Same filters as GET /api/v1/iocs; `limit` caps the number of objects (none by default). The bundle holds the producer identity, the TLP markings in use, then the latest version of each IOC of a redistributable source. Streamed; gzip when the client accepts it. Pro plan.',
      tags: ['stix'],
      security: [{ bearerAuth: [] }, { basicAuth: [] }],
      querystring: { type: 'object', properties: { ...exportQuery, limit: { type: 'string', description: 'at most this many IOC objects (1–10,000,000); all by default', examples: ['50000'] } } },
      response: {
        200: { description: 'a STIX 2.1 bundle', content: { [STIX_MEDIA_TYPE]: { schema: { type: 'object' } } } },
        ...errorResponses,
      },
    },
    handler: async (request, reply) => {
      const chunks = opts.stix.bundle(request.query as Record<string, unknown>);
      reply.header('content-type', STIX_MEDIA_TYPE).header('vary', 'accept-encoding');
      // A few pages in flight at most: memory stays flat whatever the size of the bundle.
      const body = Readable.from(chunks, { highWaterMark: 2 });
      if (negotiate(request.headers['accept-encoding'] ?? '', ['gzip', 'identity']) === 'gzip') {
        reply.header('content-encoding', 'gzip');
        // Level 1: a stream of JSON compresses ~8× even so, at several times the speed of the default level.
        const gzip = createGzip({ level: 1 });
        body.on('error', (err) => gzip.destroy(err));
        return reply.send(body.pipe(gzip));
      }
      return reply.send(body);
    },
  });
}
