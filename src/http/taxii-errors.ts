import type { FastifyError, FastifyReply } from 'fastify';
import { AppError } from '../errors/app-error.js';
import { TAXII_MEDIA_TYPE } from '../stix/constants.js';
import { WWW_AUTHENTICATE } from '../taxii/constants.js';
import { notFound, TaxiiError, unauthorized } from '../taxii/errors.js';
import type { TaxiiAnswer } from '../taxii/service.js';
import type { ErrorSurface } from './error-surface.js';

/** Every TAXII answer, success or error: this exact media type, no charset (docs/taxii-conformance.md §1). */
export function sendTaxii(reply: FastifyReply, a: TaxiiAnswer): FastifyReply {
  for (const [k, v] of Object.entries(a.headers)) reply.header(k, v);
  return reply.code(a.status).header('content-type', TAXII_MEDIA_TYPE).send(typeof a.body === 'string' ? Buffer.from(a.body, 'utf8') : a.body);
}

function sendError(reply: FastifyReply, e: TaxiiError): FastifyReply {
  if (e.status === 401) reply.header('www-authenticate', WWW_AUTHENTICATE);
  return sendTaxii(reply, { status: e.status, body: JSON.stringify(e.resource()), headers: {} });
}

/** Any error in the TAXII scope as a TAXII error resource (§3.6.1), never a REST problem. */
function toTaxiiError(err: FastifyError | Error): TaxiiError | undefined {
  if (err instanceof TaxiiError) return err;
  if (err instanceof AppError) return new TaxiiError(err.status, err.code, err.message);
  const status = (err as FastifyError).statusCode;
  if (status === 429) return new TaxiiError(429, 'Too Many Requests', err.message);
  if (typeof status === 'number' && status >= 400 && status < 500) return new TaxiiError(status, 'Bad Request', err.message);
  return undefined;
}

/** The one place errors become HTTP answers on TAXII routes (/taxii2/, /api/taxii2/): a TAXII error resource. */
export const taxiiErrors: ErrorSurface = {
  onError(err, request, reply) {
    const e = toTaxiiError(err);
    if (e) return sendError(reply, e);
    request.log.error({ err }, 'unhandled TAXII error');
    return sendError(reply, new TaxiiError(500, 'Internal Server Error', 'internal error; the server log has the details'));
  },

  onNotFound(request, reply) {
    const who = request.auth?.ok ? undefined : unauthorized('authentication required');
    return sendError(reply, who ?? notFound(`no TAXII endpoint ${request.method} ${request.url.split('?')[0]!.slice(0, 200)}`));
  },

  onRefused(reply, status, message) {
    return sendError(reply, new TaxiiError(status, status === 414 ? 'URI Too Long' : 'Bad Request', message));
  },
};
