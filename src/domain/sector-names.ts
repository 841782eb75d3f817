import { isSector, type Sector } from './sectors.js';

/**
 * Names sources give sectors, lowercased with punctuation folded to spaces → our CISA sector ids. Covers the
 * CISA sector names of ICS advisories, OTX pulse `industries` and MISP's sector galaxy.
 */
const NAMES: Record<string, Sector> = {
  chemical: 'chemical', chemicals: 'chemical', 'chemical sector': 'chemical',
  'commercial facilities': 'commercial-facilities', retail: 'commercial-facilities', hospitality: 'commercial-facilities',
  entertainment: 'commercial-facilities', 'media and entertainment': 'commercial-facilities', 'real estate': 'commercial-facilities',
  communications: 'communications', telecommunications: 'communications', telecom: 'communications', telecoms: 'communications',
  media: 'communications',
  'critical manufacturing': 'critical-manufacturing', manufacturing: 'critical-manufacturing', automotive: 'critical-manufacturing',
  aerospace: 'critical-manufacturing',
  dams: 'dams',
  'defense industrial base': 'defense-industrial-base', defense: 'defense-industrial-base', defence: 'defense-industrial-base',
  military: 'defense-industrial-base',
  'emergency services': 'emergency-services',
  energy: 'energy', 'oil and gas': 'energy', oil: 'energy', utilities: 'energy', electricity: 'energy', electric: 'energy',
  'financial services': 'financial-services', finance: 'financial-services', financial: 'financial-services',
  banking: 'financial-services', banks: 'financial-services', insurance: 'financial-services', 'fintech': 'financial-services',
  cryptocurrency: 'financial-services',
  'food and agriculture': 'food-agriculture', agriculture: 'food-agriculture', food: 'food-agriculture',
  'government facilities': 'government-facilities', government: 'government-facilities',
  'government national': 'government-facilities', 'government local': 'government-facilities', 'public administration': 'government-facilities',
  education: 'government-facilities', 'higher education': 'government-facilities',
  'healthcare and public health': 'healthcare-public-health', healthcare: 'healthcare-public-health', health: 'healthcare-public-health',
  'health care': 'healthcare-public-health', pharmaceutical: 'healthcare-public-health', pharmaceuticals: 'healthcare-public-health',
  medical: 'healthcare-public-health', hospitals: 'healthcare-public-health',
  'information technology': 'information-technology', technology: 'information-technology', it: 'information-technology',
  'high tech': 'information-technology', software: 'information-technology',
  nuclear: 'nuclear', 'nuclear reactors': 'nuclear', 'nuclear reactors materials and waste': 'nuclear', 'nuclear reactors materials waste': 'nuclear',
  'transportation systems': 'transportation-systems', transportation: 'transportation-systems', transport: 'transportation-systems',
  logistics: 'transportation-systems', aviation: 'transportation-systems', maritime: 'transportation-systems', shipping: 'transportation-systems',
  'water and wastewater systems': 'water-wastewater', 'water and wastewater': 'water-wastewater', water: 'water-wastewater',
  'water wastewater systems': 'water-wastewater',
};

/** A sector id, a CISA sector name, an OTX industry or a MISP sector (`misp-galaxy:sector="Finance"`) → our id. */
export function sectorOf(name: string): Sector | undefined {
  let s = name.trim();
  const galaxy = /^misp-galaxy:sector\s*=\s*"?([^"]*)"?$/i.exec(s);
  if (galaxy) s = galaxy[1]!;
  const lower = s.toLowerCase();
  if (isSector(lower)) return lower;
  const folded = lower.replace(/&/g, ' and ').replace(/[^a-z0-9]+/g, ' ').trim().replace(/ sector$/, '');
  return Object.hasOwn(NAMES, folded) ? NAMES[folded] : undefined;
}
