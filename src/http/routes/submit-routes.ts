import type { FastifyInstance } from 'fastify';
import { SUBMIT_STATUSES } from '../../connectors/pipeline/submission.js';
import type { AuditTrail } from '../../domain/audit.js';
import { IOC_TYPES } from '../../domain/ioc-types.js';
import type { RevokeService } from '../../rest/revoke-service.js';
import { SUBMIT_MAX_BYTES, submitFormatOf, type SubmitService } from '../../rest/submit-service.js';
import { actorOf, principalOf, requireRole } from '../auth-hooks.js';
import { errorResponses } from '../schemas.js';

const statusCount = { type: 'integer', minimum: 0 } as const;

const itemSchema = {
  type: 'object',
  properties: {
    index: { type: 'integer', description: 'the item\'s position in the body, from 0' },
    line: { type: 'integer', description: 'CSV and NDJSON: the line of the body it came from' },
    input: { type: 'string', description: 'the value as sent (cut to 200 characters); empty when the item had none' },
    type: { type: 'string', enum: IOC_TYPES },
    value: { type: 'string', description: 'the normalized value' },
    status: { type: 'string', enum: SUBMIT_STATUSES },
    id: { type: 'string', description: 'created, updated, unchanged: the STIX id of the IOC' },
    reason: { type: 'string', description: 'rejected, excluded, allowlisted: why' },
  },
  required: ['index', 'input', 'status'],
} as const;

const jsonExample = [
  '185.220.101.5',
  { value: 'hxxp://evil[.]example/login', type: 'url', tags: ['phishing'], malware: ['emotet'], sectors: ['financial-services'], confidence: 80, tlp: 'green', reference: 'https://cases.example/4711', valid_until: '2027-01-01T00:00:00Z' },
];
const ndjsonExample = '{"value":"185.220.101.5","confidence":"high"}\n{"value":"evil.example","tags":"c2;botnet","tlp":"amber"}\n';
const csvExample = 'value,type,tags,malware,sectors,confidence,tlp,reference,valid_until\n185.220.101.5,ipv4,c2,,,85,green,https://cases.example/4711,\nevil.example,domain,phishing;kit,,financial-services,high,amber,,2027-01-01T00:00:00Z\n';

const ITEM_FIELDS =
  'Each item: `value` (required; defanged forms work), and optionally `type` (else detected), `tags`, `malware`, `sectors` (our sector ' +
  'names; a list, or one string split on `;`, `|` or `,`), `confidence` (0–100 or low/medium/high), `tlp` (clear, green, amber, ' +
  'amber+strict, red; else the source\'s: amber), `first_seen`, `last_seen`, `reference`, `valid_until` (a date that does not read or ' +
  'has passed rejects the item; else it is your claim, kept on your sighting and replaced by your next submission of the value, none ' +
  'lifting it: while every live sighting claims one, the IOC\'s valid_until is at most the latest claim, and the IOC is revoked when it ' +
  'passes) — the fields and CSV columns of `socd import`.';

/**
 * POST /api/v1/iocs (submitter role) and POST /api/v1/iocs/{id}/revoke (analyst role), with their audit records. The
 * NDJSON and CSV parsers are registered in this plugin only; JSON is Fastify's own parser (with its prototype
 * poisoning guard), under the route's larger body limit.
 */
