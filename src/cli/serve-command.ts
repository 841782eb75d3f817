import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import { Authenticator } from '../auth/authenticator.js';
import { bootstrapAdmin } from '../auth/key-service.js';
import { openContext, tokenSigner } from './context.js';
import { sourceRegistry, wireApp } from './wiring.js';
import { deliveryWorker, webhookNotifier } from './webhooks.js';
import type { DeliveryWorker } from '../notify/worker.js';
import { IngestScheduler } from '../connectors/pipeline/scheduler.js';
import { resolveSources } from '../connectors/catalog/source-config.js';
import { CATALOG } from '../connectors/catalog/sources/index.js';

const LAST_USED_FLUSH_MS = 30_000;
/** How long a clean close may take before the process exits anyway (status 1). */
const SHUTDOWN_TIMEOUT_MS = 20_000;

/** `socd serve`: migrations, the first admin key on an empty database, the HTTP server, a clean shutdown. */
export async function serveCommand(opts: { scheduler?: boolean } = {}): Promise<void> {
  const ctx = await openContext();
  const { sources: configured, ingest } = resolveSources(CATALOG, ctx.config.file);
  // One registry for the API and the scheduler: settings changed over the API (on any node) apply at the next pass.
  const sources = sourceRegistry(ctx.store, ctx.config, configured);
  const authenticator = new Authenticator(ctx.store);
  // Fail fast while Redis is away (no offline queue): the rate limiter then serves instead of waiting.
  const redis = ctx.config.redisUrl ? new Redis(ctx.config.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 }) : undefined;
  // Webhook deliveries: every node sends (claims are atomic in the store), started once the server listens.
  let worker: DeliveryWorker | undefined;
  const app = await wireApp({
    store: ctx.store, config: ctx.config, authenticator, signer: await tokenSigner(ctx), identity: ctx.identity, sources,
    webhookWorker: (worker = deliveryWorker(ctx.store, ctx.config, {
      info: (o, m) => app.log.child({ component: 'webhooks' }).info(o, m),
      warn: (o, m) => app.log.child({ component: 'webhooks' }).warn(o, m),
    })),
    ...(redis ? { sharedCounters: { redis, namespace: `${ctx.config.redisPrefix}rl:` } } : {}),
  });
  redis?.on('error', (err: Error) => app.log.warn({ err: err.message }, 'redis unavailable: rate limits are not enforced until it is back'));
  // PostgreSQL announces key revocations and plan changes: verified keys are remembered until one comes.
  await authenticator.watch().catch((err: unknown) => app.log.warn({ err }, 'cannot watch key changes: every request looks its key up'));

  const admin = await bootstrapAdmin(ctx.store, ctx.config.adminEmail);
  if (admin) {
    // The server made this key itself, on an empty database: recorded as the system, never with the key.
    await ctx.audit.record(
      { accountId: null, email: null, keyPrefix: null, via: 'system', origin: hostname() },
      { action: 'key.create', target: admin.prefix, details: { email: admin.account.email, account_id: admin.account.id, plan: admin.account.plan, name: 'bootstrap', account_created: true } },
    );
    // Printed once, on stdout, and never logged: it is not stored anywhere in clear.
    process.stdout.write(
      `\nCreated the first admin account ${admin.account.email}. Its API key (shown only once, keep it safe):\n\n${admin.key}\n\n`,
    );
  }

  const flusher = setInterval(() => {
    authenticator.flush().catch((err: unknown) => app.log.warn({ err }, 'could not record key last-use times'));
  }, LAST_USED_FLUSH_MS);
  flusher.unref();

  let scheduler: IngestScheduler | undefined;
  let closing = false;
  // `npm start` execs the server (package.json), so SIGTERM from a supervisor, or Ctrl-C, reaches this process.
  const shutdown = async (signal: string) => {
    if (closing) {
      // A second signal while closing: the operator wants it gone now.
      app.log.warn({ signal }, 'second signal while closing: exiting at once');
      process.exit(1);
    }
    closing = true;
    app.log.info({ signal }, 'shutting down');
    // In-flight answers (a long STIX export) get this long to finish; then the process ends anyway.
    const deadline = setTimeout(() => {
      app.log.error({ timeoutMs: SHUTDOWN_TIMEOUT_MS }, 'clean close took too long: exiting');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    deadline.unref();
    try {
      clearInterval(flusher);
      await scheduler?.stop();
      // Attempts in flight end within their timeout (10 s); what is left stays queued for the next start or node.
      await worker?.stop();
      await app.close();
      await redis?.quit().catch(() => undefined);
      await authenticator.flush({ wait: true });
      await authenticator.close();
      await ctx.store.close();
    } catch (err) {
      app.log.error({ err }, 'error while closing');
      process.exit(1);
    }
    app.log.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  await app.listen({ port: ctx.config.port, host: ctx.config.host });
  worker.start();
  app.log.info({ database: ctx.store.kind, rateLimits: redis ? 'redis' : 'in-process', configFile: ctx.config.configFile ?? null }, 'socd serving');
  if (opts.scheduler !== false && ingest.scheduler) {
    // Runs queue webhook notifications (src/notify/): never delivered inline, never failing a run.
    const observer = webhookNotifier(ctx.store, ctx.config, app.log.child({ component: 'webhooks' }));
    scheduler = new IngestScheduler(() => sources.all(), { store: ctx.store, settings: ingest, observer }, app.log.child({ component: 'ingest' }));
    scheduler.start();
    app.log.info({ sources: (await sources.all()).filter((s) => s.enabled && !s.reason).map((s) => s.def.id) }, 'ingest scheduler started');
  } else {
    // Runs asked for over the API (run now) wait queued until a node with the scheduler takes them (README, Sources).
    app.log.info('ingest scheduler off: runs asked for over the API wait for a node that runs it');
  }
}
