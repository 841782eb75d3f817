import type { IocType } from '../../../domain/ioc-types.js';
import type { Tlp } from '../../../domain/tlp.js';
import type { FieldMap, SourceDefinition } from '../source-definition.js';

/** The generic sources users point at their own feeds (config `customSources` with `"generic": …`). */
export const GENERIC_KINDS = ['text', 'csv', 'stix-bundle', 'taxii'] as const;
export type GenericKind = (typeof GENERIC_KINDS)[number];

export interface GenericOptions {
  id: string;
  generic: GenericKind;
  url: string | string[];
  name?: string;
  homepage?: string;
  license?: string;
  /** Private lists are usually TLP:AMBER and shared with the team that runs the server. */
  tlp?: Tlp;
  reliability?: number;
  redistributable?: boolean;
  mode?: 'snap' | 'inc';
  schedule?: string;
  /** text/csv: the type of every value (else detected per value). */
  type?: IocType;
  /** csv: delimiter, header mode, columns (header none) and the field map (default: value/type/tags… by name). */
  delimiter?: string;
  header?: 'first' | 'commented' | 'none';
  columns?: string[];
  fields?: FieldMap;
  tags?: string[];
  malware?: string[];
  sectors?: string[];
  /** taxii: Basic-auth user (the password is the source's apiKey). */
  username?: string;
  headers?: Record<string, string>;
}

/** Columns our own exports and most hand-made lists use. */
const DEFAULT_CSV_FIELDS: FieldMap = {
  value: 'value', type: 'type', tags: 'tags', malware: 'malware', sectors: 'sectors', confidence: 'confidence',
  firstSeen: 'first_seen', lastSeen: 'last_seen', reference: 'reference',
};

export function genericSource(o: GenericOptions): SourceDefinition {
  const base = {
    id: o.id,
    name: o.name ?? o.id,
    homepage: o.homepage ?? (Array.isArray(o.url) ? o.url[0]! : o.url),
    license: o.license ?? 'private (configured by this server\'s operator)',
    redistributable: o.redistributable ?? true,
    tlp: o.tlp ?? 'amber',
    reliability: o.reliability ?? 0.7,
    schedule: o.schedule ?? '1h',
    fetch: { url: o.url, ...(o.headers ? { headers: o.headers } : {}) },
    defaults: {
      ...(o.type ? { type: o.type } : {}), ...(o.tags ? { tags: o.tags } : {}), ...(o.malware ? { malware: o.malware } : {}),
      ...(o.sectors ? { sectors: o.sectors } : {}),
    },
  };
  switch (o.generic) {
    case 'text':
      return { ...base, mode: o.mode ?? 'snap', shape: { kind: 'line' } };
    case 'csv':
      return {
        ...base,
        mode: o.mode ?? 'snap',
        shape: {
          kind: 'delimited', delimiter: o.delimiter ?? ',', header: o.header ?? 'first',
          ...(o.columns ? { columns: o.columns } : {}), fields: o.fields ?? DEFAULT_CSV_FIELDS,
        },
      };
    case 'stix-bundle':
      return { ...base, mode: o.mode ?? 'snap', shape: { kind: 'stix-bundle' } };
    case 'taxii':
      return {
        ...base,
        mode: 'inc',
        ...(o.username ? { apiKey: { env: `SOCD_${o.id.toUpperCase().replace(/-/g, '_')}_PASSWORD`, optional: true } } : {}),
        shape: { kind: 'taxii', ...(o.username ? { username: o.username } : {}) },
      };
  }
}
