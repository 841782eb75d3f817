import { randomUUID } from 'node:crypto';
import type { Store } from '../store/store.js';
import type { ProducerIdentity } from './identity.js';

/** The settings the producer identity is kept in. */
type IdentitySettings = Pick<Store, 'getSetting' | 'setSetting' | 'getOrCreateSetting'>;

/**
 * The identity every STIX object names as its producer: its id from configuration, else made once and kept in the
 * database, so that ids never change between restarts or nodes.
 */
export async function producerIdentity(
  settings: IdentitySettings,
  configured: { identityId: string | undefined; identityName: string },
): Promise<ProducerIdentity> {
  const id = configured.identityId ?? (await settings.getOrCreateSetting('stix_identity_id', () => `identity--${randomUUID()}`));
  const created = Number(await settings.getOrCreateSetting('stix_identity_created', () => String(Date.now())));
  const name = configured.identityName;
  let modified = Number((await settings.getSetting('stix_identity_modified')) ?? created);
  const stored = await settings.getSetting('stix_identity_name');
  if (stored !== name) {
    // A renamed identity is a new version of the same object: STIX 2.1 §3.6 wants a later `modified`.
    if (stored !== undefined) {
      modified = Math.max(Date.now(), modified + 1);
      await settings.setSetting('stix_identity_modified', String(modified));
    }
    await settings.setSetting('stix_identity_name', name);
  }
  return { id, name, created, modified };
}
