import type { FastifyInstance } from 'fastify';
import type { StoreLifecycle } from '../../store/store.js';
import { problem, sendProblem } from '../problem.js';

/** Liveness and readiness for load balancers and orchestrators; no authentication, no rate limit. */
export async function healthRoutes(app: FastifyInstance, opts: { store: StoreLifecycle }): Promise<void> {
  app.get('/healthz', {
    config: { rateLimit: false },
    schema: {
      summary: 'Liveness: the process is up',
      description: 'Answers while the process runs, whatever the database does. No key, no rate limit.',
      tags: ['health'],
      security: [],
      response: { 200: { type: 'object', properties: { status: { type: 'string', enum: ['ok'] } }, required: ['status'], examples: [{ status: 'ok' }] } },
    },
  }, async () => ({ status: 'ok' }));
  app.get('/readyz', {
    config: { rateLimit: false },
    schema: {
      summary: 'Readiness: the database answers',
      description: '200 when the database answers, 503 (a problem, code database_unavailable) when it does not. No key, no rate limit.',
      tags: ['health'],
      security: [],
      response: {
        200: {
          type: 'object',
          properties: { status: { type: 'string', enum: ['ready'] }, database: { type: 'string', enum: ['sqlite', 'postgres'] } },
          required: ['status', 'database'],
          examples: [{ status: 'ready', database: 'sqlite' }],
        },
        503: { $ref: 'Problem#' },
      },
    },
  }, async (request, reply) => {
    try {
      await opts.store.ping();
      return { status: 'ready', database: opts.store.kind };
    } catch (err) {
      request.log.warn({ err }, 'readiness check failed');
      return sendProblem(reply, problem(503, 'database_unavailable', 'the database does not answer'));
    }
  });
}
