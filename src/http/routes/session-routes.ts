import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type ConsoleSessions, SESSION_COOKIE } from '../../auth/console-sessions.js';
import type { FailedSignIns } from '../../auth/failed-sign-ins.js';
import { isoMs } from '../../domain/iso-time.js';
import { InvalidParameterError, UnauthorizedError } from '../../errors/app-error.js';
import type { AccountService } from '../../rest/account-service.js';
import { principalOf } from '../auth-hooks.js';
import { errorResponses } from '../schemas.js';
import { meSchema } from './account-schemas.js';

const COOKIE_PATH = '/api/v1';

const sessionSchema = {
  type: 'object',
  properties: {
    me: meSchema,
    csrf_token: { type: 'string', description: 'send it as X-CSRF-Token with every change (POST, PATCH, PUT, DELETE) made with the session' },
    expires_at: { type: 'string', format: 'date-time', description: 'when the session ends (SOCD_SESSION_HOURS after sign-in)' },
  },
  required: ['me', 'csrf_token', 'expires_at'],
  examples: [{
    me: {
      account: { id: 7, email: 'analyst@example.org', plan: 'pro', roles: ['analyst'], effective_roles: ['submitter', 'analyst'], created_at: '2026-05-17T12:00:00.000Z', disabled: false, active_keys: 1 },
      features: { rest: true, stix: true, taxii: true },
      limits: { lookup_batch: 10000, rate_limit: { max: 600, window_seconds: 60 } },
      key: { prefix: 'sk_live_AbCd1234', name: 'console', created_at: '2026-05-17T12:00:00.000Z', last_used_at: null, revoked_at: null },
    },
    csrf_token: 'q3C8mS0f6kzG2n1xY5V7uHwT9rJbLdAe4pQiZoNcUgE',
    expires_at: '2026-05-18T00:00:00.000Z',
  }],
} as const;

const signInBody = {
  type: 'object',
  properties: {
    email: { type: 'string', maxLength: 320, description: 'the account email' },
    key: { type: 'string', maxLength: 200, description: 'one of the account\'s API keys (sk_live_…)' },
  },
  required: ['email', 'key'],
  additionalProperties: false,
  examples: [{ email: 'analyst@example.org', key: 'sk_live_…' }],
} as const;

/**
 * The web console's sign-in (issue 16; auth/console-sessions.ts): POST exchanges an email and key for an HttpOnly,
 * SameSite=Strict cookie scoped to /api/v1 (Secure when the public URL is https) and answers the CSRF token; GET
 * tells a page whether it is signed in (and the token again, the page keeps it in memory only); DELETE signs out.
 * The key is never echoed, logged or put in the cookie.
 */
export async function sessionRoutes(
  app: FastifyInstance,
  opts: { sessions: ConsoleSessions; accounts: AccountService; failures?: FailedSignIns; secureCookie: boolean },
): Promise<void> {
  const { sessions, accounts } = opts;
  const cookie = (reply: FastifyReply, value: string, maxAgeSeconds: number) =>
    reply.setCookie(SESSION_COOKIE, value, { httpOnly: true, sameSite: 'strict', secure: opts.secureCookie, path: COOKIE_PATH, maxAge: maxAgeSeconds });
  const answer = async (request: FastifyRequest, token: string, expiresAt: number) => ({
    me: await accounts.me(principalOf(request)),
    csrf_token: sessions.csrfOf(token),
    expires_at: isoMs(expiresAt),
  });

  app.post('/session', {
    config: { signIn: true },
    schema: {
      summary: 'Sign in to the console',
      description:
        'Exchanges the account email and one of its API keys (the TAXII Basic credentials) for a session cookie ' +
        '(`socd_session`: HttpOnly, SameSite=Strict, Path=/api/v1). The session ends after SOCD_SESSION_HOURS, at ' +
        'sign-out, or at once when the key is revoked or the account disabled. Changes made with it need the answered ' +
        'csrf_token in X-CSRF-Token. A refused sign-in counts towards the address\'s failed sign-in burst.',
      tags: ['session'],
      security: [],
      body: signInBody,
      response: { 200: sessionSchema, ...errorResponses },
    },
    handler: async (request, reply) => {
      const body = request.body as { email: string; key: string };
      if (body.email.trim() === '') throw new InvalidParameterError('email', 'the account email');
      const opened = await sessions.open(body.email.trim(), body.key.trim());
      if (!opened.ok) {
        await opts.failures?.failed(request.ip, opened.reason);
        throw new UnauthorizedError(`sign-in refused: ${opened.reason}`);
      }
      request.auth = opened.auth;
      cookie(reply, opened.session.token, Math.floor(sessions.ttlMs / 1000));
      reply.header('cache-control', 'no-store');
      return answer(request, opened.session.token, opened.session.expiresAt);
    },
  });

  app.get('/session', {
    schema: {
      summary: 'The console session in use',
      description:
        'Whether the session cookie is signed in: the account (as GET /api/v1/me), the CSRF token and when the session ends. 204 when it is ' +
        'not (no cookie, signed out, expired, key revoked): a signed-out page asks without an error.',
      tags: ['session'],
      security: [{ cookieAuth: [] }],
      response: { 200: sessionSchema, 204: { type: 'null', description: 'not signed in' }, ...errorResponses },
    },
    handler: async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const token = request.cookies[SESSION_COOKIE];
      const resolved = token ? await sessions.resolve(token) : undefined;
      if (!token || !resolved?.ok) {
        if (token) cookie(reply, '', 0);
        return reply.code(204).send();
      }
      return answer(request, token, resolved.expiresAt!);
    },
  });

  app.delete('/session', {
    schema: {
      summary: 'Sign out of the console',
      description: 'Ends the session at once (on every node) and clears the cookie. Needs X-CSRF-Token. 204 also when the session had already ended.',
      tags: ['session'],
      security: [{ cookieAuth: [] }],
      headers: {
        type: 'object',
        properties: { 'x-csrf-token': { type: 'string', description: 'the csrf_token of the session', examples: ['q3C8mS0f6kzG2n1xY5V7uHwT9rJbLdAe4pQiZoNcUgE'] } },
      },
      response: { 204: { type: 'null', description: 'signed out' }, ...errorResponses },
    },
    handler: async (request, reply) => {
      const token = request.cookies[SESSION_COOKIE];
      if (token) await sessions.close(token);
      cookie(reply, '', 0);
      return reply.code(204).send();
    },
  });
}
