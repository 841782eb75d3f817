/** The 16 CISA critical-infrastructure sectors: the `industry` filter and `sector:<slug>` labels. */
export const SECTORS = [
  'chemical',
  'commercial-facilities',
  'communications',
  'critical-manufacturing',
  'dams',
  'defense-industrial-base',
  'emergency-services',
  'energy',
  'financial-services',
  'food-agriculture',
  'government-facilities',
  'healthcare-public-health',
  'information-technology',
  'nuclear',
  'transportation-systems',
  'water-wastewater',
] as const;
export type Sector = (typeof SECTORS)[number];

export function isSector(value: string): value is Sector {
  return (SECTORS as readonly string[]).includes(value);
}
