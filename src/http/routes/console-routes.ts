import { PassThrough } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../../config/config.js';
import type { ConsoleService } from '../../rest/console-service.js';
import { EXPORT_FORMATS, type ExportFilters, type ExportFormat } from '../../rest/ioc-export.js';
import { InvalidParameterError } from '../../errors/app-error.js';
import { principalOf, requireFeature, requireKey } from '../auth-hooks.js';
import { errorResponses, iocListQuerySchema } from '../schemas.js';

const security: Array<Record<string, string[]>> = [{ bearerAuth: [] }, { basicAuth: [] }, { cookieAuth: [] }];
const count = { type: 'integer', minimum: 0 } as const;
const counts = { type: 'object', additionalProperties: count } as const;

const statsSchema = {
  type: 'object',
  properties: {
    computed_at: { type: 'string', format: 'date-time' },
    totals: {
      type: 'object',
      properties: {
        all: { ...count, description: 'every IOC, active and revoked' },
        by_status: { ...counts, description: 'active, revoked' },
        by_type: { ...counts, description: 'active IOCs by type' },
        by_band: { ...counts, description: 'active IOCs by confidence band' },
      },
      required: ['all', 'by_status', 'by_type', 'by_band'],
    },
    added_per_day: {
      type: 'array',
      description: 'new IOCs per UTC day and source over the last 30 days, from the runs (submissions and imports are runs of their sources)',
      items: {
        type: 'object',
        properties: { day: { type: 'string', format: 'date' }, source: { type: 'string' }, new: count },
        required: ['day', 'source', 'new'],
      },
    },
    added_since: { type: 'string', format: 'date-time', description: 'the first day added_per_day covers' },
  },
  required: ['computed_at', 'totals', 'added_per_day', 'added_since'],
  examples: [{
    computed_at: '2026-05-17T12:00:00.000Z',
    totals: {
      all: 1204331, by_status: { active: 1100230, revoked: 104101 }, by_type: { ipv4: 640120, domain: 250400, url: 180010, sha256: 29700 },
      by_band: { low: 210000, medium: 540230, high: 350000 },
    },
    added_per_day: [{ day: '2026-05-16', source: 'feodo-tracker', new: 42 }, { day: '2026-05-17', source: 'urlhaus', new: 1250 }],
    added_since: '2026-04-18T00:00:00.000Z',
  }],
} as const;

const collectionsSchema = {
  type: 'object',
  properties: {
    discovery_url: { type: 'string' },
    data: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          api_root_url: { type: 'string' }, id: { type: 'string' }, alias: { type: ['string', 'null'] }, title: { type: 'string' },
          description: { type: 'string' }, can_read: { type: 'boolean' }, can_write: { type: 'boolean' },
          object_count: { type: ['integer', 'null'], description: 'IOCs that belong to it now, revoked ones too; null for collections of other roots' },
          objects_url: { type: 'string' },
        },
        required: ['api_root_url', 'id', 'alias', 'title', 'description', 'can_read', 'can_write', 'object_count', 'objects_url'],
      },
    },
  },
  required: ['discovery_url', 'data'],
  examples: [{
    discovery_url: 'https://intel.example.org/api/taxii2/',
    data: [{
      api_root_url: 'https://intel.example.org/api/taxii2/api/', id: 'acb682e8-5e82-448e-9e44-0c87bf14ab23', alias: 'all-iocs', title: 'All IOCs',
      description: 'Every indicator and vulnerability, all types, all confidence levels.', can_read: true, can_write: false, object_count: 1204331,
      objects_url: 'https://intel.example.org/api/taxii2/api/collections/acb682e8-5e82-448e-9e44-0c87bf14ab23/objects/',
    }],
  }],
} as const;

const versionsSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', description: 'the IOC\'s STIX id' },
    data: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          modified: { type: 'string', format: 'date-time' }, date_added: { type: 'string', format: 'date-time' }, revoked: { type: 'boolean' },
          object: { type: 'object', additionalProperties: true, description: 'the STIX 2.1 object of this version, as TAXII serves it' },
        },
        required: ['modified', 'date_added', 'revoked', 'object'],
      },
    },
    more: { type: 'boolean', description: 'older versions than these 100 exist (TAXII\'s versions endpoint lists them all)' },
  },
  required: ['id', 'data', 'more'],
  examples: [{
    id: 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f',
    data: [{
      modified: '2026-05-17T12:00:00.000Z', date_added: '2026-05-17T12:00:00.120Z', revoked: false,
      object: { type: 'indicator', spec_version: '2.1', id: 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f', modified: '2026-05-17T12:00:00.000Z', confidence: 85 },
    }],
    more: false,
  }],
} as const;

