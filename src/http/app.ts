import { readFileSync } from 'node:fs';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyServerOptions, type RouteOptions } from 'fastify';
import type { AccountService } from '../rest/account-service.js';
import type { AllowListService } from '../rest/allowlist-service.js';
import type { WebhookService } from '../rest/webhook-service.js';
import { webhookRoutes } from './routes/webhook-routes.js';
import type { AuditService } from '../rest/audit-service.js';
import type { BlocklistService } from '../rest/blocklist-service.js';
import type { IocService } from '../rest/ioc-service.js';
import type { LookupService } from '../rest/lookup-service.js';
import type { SourceService } from '../rest/source-service.js';
import type { StixExportService } from '../rest/stix-export-service.js';
import type { MispFeedService } from '../rest/misp-feed.js';
import type { RevokeService } from '../rest/revoke-service.js';
import type { SubmitService } from '../rest/submit-service.js';
import type { Authenticator } from '../auth/authenticator.js';
import { FailedSignIns, type SignInBurstLimits } from '../auth/failed-sign-ins.js';
import type { AuditTrail } from '../domain/audit.js';
import type { Config } from '../config/config.js';
import type { Store } from '../store/store.js';
import type { TaxiiService } from '../taxii/service.js';
import { installAuthentication } from './auth-hooks.js';
import { ErrorSurfaces } from './error-surface.js';
import { restErrors } from './rest-errors.js';
import { loggerOptions, RequestLog } from './logging.js';
import { installRateLimit, rateLimitCounters, redisFailureCounter, type SharedCounters } from './rate-limit.js';
import { rejectRepeatedParameters } from './repeated-parameters.js';
import { accountRoutes } from './routes/account-routes.js';
import { allowlistRoutes } from './routes/allowlist-routes.js';
import { auditRoutes } from './routes/audit-routes.js';
import { blocklistRoutes } from './routes/blocklist-routes.js';
import { keyRoutes } from './routes/key-routes.js';
import fastifyCookie from '@fastify/cookie';
import type { ConsoleSessions } from '../auth/console-sessions.js';
import { consoleRoutes } from './console.js';
import { sessionRoutes } from './routes/session-routes.js';
import { consoleApiRoutes } from './routes/console-routes.js';
import type { ConsoleService } from '../rest/console-service.js';
import { healthRoutes } from './routes/health-routes.js';
import { metricsRoutes, type ServerMetrics } from './metrics.js';
import { iocRoutes } from './routes/ioc-routes.js';
import { lookupRoutes } from './routes/lookup-routes.js';
import { stixRoutes } from './routes/stix-routes.js';
import { mispRoutes } from './routes/misp-routes.js';
import { taxiiRoutes } from './routes/taxii-routes.js';
import { sourceRoutes } from './routes/source-routes.js';
import { submitRoutes } from './routes/submit-routes.js';
import { iocDetailSchema, iocSchema, problemSchema } from './schemas.js';

/** How the application runs: shared rate-limit counters, the logger, a route observer. */
export interface AppOptions {
  authenticator: Authenticator;
  /** Rate-limit counters shared across API nodes (REDIS_URL); absent: in-process. */
  sharedCounters?: SharedCounters;
  /** Fastify's logger option; tests pass false. */
  logger?: FastifyServerOptions['logger'];
  /** Told of every route as it is registered (before any other): tests check that the OpenAPI document has them all. */
  onRoute?: (route: RouteOptions) => void;
  /** What makes a failed sign-in burst (auth/failed-sign-ins.ts); SIGN_IN_BURST unless a test says otherwise. */
  signInBurst?: SignInBurstLimits;
  /** The built web console (http/console.ts CONSOLE_DIR unless a test says otherwise). */
  consoleDir?: string;
}

/** The built services the routes adapt (assembled by the composition root, cli/wiring.ts). */
export interface AppDeps extends AppOptions {
  /** The health probes ask it whether the database answers. */
  store: Store;
  config: Config;
  iocs: IocService;
  lookup: LookupService;
  stix: StixExportService;
  /** The MISP feed: /api/v1/feeds/misp/ (manifest.json, <uuid>.json, hashes.csv). */
  misp: MispFeedService;
  /** GET /api/v1/blocklists/{type}.txt. */
  blocklists: BlocklistService;
  sources: SourceService;
  allowlist: AllowListService;
  /** /api/v1/webhooks: webhooks and their deliveries. */
  webhooks: WebhookService;
  /** Accounts and keys: /me, /keys, /accounts. */
  accounts: AccountService;
  /** POST /api/v1/iocs and POST /api/v1/iocs/{id}/revoke. */
  submit: SubmitService;
  revoke: RevokeService;
  taxii: TaxiiService;
  /** Where routes that change things record who did what (domain/audit.ts). */
  audit: AuditTrail;
  auditLog: AuditService;
  /** The web console's sign-in (POST/GET/DELETE /api/v1/session and the session cookie). */
  sessions: ConsoleSessions;
  /** The console's reads beside the lists: /stats, /collections, /iocs/{id}/versions, /iocs/export. */
  console: ConsoleService;
  /** GET /metrics and the request counters (http/metrics.ts); absent: metrics are off (404), nothing is counted. */
  metrics?: ServerMetrics;
}

