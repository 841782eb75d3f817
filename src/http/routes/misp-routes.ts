import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import negotiate from '@fastify/accept-negotiator';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { NotFoundError } from '../../errors/app-error.js';
import type { MispFeedService } from '../../rest/misp-feed.js';
import { requireFeature } from '../auth-hooks.js';
import { errorResponses } from '../schemas.js';

const EXAMPLE_UUID = '5b7c6f2e-3a41-5d0e-9c1f-2b6a8e4d7c30';
const security: Array<Record<string, string[]>> = [{ bearerAuth: [] }, { basicAuth: [] }];
const UUID_FILE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.json$/i;

/** A streamed body, gzip-compressed (level 1, as the STIX export) when the client accepts it: event files run large. */
function sendStream(request: FastifyRequest, reply: FastifyReply, chunks: AsyncIterable<string>, type: string) {
  const body = Readable.from(chunks, { highWaterMark: 2 });
  reply.header('content-type', type).header('vary', 'accept-encoding');
  if (negotiate(request.headers['accept-encoding'] ?? '', ['gzip', 'identity']) !== 'gzip') return reply.send(body);
  const gzip = createGzip({ level: 1 });
  body.on('error', (err) => gzip.destroy(err));
  return reply.header('content-encoding', 'gzip').send(body.pipe(gzip));
}

/**
 * The MISP feed (rest/misp-feed.ts): what MISP's "Add feed" (source format "MISP Feed") fetches under the feed's URL
 * /api/v1/feeds/misp/. Pro plan, like the STIX export and TAXII; MISP sends the key in the feed's custom headers.
 */
export async function mispRoutes(app: FastifyInstance, opts: { misp: MispFeedService }): Promise<void> {
  const guard = requireFeature('stix', 'The MISP feed');

  app.get('/feeds/misp/manifest.json', {
    preHandler: guard,
    schema: {
      summary: 'MISP feed: the manifest of its events',
      description:
        'Event UUID → {Orgc, Tag, info, date, analysis, threat_level_id, timestamp}: one event per source per UTC day an IOC was first stored, over the last 30 days; MISP fetches the events whose timestamp moved. Pro plan.',
      tags: ['feeds'],
      security,
      response: {
        200: {
          description: 'the manifest',
          content: {
            'application/json': {
              schema: { type: 'object', additionalProperties: true },
              examples: {
                manifest: {
                  value: { [EXAMPLE_UUID]: { Orgc: { name: 'SOC Defenders', uuid: '7a3e1c52-9d1b-4a6f-8e2c-0f4b5d6a7c81' }, Tag: [{ name: 'tlp:clear' }], info: 'URLhaus: indicators first seen 2026-12-02', date: '2026-12-02', analysis: '2', threat_level_id: '1', timestamp: '1764720000' } },
                },
              },
            },
          },
        },
        ...errorResponses,
      },
    },
    handler: async (_request, reply) => reply.header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(await opts.misp.manifest())),
  });

  app.get('/feeds/misp/hashes.csv', {
    preHandler: guard,
    schema: {
      summary: 'MISP feed: md5 of each attribute value and its event',
      description: 'One line `md5(value),event uuid` per attribute of every event of the manifest (the quick look-up of MISP\'s feed cache and correlation). Streamed; gzip when the client accepts it. Pro plan.',
      tags: ['feeds'],
      security,
      response: {
        200: { description: 'CSV without a header', content: { 'text/csv': { schema: { type: 'string' }, examples: { hashes: { value: `0e3b5ef5b2e1f7a2a0e3d65f1a3c1b7d,${EXAMPLE_UUID}\n` } } } } },
        ...errorResponses,
      },
    },
    handler: async (request, reply) => sendStream(request, reply, opts.misp.hashes(), 'text/csv; charset=utf-8'),
  });

  app.get('/feeds/misp/:file', {
    preHandler: guard,
    schema: {
      summary: 'MISP feed: one event',
      description: '`<event uuid>.json`: `{"Event": {…}}` with its attributes (type, category, value, to_ids, comment with the score, TLP, malware and sector tags). Streamed; gzip when the client accepts it. Pro plan.',
      tags: ['feeds'],
      security,
      params: { type: 'object', properties: { file: { type: 'string', maxLength: 64, description: 'an event UUID of the manifest, then `.json`', examples: [`${EXAMPLE_UUID}.json`] } }, required: ['file'] },
      response: {
        200: { description: 'a MISP event', content: { 'application/json': { schema: { type: 'object', additionalProperties: true } } } },
        ...errorResponses,
      },
    },
    handler: async (request, reply) => {
      const uuid = UUID_FILE.exec((request.params as { file: string }).file)?.[1];
      if (!uuid) throw new NotFoundError('a MISP feed file is manifest.json, hashes.csv or <event uuid>.json');
      const chunks = await opts.misp.event(uuid);
      return sendStream(request, reply, chunks, 'application/json; charset=utf-8');
    },
  });
}