/**
 * What the web console reads beside the IOC lists (rest/console-service.ts), open to any client: the dashboard's
 * figures, the TAXII collections with their sizes, an IOC's version history, and an export of a selection as a
 * download. docs/architecture.md §4.
 */
export async function consoleApiRoutes(app: FastifyInstance, opts: { console: ConsoleService; config: Config }): Promise<void> {
  const service = opts.console;
  const base = (r: FastifyRequest) => (opts.config.allowedHosts.includes(r.host.toLowerCase()) ? `${r.protocol}://${r.host}` : opts.config.publicUrl);

  app.get('/stats', {
    preValidation: requireKey,
    schema: {
      summary: 'Totals and IOCs added per day, for a dashboard',
      description:
        'IOC totals by status, and active IOCs by type and confidence band, from tallies the database keeps as IOCs change (no count of the ' +
        'table per request); new IOCs per day and source over the last 30 days from the source runs. Every plan.',
      tags: ['iocs'],
      security,
      response: { 200: statsSchema, ...errorResponses },
    },
    handler: async () => service.stats(),
  });

  app.get('/collections', {
    preValidation: requireKey,
    preHandler: requireFeature('taxii', 'TAXII'),
    schema: {
      summary: 'The TAXII collections this key can read, with their URLs and sizes',
      description:
        'For setting up a TAXII client: the discovery URL, and per collection its API root URL, id, alias, title, object count and objects ' +
        'URL. The same collections as GET /api/taxii2/{root}/collections/ lists. Pro plan.',
      tags: ['taxii'],
      security,
      response: { 200: collectionsSchema, ...errorResponses },
    },
    handler: async (request) => service.collections(principalOf(request), base(request)),
  });

  app.get('/iocs/:id/versions', {
    preValidation: requireKey,
    preHandler: requireFeature('stix', 'STIX versions'),
    schema: {
      summary: 'The STIX versions of an IOC, newest first',
      description:
        'By id or value (as GET /api/v1/iocs/{id}): each version\'s modified time, when it was added to the log, whether it revokes, and ' +
        'the STIX object itself; the first is the current object. At most 100. Pro plan (STIX).',
      tags: ['stix'],
      security,
      params: {
        type: 'object',
        properties: { id: { type: 'string', description: 'an IOC id or value', examples: ['indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f'] } },
        required: ['id'],
      },
      response: { 200: versionsSchema, ...errorResponses },
    },
    handler: async (request) => service.versions((request.params as { id: string }).id),
  });

  app.get('/iocs/export', {
    preValidation: requireKey,
    preHandler: requireFeature('rest', 'the REST API'),
    schema: {
      summary: 'The whole selection as a file: CSV or JSON',
      description:
        'Every IOC the list filters select (no paging; `limit` caps it), in the REST order and representation, as a download ' +
        '(Content-Disposition: attachment): `format=csv` (one row per IOC, lists joined by `;`) or `format=json` (an array). ' +
        'STIX is GET /api/v1/iocs/stix with the same filters (Pro). Every plan.',
      tags: ['iocs'],
      security,
      querystring: {
        type: 'object',
        properties: {
          ...Object.fromEntries(Object.entries(iocListQuerySchema.properties).filter(([k]) => k !== 'cursor')),
          format: { type: 'string', enum: ['csv', 'json'], description: 'csv (default) or json', examples: ['csv'] },
        },
      },
      response: {
        200: {
          description: 'the file',
          content: { 'text/csv': { schema: { type: 'string', examples: ['id,type,value,confidence,score,…'] } }, 'application/json': { schema: { type: 'array' } } },
        },
        ...errorResponses,
      },
    },
    handler: async (request, reply) => {
      const query = request.query as Record<string, string | undefined>;
      const format = (query.format ?? 'csv') as ExportFormat;
      if (!(EXPORT_FORMATS as readonly string[]).includes(format) || format === 'stix') {
        throw new InvalidParameterError('format', 'csv or json (STIX: GET /api/v1/iocs/stix)', ['csv', 'json']);
      }
      if (query.cursor !== undefined) throw new InvalidParameterError('cursor', 'an export has no pages: it is the whole selection (limit caps it)');
      const { format: _f, ...filters } = query;
      const exporter = service.exporter(filters as ExportFilters); // validates the filters: a 400 before any byte is sent
      const out = new PassThrough();
      exporter.write(format, out, () => {}).catch((err: Error) => out.destroy(err));
      const day = new Date().toISOString().slice(0, 10);
      return reply
        .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8')
        .header('content-disposition', `attachment; filename="socd-iocs-${day}.${format}"`)
        .header('cache-control', 'no-store')
        .send(out);
    },
  });
}
