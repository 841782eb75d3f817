import type { Readable } from 'node:stream';
import type { IocType } from '../../domain/ioc-types.js';
import { sectorOf } from '../../domain/sector-names.js';
import type { SourceRecord } from './record.js';
import type { MispShape } from '../catalog/source-definition.js';
import { parseSourceTime } from './source-time.js';
import type { FetchContext } from '../transport/fetch-context.js';
import { bodyText } from './body-text.js';
import type { RecordItem } from './record.js';
import { parseJson } from './json-text.js';
import { DAY_MS } from '../../domain/durations.js';


/** MISP attribute types → ours; composites give their indicator part (`filename|sha256` → the hash). */
const ATTRIBUTE_TYPES: Record<string, { type: IocType | 'ip'; part?: number }> = {
  'ip-src': { type: 'ip' }, 'ip-dst': { type: 'ip' }, domain: { type: 'domain' }, hostname: { type: 'domain' },
  url: { type: 'url' }, uri: { type: 'url' }, link: { type: 'url' }, md5: { type: 'md5' }, sha1: { type: 'sha1' }, sha256: { type: 'sha256' },
  'email-src': { type: 'email' }, 'email-dst': { type: 'email' }, email: { type: 'email' }, vulnerability: { type: 'cve' },
  'ip-src|port': { type: 'ip', part: 0 }, 'ip-dst|port': { type: 'ip', part: 0 }, 'hostname|port': { type: 'domain', part: 0 },
  'filename|md5': { type: 'md5', part: 1 }, 'filename|sha1': { type: 'sha1', part: 1 }, 'filename|sha256': { type: 'sha256', part: 1 },
};

interface Tagged {
  tags: string[];
  malware: string[];
  sectors: string[];
  tlp: string | undefined;
}

/** MISP tags: `tlp:*` → TLP, sector galaxies → sectors, malware galaxies → families, the rest → tags. */
function readTags(list: unknown, into: Tagged): void {
  if (!Array.isArray(list)) return;
  for (const t of list) {
    const name = typeof t === 'string' ? t : typeof (t as { name?: unknown })?.name === 'string' ? (t as { name: string }).name : undefined;
    if (!name) continue;
    const lower = name.toLowerCase();
    if (lower.startsWith('tlp:')) {
      into.tlp = lower.slice(4);
      continue;
    }
    const sector = lower.startsWith('misp-galaxy:sector=') ? sectorOf(name) : undefined;
    if (sector) {
      if (!into.sectors.includes(sector)) into.sectors.push(sector);
      continue;
    }
    const family = /^misp-galaxy:(?:malpedia|ransomware|tool|rat|banker|botnet|stealer|backdoor|android|exploit-kit)="?([^"]+)"?$/i.exec(name)?.[1];
    if (family) {
      if (!into.malware.includes(family)) into.malware.push(family);
      continue;
    }
    // Other galaxies (threat actors, techniques…) are context we do not model as tags.
    if (lower.startsWith('misp-galaxy:')) continue;
    if (!into.tags.includes(name)) into.tags.push(name);
  }
}

/** The event's attributes, its objects' included; items that are not objects (null, strings) are left out. */
function attributes(event: Record<string, unknown>): Array<Record<string, unknown>> {
  const isObject = (a: unknown): a is Record<string, unknown> => a !== null && typeof a === 'object' && !Array.isArray(a);
  const direct = Array.isArray(event.Attribute) ? event.Attribute.filter(isObject) : [];
  const inObjects = Array.isArray(event.Object)
    ? (event.Object as Array<Record<string, unknown>>).flatMap((o) => (Array.isArray(o?.Attribute) ? o.Attribute.filter(isObject) : []))
    : [];
  return [...direct, ...inObjects];
}

