import type { SharedFailureCounter } from '../auth/failed-sign-ins.js';
import { createRequire } from 'node:module';
import type { Principal } from '../auth/authenticator.js';
import { limitTier } from '../domain/plans.js';
import rateLimit, { type FastifyRateLimitStore, type FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config } from '../config/config.js';

/** Counters shared by the API nodes of one deployment (REDIS_URL). */
export interface SharedCounters {
  redis: Redis;
  /** Key prefix: deployments (or test runs) sharing one Redis keep apart. */
  namespace: string;
}

/**
 * The one store of rate-limit counters of an app: every scope that limits (REST under /api/v1, TAXII under
 * /api/taxii2 and /taxii2) counts in it, under the same key for the same client, so a key has ONE budget whatever
 * the route. It is the plugin's own in-process LRU, or its Redis store when the deployment shares counters.
 */
export type RateLimitCounters = FastifyRateLimitStore;

// The plugin's stores are not exported by name; they are its own files (CommonJS).
const require = createRequire(import.meta.url);
type LocalStoreCtor = new (continueExceeding: boolean, exponentialBackoff: boolean, cache?: number) => FastifyRateLimitStore;
type RedisStoreCtor = new (continueExceeding: boolean, exponentialBackoff: boolean, redis: Redis, key?: string) => FastifyRateLimitStore;
const LocalStore = require('@fastify/rate-limit/store/LocalStore') as LocalStoreCtor;
const RedisStore = require('@fastify/rate-limit/store/RedisStore') as RedisStoreCtor;

/** Clients (keys and addresses) remembered by the in-process store. */
const LOCAL_CACHE = 10_000;

export function rateLimitCounters(shared?: SharedCounters): RateLimitCounters {
  return shared ? new RedisStore(false, false, shared.redis, shared.namespace) : new LocalStore(false, false, LOCAL_CACHE);
}

/**
 * Failed sign-ins counted across nodes (auth/failed-sign-ins.ts) on the rate limiter's Redis: one key per address and
 * window, expiring after it. A Redis error rejects: the caller counts in the process instead.
 */
export function redisFailureCounter(shared: SharedCounters): SharedFailureCounter {
  return {
    async hit(address, window, windowMs) {
      const key = `${shared.namespace}signin:${address}:${window}`;
      const replies = await shared.redis.multi().incr(key).pexpire(key, windowMs * 2).exec();
      const [err, n] = replies?.[0] ?? [new Error('no reply from Redis'), undefined];
      if (err) throw err;
      return Number(n);
    },
  };
}

/** Counters are keyed by client only (no route, no prefix): one budget per key, one per anonymous address. */
export const rateLimitKey = (request: FastifyRequest): string =>
  request.auth?.ok ? `key:${request.auth.principal.keyId}` : `addr:${request.ip}`;

/**
 * Per-key limits by plan; per-address limits for requests without a valid key. Headers follow the IETF
 * RateLimit draft (`RateLimit-Limit`, `-Remaining`, `-Reset`) and 429s carry `Retry-After`.
 * Every scope passes the app's one `counters`: in the process, or in Redis when the deployment runs several API
 * nodes (REDIS_URL), so a key gets its plan's limit across all routes and all nodes. If Redis fails, requests are
 * served rather than refused (and logged). The 429 is thrown: each scope's error handler answers it in its format.
 */
export async function installRateLimit(app: FastifyInstance, config: Config, counters: RateLimitCounters): Promise<void> {
  // The plugin builds its store with `new`; a constructor that returns an object yields that object.
  const store = function SharedStore() {
    return counters;
  } as unknown as FastifyRateLimitStoreCtor;
  await app.register(rateLimit, {
    global: true,
    store,
    skipOnError: true,
    enableDraftSpec: true,
    keyGenerator: rateLimitKey,
    // Per plan, or `plans.admin` for an account with the admin role (domain/plans.ts limitTier).
    max: async (request) => (request.auth?.ok ? config.plans[tierOf(request.auth.principal)].rateLimit.max : config.anonymousRateLimit.max),
    timeWindow: async (request) => (request.auth?.ok ? config.plans[tierOf(request.auth.principal)].rateLimit.windowMs : config.anonymousRateLimit.windowMs),
    // Thrown by the plugin; the scope's error handler turns it into a 429 (REST problem, TAXII error resource).
    errorResponseBuilder: (_request, context) =>
      Object.assign(new Error(`rate limit of ${context.max} requests exceeded; retry in ${context.after}`), { statusCode: 429 }),
  });
}

const tierOf = (p: Principal) => limitTier(p.plan, p.roles);