/** package.json's version: dist/src/http/app.js and src/http/app.ts are both three levels below the checkout. */
export const API_VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** TAXII Version 2.1, OASIS Standard: what the TAXII routes implement, linked from the OpenAPI document. */
export const TAXII_SPEC_URL = 'https://docs.oasis-open.org/cti/taxii/v2.1/os/taxii-v2.1-os.html';

const openApiDocument = { type: 'object', description: 'an OpenAPI 3.1 document (the same as GET /api/v1/openapi.json)' } as const;

/** How the routes of the docs page (@fastify/swagger-ui, under /api/v1/docs) appear in the OpenAPI document. */
const DOCS_ROUTES: Record<string, object> = {
  '/api/v1/docs': {
    summary: 'The browsable API reference (Swagger UI)',
    tags: ['docs'],
    security: [],
    response: { 200: { description: 'an HTML page', content: { 'text/html': { schema: { type: 'string' } } } } },
  },
  '/api/v1/docs/json': {
    summary: 'This OpenAPI document, as the docs page loads it (JSON)',
    tags: ['docs'],
    security: [],
    response: { 200: { description: 'OpenAPI 3.1, JSON', content: { 'application/json': { schema: openApiDocument } } } },
  },
  '/api/v1/docs/yaml': {
    summary: 'This OpenAPI document in YAML',
    tags: ['docs'],
    security: [],
    response: { 200: { description: 'OpenAPI 3.1, YAML', content: { 'application/x-yaml': { schema: { type: 'string' } } } } },
  },
};

