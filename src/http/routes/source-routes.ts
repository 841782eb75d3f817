import type { FastifyInstance } from 'fastify';
import type { AuditTrail } from '../../domain/audit.js';
import { RUN_OUTCOMES } from '../../store/types.js';
import type { SourceService } from '../../rest/source-service.js';
import { actorOf, requireFeature, requireRole } from '../auth-hooks.js';
import { errorResponses, pagedList, pagedQuery } from '../schemas.js';

const runProperties = {
  started_at: { type: 'string', format: 'date-time', description: 'when it started (queued: when it was asked for)' },
  finished_at: { type: ['string', 'null'], format: 'date-time' },
  outcome: { type: 'string', enum: RUN_OUTCOMES },
  records: { type: 'integer' },
  new: { type: 'integer' },
  updated: { type: 'integer' },
  unchanged: { type: 'integer' },
  delisted: { type: 'integer' },
  rejected: { type: 'integer', description: 'records that could not be read' },
  excluded: { type: 'integer', description: 'values the exclusion rules refused (private ranges, resolvers, top domains, configured exclusions)' },
  allowlisted: { type: 'integer', description: 'values the allow-list held back (excluded by allow-list)' },
  bytes: { type: 'integer' },
  duration_ms: { type: ['integer', 'null'] },
  error: { type: ['string', 'null'] },
} as const;

const runSchema = { type: ['object', 'null'], properties: runProperties } as const;

const runDetailSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    source: { type: 'string' },
    status: { type: 'string', enum: RUN_OUTCOMES, description: 'queued → running → ok, not-modified, failed or skipped' },
    ...runProperties,
  },
  required: ['id', 'source', 'status', 'outcome', 'started_at'],
} as const;

const sourceSchema = {
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
    api_key_set: { type: 'boolean', description: 'the source has a key (its value is never shown)' },
    api_key_from: { type: ['string', 'null'], enum: ['env', 'api', 'config', null], description: 'where the key comes from: env > api > config' },
    set_by_api: { type: 'array', items: { type: 'string', enum: ['enabled', 'schedule', 'api_key'] }, description: 'fields an administrator set over the API or the CLI' },
    health: {
      type: 'object',
      properties: {
        last_success_at: { type: ['string', 'null'], format: 'date-time' },
        last_success_age_seconds: { type: ['integer', 'null'] },
        consecutive_failures: { type: 'integer', description: 'failed runs since the last success (counted up to 1000)' },
        stale: { type: 'boolean', description: 'runs, and no success within twice its schedule (or none yet)' },
      },
      required: ['last_success_at', 'last_success_age_seconds', 'consecutive_failures', 'stale'],
    },
    last_run: runSchema,
  },
} as const;

const idParams = { type: 'object', properties: { id: { type: 'string', description: 'the source id (GET /api/v1/sources)', examples: ['feodotracker'] } }, required: ['id'] } as const;
const runParams = {
  type: 'object',
  properties: { id: idParams.properties.id, runId: { type: 'string', description: 'the run id (Location of POST …/runs)' } },
  required: ['id', 'runId'],
} as const;

const runExample = { id: 42, source: 'feodo', status: 'queued', started_at: '2026-12-02T22:00:00.000Z', finished_at: null, outcome: 'queued' };
/** The same run ended: its counts (rejected: unreadable records; excluded: the exclusion rules; allowlisted: the allow-list). */
const doneRunExample = {
  ...runExample, status: 'ok', outcome: 'ok', finished_at: '2026-12-02T22:00:03.250Z', records: 1204, new: 12, updated: 31, unchanged: 1149,
  delisted: 4, rejected: 1, excluded: 9, allowlisted: 2, bytes: 88_210, duration_ms: 3250, error: null,
};

/**
 * The sources: GET list and one source with health (every plan), PATCH settings and POST run now (admin role), the
 * runs of a source (every plan, like the last run the list shows). Changes are audited: `source.update` (the
 * key as set/cleared only), `source.run`.
 */
