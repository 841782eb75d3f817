import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config } from '../config/config.js';

/** Counters shared by the API nodes of one deployment (REDIS_URL). */
export interface SharedCounters {
  redis: Redis;
  /** Key prefix: deployments (or test runs) sharing one Redis keep apart. */
  namespace: string;
}

/**
 * Per-key limits by plan; per-address limits for requests without a valid key. Headers follow the IETF
 * RateLimit draft (`RateLimit-Limit`, `-Remaining`, `-Reset`) and 429s carry `Retry-After`.
 * Counters live in the process, or in Redis when the deployment runs several API nodes (REDIS_URL): a key then
 * gets its plan's limit across all of them. If Redis fails, requests are served rather than refused (and logged).
 */
export async function installRateLimit(app: FastifyInstance, config: Config, shared?: SharedCounters): Promise<void> {
  await app.register(rateLimit, {
    global: true,
    ...(shared ? { redis: shared.redis, nameSpace: shared.namespace, skipOnError: true } : {}),
    enableDraftSpec: true,
    keyGenerator: (request) => (request.auth?.ok ? `key:${request.auth.principal.keyId}` : `addr:${request.ip}`),
    max: async (request) => (request.auth?.ok ? config.plans[request.auth.principal.plan].rateLimit.max : config.anonymousRateLimit.max),
    timeWindow: async (request) => (request.auth?.ok ? config.plans[request.auth.principal.plan].rateLimit.windowMs : config.anonymousRateLimit.windowMs),
    // Thrown by the plugin; the error handler turns it into a 429 problem.
    errorResponseBuilder: (_request, context) =>
      Object.assign(new Error(`rate limit of ${context.max} requests exceeded; retry in ${context.after}`), { statusCode: 429 }),
  });
}
