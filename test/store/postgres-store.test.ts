import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Authenticator } from '../../src/auth/authenticator.js';
import type { AccountStore } from '../../src/store/store.js';
import { issueKey } from '../../src/auth/key-service.js';
import { dropPostgresSchema } from '../../src/store/postgres/postgres-store.js';
import { legacyPostgresStore, postgresStore } from '../support/stores.js';
import { storeAccountsContract } from './store-accounts.contract.js';
import { storeAllowListContract } from './store-allowlist.contract.js';
import { storeAuditContract } from './store-audit.contract.js';
import { storeSessionsContract } from './store-sessions.contract.js';
import { storeStatsContract } from './store-stats.contract.js';
import { storeSourcesContract } from './store-sources.contract.js';
import { storeWalkContract } from './store-walk.contract.js';
import { storeBlocklistsContract } from './store-blocklists.contract.js';
import { storeWebhooksContract } from './store-webhooks.contract.js';
import { storeClaimsContract } from './store-claims.contract.js';
import { storeSourceSettingsContract } from './store-source-settings.contract.js';
import { storeLookupContract } from './store-lookup.contract.js';
import { storeRolesContract } from './store-roles.contract.js';
import { storeContract } from './store.contract.js';
import { Registry } from 'prom-client';
import { ServerMetrics } from '../../src/http/metrics.js';
import { observation, source } from '../support/builders.js';
import { parsePrometheusText, sampleSum, sampleValue } from '../support/prom-text.js';

/**
 * The store contract against PostgreSQL, when DATABASE_URL names one (e.g. postgres://postgres@127.0.0.1:5432/test).
 * Every store gets a fresh schema, dropped when the file's tests are done.
 */
const url = process.env.DATABASE_URL ?? '';

