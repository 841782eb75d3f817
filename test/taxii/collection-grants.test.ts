import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Principal } from '../../src/auth/authenticator.js';
import type { Role } from '../../src/domain/roles.js';
import { CollectionRegistry } from '../../src/taxii/collection-registry.js';

const who = (plan: Principal['plan'], roles: Role[], email = 'someone@example.com'): Principal =>
  ({ keyId: 1, keyPrefix: 'sk_live_AbCd1234', accountId: 1, email, plan, roles });

describe('TAXII collection grants: plans, roles and accounts', () => {
  const registry = new CollectionRegistry([
    {
      id: '5b9e7a3c-2f41-4d8e-9c6a-1e2f3a4b5c6d', root: 'api', alias: 'share', title: 'Share', description: '',
      read: { plans: ['admin'], accounts: [] }, write: { plans: [], roles: ['analyst'], accounts: ['lead@example.com'] },
    },
  ]);
  const share = registry.all.find((c) => c.alias === 'share')!;

  it("'admin' among the plans is the admin role: a Pro account with the role reads, one without does not", () => {
    assert.equal(share.canRead(who('pro', ['admin'])), true);
    assert.equal(share.canRead(who('pro', ['analyst'])), false);
  });

  it('a role grant admits that role and the higher ones; an account grant its email; TAXII still needs Pro', () => {
    assert.equal(share.canWrite(who('pro', ['analyst'])), true);
    assert.equal(share.canWrite(who('pro', ['admin'])), true, 'admin includes analyst');
    assert.equal(share.canWrite(who('pro', ['submitter'])), false);
    assert.equal(share.canWrite(who('pro', [], 'Lead@example.com')), true);
    assert.equal(share.canWrite(who('free', ['analyst'])), false, 'the Free plan has no TAXII, whatever its roles');
  });
});
