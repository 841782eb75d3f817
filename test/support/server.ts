import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Authenticator } from '../../src/auth/authenticator.js';
import { issueKey } from '../../src/auth/key-service.js';
import { TokenSigner } from '../../src/auth/signed-token.js';
import { type Config, loadConfig } from '../../src/config/config.js';
import { StoreAuditTrail } from '../../src/auth/audit-trail.js';
import { wireApp } from '../../src/cli/wiring.js';
import { deliveryWorker, webhookNotifier } from '../../src/cli/webhooks.js';
import type { DeliveryWorker, WorkerOptions } from '../../src/notify/worker.js';
import { sqliteStore, type SqliteTestStore, TEST_IDENTITY } from './stores.js';
import type { PlanInput } from '../../src/store/types.js';
import type { Actor, AuditEvent, AuditTrail } from '../../src/domain/audit.js';
import type { IngestSettings, ResolvedSource } from '../../src/connectors/catalog/source-config.js';
import { SourceRegistry } from '../../src/connectors/catalog/source-overrides.js';
import type { RunnerDeps } from '../../src/connectors/pipeline/runner.js';
import { IngestScheduler } from '../../src/connectors/pipeline/scheduler.js';

/** What a test server may run beyond the app: its own sources, an audit trail, and the ingest scheduler over them. */
export interface ServerExtras {
  sources?: readonly ResolvedSource[];
  audit?: AuditTrail;
  /** Runs the scheduler as `socd serve` does (lease, run now polling), with these runner seams (a loopback feed server). */
  scheduler?: { settings: IngestSettings; pollMs?: number } & Pick<RunnerDeps, 'rewriteUrl' | 'transport'>;
  /** The built console to serve (http/console.ts CONSOLE_DIR otherwise). */
  consoleDir?: string;
  /**
   * Webhooks as `socd serve` runs them: a delivery worker (these options over the configuration's) started with the
   * server, and the notifier as the scheduler's observer.
   */
  webhooks?: Partial<WorkerOptions>;
}

const quiet = { info: () => {}, warn: () => {}, error: () => {} };

export interface TestServer {
  base: string;
  store: SqliteTestStore;
  config: Config;
  authenticator: Authenticator;
  /** A key of the account (created on `plan` when new; `admin`: Pro plus the admin role). */
  keyFor(email: string, plan: PlanInput): Promise<string>;
  /** What the routes recorded in the audit trail, in order. */
  audits: Array<{ actor: Actor; event: AuditEvent }>;
  close(): Promise<void>;
  scheduler?: IngestScheduler;
  /** The delivery worker, when extras.webhooks asked for one. */
  worker?: DeliveryWorker;
}

/** A real listening server on an ephemeral loopback port, on an in-memory database. */
export async function startServer(
  tune: (c: Config) => void = () => {},
  prepare: (store: SqliteTestStore) => Promise<void> = async () => {},
  extras: ServerExtras = {},
): Promise<TestServer> {
  const config = loadConfig({ DATABASE_URL: 'sqlite::memory:' }, '/nonexistent');
  for (const p of Object.values(config.plans)) p.rateLimit.max = 1_000_000;
  config.anonymousRateLimit.max = 1_000_000;
  tune(config);
  const store = await sqliteStore();
  await prepare(store);
  const authenticator = new Authenticator(store);
  const audits: TestServer['audits'] = [];
  // Recorded in memory for the tests that read `audits`, and stored as `socd serve` does (GET /api/v1/audit reads it).
  const stored = new StoreAuditTrail(store);
  const audit = extras.audit ?? {
    record: async (actor: Actor, event: AuditEvent) => {
      audits.push({ actor, event });
      await stored.record(actor, event);
    },
  };
  const registry = extras.sources ? new SourceRegistry(extras.sources, store) : undefined;
  const worker = extras.webhooks ? deliveryWorker(store, config, quiet, extras.webhooks) : undefined;
  const app = await wireApp({
    store, config, authenticator, signer: new TokenSigner('t'.repeat(32)), identity: TEST_IDENTITY, logger: false, ...(worker ? { webhookWorker: worker } : {}),
    ...(registry ? { sources: registry } : {}), audit, ...(extras.consoleDir ? { consoleDir: extras.consoleDir } : {}),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  let scheduler: IngestScheduler | undefined;
  if (extras.scheduler && registry) {
    const { settings, pollMs, ...seams } = extras.scheduler;
    // Ticks an hour apart: only the first pass and run now start runs during a test.
    const observer = worker ? webhookNotifier(store, config, quiet) : undefined;
    scheduler = new IngestScheduler(() => registry.all(), { store, settings, ...seams, ...(observer ? { observer } : {}) }, quiet, 3_600_000, pollMs ?? 20);
    scheduler.start();
  }
  worker?.start();
  const { port } = app.server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    store,
    config,
    authenticator,
    audits,
    keyFor: async (email, plan) => (await issueKey(store, email, plan, null)).key,
    ...(scheduler ? { scheduler } : {}),
    ...(worker ? { worker } : {}),
    close: async () => {
      await scheduler?.stop();
      await worker?.stop();
      await app.close();
      await store.close();
    },
  };
}

/** One request with a Bearer key (or none) and an optional JSON body; the answer parsed as JSON when there is one. */
export async function callJson(base: string, method: string, path: string, key: string | null, body?: unknown) {
  const headers: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: res.status, type: res.headers.get('content-type') ?? '', headers: res.headers, text, body: (text ? JSON.parse(text) : undefined) as Record<string, any> };
}

/** A raw GET, so a test sees the bytes and headers exactly as sent (fetch would decompress). */
export function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    }).on('error', reject).end();
  });
}
