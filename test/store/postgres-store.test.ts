import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Authenticator } from '../../src/auth/authenticator.js';
import { issueKey } from '../../src/auth/key-service.js';
import { dropPostgresSchema } from '../../src/store/postgres/postgres-store.js';
import { postgresStore } from '../support/stores.js';
import { storeAllowListContract } from './store-allowlist.contract.js';
import { storeRolesContract } from './store-roles.contract.js';
import { storeContract } from './store.contract.js';

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

  describe('PostgreSQL: key changes reach every process', () => {
    it('a key revoked or re-planned through another connection is refused, or re-planned, within moments', async () => {
      const schema = fresh();
      const node = await postgresStore(url, schema);
      const cli = await postgresStore(url, schema); // another process: `socd keys revoke`, `socd accounts plan`
      const auth = new Authenticator(node);
      try {
        assert.equal(await auth.watch(), true);
        const doomed = await issueKey(cli, 'doomed@example.com', 'pro', null);
        const kept = await issueKey(cli, 'kept@example.com', 'pro', null);
        const bearer = (key: string) => `Bearer ${key}`;
        assert.equal((await auth.authenticate(bearer(doomed.key))).ok, true);
        assert.equal((await auth.authenticate(bearer(kept.key))).ok, true);
        const eventually = async (what: string, check: () => Promise<boolean>) => {
          for (const started = Date.now(); Date.now() - started < 5000; await new Promise((r) => setTimeout(r, 10))) {
            if (await check()) return;
          }
          assert.fail(`${what}: not seen within 5 s`);
        };
        assert.equal(await cli.revokeApiKey(doomed.key.slice(0, 16), Date.now()), true);
        await eventually('revocation', async () => !(await auth.authenticate(bearer(doomed.key))).ok);
        assert.deepEqual(await auth.authenticate(bearer(doomed.key)), { ok: false, reason: 'API key revoked' });
        await cli.setAccountPlan(kept.account.id, 'free');
        await eventually('plan change', async () => {
          const r = await auth.authenticate(bearer(kept.key));
          return r.ok && r.principal.plan === 'free';
        });
      } finally {
        await auth.close();
        await node.close();
        await cli.close();
      }
    });
  });
} else {
  it('Store contract: postgres', { skip: 'DATABASE_URL is not a postgres:// URL: set it (e.g. postgres://postgres@127.0.0.1:5432/test) to run the contract against PostgreSQL' }, () => {});
}
