import { type FastifyReply, type FastifyRequest, type FastifyServerOptions, LogController } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import type { LoggerOptions } from 'pino';
import type { Config } from '../config/config.js';
import './auth-hooks.js';

/**
 * Anything shaped like one of our API keys (`sk_live_` and its base62 characters, auth/api-keys.ts), also with the
 * underscores percent-encoded as a client may send them in a URL. A key is cut to the public prefix `socd keys list`
 * shows (`sk_live_` and 8 characters), followed by `…`: enough to tell which key it was, nothing to use it with.
 */
const KEY_IN_TEXT = /sk(?:_|%5f)live(?:_|%5f)([0-9A-Za-z]{0,8})[0-9A-Za-z]*/gi;

/** `text` with every API key cut to its prefix. Applied to every serialized log line, whatever wrote it. */
export function redactSecrets(text: string): string {
  return text.replace(KEY_IN_TEXT, 'sk_live_$1…');
}

/** Headers whose whole value is a credential: never logged, even with LOG_HEADERS. */
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'x-auth-token']);

export function loggedHeaders(headers: IncomingHttpHeaders): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers)) out[name] = SECRET_HEADERS.has(name.toLowerCase()) ? '[redacted]' : value;
  return out;
}

/** A URL longer than this is cut in the request line (the line stays small; a cut key is still redacted). */
const MAX_LOGGED_URL = 2048;

type LoggerOption = FastifyServerOptions['logger'];

/**
 * Fastify's logger options: the configured level, compact serializers, and the redaction of API keys in every
 * serialized line (pino's `streamWrite` hook: request URLs, headers, error messages, bodies, child loggers such as
 * the ingest scheduler's). `given` (tests: a captured stream, a level) is merged in; `false` turns logging off.
 */
export function loggerOptions(config: Config, given: LoggerOption | undefined): LoggerOption {
  if (given === false) return false;
  const extra = (typeof given === 'object' && given !== null ? given : {}) as LoggerOptions;
  const theirs = extra.hooks?.streamWrite;
  return {
    level: config.logLevel,
    ...extra,
    serializers: {
      // Nothing Fastify logs about a request carries its headers: the request line below says what is needed.
      req: (req: FastifyRequest) => ({ method: req.method, url: req.url }),
      ...(extra.serializers ?? {}),
    },
    hooks: { ...(extra.hooks ?? {}), streamWrite: (line: string) => redactSecrets(theirs ? theirs(line) : line) },
  } as LoggerOption;
}

/**
 * One log line a request, written when its answer is done (Fastify's own "incoming request" / "request completed"
 * pair is replaced): method, URL, status, response time in ms, the client address, the request id (reqId), and the
 * account and key prefix when a key was accepted. Headers only with LOG_HEADERS, credentials among them redacted.
 * It covers every answer, those to URLs Fastify cannot route (frameworkErrors) and 404s included.
 */
export class RequestLog extends LogController {
  constructor(private readonly config: Pick<Config, 'logHeaders'>) {
    super();
  }

  override incomingRequest(): void {}

  override routeNotFound(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const auth = request.auth;
    const url = request.url.length > MAX_LOGGED_URL ? `${request.url.slice(0, MAX_LOGGED_URL)}…` : request.url;
    const line = {
      method: request.method,
      url,
      status: reply.statusCode,
      responseTime: Math.round(reply.elapsedTime * 10) / 10,
      remoteAddress: request.ip,
      ...(auth?.ok ? { account: auth.principal.accountId, key: auth.principal.keyPrefix } : {}),
      ...(this.config.logHeaders ? { headers: loggedHeaders(request.headers) } : {}),
    };
    // The answer failed on the wire (a client gone mid-export): still one line, with why.
    if (error) request.log.warn({ ...line, err: error.message }, 'request');
    else request.log.info(line, 'request');
  }
}
