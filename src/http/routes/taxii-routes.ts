import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Authenticator, Principal } from '../../auth/authenticator.js';
import type { FailedSignIns } from '../../auth/failed-sign-ins.js';
import { planAllows } from '../../auth/plans.js';
import type { Config } from '../../config/config.js';
import { warmSchemaValidator } from '../../stix/schema-validator.js';
import { acceptsTaxii } from '../../taxii/accept.js';
import { forbidden, notAcceptable, unauthorized } from '../../taxii/errors.js';
import type { TaxiiService } from '../../taxii/service.js';
import { installAuthentication } from '../auth-hooks.js';
import type { ErrorSurfaces } from '../error-surface.js';
import { installRateLimit, type RateLimitCounters } from '../rate-limit.js';
import { sendTaxii as send, taxiiErrors } from '../taxii-errors.js';

const principal = (request: FastifyRequest): Principal => {
  if (!request.auth?.ok) throw unauthorized(`authentication required: ${request.auth?.reason ?? 'missing Authorization header'}; use HTTP Basic (account email, API key) or Bearer`);
  return request.auth.principal;
};

export interface TaxiiRouteOptions {
  taxii: TaxiiService;
  authenticator: Authenticator;
  /** The app's count of failed sign-ins per address, shared with REST (auth/failed-sign-ins.ts). */
  failures?: FailedSignIns;
  config: Config;
  /** The app's rate-limit counters, shared with REST: a key has one budget across every route. */
  counters: RateLimitCounters;
  /** Register under /api/taxii2 (API roots too) or /taxii2 (discovery only, §8.2.1). */
  roots: boolean;
  /** The app's error surfaces: this scope answers its errors as TAXII error resources (§3.6.1). */
  surfaces: ErrorSurfaces;
}

/** TAXII 2.1: a thin adapter over taxii/TaxiiService, registered under /taxii2 and /api/taxii2. */
export async function taxiiRoutes(app: FastifyInstance, opts: TaxiiRouteOptions): Promise<void> {
  // TAXII is specified by OASIS, not by our OpenAPI document.
  app.addHook('onRoute', (route) => {
    route.schema = { ...(route.schema ?? {}), hide: true };
  });
  installAuthentication(app, opts.authenticator, opts.failures);
  await installRateLimit(app, opts.config, opts.counters);
  // Bodies are read by the add-objects endpoint itself, after the checks that come first (docs/taxii-conformance.md §2):
  // any media type passes through unread here, and size and type are judged there.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  // docs/taxii-conformance.md §2 check order: authenticate → Accept → (API root, collection, permission, parameters in the service).
  app.addHook('preHandler', async (request) => {
    const who = principal(request);
    if (!acceptsTaxii(request.headers.accept)) throw notAcceptable();
    if (!planAllows(who.plan, 'taxii')) throw forbidden('TAXII needs the Pro plan; upgrade the account\'s plan to pro to use it');
  });

  opts.surfaces.install(app, taxiiErrors);

  // Discovery URLs come from the configured public URL, never from what a client (or a proxy's cache) sent as Host,
  // unless that Host is in the configured allow-list.
  const base = (r: FastifyRequest) => (opts.config.allowedHosts.includes(r.host.toLowerCase()) ? `${r.protocol}://${r.host}` : opts.config.publicUrl);
  const q = (r: FastifyRequest) => r.query as Record<string, unknown>;
  const p = (r: FastifyRequest) => r.params as Record<string, string>;

  app.get('/', async (r, reply) => send(reply, opts.taxii.discovery(base(r))));
  if (!opts.roots) return;
  // Writable collections take POSTs: their STIX schemas are compiled before the server serves, not during one.
  if (opts.config.taxii.collections.length > 0) await warmSchemaValidator();
  app.get('/:root/', async (r, reply) => send(reply, opts.taxii.apiRoot(p(r).root!)));
  app.get('/:root/status/:status/', async (r, reply) => send(reply, await opts.taxii.status(p(r).root!, p(r).status!, principal(r))));
  app.post('/:root/collections/:id/objects/', async (r, reply) =>
    send(reply, await opts.taxii.addObjects(p(r).root!, p(r).id!, principal(r), {
      contentType: r.headers['content-type'],
      contentLength: r.headers['content-length'] === undefined ? undefined : Number(r.headers['content-length']),
      body: r.body as AsyncIterable<Buffer>,
    })));
  app.delete('/:root/collections/:id/objects/:object/', async (r, reply) =>
    send(reply, await opts.taxii.deleteObject(p(r).root!, p(r).id!, p(r).object!, q(r), principal(r))));
  app.get('/:root/collections/', async (r, reply) => send(reply, opts.taxii.collections(p(r).root!, principal(r))));
  app.get('/:root/collections/:id/', async (r, reply) => send(reply, opts.taxii.collection(p(r).root!, p(r).id!, principal(r))));
  app.get('/:root/collections/:id/objects/', async (r, reply) =>
    send(reply, await opts.taxii.objects(p(r).root!, p(r).id!, q(r), principal(r))));
  app.get('/:root/collections/:id/manifest/', async (r, reply) =>
    send(reply, await opts.taxii.objects(p(r).root!, p(r).id!, q(r), principal(r), true)));
  app.get('/:root/collections/:id/objects/:object/', async (r, reply) =>
    send(reply, await opts.taxii.object(p(r).root!, p(r).id!, p(r).object!, q(r), principal(r))));
  app.get('/:root/collections/:id/objects/:object/versions/', async (r, reply) =>
    send(reply, await opts.taxii.versions(p(r).root!, p(r).id!, p(r).object!, q(r), principal(r))));
}
