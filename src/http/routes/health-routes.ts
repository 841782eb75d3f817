import type { FastifyInstance } from 'fastify';
import type { Store } from '../../store/store.js';
import { problem, sendProblem } from '../problem.js';

/** Liveness and readiness for load balancers and orchestrators; no authentication, no rate limit. */
export async function healthRoutes(app: FastifyInstance, opts: { store: Store }): Promise<void> {
  app.get('/healthz', { config: { rateLimit: false }, schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { config: { rateLimit: false }, schema: { hide: true } }, async (request, reply) => {
    try {
      await opts.store.ping();
      return { status: 'ready', database: opts.store.kind };
    } catch (err) {
      request.log.warn({ err }, 'readiness check failed');
      return sendProblem(reply, problem(503, 'database_unavailable', 'the database does not answer'));
    }
  });
}
