import type { FastifyInstance, FastifyRequest } from 'fastify';
import type {} from '@fastify/cookie';
import type { AuthResult, Authenticator, Principal } from '../auth/authenticator.js';
import { type ConsoleSessions, CSRF_HEADER, SESSION_COOKIE } from '../auth/console-sessions.js';
import type { FailedSignIns } from '../auth/failed-sign-ins.js';
import { type Feature, planAllows } from '../auth/plans.js';
import type { Actor } from '../domain/audit.js';
import { hasRole, type Role } from '../domain/roles.js';
import { CsrfError, PlanRequiredError, RoleRequiredError, UnauthorizedError } from '../errors/app-error.js';

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthResult | undefined;
  }
}

/** Methods that change nothing: a cookie-authenticated request of another method must carry the CSRF token. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Authentication runs first on every route of the scope and only records its result, so that the rate limiter
 * (a route-level onRequest hook, which runs after this one) can count per key or per address; `requireAuth`
 * then refuses what is not authenticated. Credentials come from the Authorization header (API clients) or, when
 * there is none, from the console's session cookie (auth/console-sessions.ts); a change sent with the cookie
 * without its CSRF token is refused here (403 csrf_token_invalid), before anything else looks at it. The sign-in
 * route itself (config `signIn`) opens sessions and is exempt.
 */
export function installAuthentication(app: FastifyInstance, authenticator: Authenticator, failures?: FailedSignIns, sessions?: ConsoleSessions): void {
  app.decorateRequest('auth', undefined);
  app.addHook('onRequest', async (request) => {
    const authorization = request.headers.authorization;
    const token = sessions && (authorization === undefined || authorization.trim() === '') ? request.cookies?.[SESSION_COOKIE] : undefined;
    if (sessions && token) {
      const resolved = await sessions.resolve(token);
      request.auth = resolved.ok ? { ok: true, principal: resolved.principal } : resolved;
      const signIn = (request.routeOptions.config as { signIn?: boolean } | undefined)?.signIn === true;
      if (resolved.ok && !signIn && !SAFE_METHODS.has(request.method)) {
        const given = request.headers[CSRF_HEADER];
        if (!sessions.csrfMatches(token, typeof given === 'string' ? given : undefined)) throw new CsrfError();
      }
      return;
    }
    request.auth = await authenticator.authenticate(authorization);
    // Credentials sent and refused count towards a failed sign-in burst of the address (auth/failed-sign-ins.ts);
    // no credentials at all is an anonymous request (the public routes, or a 401 that asks for a key), not a failure.
    if (failures && !request.auth.ok && authorization !== undefined && authorization.trim() !== '') {
      await failures.failed(request.ip, request.auth.reason);
    }
  });
}

export function principalOf(request: FastifyRequest): Principal {
  const auth = request.auth;
  if (!auth?.ok) throw new UnauthorizedError(`authentication required: ${auth?.reason ?? 'missing Authorization header'}; send "Authorization: Bearer sk_live_…" or HTTP Basic with your account email and key (the console: sign in again)`);
  return auth.principal;
}

/** The guard of routes open to any key, whatever its plan and roles: authentication only (a 401 otherwise). */
export async function requireKey(request: FastifyRequest): Promise<void> {
  principalOf(request);
}

/**
 * The guard of routes that change things: demands an account holding `role` (or a higher one, domain/roles.ts) and
 * refuses with a 403 naming the missing role. Routes run it as their onRequest hook, after authentication and the
 * rate limiter (scope hooks) and before the body is even read: a caller without the right learns that first, and
 * spends no parsing on a body it may not send.
 */
export function requireRole(role: Role, label: string) {
  return async (request: FastifyRequest) => {
    const principal = principalOf(request);
    if (!hasRole(principal.roles, role)) throw new RoleRequiredError(label, role);
  };
}

/** Who is acting, for the audit trail: the key's account and the client's address. */
export function actorOf(request: FastifyRequest): Actor {
  const p = principalOf(request);
  return { accountId: p.accountId, email: p.email, keyPrefix: p.keyPrefix, via: 'api', origin: request.ip };
}

/** A preHandler that demands a key whose plan includes `feature`. */
export function requireFeature(feature: Feature, label: string) {
  return async (request: FastifyRequest) => {
    const principal = principalOf(request);
    if (!planAllows(principal.plan, feature)) throw new PlanRequiredError(label, 'pro');
  };
}