export async function sourceRoutes(app: FastifyInstance, opts: { sources: SourceService; audit: AuditTrail }): Promise<void> {
  const security: Array<Record<string, string[]>> = [{ bearerAuth: [] }, { basicAuth: [] }];
  const tags = ['sources'];
  // Every plan reads the REST API, so any valid key may read the sources and their runs.
  const reader = requireFeature('rest', 'the REST API');
  const admin = requireRole('admin', 'changing sources');

  app.get('/sources', {
    preValidation: reader,
    schema: {
      summary: 'Sources, their health and last run',
      description:
        'Every catalog and custom source: enabled or why not, licence, schedule, whether it has a key and where it comes from ' +
        '(never the key), health (last success and its age, failures since, stale) and its last run. Any plan.',
      tags,
      security,
      response: { 200: { type: 'object', properties: { data: { type: 'array', items: sourceSchema } }, examples: [{ data: [{ id: 'feodotracker', name: 'abuse.ch Feodo Tracker', enabled: true, schedule: '1h' }] }] }, ...errorResponses },
    },
    handler: async () => opts.sources.list(),
  });

  app.get('/sources/:id', {
    preValidation: reader,
    schema: {
      summary: 'One source with its health',
      description: 'As an item of GET /api/v1/sources. 404 for an unknown id. Any plan.',
      tags,
      security,
      params: idParams,
      response: { 200: sourceSchema, ...errorResponses },
    },
    handler: async (request) => opts.sources.get((request.params as { id: string }).id),
  });

  app.patch('/sources/:id', {
    preParsing: admin,
    // The schema documents the body; the service checks it, strictly: Fastify's validator coerces types, and would
    // take "" for null (clearing a setting) or 1 for true.
    validatorCompiler: () => () => true,
    schema: {
      summary: 'Enable, disable, schedule or key a source (admin)',
      description:
        'Settings kept in the database over the configuration file, applied by the scheduler at its next pass on any node (no ' +
        'restart). `enabled`: true or false; `schedule`: a duration of at least 1m (15m, 6h, 1d); `api_key`: 1–1024 printable ' +
        'characters. null on a field clears the setting (back to the configuration file). A key in the environment (SOCD_<ID>_KEY) ' +
        'wins over the API\'s. The key is never returned: `api_key_set` and `api_key_from` say it is there. Audited (source.update). ' +
        'Admin role.',
      tags,
      security,
      params: idParams,
      body: {
        type: 'object',
        properties: {
          enabled: { type: ['boolean', 'null'] },
          schedule: { type: ['string', 'null'], description: 'e.g. 15m, 6h, 1d (at least 1m)' },
          api_key: { type: ['string', 'null'], description: 'the provider key (never shown back); null clears it' },
        },
        examples: [{ enabled: true, schedule: '6h' }, { api_key: 'your-provider-key' }, { enabled: false }, { schedule: null }],
      },
      response: { 200: sourceSchema, 503: { $ref: 'Problem#' }, ...errorResponses },
    },
    handler: async (request) => {
      const { id } = request.params as { id: string };
      const actor = actorOf(request);
      const { source, changes } = await opts.sources.update(id, request.body, actor.email ?? actor.keyPrefix);
      await opts.audit.record(actor, { action: 'source.update', target: id, details: changes });
      return source;
    },
  });

  app.post('/sources/:id/runs', {
    preParsing: admin,
    schema: {
      summary: 'Run a source now (admin)',
      description:
        'Queues a run; the node running ingestion starts it within seconds (202, Location: the run). Follow it with GET ' +
        '…/runs/{runId}: queued → running → ok (with its counts), not-modified, failed or skipped. One run of a source at a time: ' +
        'while one is queued or running, 409 run_in_progress with its `run_id`. A source that does not run (disabled, a key ' +
        'missing, too soon for its provider): 409 source_not_runnable with the `reason`. When no node runs the scheduler ' +
        '(`socd serve --no-scheduler` everywhere), the run waits queued until one does. Audited (source.run). Admin role.',
      tags,
      security,
      params: idParams,
      response: {
        202: { type: 'object', properties: { run: runDetailSchema }, required: ['run'], examples: [{ run: runExample }] },
        409: { $ref: 'Problem#' },
        503: { $ref: 'Problem#' },
        ...errorResponses,
      },
    },
    handler: async (request, reply) => {
      const { id } = request.params as { id: string };
      const run = await opts.sources.requestRun(id);
      await opts.audit.record(actorOf(request), { action: 'source.run', target: id, details: { run_id: run.id } });
      return reply.code(202).header('location', `/api/v1/sources/${encodeURIComponent(id)}/runs/${run.id}`).send({ run });
    },
  });

  app.get('/sources/:id/runs', {
    preValidation: reader,
    schema: {
      summary: 'The runs of a source',
      description: 'Newest first, with their counts and errors. Follow pagination.next_cursor while has_more. Any plan.',
      tags,
      security,
      params: idParams,
      querystring: pagedQuery({ description: 'runs per page (default 100, at most 1000)', example: '20' }),
      response: {
        200: pagedList(runDetailSchema),
        ...errorResponses,
      },
    },
    handler: async (request) => opts.sources.listRuns((request.params as { id: string }).id, request.query as Record<string, unknown>),
  });

  app.get('/sources/:id/runs/:runId', {
    preValidation: reader,
    schema: {
      summary: 'One run of a source',
      description: 'Its status (queued, running, then how it ended) and counts. 404 for a run of another source or none. Any plan.',
      tags,
      security,
      params: runParams,
      response: { 200: { type: 'object', properties: { run: runDetailSchema }, required: ['run'], examples: [{ run: doneRunExample }] }, ...errorResponses },
    },
    handler: async (request) => {
      const { id, runId } = request.params as { id: string; runId: string };
      return { run: await opts.sources.getRun(id, runId) };
    },
  });
}
