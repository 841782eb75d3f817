import type { LoadedCollection, LoadedRoot, LoadedVersion, TaxiiLoad } from '../store/types.js';
import { BUILTIN_COLLECTIONS } from '../domain/collections.js';
import { OUR_ROOT } from './collection-registry.js';
import { STIX_IDENTIFIER, specVersionOf, versionOf } from '../stix/object-version.js';
import { parseTaxiiTimestamp } from './timestamps.js';

const ROOT_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DEFAULT_MAX_CONTENT_LENGTH = 10 * 1024 * 1024;

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const str = (x: unknown): string | null => (typeof x === 'string' ? x : null);

/**
 * A data file of medallion, the OASIS TAXII 2.1 reference server: `"/discovery"`, then one key per API root with
 * `information`, `status` and `collections` (each with `objects` and a `manifest` of `{id, date_added, version}`).
 * Ids, titles, permissions, statuses and every `date_added` (to the microsecond) are kept, so clients that move
 * over keep their configuration and history. What cannot be used is listed, not fatal.
 */
export function parseMedallionData(doc: unknown): { load: TaxiiLoad; problems: string[] } {
  const problems: string[] = [];
  const load: TaxiiLoad = { discovery: null, roots: [], collections: [], versions: [], statuses: [] };
  if (!isObj(doc)) return { load, problems: ['the file is not a JSON object in medallion\'s layout'] };
  if (isObj(doc['/discovery'])) load.discovery = doc['/discovery'];
  const taken = new Set<string>(BUILTIN_COLLECTIONS.map((c) => c.id));
  for (const [name, value] of Object.entries(doc)) {
    if (name === '/discovery') continue;
    if (!isObj(value) || (!isObj(value.information) && !Array.isArray(value.collections))) {
      problems.push(`${name}: not an API root (no information or collections)`);
      continue;
    }
    if (!ROOT_NAME.test(name) || name === OUR_ROOT) {
      problems.push(`${name}: cannot be loaded as an API root name${name === OUR_ROOT ? ` (${OUR_ROOT} is this server's own root)` : ''}`);
      continue;
    }
    const info = isObj(value.information) ? value.information : {};
    const root: LoadedRoot = {
      name,
      title: str(info.title) ?? name,
      description: str(info.description),
      maxContentLength: typeof info.max_content_length === 'number' && info.max_content_length > 0 ? info.max_content_length : DEFAULT_MAX_CONTENT_LENGTH,
    };
    load.roots.push(root);
    for (const s of Array.isArray(value.status) ? value.status : []) {
      if (isObj(s) && typeof s.id === 'string' && UUID.test(s.id.toLowerCase())) load.statuses.push({ id: s.id.toLowerCase(), root: name, json: JSON.stringify(s) });
      else problems.push(`${name}: a status without a UUID id was left out`);
    }
    for (const c of Array.isArray(value.collections) ? value.collections : []) {
      const collection = parseCollection(name, c, taken, problems);
      if (!collection) continue;
      load.collections.push(collection.collection);
      load.versions.push(...collection.versions);
    }
  }
  return { load, problems };
}

function parseCollection(root: string, c: unknown, taken: Set<string>, problems: string[]): { collection: LoadedCollection; versions: LoadedVersion[] } | undefined {
  if (!isObj(c) || typeof c.id !== 'string' || !UUID.test(c.id.toLowerCase())) {
    problems.push(`${root}: a collection without a UUID id was left out`);
    return undefined;
  }
  const id = c.id.toLowerCase();
  if (taken.has(id)) {
    problems.push(`${root}/${id}: the id is already a collection of this server`);
    return undefined;
  }
  taken.add(id);
  const collection: LoadedCollection = {
    id,
    root,
    title: str(c.title) ?? id,
    description: str(c.description),
    alias: str(c.alias),
    canRead: c.can_read === true,
    canWrite: c.can_write === true,
    // §5.2: kept as loaded (medallion's collections of 2.0 and 2.1 objects say so).
    mediaTypes: Array.isArray(c.media_types) && c.media_types.length > 0 && c.media_types.every((m) => typeof m === 'string' && m.length <= 200)
      ? (c.media_types as string[])
      : null,
  };
  // §5.3: one manifest record per version: (id, version) → date_added. A record's version is what identifies the
  // version of an object without modified or created (medallion gives such objects their date_added).
  const added = new Map<string, number>();
  const recordsOf = new Map<string, Array<{ version: number; dateAdded: number }>>();
  for (const m of Array.isArray(c.manifest) ? c.manifest : []) {
    if (!isObj(m) || typeof m.id !== 'string' || typeof m.date_added !== 'string') continue;
    const us = parseTaxiiTimestamp(m.date_added);
    const version = typeof m.version === 'string' ? Date.parse(m.version) : Number.NaN;
    if (us === undefined) {
      problems.push(`${root}/${id}: manifest entry of ${m.id} has an unreadable date_added ${JSON.stringify(m.date_added)}`);
      continue;
    }
    added.set(`${m.id}|${Number.isNaN(version) ? '' : version}`, us);
    recordsOf.set(m.id, [...(recordsOf.get(m.id) ?? []), { version: Number.isNaN(version) ? Math.floor(us / 1000) : version, dateAdded: us }]);
  }
  const versions: LoadedVersion[] = [];
  for (const o of Array.isArray(c.objects) ? c.objects : []) {
    if (!isObj(o) || typeof o.id !== 'string' || !STIX_IDENTIFIER.test(o.id) || typeof o.type !== 'string') {
      problems.push(`${root}/${id}: an object without a STIX id was left out`);
      continue;
    }
    let modified = versionOf(o);
    if (modified !== null && Number.isNaN(modified)) {
      problems.push(`${root}/${id}: ${o.id} has an unreadable modified or created timestamp`);
      continue;
    }
    let dateAdded: number | null = null;
    if (modified !== null) dateAdded = added.get(`${o.id}|${modified}`) ?? null;
    else {
      // Unversioned (an SCO): the manifest record of this id that no other loaded version of it has taken.
      const record = (recordsOf.get(o.id) ?? []).find((r) => !versions.some((v) => v.collection === id && v.object.stixId === o.id && v.object.modified === r.version));
      if (record) ({ version: modified, dateAdded } = record);
    }
    versions.push({
      collection: id,
      // An SDO or SRO without spec_version is STIX 2.0 and stays so; an SCO without it is 2.1.
      object: { stixId: o.id, type: o.type, modified, specVersion: specVersionOf(o), json: JSON.stringify(o) },
      dateAdded,
    });
  }
  return { collection, versions };
}
