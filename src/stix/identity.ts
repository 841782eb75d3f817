import { SPEC_VERSION } from './constants.js';

export interface ProducerIdentity {
  /** `identity--<uuid4>`: fixed per deployment (configuration, or generated once and kept in the database). */
  id: string;
  name: string;
  /** Epoch ms: when the identity was first made. */
  created: number;
  /** Epoch ms: its last change (a new name); `created` until then. */
  modified?: number;
}

/** The producer `identity` (STIX 2.1 §4.5): `created_by_ref` of every object we emit, in every bundle. */
export function identityObject(p: ProducerIdentity): Record<string, unknown> {
  return {
    type: 'identity',
    spec_version: SPEC_VERSION,
    id: p.id,
    created: new Date(p.created).toISOString(),
    modified: new Date(Math.max(p.modified ?? p.created, p.created)).toISOString(),
    name: p.name,
    description: `Threat-intelligence server ${p.name}: indicators of compromise aggregated, scored and aged from public and private sources.`,
    identity_class: 'organization',
  };
}
