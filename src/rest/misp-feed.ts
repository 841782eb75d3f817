import { createHash } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { DAY_MS } from '../domain/durations.js';
import { bandOf } from '../domain/confidence.js';
import type { IocType } from '../domain/ioc-types.js';
import { TLP_LEVELS, type Tlp } from '../domain/tlp.js';
import { NotFoundError } from '../errors/app-error.js';
import type { ProducerIdentity } from '../stix/identity.js';
import type { IocReads, SourceRunStore } from '../store/store.js';
import type { Ioc, IocPosition, IocQuery, SourceRecord } from '../store/types.js';

/**
 * GET /api/v1/feeds/misp/…: the IOCs as a MISP feed, the directory layout MISP's "Add feed" (source format "MISP
 * Feed") reads. The layout is the one MISP's own feed generator writes (PyMISP examples/feed-generator/generate.py):
 * - `manifest.json`: an object of event UUID → {Orgc, Tag, info, date, analysis, threat_level_id, timestamp}
 *   (its `__addEventToManifest`); MISP compares each `timestamp` with the one it stored and fetches only the
 *   events that moved;
 * - `<event uuid>.json`: `{"Event": {…}}` with the event fields uuid, info, threat_level_id, analysis, timestamp,
 *   publish_timestamp, published, date, its `Orgc` {name, uuid}, `Tag` [{name}] and `Attribute` list (each
 *   uuid, value, category, type, comment, timestamp, to_ids, and Tag) (its `objectsFields`);
 * - `hashes.csv`: one line `md5(attribute value),event uuid` per attribute (its `saveHashes`), the quick look-up
 *   MISP's feed correlation ("cache feed") uses.
 * Values follow the MISP core format (draft-dulaunoy-misp-core-format): numbers of the Event as strings, times as
 * epoch seconds, `date` as YYYY-MM-DD, attribute `first_seen`/`last_seen` as ISO 8601.
 *
 * Grouping: one event per source per UTC day on which this server first stored the IOC (`added_at`, which never
 * changes), over the last MISP_FEED_DAYS days. An IOC several sources list is an attribute of each source's event.
 * The event UUID is a UUIDv5 (RFC 4122 §4.3, SHA-1) in the namespace of the server's producer identity of the name
 * `misp-event:<source id>:<day>`, so it is the same on every node and every request; an attribute's UUID is the
 * UUIDv5 of `misp-attribute:<IOC STIX id>:<source id>` in the same namespace (one IOC, one UUID per event it is in).
 * An event's `timestamp` is the latest `updated_at` of its IOCs (epoch s): it moves when an IOC of the event changes
 * (score, status, sightings, tags), and the attribute shows what changed (its comment, to_ids, last_seen, tags).
 *
 * Like the STIX export, only IOCs of redistributable sources are served: a MISP feed is shared on.
 */

/** How many UTC days (today included) the feed covers; older events leave the manifest (MISP keeps what it has). */
export const MISP_FEED_DAYS = 30;
/** `to_ids` is true for active IOCs scoring at least this (the middle of the medium band); revoked IOCs: false. */
export const MISP_TO_IDS_MIN_SCORE = 50;
/** Tags an attribute carries at most, and their length (MISP's `tags.name` is 255 characters). */
const MAX_TAGS = 50;
const MAX_TAG_LENGTH = 255;
const PAGE = 1000;

/** Our types → MISP attribute type and category (MISP's categories × types table: misp-project.org/datamodels). */
export const MISP_TYPES: Record<IocType, { type: string; category: string }> = {
  ipv4: { type: 'ip-dst', category: 'Network activity' },
  ipv6: { type: 'ip-dst', category: 'Network activity' },
  domain: { type: 'domain', category: 'Network activity' },
  url: { type: 'url', category: 'Network activity' },
  md5: { type: 'md5', category: 'Payload delivery' },
  sha1: { type: 'sha1', category: 'Payload delivery' },
  sha256: { type: 'sha256', category: 'Payload delivery' },
  email: { type: 'email-src', category: 'Payload delivery' },
  cve: { type: 'vulnerability', category: 'External analysis' },
};

/** One manifest entry (PyMISP feed generator's `__addEventToManifest`). */
export interface MispManifestEntry {
  Orgc: { name: string; uuid: string };
  Tag: Array<{ name: string }>;
  info: string;
  date: string;
  analysis: string;
  threat_level_id: string;
  timestamp: string;
}

/** What an event's IOCs add up to: its manifest fields that depend on them. */
interface EventSummary {
  count: number;
  updated: number;
  maxScore: number;
  tlp: number;
}

