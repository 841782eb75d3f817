import type { Observation, SourceRecord } from '../../src/store/types.js';

/** Row builders: tests state only what matters to them. */
export function observation(over: Partial<Observation> & Pick<Observation, 'type' | 'value'>): Observation {
  const t = Date.UTC(2026, 4, 17);
  return { confidence: null, tags: [], malware: [], sectors: [], tlp: null, firstSeen: t, lastSeen: t, reference: null, ...over };
}

export function source(over: Partial<SourceRecord> & Pick<SourceRecord, 'id'>): SourceRecord {
  return { name: over.id, reliability: 0.8, redistributable: true, aggregate: false, tlp: 'clear', ...over };
}
