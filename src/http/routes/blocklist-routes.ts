import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import negotiate from '@fastify/accept-negotiator';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BLOCKLIST_FORMATS, BLOCKLIST_TYPES } from '../../rest/blocklist-formats.js';
import { type BlocklistService, MAX_BLOCKLIST_LIMIT, type PreparedBlocklist } from '../../rest/blocklist-service.js';
import { requireFeature } from '../auth-hooks.js';
import { errorResponses, iocListQuerySchema } from '../schemas.js';

/** The count of values the format could not carry (a header when the list fits the first buffer, else a trailer). */
export const SKIPPED_HEADER = 'x-blocklist-skipped';
/** Bytes held before the headers go: a list this small is answered whole, with its skipped count as a header. */
const HEAD_BUFFER = 64 * 1024;

const { confidence, industry, source, since } = iocListQuerySchema.properties;

/** GET /api/v1/blocklists/{type}.txt: plain lists for firewalls, resolvers and proxies; every plan (REST output). */
export async function blocklistRoutes(app: FastifyInstance, opts: { blocklists: BlocklistService }): Promise<void> {
  app.get('/blocklists/:type.txt', {
    preHandler: requireFeature('rest', 'the REST API'),
    schema: {
      summary: 'A blocklist for a firewall, resolver or proxy',
      description:
        'The active IOCs of one type, highest score first (ties: newest first), one canonical value a line by default, or in a vendor\'s ' +
        'format (`format`: Palo Alto EDL, FortiGate threat feed, pfBlockerNG / IP sets, a DNS RPZ zone, Suricata IP reputation). Same ' +
        'filters as GET /api/v1/iocs; `limit` keeps the most valuable entries. A value the format cannot carry safely is skipped and ' +
        `counted in \`${SKIPPED_HEADER}\` (a trailer when the list is long). Strong ETag and Last-Modified: If-None-Match / ` +
        'If-Modified-Since answer 304 without reading the list. Streamed; gzip when accepted. HTTP Basic (email and key) works. Every plan.',
      tags: ['blocklists'],
      security: [{ bearerAuth: [] }, { basicAuth: [] }],
      params: {
        type: 'object',
        properties: { type: { type: 'string', description: `one of ${BLOCKLIST_TYPES.join(', ')} (\`ip\`: both families)`, examples: ['ipv4'] } },
        required: ['type'],
      },
      querystring: {
        type: 'object',
        properties: {
          confidence, industry, source, since,
          limit: { type: 'string', description: `at most this many entries, highest score first (1–${MAX_BLOCKLIST_LIMIT.toLocaleString('en')}); all by default`, examples: ['50000'] },
          format: { type: 'string', description: `one of ${BLOCKLIST_FORMATS.join(', ')}; plain (default): one value a line`, examples: ['paloalto'] },
          subdomains: { type: 'string', description: 'domain lists: also block every subdomain (`*.name`)', examples: ['true'] },
          zone: { type: 'string', description: 'format=rpz: the zone name ($ORIGIN); rpz.local by default', examples: ['rpz.example.org'] },
          category: { type: 'string', description: 'format=suricata: the category id of your categories file (1–60); 1 by default', examples: ['1'] },
        },
      },
      response: {
        200: { description: 'the list', content: { 'text/plain': { schema: { type: 'string' }, examples: { plain: { value: '198.51.100.7\n203.0.113.0/24\n' } } } } },
        304: { description: 'not modified (If-None-Match or If-Modified-Since matched): no body', content: { 'text/plain': { schema: { type: 'string', maxLength: 0 } } } },
        ...errorResponses,
      },
    },
    handler: async (request, reply) => {
      const list = await opts.blocklists.prepare((request.params as { type: string }).type, request.query as Record<string, unknown>);
      const gzip = negotiate(request.headers['accept-encoding'] ?? '', ['gzip', 'identity']) === 'gzip';
      // A strong validator names one representation: the gzip body is another (RFC 9110 §8.8.3), as Apache does.
      const etag = gzip ? `${list.etag.slice(0, -1)}-gz"` : list.etag;
      reply.header('etag', etag).header('cache-control', 'private, no-cache').header('vary', 'accept-encoding, authorization');
      if (list.lastModified > 0) reply.header('last-modified', new Date(list.lastModified).toUTCString());
      if (notModified(request, list)) return reply.code(304).send();
      reply.header('content-type', 'text/plain; charset=utf-8');
      // A device checking for a change with HEAD gets the validators without the list being read.
      if (request.method === 'HEAD') return reply.send();
      return send(reply, list, gzip);
    },
  });
}

/** RFC 9110 §13.1.2 (weak comparison, either encoding's tag) and §13.1.3 (only without If-None-Match). */
function notModified(request: FastifyRequest, list: PreparedBlocklist): boolean {
  const inm = request.headers['if-none-match'];
  if (inm !== undefined) {
    const base = list.etag.slice(0, -1);
    return inm.split(',').some((t) => {
      const tag = t.trim().replace(/^W\//, '');
      return tag === '*' || tag === list.etag || tag === `${base}-gz"`;
    });
  }
  const ims = request.headers['if-modified-since'];
  if (ims === undefined || list.lastModified === 0) return false;
  const since = Date.parse(ims);
  return Number.isFinite(since) && list.lastModified <= since;
}

/**
 * Reads up to HEAD_BUFFER bytes first: a list that ends there is sent whole with its skipped count as a header;
 * a longer one streams and announces the count as a trailer (Trailer header, chunked encoding).
 */
async function send(reply: FastifyReply, list: PreparedBlocklist, gzip: boolean): Promise<FastifyReply> {
  const chunks = list.chunks();
  const held: string[] = [];
  let bytes = 0;
  let done = false;
  while (bytes < HEAD_BUFFER) {
    const next = await chunks.next();
    if (next.done) {
      done = true;
      break;
    }
    held.push(next.value);
    bytes += next.value.length;
  }
  if (done) {
    reply.header(SKIPPED_HEADER, String(list.skipped));
  } else {
    reply.trailer(SKIPPED_HEADER, async () => String(list.skipped));
  }
  async function* all(): AsyncGenerator<string> {
    yield* held;
    if (!done) yield* chunks;
  }
  // A few chunks in flight at most: memory stays flat whatever the size of the list.
  const body = Readable.from(all(), { highWaterMark: 2 });
  if (gzip) {
    reply.header('content-encoding', 'gzip');
    const z = createGzip({ level: 1 });
    body.on('error', (err) => z.destroy(err));
    return reply.send(body.pipe(z));
  }
  return reply.send(body);
}