/** A UUIDv5 (RFC 4122 §4.3): SHA-1 of the namespace's 16 bytes and the name, version 5, variant RFC 4122. */
export function uuidV5(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const h = createHash('sha1').update(ns).update(name, 'utf8').digest().subarray(0, 16);
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const seconds = (ms: number) => String(Math.floor(ms / 1000));

/** MISP threat levels: 1 high, 2 medium, 3 low (4 undefined is never given), from the best score of the event. */
function threatLevel(maxScore: number): string {
  const band = bandOf(maxScore);
  return band === 'high' ? '1' : band === 'medium' ? '2' : '3';
}

/** A tag name as MISP stores it: one line, at most 255 characters; quotes are taken out of galaxy values. */
function galaxyValue(v: string): string {
  return v.replace(/["\r\n]/g, '').slice(0, 200);
}

/**
 * The tags of an attribute: `tlp:<level>` (MISP's tlp taxonomy, TLP 2.0 names), `misp-galaxy:malpedia="<family>"`
 * per malware family, `misp-galaxy:sector="<sector id>"` per CISA sector (our ids, which connectors read back),
 * then the IOC's own tags as they are. Tags with line breaks or over 255 characters are left out.
 */
export function attributeTags(ioc: Pick<Ioc, 'tlp' | 'malware' | 'sectors' | 'tags'>): Array<{ name: string }> {
  const names = [
    `tlp:${ioc.tlp}`,
    ...ioc.malware.map((m) => `misp-galaxy:malpedia="${galaxyValue(m)}"`),
    ...ioc.sectors.map((s) => `misp-galaxy:sector="${galaxyValue(s)}"`),
    ...ioc.tags,
  ];
  const seen = new Set<string>();
  const out: Array<{ name: string }> = [];
  for (const name of names) {
    if (out.length >= MAX_TAGS) break;
    if (!name || name.length > MAX_TAG_LENGTH || /[\r\n]/.test(name) || seen.has(name)) continue;
    seen.add(name);
    out.push({ name });
  }
  return out;
}

/** One IOC as a MISP attribute of a source's event. */
export function mispAttribute(ioc: Ioc, source: string, namespace: string): Record<string, unknown> {
  const { type, category } = MISP_TYPES[ioc.type];
  const active = ioc.status === 'active';
  return {
    uuid: uuidV5(namespace, `misp-attribute:${ioc.id}:${source}`),
    type,
    category,
    value: ioc.value,
    to_ids: active && ioc.score >= MISP_TO_IDS_MIN_SCORE,
    comment: `score ${ioc.score}/100 (${bandOf(ioc.score)})${active ? '' : ', revoked'}`,
    timestamp: seconds(ioc.updatedAt),
    first_seen: new Date(ioc.firstSeen).toISOString(),
    last_seen: new Date(Math.max(ioc.lastSeen, ioc.firstSeen)).toISOString(),
    Tag: attributeTags(ioc),
  };
}

/** The feed without HTTP: the manifest, an event file and hashes.csv, each read by index range scans of one source. */
export class MispFeedService {
  private readonly namespace: string;
  private readonly orgc: { name: string; uuid: string };

  constructor(
    private readonly store: Pick<IocReads, 'queryIocs' | 'sourceDays' | 'pageSharedValues'> & Pick<SourceRunStore, 'listSources'>,
    identity: ProducerIdentity,
    private readonly clock: () => number = Date.now,
  ) {
    this.namespace = identity.id.replace(/^identity--/, '');
    this.orgc = { name: identity.name, uuid: this.namespace };
  }

  /** The UUID of (source, UTC day YYYY-MM-DD)'s event. */
  eventUuid(source: string, date: string): string {
    return uuidV5(this.namespace, `misp-event:${source}:${date}`);
  }

  /** The first instant of the window: midnight UTC MISP_FEED_DAYS - 1 days before today. */
  private windowStart(): number {
    const now = this.clock();
    return now - (now % DAY_MS) - (MISP_FEED_DAYS - 1) * DAY_MS;
  }

  private async sources(): Promise<SourceRecord[]> {
    return (await this.store.listSources()).filter((s) => s.redistributable).sort((a, b) => a.id.localeCompare(b.id));
  }

  /**
   * The pages `read` gives from the start of `source`'s window on, each after the last position of the one before, a
   * turn of the event loop between pages (SQLite answers a page without one: an event or hashes.csv of many IOCs would
   * hold every other request until it was read).
   */
  private async *pages<T>(read: (query: IocQuery) => Promise<{ items: T[]; next: IocPosition | null }>, source: string, from: number): AsyncGenerator<T[]> {
    let after: IocPosition | undefined;
    for (;;) {
      if (after) await nextTurn();
      const page = await read({ source, since: from - 1, status: 'all', limit: PAGE, ...(after ? { after } : {}) });
      yield page.items;
      if (!page.next) return;
      after = page.next;
    }
  }

  /** The redistributable IOCs `source` lists that were added in [from, to), in (added_at, id) order. */
  private async *walk(source: string, from: number, to: number): AsyncGenerator<Ioc> {
    for await (const items of this.pages((q) => this.store.queryIocs(q), source, from)) {
      for (const ioc of items) {
        if (ioc.addedAt >= to) return;
        if (ioc.redistributable) yield ioc;
      }
    }
  }

  private entry(source: SourceRecord, date: string, s: EventSummary): MispManifestEntry {
    return {
      Orgc: this.orgc,
      Tag: [{ name: `tlp:${TLP_LEVELS[s.tlp]!}` }],
      info: `${source.name}: indicators first seen ${date}`,
      date,
      analysis: '2',
      threat_level_id: threatLevel(s.maxScore),
      timestamp: seconds(s.updated),
    };
  }

  /**
   * manifest.json: one entry per (source, day) of the window with at least one IOC, from the store's sums per day
   * (IocReads.sourceDays): no IOC is read into an object.
   */
  async manifest(): Promise<Record<string, MispManifestEntry>> {
    const out: Record<string, MispManifestEntry> = {};
    const from = this.windowStart();
    for (const source of await this.sources()) {
      for (const d of await this.store.sourceDays(source.id, from)) {
        const date = day(from + d.day * DAY_MS);
        out[this.eventUuid(source.id, date)] = this.entry(source, date, { count: d.count, updated: d.updatedAt, maxScore: d.maxScore, tlp: d.tlp });
      }
    }
    return out;
  }

  /** The (source, day) of an event UUID of the window; NotFoundError when none is. */
  private async resolve(uuid: string): Promise<{ source: SourceRecord; date: string; from: number }> {
    const wanted = uuid.toLowerCase();
    const start = this.windowStart();
    for (const source of await this.sources()) {
      for (let i = 0; i < MISP_FEED_DAYS; i++) {
        const from = start + i * DAY_MS;
        if (this.eventUuid(source.id, day(from)) === wanted) return { source, date: day(from), from };
      }
    }
    throw new NotFoundError(`no MISP event ${uuid.slice(0, 36)} in this feed (events cover the last ${MISP_FEED_DAYS} days)`);
  }

  /**
   * `<uuid>.json`, streamed: `{"Event": {…, "Attribute": [...], then the fields that depend on every attribute}}`.
   * Resolves the event first (a 404 before anything is sent), then writes attribute after attribute.
   */
  async event(uuid: string): Promise<AsyncGenerator<string>> {
    const { source, date, from } = await this.resolve(uuid);
    const iocs = this.walk(source.id, from, from + DAY_MS);
    const first = await iocs.next();
    if (first.done) throw new NotFoundError(`MISP event ${uuid.slice(0, 36)} has no indicators`);
    return this.eventChunks(this.eventUuid(source.id, date), source, date, first.value, iocs);
  }

  private async *eventChunks(uuid: string, source: SourceRecord, date: string, first: Ioc, rest: AsyncGenerator<Ioc>): AsyncGenerator<string> {
    const s: EventSummary = { count: 0, updated: 0, maxScore: 0, tlp: 0 };
    const head = { uuid, info: `${source.name}: indicators first seen ${date}`, date, analysis: '2', published: true, Orgc: this.orgc };
    yield `{"Event":${JSON.stringify(head).slice(0, -1)},"Attribute":[`;
    let ioc: Ioc | undefined = first;
    let batch: string[] = [];
    while (ioc) {
      summarize(s, ioc);
      batch.push(`${s.count > 1 ? ',' : ''}\n${JSON.stringify(mispAttribute(ioc, source.id, this.namespace))}`);
      if (batch.length >= 200) {
        yield batch.join('');
        batch = [];
      }
      const next = await rest.next();
      ioc = next.done ? undefined : next.value;
    }
    yield batch.join('');
    const e = this.entry(source, date, s);
    yield `\n],${JSON.stringify({ Tag: e.Tag, threat_level_id: e.threat_level_id, timestamp: e.timestamp, publish_timestamp: e.timestamp }).slice(1)}}\n`;
  }

  /**
   * hashes.csv: `md5(value),event uuid` per attribute of every event of the window, streamed. Only the values and the
   * days are read (IocReads.pageSharedValues).
   */
  async *hashes(): AsyncGenerator<string> {
    const from = this.windowStart();
    for (const source of await this.sources()) {
      const uuids = new Map<string, string>();
      for await (const items of this.pages((q) => this.store.pageSharedValues(q), source.id, from)) {
        let lines = '';
        for (const { value, addedAt } of items) {
          const d = day(addedAt);
          let uuid = uuids.get(d);
          if (uuid === undefined) uuids.set(d, (uuid = this.eventUuid(source.id, d)));
          lines += `${createHash('md5').update(value, 'utf8').digest('hex')},${uuid}\n`;
        }
        if (lines) yield lines;
      }
    }
  }
}

function summarize(s: EventSummary, ioc: Ioc): void {
  s.count++;
  s.updated = Math.max(s.updated, ioc.updatedAt);
  s.maxScore = Math.max(s.maxScore, ioc.score);
  // The event is marked with the most restrictive TLP of its attributes.
  s.tlp = Math.max(s.tlp, TLP_LEVELS.indexOf(ioc.tlp as Tlp));
}