export async function submitRoutes(app: FastifyInstance, opts: { submit: SubmitService; revoke: RevokeService; audit: AuditTrail }): Promise<void> {
  const security: Array<Record<string, string[]>> = [{ bearerAuth: [] }, { basicAuth: [] }];
  app.addContentTypeParser(['application/x-ndjson', 'application/jsonl', 'application/jsonlines', 'text/csv'], { parseAs: 'string', bodyLimit: SUBMIT_MAX_BYTES }, (_r, body, done) => done(null, body));

  app.post('/iocs', {
    bodyLimit: SUBMIT_MAX_BYTES,
    preParsing: requireRole('submitter', 'submitting IOCs'),
    schema: {
      summary: 'Submit IOCs (per-item outcomes)',
      description:
        'A JSON array of items (`application/json`; bare strings are values; `{"iocs": [...]}` is read too), NDJSON (`application/x-ndjson`, ' +
        'one item a line), or CSV with a header row (`text/csv`). ' + ITEM_FIELDS + ' ' +
        'Values are recorded under the account\'s own source `submit-<account id>` (made at its first submission: reliability 0.6, ' +
        'TLP:AMBER for items without one), with the same normalization, exclusions and allow-list as every other write path, and a run ' +
        'recorded per submission. Each item is judged alone: one bad item never fails the others. The accepted items are written in ONE ' +
        'transaction: they land together or not at all, and once the body is read they are stored even if the client disconnects. ' +
        'The answer lists every item in input order with its status: created, updated, unchanged, rejected (with the reason), excluded ' +
        '(the exclusion rules), allowlisted (the allow-list). At most 5 MiB (413) and the plan\'s batch of items (`plans.<plan>.submitBatch`: ' +
        'free 100, pro and admin 10,000 by default; more is a 413 naming the limit). A body that is not its format as a whole (JSON that does ' +
        'not parse, CSV without a value column) is a 400; another Content-Type is a 415. Submitter role.',
      tags: ['iocs'],
      security,
      body: {
        content: {
          'application/json': { schema: { type: ['array', 'object'], description: 'an array of items, or {"iocs": [...]}', examples: [jsonExample] } },
          'application/x-ndjson': { schema: { type: 'string', examples: [ndjsonExample] } },
          'text/csv': { schema: { type: 'string', examples: [csvExample] } },
        },
      },
      response: {
        200: {
          type: 'object',
          properties: {
            source: { type: 'string', description: 'the source the values were recorded under' },
            summary: {
              type: 'object',
              properties: Object.fromEntries(SUBMIT_STATUSES.map((s) => [s, statusCount])),
              required: [...SUBMIT_STATUSES],
            },
            items: { type: 'array', items: itemSchema },
          },
          required: ['source', 'summary', 'items'],
        },
        413: { $ref: 'Problem#' },
        415: { $ref: 'Problem#' },
        ...errorResponses,
      },
    },
    handler: async (request) => {
      const format = submitFormatOf(request.headers['content-type']);
      const p = principalOf(request);
      const answer = await opts.submit.submit(request.body, format, { accountId: p.accountId, email: p.email, plan: p.plan, roles: p.roles });
      // The counts, never the body: a submission may hold thousands of values.
      await opts.audit.record(actorOf(request), { action: 'ioc.submit', target: answer.source, details: { source: answer.source, format, summary: answer.summary } });
      return answer;
    },
  });

  app.post('/iocs/:id/revoke', {
    preParsing: requireRole('analyst', 'revoking IOCs'),
    schema: {
      summary: 'Revoke an IOC',
      description:
        'Withdraws an IOC (a false positive, a cleaned host), found by STIX id or by value as in `GET /api/v1/iocs/{id}`: it gets a final ' +
        'STIX version with `revoked: true` and status revoked, so polling SIEMs drop it. `reason` (1–500 characters) is kept in the audit ' +
        'record (`ioc.revoke`). An IOC revoked already is a 409; an unknown one a 404. A revoked IOC comes back, as a new STIX object, at its ' +
        'next sighting by a source: to keep a value out for good, add it to the allow-list (POST /api/v1/allowlist). Analyst role.',
      tags: ['iocs'],
      security,
      params: {
        type: 'object',
        properties: { id: { type: 'string', description: 'an IOC id (indicator--<uuid4>, vulnerability--<uuid4>) or an IOC value' } },
        required: ['id'],
      },
      body: {
        type: 'object',
        properties: { reason: { type: 'string', description: 'why it is withdrawn (1–500 characters)' } },
        required: ['reason'],
        examples: [{ reason: 'false positive: our CDN edge, ticket SOC-4711' }],
      },
      response: { 200: { $ref: 'IocDetail#' }, 409: { $ref: 'Problem#' }, ...errorResponses },
    },
    handler: async (request, reply) => {
      const done = await opts.revoke.revoke((request.params as { id: string }).id, request.body);
      await opts.audit.record(actorOf(request), {
        action: 'ioc.revoke',
        target: done.canonicalId,
        details: { id: done.canonicalId, type: done.view.type, value: done.view.value, reason: done.reason },
      });
      void reply.header('content-location', `/api/v1/iocs/${done.canonicalId}`);
      return done.view;
    },
  });
}
