import { TLP_LEVELS } from '../domain/tlp.js';
import type { SharedObject } from '../store/types.js';
import { identityObject, type ProducerIdentity } from './identity.js';
import { tlpMarkingObject } from './tlp-markings.js';

/** The objects every collection carries beside the IOCs: the producer identity and the TLP 2.0 markings. */
export function sharedObjects(identity: ProducerIdentity): SharedObject[] {
  const objects = [identityObject(identity), ...TLP_LEVELS.map(tlpMarkingObject)];
  return objects.map((o) => ({
    stixId: o.id as string,
    type: o.type as string,
    modified: Date.parse((o.modified ?? o.created) as string),
    json: JSON.stringify(o),
  }));
}
