import { ConsoleSessions } from '../auth/console-sessions.js';
import { ConsoleService } from '../rest/console-service.js';
import type { FastifyInstance } from 'fastify';
import { AccountService } from '../rest/account-service.js';
import { AllowListService } from '../rest/allowlist-service.js';
import { AuditService } from '../rest/audit-service.js';
import { IocService } from '../rest/ioc-service.js';
import { LookupService } from '../rest/lookup-service.js';
import { SourceService } from '../rest/source-service.js';
import { StixExportService } from '../rest/stix-export-service.js';
import { MispFeedService } from '../rest/misp-feed.js';
import { BlocklistService } from '../rest/blocklist-service.js';
import { StoreAuditTrail } from '../auth/audit-trail.js';
import type { Authenticator } from '../auth/authenticator.js';
import type { TokenSigner } from '../auth/signed-token.js';
import type { Config } from '../config/config.js';
import type { AuditTrail } from '../domain/audit.js';
import { exclusionSettings, resolveSources, type ResolvedSource } from '../connectors/catalog/source-config.js';
import { SourceRegistry } from '../connectors/catalog/source-overrides.js';
import { RevokeService } from '../rest/revoke-service.js';
import { SubmitService } from '../rest/submit-service.js';
import { Exclusions } from '../domain/exclusions.js';
import { CATALOG } from '../connectors/catalog/sources/index.js';
import { type AppOptions, buildApp } from '../http/app.js';
import { metricsEnabled, ServerMetrics } from '../http/metrics.js';
import { Registry } from 'prom-client';
import type { ProducerIdentity } from '../stix/identity.js';
import type { Store } from '../store/store.js';
import { CollectionRegistry, OUR_ROOT } from '../taxii/collection-registry.js';
import { NextTokens } from '../taxii/next-token.js';
import { TaxiiService } from '../taxii/service.js';
import { WebhookService } from '../rest/webhook-service.js';
import type { DeliveryWorker } from '../notify/worker.js';
import { deliveryWorker, webhookPolicy } from './webhooks.js';

/** What the HTTP application is assembled from (the composition root: `socd serve`, and tests that build the app). */
export interface AppWiring extends AppOptions {
  store: Store;
  config: Config;
  authenticator: Authenticator;
  signer: TokenSigner;
  identity: ProducerIdentity;
  /**
   * The sources `GET /api/v1/sources` lists (the catalog and custom sources, resolved with the configuration), or the
   * registry `socd serve` shares with its scheduler (the API's settings over them).
   */
  sources?: readonly ResolvedSource[] | SourceRegistry;
  /** Where changes are recorded; the store's audit log unless a test says otherwise. */
  audit?: AuditTrail;
  /** Sends webhook deliveries (the one `socd serve` runs); absent: one made here, only for POST …/test. */
  webhookWorker?: DeliveryWorker;
}

/**
 * The TAXII service, with the roots and collections loaded from another server (socd taxii load) as stored now:
 * they are read once here, so a load takes effect at the next start.
 */
export async function taxiiService(store: Store, config: Config, signer: TokenSigner): Promise<TaxiiService> {
  const loadedDiscovery = await store.getSetting('taxii_discovery');
  return new TaxiiService(store, new NextTokens(signer), {
    title: config.taxii.title,
    description: config.taxii.description,
    contact: config.taxii.contact,
    rootName: OUR_ROOT,
    maxContentLength: config.taxii.maxContentLength,
    pageLimits: { defaultLimit: config.taxii.defaultPageLimit, maxLimit: config.taxii.maxPageLimit },
    objectLimits: { maxObjectBytes: config.taxii.maxObjectBytes, maxObjectDepth: config.taxii.maxObjectDepth },
    maxPageBytes: config.taxii.maxPageBytes,
    loadedRoots: [
      ...config.taxii.roots,
      ...(await store.loadedTaxiiRoots()).filter((r) => !config.taxii.roots.some((c) => c.name === r.name)),
    ],
    loadedDiscovery: loadedDiscovery ? (JSON.parse(loadedDiscovery) as Record<string, unknown>) : null,
  }, new CollectionRegistry(config.taxii.collections, await store.loadedTaxiiCollections()));
}

/** The sources with the settings administrators keep in the store over them (connectors/catalog/source-overrides.ts). */
export function sourceRegistry(store: Store, config: Config, sources?: readonly ResolvedSource[] | SourceRegistry): SourceRegistry {
  if (sources instanceof SourceRegistry) return sources;
  return new SourceRegistry(sources ?? resolveSources(CATALOG, config.file).sources, store);
}

/** The HTTP application with its services built from the store, the configuration and the source catalog. */
export async function wireApp(w: AppWiring): Promise<FastifyInstance> {
  const { store, config, signer, identity, sources, audit, webhookWorker, ...options } = w;
  const stored = audit ? undefined : new StoreAuditTrail(store);
  const trail = audit ?? stored!;
  const iocs = new IocService(store, signer, config.rest);
  const taxii = await taxiiService(store, config, signer);
  const registry = sourceRegistry(store, config, sources);
  // Our own registry (never prom-client's global one), only when someone may scrape it (SOCD_METRICS_TOKEN / _ALLOW).
  const metrics = metricsEnabled(config.metrics) ? new ServerMetrics(new Registry(), store, () => registry.all()) : undefined;
  const app = await buildApp({
    ...options,
    store,
    config,
    iocs,
    // Submissions pass the same exclusions as ingestion and `socd import` (config `exclusions`).
    submit: new SubmitService(store, new Exclusions(exclusionSettings(config.file)), config.plans),
    revoke: new RevokeService(store, iocs),
    lookup: new LookupService(store, config.plans),
    // PostgreSQL answers a read of 1,000 objects in about the time of a round trip: ten chunks per read.
    stix: new StixExportService(store, identity, store.kind === 'postgres' ? 1000 : undefined),
    misp: new MispFeedService(store, identity),
    blocklists: new BlocklistService(store),
    sources: new SourceService(store, registry, config.rest),
    allowlist: new AllowListService(store, signer, config.rest, trail),
    webhooks: new WebhookService(
      store, signer, webhookWorker ?? deliveryWorker(store, config, { info: () => {}, warn: () => {} }),
      { policy: webhookPolicy(config), server: config.publicUrl, limits: config.rest }, trail,
    ),
    taxii,
    console: new ConsoleService(store, iocs, taxii, identity),
    audit: trail,
    auditLog: new AuditService(store, signer, config.rest),
    accounts: new AccountService(store, signer, config, trail),
    sessions: new ConsoleSessions(store, options.authenticator, signer, config.sessionHours * 3_600_000),
    ...(metrics ? { metrics } : {}),
  });
  // A record that cannot be written does not fail the change it records (auth/audit-trail.ts): it is logged.
  if (stored) stored.onFailure = (err, event) => app.log.error({ err, action: event.action }, 'audit record lost');
  return app;
}