/** One MISP event's attributes as records; `to_ids: false` attributes are context and are skipped unless asked for. */
export function* eventItems(doc: unknown, shape: MispShape, uuid: string, first: number): Generator<RecordItem> {
  const event = (doc as { Event?: unknown })?.Event;
  if (event === null || typeof event !== 'object') {
    yield { problem: { line: first, reason: `event ${uuid}: no "Event" object` } };
    return;
  }
  const e = event as Record<string, unknown>;
  const eventTags: Tagged = { tags: [], malware: [], sectors: [], tlp: undefined };
  readTags(e.Tag, eventTags);
  const eventTime = parseSourceTime(e.timestamp as unknown, 'epoch-s') ?? parseSourceTime(e.date);
  let line = first;
  for (const a of attributes(e)) {
    line++;
    // Own keys only: "constructor" or "toString" must not find Object.prototype's members.
    const kind = a.type === 'domain|ip' ? { type: 'domain' as const, part: 0 } : typeof a.type === 'string' && Object.hasOwn(ATTRIBUTE_TYPES, a.type) ? ATTRIBUTE_TYPES[a.type] : undefined;
    if (!kind) {
      yield { skipped: `attribute ${typeof a.type === 'string' ? a.type.slice(0, 40) : typeof a.type}` };
      continue;
    }
    if (a.deleted === true || (a.to_ids === false && !shape.includeNonIds)) {
      yield { skipped: a.deleted === true ? 'attribute deleted' : 'attribute to_ids false' };
      continue;
    }
    if (typeof a.value !== 'string') {
      yield { problem: { line, reason: `event ${uuid}: attribute without a value` } };
      continue;
    }
    const tagged: Tagged = { tags: [...eventTags.tags], malware: [...eventTags.malware], sectors: [...eventTags.sectors], tlp: eventTags.tlp };
    readTags(a.Tag, tagged);
    const raw = kind.part === undefined ? a.value : a.value.split('|')[kind.part];
    if (!raw) {
      yield { problem: { line, reason: `event ${uuid}: composite attribute ${a.type as string} without its part` } };
      continue;
    }
    const record: SourceRecord = {
      line,
      values: [{ value: raw, type: kind.type === 'ip' ? undefined : kind.type }],
      tags: tagged.tags,
      malware: tagged.malware,
      sectors: tagged.sectors,
      firstSeen: parseSourceTime(a.first_seen) ?? parseSourceTime(a.timestamp as unknown, 'epoch-s') ?? eventTime,
      lastSeen: parseSourceTime(a.last_seen) ?? undefined,
      reference: `misp-event:${uuid}`,
      tlp: tagged.tlp,
    };
    // `domain|ip` carries two indicators.
    const ip = a.type === 'domain|ip' ? a.value.split('|')[1] : undefined;
    if (ip) record.values.push({ value: ip });
    yield { record };
  }
}

/**
 * A MISP feed (shape M): `manifest.json` lists events (uuid → info, date, timestamp); events changed since the last
 * run (and not older than maxAgeDays) are fetched as `<uuid>.json`.
 */
export async function* readMisp(manifestBody: Readable, shape: MispShape, baseUrl: string, ctx: FetchContext): AsyncGenerator<RecordItem> {
  const json = parseJson(await bodyText(manifestBody));
  if (!json.ok) throw new Error(`manifest.json is not JSON: ${json.message.slice(0, 120)}`);
  const manifest = json.value;
  if (manifest === null || typeof manifest !== 'object' || Array.isArray(manifest)) throw new Error('manifest.json is not an object of events');
  const oldest = ctx.now - (shape.maxAgeDays ?? 30) * DAY_MS;
  const wanted = Object.entries(manifest as Record<string, Record<string, unknown>>)
    .map(([uuid, m]) => ({ uuid, at: parseSourceTime(m?.timestamp as unknown, 'epoch-s') ?? parseSourceTime(m?.date) ?? 0 }))
    .filter((e) => /^[0-9a-f-]{36}$/i.test(e.uuid) && e.at >= Math.max(oldest, ctx.since))
    .sort((a, b) => a.at - b.at);
  let line = 0;
  for (const { uuid } of wanted) {
    const text = await bodyText(await ctx.get(new URL(`${uuid}.json`, baseUrl).toString()));
    const doc = parseJson(text);
    if (!doc.ok) {
      yield { problem: { line: ++line, reason: `event ${uuid}: not JSON` } };
      continue;
    }
    for (const item of eventItems(doc.value, shape, uuid, line)) {
      line++;
      yield item;
    }
  }
}
