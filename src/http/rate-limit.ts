import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/config.js';

/**
 * Per-key limits by plan; per-address limits for requests without a valid key. Headers follow the IETF
 * RateLimit draft (`RateLimit-Limit`, `-Remaining`, `-Reset`) and 429s carry `Retry-After`.
 * The store is in-process; several nodes share counters once REDIS_URL is supported.
 */
export async function installRateLimit(app: FastifyInstance, config: Config): Promise<void> {
  await app.register(rateLimit, {
    global: true,
    enableDraftSpec: true,
    keyGenerator: (request) => (request.auth?.ok ? `key:${request.auth.principal.keyId}` : `addr:${request.ip}`),
    max: async (request) => (request.auth?.ok ? config.plans[request.auth.principal.plan].rateLimit.max : config.anonymousRateLimit.max),
    timeWindow: async (request) => (request.auth?.ok ? config.plans[request.auth.principal.plan].rateLimit.windowMs : config.anonymousRateLimit.windowMs),
    // Thrown by the plugin; the error handler turns it into a 429 problem.
    errorResponseBuilder: (_request, context) =>
      Object.assign(new Error(`rate limit of ${context.max} requests exceeded; retry in ${context.after}`), { statusCode: 429 }),
  });
}
