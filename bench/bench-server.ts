/**
 * The API server of the read benchmarks, wired as `socd serve` wires it (keys remembered while the store announces
 * changes), on a loopback port, with one key of `plan` whose rate limit is lifted.
 */
import type { AddressInfo } from 'node:net';
import { Authenticator } from '../src/auth/authenticator.js';
import { issueKey } from '../src/auth/key-service.js';
import { TokenSigner } from '../src/auth/signed-token.js';
import { type Config, loadConfig } from '../src/config/config.js';
import { wireApp } from '../src/cli/wiring.js';
import type { ProducerIdentity } from '../src/stix/identity.js';
import type { Store } from '../src/store/store.js';
import type { PlanInput } from '../src/store/types.js';

export interface BenchServer {
  /** http://127.0.0.1:PORT */
  origin: string;
  key: string;
  close(): Promise<void>;
}

export async function startBenchServer(
  store: Store,
  identity: ProducerIdentity,
  opts: {
    databaseUrl: string; dir: string; plan: PlanInput; email: string;
    /** Changes to the configuration (e.g. a writable TAXII collection). */
    configure?: (config: Config) => void;
    /** Writes key last-use times on this timer, as `socd serve` does every 30 s; none by default. */
    flushEveryMs?: number;
  },
): Promise<BenchServer> {
  const config = loadConfig({ DATABASE_URL: opts.databaseUrl, LOG_LEVEL: 'silent' }, opts.dir);
  config.plans[opts.plan].rateLimit.max = 1e9;
  opts.configure?.(config);
  const authenticator = new Authenticator(store);
  await authenticator.watch();
  const flusher = opts.flushEveryMs === undefined ? undefined : setInterval(() => void authenticator.flush().catch(() => {}), opts.flushEveryMs);
  const app = await wireApp({ store, config, authenticator, signer: new TokenSigner('b'.repeat(32)), identity, logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { key } = await issueKey(store, opts.email, opts.plan, null);
  return {
    origin: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    key,
    close: async () => {
      clearInterval(flusher);
      await app.close();
      await authenticator.close();
    },
  };
}
