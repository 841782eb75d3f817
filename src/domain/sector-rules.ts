import { isSector, type Sector } from './sectors.js';

/** Sectors inferred from what an IOC is known for: a malware family or a tag (config `sectorRules`, matched case-insensitively). */
export interface SectorRule {
  malware?: readonly string[];
  tags?: readonly string[];
  sectors: readonly Sector[];
}

/** Families whose targets are public knowledge (ICS malware, banking trojans). Extended or replaced by configuration. */
export const DEFAULT_SECTOR_RULES: readonly SectorRule[] = [
  {
    malware: ['Industroyer', 'Industroyer2', 'CrashOverride', 'Triton', 'Trisis', 'BlackEnergy', 'Havex', 'Pipedream', 'Incontroller', 'FrostyGoop', 'COSMICENERGY', 'Fuxnet'],
    sectors: ['energy'],
  },
  {
    malware: ['Dridex', 'QakBot', 'Qbot', 'TrickBot', 'Zeus', 'Gozi', 'Ursnif', 'IcedID', 'DanaBot', 'Grandoreiro', 'Mekotio', 'Anatsa', 'Cerberus'],
    tags: ['banker', 'banking', 'banking-trojan'],
    sectors: ['financial-services'],
  },
];

export class SectorRules {
  private readonly byMalware = new Map<string, Sector[]>();
  private readonly byTag = new Map<string, Sector[]>();

  constructor(rules: readonly SectorRule[] = DEFAULT_SECTOR_RULES) {
    const add = (map: Map<string, Sector[]>, key: string, sectors: readonly Sector[]) => {
      const list = map.get(key.toLowerCase()) ?? [];
      for (const s of sectors) if (!list.includes(s)) list.push(s);
      map.set(key.toLowerCase(), list);
    };
    for (const rule of rules) {
      for (const s of rule.sectors) if (!isSector(s)) throw new Error(`sectorRules: unknown sector ${JSON.stringify(s)}`);
      for (const m of rule.malware ?? []) add(this.byMalware, m, rule.sectors);
      for (const t of rule.tags ?? []) add(this.byTag, t, rule.sectors);
    }
  }

  /** The sectors the rules give an IOC with these families and tags (empty when none apply). */
  sectorsFor(malware: readonly string[], tags: readonly string[]): Sector[] {
    const out: Sector[] = [];
    const take = (list: Sector[] | undefined) => list?.forEach((s) => !out.includes(s) && out.push(s));
    for (const m of malware) take(this.byMalware.get(m.toLowerCase()));
    for (const t of tags) take(this.byTag.get(t.toLowerCase()));
    return out;
  }
}