/** Builds the HTTP application. Only `socd serve` listens; tests use `inject` or listen on an ephemeral port. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const requestLog = new RequestLog(deps.config);
  const surfaces = new ErrorSurfaces();
  const app = Fastify({
    // API keys are cut to their prefix in every log line; a request is one line (RequestLog).
    logger: loggerOptions(deps.config, deps.logger),
    logController: requestLog,
    trustProxy: deps.config.trustProxy,
    bodyLimit: 1024 * 1024,
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, maxParamLength: 8192 },
    // Some bodies are one of two types (an array or an object; an object or nothing): allowed outright, instead of Ajv's
    // strict-mode warning on stderr at every start.
    ajv: { customOptions: { allowUnionTypes: true } },
    // A request must not hold a socket forever (slowloris).
    requestTimeout: 120_000,
    // Errors Fastify raises before routing (bad percent-encoding, over-long path parameters) get our format too.
    frameworkErrors: (error, request, reply) => {
      const status = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : 400;
      // Fastify does not report these answers' completion to the log controller: their request line is written here.
      (reply as FastifyReply).raw.once('finish', () => requestLog.requestCompleted(null, request, reply as FastifyReply));
      // No route yet: the surface of the scope that owns the path answers (a TAXII error resource under TAXII, §3.6.1).
      void surfaces.surfaceOf(request.url).onRefused(reply as FastifyReply, status, error.message);
    },
  });

  if (deps.onRoute) app.addHook('onRoute', deps.onRoute);
  // Before every scope is registered, so every answer is counted (REST, TAXII, the console, the probes, /metrics).
  const { metrics } = deps;
  if (metrics) app.addHook('onResponse', async (request, reply) => metrics.observe(request, reply));
  surfaces.install(app, restErrors);
  app.addSchema(problemSchema);
  app.addSchema(iocSchema);
  app.addSchema(iocDetailSchema);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'SOC Defenders API',
        version: API_VERSION,
        description:
          'Threat-intelligence IOCs as JSON (REST) and STIX 2.1 bundles. Authenticate with an API key: `Authorization: Bearer sk_live_…`, ' +
          'or HTTP Basic with the account email as username and the key as password.\n\n' +
          `This document covers every route but TAXII. The TAXII 2.1 server (discovery at \`/taxii2/\`, API roots under \`/api/taxii2/\`, ours at \`/api/taxii2/api/\`) ` +
          `follows its own specification, TAXII Version 2.1 (OASIS): ${TAXII_SPEC_URL}`,
      },
      externalDocs: { description: 'TAXII Version 2.1 (OASIS), the protocol of /taxii2/ and /api/taxii2/', url: TAXII_SPEC_URL },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'an API key, sk_live_…' },
          basicAuth: { type: 'http', scheme: 'basic', description: 'account email as username, API key as password' },
          cookieAuth: {
            type: 'apiKey', in: 'cookie', name: 'socd_session',
            description: 'the web console\'s session (POST /api/v1/session); changes also need the X-CSRF-Token header',
          },
        },
      },
      tags: [
        { name: 'iocs', description: 'Indicators of compromise' },
        { name: 'session', description: 'The web console\'s sign-in: an HttpOnly session cookie for an email and key' },
        { name: 'lookup', description: 'Verdicts for values or free text (every plan)' },
        { name: 'stix', description: 'STIX 2.1 exports (Pro plan)' },
        { name: 'feeds', description: 'Feeds in other tools\' formats: a MISP feed (Pro plan)' },
        { name: 'blocklists', description: 'Plain lists for firewalls, resolvers and proxies (every plan)' },
        { name: 'sources', description: 'The feeds IOCs come from' },
        { name: 'allowlist', description: 'Values never served, whatever a source says (analyst role)' },
        { name: 'webhooks', description: 'Notifications pushed to your tools: JSON, Slack, Teams (analyst role)' },
        { name: 'audit', description: 'Who changed what, when, from where (admin role)' },
        { name: 'account', description: 'Your account and your keys (every plan)' },
        { name: 'admin', description: 'Accounts and any account\'s keys (admin role)' },
        { name: 'health', description: 'Liveness and readiness probes (no key)' },
        { name: 'docs', description: 'This document and its browsable reference (no key)' },
      ],
    },
    // The docs page's routes belong to @fastify/swagger-ui, which hides them: the page and the document it serves
    // are described here; its static assets (scripts, styles) stay out.
    transform: ({ schema, url }) => ({ schema: (DOCS_ROUTES[url] ?? schema) as typeof schema, url }),
  });
  await app.register(swaggerUi, { routePrefix: '/api/v1/docs', uiConfig: { docExpansion: 'list' }, staticCSP: true });

  await app.register(healthRoutes, { store: deps.store });
  if (metrics) await app.register(metricsRoutes, { metrics, settings: deps.config.metrics });
  await app.register(consoleRoutes, { dir: deps.consoleDir });

  // One store of counters for every limited scope (REST and both TAXII prefixes): one budget per client.
  const counters = rateLimitCounters(deps.sharedCounters);
  // One count of failed sign-ins for every scope (REST and both TAXII prefixes): a burst is one client's, wherever it knocks.
  const failures = new FailedSignIns(deps.audit, deps.signInBurst, Date.now, deps.sharedCounters ? redisFailureCounter(deps.sharedCounters) : undefined);
  await app.register(async (api) => {
    await api.register(fastifyCookie);
    installAuthentication(api, deps.authenticator, failures, deps.sessions);
    await installRateLimit(api, deps.config, counters);
    rejectRepeatedParameters(api);
    api.get('/openapi.json', {
      config: { rateLimit: false },
      schema: {
        summary: 'This OpenAPI 3.1 document',
        description: 'Every REST route with its parameters and answers; TAXII is described by its own specification (see externalDocs). No key needed.',
        tags: ['docs'],
        security: [],
        response: { 200: { type: 'object', additionalProperties: true, description: 'an OpenAPI 3.1 document', examples: [{ openapi: '3.1.0', info: { title: 'SOC Defenders API' } }] } },
      },
    }, async () => app.swagger());
    await api.register(stixRoutes, { stix: deps.stix });
    await api.register(mispRoutes, { misp: deps.misp });
    // Before iocRoutes: /iocs/export and /iocs/{id}/versions beside /iocs/{id}.
    await api.register(consoleApiRoutes, { console: deps.console, config: deps.config });
    await api.register(iocRoutes, { iocs: deps.iocs });
    await api.register(submitRoutes, { submit: deps.submit, revoke: deps.revoke, audit: deps.audit });
    await api.register(lookupRoutes, { lookup: deps.lookup });
    await api.register(blocklistRoutes, { blocklists: deps.blocklists });
    await api.register(sourceRoutes, { sources: deps.sources, audit: deps.audit });
    await api.register(allowlistRoutes, { allowlist: deps.allowlist });
    await api.register(webhookRoutes, { webhooks: deps.webhooks });
    await api.register(auditRoutes, { auditLog: deps.auditLog });
    await api.register(accountRoutes, { accounts: deps.accounts });
    await api.register(keyRoutes, { accounts: deps.accounts });
    await api.register(sessionRoutes, { sessions: deps.sessions, accounts: deps.accounts, failures, secureCookie: deps.config.publicUrl.startsWith('https:') });
  }, { prefix: '/api/v1' });

  const { taxii } = deps;
  await app.register(taxiiRoutes, { prefix: '/taxii2', taxii, authenticator: deps.authenticator, failures, config: deps.config, counters, roots: false, surfaces });
  await app.register(taxiiRoutes, { prefix: '/api/taxii2', taxii, authenticator: deps.authenticator, failures, config: deps.config, counters, roots: true, surfaces });

  return app;
}
