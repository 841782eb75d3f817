import type { FastifyError } from 'fastify';
import { AppError } from '../errors/app-error.js';
import type { ErrorSurface } from './error-surface.js';
import { problem, sendProblem } from './problem.js';

/** Fastify's own client-error codes and what they mean to a caller. */
const FASTIFY_CODES: Record<string, { status: number; code: string }> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'payload_too_large' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'invalid_body' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'invalid_body' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'invalid_body' },
  FST_ERR_BAD_URL: { status: 400, code: 'bad_url' },
  FST_ERR_ASYNC_CONSTRAINT: { status: 400, code: 'bad_request' },
};

/**
 * The one place errors become HTTP answers on REST routes (and every route outside TAXII): a JSON problem
 * (RFC 9457). A client's mistake is a 4xx problem that says what was wrong; anything else is logged and answered
 * as a plain 500 without internals.
 */
export const restErrors: ErrorSurface = {
  onError(err: FastifyError, request, reply) {
    if (err instanceof AppError) {
      if (err.status === 401) {
        reply.header('WWW-Authenticate', 'Bearer realm="socd", Basic realm="socd", charset="UTF-8"');
      }
      return sendProblem(reply, problem(err.status, err.code, err.message, err.details));
    }
    if (err.validation) {
      const first = err.validation[0];
      const parameter = first?.instancePath?.replace(/^\//, '') || (first?.params as { missingProperty?: string } | undefined)?.missingProperty;
      return sendProblem(reply, problem(400, 'invalid_parameter', `${err.validationContext ?? 'request'}${parameter ? `.${parameter}` : ''} ${first?.message ?? 'is invalid'}`, parameter ? { parameter } : {}));
    }
    const known = err.code ? FASTIFY_CODES[err.code] : undefined;
    if (known) return sendProblem(reply, problem(known.status, known.code, err.message));
    if (err.statusCode === 429) {
      return sendProblem(reply, problem(429, 'rate_limited', err.message));
    }
    if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      return sendProblem(reply, problem(err.statusCode, 'bad_request', err.message));
    }
    request.log.error({ err }, 'unhandled error');
    return sendProblem(reply, problem(500, 'internal_error', 'internal error; the server log has the details'));
  },

  onNotFound(request, reply) {
    const path = request.url.split('?')[0]!;
    // `/api/v1/iocs/http://evil.example/x`: a value with slashes in the path must be percent-encoded.
    const hint = /^\/api\/v1\/iocs\/[^/]+\//.test(path)
      ? '; to look an IOC up by a value that holds /, percent-encode it (/api/v1/iocs/http%3A%2F%2F…) or use GET /api/v1/iocs?q=VALUE'
      : '';
    return sendProblem(reply, problem(404, 'not_found', `no route ${request.method} ${path.slice(0, 200)}${hint}`));
  },

  onRefused(reply, status, message) {
    return sendProblem(reply, problem(status, status === 414 ? 'uri_too_long' : 'bad_url', message));
  },
};
