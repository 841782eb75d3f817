import { TLP_LEVELS, type Tlp } from '../domain/tlp.js';

/** TLP 2.0 marking-definition ids (OASIS TLP 2.0 extension), the ones we emit. */
export const TLP2_MARKING_IDS: Record<Tlp, string> = {
  clear: 'marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487',
  green: 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb',
  amber: 'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421',
  'amber+strict': 'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003',
  red: 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1',
};

/** TLP 1.0 ids of STIX 2.1 §7.2.1.4, accepted on input. */
const TLP1_MARKING_IDS: Record<string, Tlp> = {
  'marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9': 'clear',
  'marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da': 'green',
  'marking-definition--f88d31f6-486f-44da-b317-01333bde0b82': 'amber',
  'marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed': 'red',
};

const BY_ID = new Map<string, Tlp>([
  ...Object.entries(TLP2_MARKING_IDS).map(([tlp, id]) => [id, tlp as Tlp] as const),
  ...Object.entries(TLP1_MARKING_IDS),
]);

/** The TLP of an object from its `object_marking_refs`: the most restrictive one it carries, if any. */
export function tlpOfMarkings(refs: unknown): Tlp | undefined {
  if (!Array.isArray(refs)) return undefined;
  let found: Tlp | undefined;
  for (const ref of refs) {
    const tlp = typeof ref === 'string' ? BY_ID.get(ref) : undefined;
    if (tlp && (found === undefined || TLP_LEVELS.indexOf(tlp) > TLP_LEVELS.indexOf(found))) found = tlp;
  }
  return found;
}

const TLP_NAMES: Record<Tlp, string> = { clear: 'CLEAR', green: 'GREEN', amber: 'AMBER', 'amber+strict': 'AMBER+STRICT', red: 'RED' };
export const TLP2_EXTENSION_ID = 'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d';

/** The TLP 2.0 marking-definition object of a level, exactly as the OASIS TLP 2.0 extension defines it. */
export function tlpMarkingObject(tlp: Tlp): Record<string, unknown> {
  return {
    type: 'marking-definition',
    spec_version: '2.1',
    id: TLP2_MARKING_IDS[tlp],
    created: '2022-10-01T00:00:00.000Z',
    name: `TLP:${TLP_NAMES[tlp]}`,
    extensions: { [TLP2_EXTENSION_ID]: { extension_type: 'property-extension', tlp_2_0: tlp } },
  };
}
