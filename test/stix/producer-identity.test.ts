import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { producerIdentity } from '../../src/stix/producer-identity.js';

/** The three setting methods the rule uses, over a Map. */
function settings() {
  const values = new Map<string, string>();
  return {
    values,
    getSetting: async (name: string) => values.get(name),
    setSetting: async (name: string, value: string) => void values.set(name, value),
    getOrCreateSetting: async (name: string, create: () => string) => {
      if (!values.has(name)) values.set(name, create());
      return values.get(name)!;
    },
  };
}

describe('producer identity (STIX 2.1 §3.6 versioning of our identity object)', () => {
  it('is made once and kept: the same id and created on every later start', async () => {
    const s = settings();
    const first = await producerIdentity(s, { identityId: undefined, identityName: 'Acme' });
    assert.match(first.id, /^identity--[0-9a-f-]{36}$/);
    assert.equal(first.modified, first.created);
    const again = await producerIdentity(s, { identityId: undefined, identityName: 'Acme' });
    assert.deepEqual(again, first);
  });

  it('a configured id wins over the stored one', async () => {
    const s = settings();
    await producerIdentity(s, { identityId: undefined, identityName: 'Acme' });
    const id = 'identity--0d6b3e5c-6a57-4c1d-9d3c-6f0f3b8a2e11';
    assert.equal((await producerIdentity(s, { identityId: id, identityName: 'Acme' })).id, id);
  });

  it('a rename is a new version: a later modified, kept for the next starts', async () => {
    const s = settings();
    s.values.set('stix_identity_created', String(Date.now() + 60_000));
    const before = await producerIdentity(s, { identityId: undefined, identityName: 'Acme' });
    const renamed = await producerIdentity(s, { identityId: undefined, identityName: 'Acme Corp' });
    assert.equal(renamed.name, 'Acme Corp');
    assert.equal(renamed.created, before.created);
    assert.ok(renamed.modified! > before.modified!, 'modified moves forward even when the clock is behind created');
    assert.deepEqual(await producerIdentity(s, { identityId: undefined, identityName: 'Acme Corp' }), renamed);
  });
});