if (/^postgres(ql)?:\/\//.test(url)) {
  const schemas: string[] = [];
  after(async () => {
    for (const schema of schemas) await dropPostgresSchema(url, schema);
  });
  const fresh = () => {
    const schema = `socd_t_${randomBytes(6).toString('hex')}`;
    schemas.push(schema);
    return schema;
  };
  storeContract('postgres', () => postgresStore(url, fresh()));
  storeRolesContract('postgres', () => postgresStore(url, fresh()));
  storeAllowListContract('postgres', () => postgresStore(url, fresh()));
  storeAccountsContract('postgres', () => postgresStore(url, fresh()), () => legacyPostgresStore(url, fresh()));
  storeSourceSettingsContract('postgres', () => postgresStore(url, fresh()));
  storeLookupContract('postgres', () => postgresStore(url, fresh()));
  storeClaimsContract('postgres', () => postgresStore(url, fresh()));
  storeAuditContract('postgres', () => postgresStore(url, fresh()));
  storeSessionsContract('postgres', () => postgresStore(url, fresh()));
  storeStatsContract('postgres', () => postgresStore(url, fresh()));
  storeSourcesContract('postgres', () => postgresStore(url, fresh()));
  storeWalkContract('postgres', () => postgresStore(url, fresh()));
  storeBlocklistsContract('postgres', () => postgresStore(url, fresh()));
  storeWebhooksContract('postgres', () => postgresStore(url, fresh()));

  describe('PostgreSQL: planner statistics after a first load', () => {
    it('analyzes the loaded tables after a small first load (never analyzed), and not again after the next one', async () => {
      const store = await postgresStore(url, fresh());
      try {
        const analyzed = async () => {
          const { rows } = await store.conn.pool.query<{ relname: string; n: string }>(
            `SELECT relname, analyze_count + autoanalyze_count AS n FROM pg_stat_user_tables
              WHERE schemaname = current_schema() AND relname IN ('iocs', 'object_versions', 'collection_members') ORDER BY relname`,
          );
          return rows.map((r) => `${r.relname}:${Number(r.n)}`);
        };
        assert.deepEqual(await analyzed(), ['collection_members:0', 'iocs:0', 'object_versions:0']);
        await store.upsertSource(source({ id: 'a' }));
        await store.upsertObservations('a', Array.from({ length: 40 }, (_, i) => observation({ type: 'domain', value: `first-${i}.example` })), Date.now());
        assert.deepEqual(await analyzed(), ['collection_members:1', 'iocs:1', 'object_versions:1']);
        // The tables have statistics now: a small load leaves them to autovacuum.
        await store.upsertObservations('a', [observation({ type: 'domain', value: 'second.example' })], Date.now());
        assert.deepEqual(await analyzed(), ['collection_members:1', 'iocs:1', 'object_versions:1']);
      } finally {
        await store.close();
      }
    });
  });

  describe('PostgreSQL: a slow producer does not hold the version-log lock', () => {
    it('ends a batch shorter when the next slice keeps it waiting, so that another node writes meanwhile', async () => {
      const schema = fresh();
      const [a, b] = [await postgresStore(url, schema), await postgresStore(url, schema)];
      try {
        await a.upsertSource(source({ id: 'slow' }));
        await b.upsertSource(source({ id: 'other' }));
        let otherWrote = false;
        // The producer's second chunk comes only once the other node has written (or after 10 s, and the test fails).
        const otherWrite = (async () => {
          await new Promise((resolve) => setTimeout(resolve, 50));
          await b.upsertObservations('other', [observation({ type: 'domain', value: 'other-node.example' })], Date.now());
          otherWrote = true;
        })();
        // A first slice whole (5,000: the store writes a batch by slices of that size), then the wait inside the batch.
        const SLICE = 5000;
        async function* slowFeed() {
          yield Array.from({ length: SLICE }, (_, i) => observation({ type: 'domain', value: `slow-${i}.example` }));
          await Promise.race([otherWrite, new Promise((resolve) => setTimeout(resolve, 10_000))]);
          yield [observation({ type: 'domain', value: 'slow-last.example' })];
        }
        const commits: number[] = [];
        const total = await a.upsertObservationStream('slow', slowFeed(), { batchSize: 4 * SLICE, onCommit: (t) => commits.push(t.inserted) });
        assert.ok(otherWrote, 'the other node wrote while the producer waited');
        assert.equal(total.inserted, SLICE + 1);
        assert.deepEqual(commits, [SLICE, SLICE + 1], 'the batch was committed when the producer kept it waiting, the rest in another');
        assert.equal((await a.queryIocs({ status: 'active', types: ['domain'], value: 'other-node.example', limit: 1 })).items.length, 1);
      } finally {
        await a.close();
        await b.close();
      }
    });
  });

  describe('PostgreSQL: the figures of GET /metrics', () => {
    it('reports both pools (open, idle, waiting) and the tallies, the log size and the backend', async () => {
      const store = await postgresStore(url, fresh());
      try {
        await store.upsertSource(source({ id: 'feed' }));
        await store.upsertObservations('feed', [observation({ type: 'domain', value: 'a.example.net' }), observation({ type: 'ipv4', value: '198.51.100.9' })], Date.now());
        const metrics = new ServerMetrics(new Registry(), store, async () => []);
        const m = parsePrometheusText(await metrics.scrape());
        const pools = store.poolUse();
        assert.deepEqual(pools.map((p) => p.pool), ['requests', 'ingest']);
        for (const p of pools) {
          const open = sampleValue(m, 'socd_db_pool_connections', { pool: p.pool })!;
          assert.ok(open >= 1, `${p.pool}: connections were opened`);
          assert.ok(sampleValue(m, 'socd_db_pool_idle', { pool: p.pool })! <= open);
          assert.equal(sampleValue(m, 'socd_db_pool_waiting', { pool: p.pool }), 0);
        }
        assert.equal(sampleValue(m, 'socd_database_info', { kind: 'postgres' }), 1);
        assert.equal(sampleSum(m, 'socd_iocs', { status: 'active' }), 2);
        assert.equal(sampleValue(m, 'socd_version_log_size'), await store.versionLogSize());
      } finally {
        await store.close();
      }
    });
  });

  describe('PostgreSQL: key changes reach every process', () => {
    // The authenticator's clock stands still, so a remembered key never ages out of its cache: only the announced
    // change can make it refused. The test waits for the announcements themselves (no deadline but the test's timeout,
    // a hang guard): after each one it asks again.
    it('a key revoked or re-planned through another connection is refused, or re-planned, once the change is announced', { timeout: 60_000 }, async () => {
      const schema = fresh();
      const node = await postgresStore(url, schema);
      const cli = await postgresStore(url, schema); // another process: `socd keys revoke`, `socd accounts plan`
      let announced = 0;
      let wake = () => {};
      const watched = new Proxy(node, {
        get(target, name) {
          if (name === 'watchKeyChanges') {
            return (onChange: (watching: boolean) => void) => target.watchKeyChanges!((watching) => {
              onChange(watching);
              announced++;
              wake();
            });
          }
          const value = Reflect.get(target, name, target) as unknown;
          return typeof value === 'function' ? value.bind(target) : value;
        },
      }) as AccountStore;
      const auth = new Authenticator(watched, () => Date.UTC(2026, 4, 17));
      try {
        assert.equal(await auth.watch(), true);
        const doomed = await issueKey(cli, 'doomed@example.com', 'pro', null);
        const kept = await issueKey(cli, 'kept@example.com', 'pro', null);
        const bearer = (key: string) => `Bearer ${key}`;
        assert.equal((await auth.authenticate(bearer(doomed.key))).ok, true);
        assert.equal((await auth.authenticate(bearer(kept.key))).ok, true);
        /** Until `check` holds: asked now, then again after each announcement that came since it was last asked. */
        const eventually = async (check: () => Promise<boolean>) => {
          for (;;) {
            const seen = announced;
            if (await check()) return;
            if (announced === seen) await new Promise<void>((r) => (wake = r));
          }
        };
        assert.equal(await cli.revokeApiKey(doomed.key.slice(0, 16), Date.now()), true);
        await eventually(async () => !(await auth.authenticate(bearer(doomed.key))).ok);
        assert.deepEqual(await auth.authenticate(bearer(doomed.key)), { ok: false, reason: 'API key revoked' });
        await cli.setAccountPlan(kept.account.id, 'free');
        await eventually(async () => {
          const r = await auth.authenticate(bearer(kept.key));
          return r.ok && r.principal.plan === 'free';
        });
      } finally {
        await auth.close();
        await node.close();
        await cli.close();
      }
    });

    it("disabling an account (or changing its roles) through another connection reaches every node's cache at once", { timeout: 60_000 }, async () => {
      const schema = fresh();
      const cli = await postgresStore(url, schema);
      const nodes = [await postgresStore(url, schema), await postgresStore(url, schema)];
      let announced = 0;
      let wake = () => {};
      const auths = nodes.map((node) => {
        const watched = Object.create(node) as AccountStore;
        watched.watchKeyChanges = (onChange) => node.watchKeyChanges!((watching) => {
          onChange(watching);
          announced++;
          wake();
        });
        return new Authenticator(watched, () => Date.UTC(2026, 4, 17)); // a clock that stands still: only announcements expire the cache
      });
      const eventually = async (check: () => Promise<boolean>) => {
        for (;;) {
          const seen = announced;
          if (await check()) return;
          if (announced === seen) await new Promise<void>((r) => (wake = r));
        }
      };
      try {
        for (const auth of auths) assert.equal(await auth.watch(), true);
        const issued = await issueKey(cli, 'leaver@example.com', 'pro', null);
        const bearer = `Bearer ${issued.key}`;
        for (const auth of auths) assert.equal((await auth.authenticate(bearer)).ok, true, 'remembered by each node');
        await cli.updateAccount(issued.account.id, { roles: ['analyst'] });
        for (const auth of auths) {
          await eventually(async () => {
            const r = await auth.authenticate(bearer);
            return r.ok && r.principal.roles.includes('analyst');
          });
        }
        await cli.updateAccount(issued.account.id, { disabled: { at: Date.now(), reason: 'left' } });
        for (const auth of auths) await eventually(async () => !(await auth.authenticate(bearer)).ok);
        for (const auth of auths) {
          const r = await auth.authenticate(bearer);
          assert.equal(r.ok, false);
          assert.match(r.ok ? '' : r.reason, /account disabled/);
        }
        await cli.updateAccount(issued.account.id, { disabled: null });
        for (const auth of auths) await eventually(async () => (await auth.authenticate(bearer)).ok);
      } finally {
        for (const auth of auths) await auth.close();
        for (const node of nodes) await node.close();
        await cli.close();
      }
    });
  });
} else {
  it('Store contract: postgres', { skip: 'DATABASE_URL is not a postgres:// URL: set it (e.g. postgres://postgres@127.0.0.1:5432/test) to run the contract against PostgreSQL' }, () => {});
}
