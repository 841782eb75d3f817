import type pg from 'pg';
import { builtinMemberships } from '../../domain/collections.js';
import { stixTypeOf } from '../../domain/ioc-types.js';
import type { Tlp } from '../../domain/tlp.js';
import { decide, type Incoming } from '../ioc-reconcile.js';
import { firstVersionOf, newIocOf, nextVersionOf, revocationOf, updatedVersionOf } from '../ingest-rules.js';
import { listJson, withSource } from '../merge.js';
import { factsOf, type IocStateColumns, type SightingColumns } from '../rows.js';
import type { IocVersionInput, Observation, RenderIocVersion, SourceRecord } from '../types.js';
import { type Col, copyRows, Params, type Send, Sequence, unnestOf } from './copy-rows.js';

type PoolClient = pg.PoolClient;

/** An `iocs` row: the columns the API reads, and the state of reconciling and versioning. */
export interface IocRow extends IocStateColumns<boolean> {
  created: number | null;
}


/** The source facts a sighting's evidence needs (from the join with sources). */
export interface SourceFacts {
  name: string;
  reliability: number;
  aggregate: boolean;
  redistributable: boolean;
  no_decay: boolean;
}

/** A whole `sightings` row: the columns every reader maps (rows.ts), with what only the writer reads. */
export interface SightingRow extends SightingColumns {
  ioc_id: number;
  ioc_added_at: number;
  seen_run: number | null;
}

export interface SightingState extends SightingRow {
  src: SourceFacts;
  dirty: boolean;
}

/** An IOC as the open transaction sees it: the row and its sightings, changed in memory and written at flush. */
export interface IocState {
  row: IocRow;
  sightings: Map<string, SightingState>;
  /** Not in the table yet: written by the flush's insert. */
  isNew: boolean;
  dirty: boolean;
}


export interface VersionRow {
  seq: number;
  date_added: number;
  stix_id: string;
  ioc_id: number | null;
  type: string;
  modified: number;
  spec_version: string;
  latest: boolean;
  revoked: boolean;
  json: string;
}

/** Byte order of ASCII ids, as SQLite and COLLATE "C" sort them. */
const byCode = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const IOC_COLS: readonly Col<IocRow>[] = [
  ['id', 'bigint', (r) => r.id],
  ['type', 'text', (r) => r.type],
  ['value', 'text', (r) => r.value],
  ['stix_id', 'text', (r) => r.stix_id],
  ['score', 'integer', (r) => r.score],
  ['first_seen', 'bigint', (r) => r.first_seen],
  ['last_seen', 'bigint', (r) => r.last_seen],
  ['added_at', 'bigint', (r) => r.added_at],
  ['updated_at', 'bigint', (r) => r.updated_at],
  ['tags', 'text', (r) => r.tags],
  ['malware', 'text', (r) => r.malware],
  ['sectors', 'text', (r) => r.sectors],
  ['sources', 'text', (r) => r.sources],
  ['tlp', 'text', (r) => r.tlp],
  ['status', 'text', (r) => r.status],
  ['valid_until', 'bigint', (r) => r.valid_until],
  ['redistributable', 'boolean', (r) => r.redistributable],
  ['modified', 'bigint', (r) => r.modified],
  ['version_seq', 'bigint', (r) => r.version_seq],
  ['versioned_score', 'integer', (r) => r.versioned_score],
  ['versioned_valid_until', 'bigint', (r) => r.versioned_valid_until],
  ['base_score', 'integer', (r) => r.base_score],
  ['no_decay', 'boolean', (r) => r.no_decay],
  ['created', 'bigint', (r) => r.created],
];
/** What an update rewrites: everything but the identity of the row. */
const IOC_MUTABLE = IOC_COLS.filter(([name]) => !['id', 'type', 'value', 'added_at'].includes(name));

const SIGHTING_COLS: readonly Col<SightingState>[] = [
  ['ioc_id', 'bigint', (r) => r.ioc_id],
  ['source_id', 'text', (r) => r.source_id],
  ['first_seen', 'bigint', (r) => r.first_seen],
  ['last_seen', 'bigint', (r) => r.last_seen],
  ['count', 'integer', (r) => r.count],
  ['confidence', 'integer', (r) => r.confidence],
  ['reference', 'text', (r) => r.reference],
  ['ended_at', 'bigint', (r) => r.ended_at],
  ['ioc_added_at', 'bigint', (r) => r.ioc_added_at],
  ['seen_run', 'bigint', (r) => r.seen_run],
  ['expires_at', 'bigint', (r) => r.expires_at],
];

const VERSION_COLS: readonly Col<VersionRow>[] = [
  ['seq', 'bigint', (r) => r.seq],
  ['date_added', 'bigint', (r) => r.date_added],
  ['stix_id', 'text', (r) => r.stix_id],
  ['ioc_id', 'bigint', (r) => r.ioc_id],
  ['type', 'text', (r) => r.type],
  ['modified', 'bigint', (r) => r.modified],
  ['spec_version', 'text', (r) => r.spec_version],
  ['latest', 'boolean', (r) => r.latest],
  ['revoked', 'boolean', (r) => r.revoked],
  ['json', 'text', (r) => r.json],
];

type Member = readonly [collection: string, dateAdded: number, seq: number];
const MEMBER_COLS: readonly Col<Member>[] = [
  ['collection', 'text', (r) => r[0]],
  ['date_added', 'bigint', (r) => r[1]],
  ['seq', 'bigint', (r) => r[2]],
];

type SectorRow = readonly [sector: string, iocAddedAt: number, iocId: number];
const SECTOR_COLS: readonly Col<SectorRow>[] = [
  ['sector', 'text', (r) => r[0]],
  ['ioc_added_at', 'bigint', (r) => r[1]],
  ['ioc_id', 'bigint', (r) => r[2]],
];

/**
 * The writes of one transaction that holds the version-log lock: hands out row ids, seqs and date_added from the
 * log's position read under the lock, keeps what changes in memory (IOCs, sightings, versions, memberships), and
 * writes it all by COPY and one multi-row statement per flush (copy-rows.ts). The rules are those of ingest-rules.ts and
 * ioc-reconcile.ts, as in the SQLite store's log-work.ts, which writes statement by statement.
 */
export class LogWork {
  private iocId: number;
  private seq: number;
  private added: number;
  /** The highest date_added in the log, loaded history included. */
  private highWater: number;
  private readonly touched = new Set<IocState>();
  private versions: VersionRow[] = [];
  private pending = new Map<number, VersionRow>();
  private superseded: number[] = [];
  private members: Member[] = [];
  private sectors = new Map<string, SectorRow>();
  private moved = false;

  constructor(private readonly render: (() => RenderIocVersion), pos: { ioc: number | null; seq: number; date_added: number }) {
    this.iocId = pos.ioc ?? 0;
    this.seq = pos.seq;
    this.added = pos.date_added;
    this.highWater = pos.date_added;
  }

  nextIocId(): number {
    return ++this.iocId;
  }

  nextSeq(): number {
    return this.seq + 1;
  }

  /** The next date_added of ours: epoch µs, max(now, last + 1). */
  private nextAdded(now: number): number {
    this.added = Math.max(now * 1000, this.added + 1);
    return this.added;
  }

  /** Appends a version of an IOC (rendered now) and its memberships of the built-in collections. */
  appendIoc(iocRowId: number, v: IocVersionInput, now: number): number {
    const seq = ++this.seq;
    const added = this.nextAdded(now);
    this.push({
      seq, date_added: added, stix_id: v.stixId, ioc_id: iocRowId, type: stixTypeOf(v.type),
      modified: v.modified, spec_version: '2.1', latest: true, revoked: v.revoked, json: this.render()(v),
    });
    for (const collection of builtinMemberships(v)) this.members.push([collection, added, seq]);
    return seq;
  }

  /** Appends a version that is not an IOC's: date_added ours (now) unless given (loaded history, kept exactly). */
  appendObject(o: Omit<VersionRow, 'seq' | 'date_added' | 'ioc_id'>, collections: readonly string[], now: number, dateAdded: number | null = null): VersionRow {
    const seq = ++this.seq;
    const added = dateAdded ?? this.nextAdded(now);
    const row: VersionRow = { ...o, seq, date_added: added, ioc_id: null };
    this.push(row);
    for (const c of collections) this.members.push([c, added, seq]);
    return row;
  }

  private push(row: VersionRow): void {
    this.versions.push(row);
    this.pending.set(row.seq, row);
    this.highWater = Math.max(this.highWater, row.date_added);
    this.moved = true;
  }

  /** The version `seq` is no longer the latest of its object. */
  supersede(seq: number): void {
    const p = this.pending.get(seq);
    if (p) p.latest = false;
    else this.superseded.push(seq);
  }

  /** A new IOC from an observation: its row, first version, sighting and sectors. */
  insertIoc(source: SourceRecord, o: Observation, tlp: Tlp, now: number, run: number | null): IocState {
    const n = newIocOf(source, o, now);
    const id = this.nextIocId();
    const row: IocRow = {
      id, type: o.type, value: o.value, stix_id: n.stixId, score: n.score, first_seen: o.firstSeen, last_seen: o.lastSeen, added_at: now,
      updated_at: now, tags: listJson(n.tags), malware: listJson(n.malware), sectors: listJson(n.sectors), sources: '[]', tlp, status: 'active',
      valid_until: n.until, redistributable: source.redistributable, modified: now, version_seq: this.nextSeq(),
      versioned_score: n.score, versioned_valid_until: n.until, base_score: n.base, no_decay: n.noDecay, created: now,
    };
    const state: IocState = { row, sightings: new Map(), isNew: true, dirty: true };
    this.touched.add(state);
    this.appendIoc(id, firstVersionOf(o, tlp, n, source, now), now);
    this.seen(state, source, o, run);
    for (const sector of n.sectors) this.addSector(sector, now, id);
    return state;
  }

  /** The sighting upsert: what `source` saw of an IOC now. */
  seen(st: IocState, source: SourceRecord, o: Observation, run: number | null): void {
    const s = st.sightings.get(source.id);
    if (!s) {
      // A source new to the IOC joins the list its row keeps (migration 24); a new IOC's row gets its first here.
      const sources = withSource(st.row.sources, source.id);
      if (sources !== undefined) {
        st.row.sources = sources;
        st.dirty = true;
      }
      st.sightings.set(source.id, {
        ioc_id: st.row.id, source_id: source.id, first_seen: o.firstSeen, last_seen: o.lastSeen, count: 1, confidence: o.confidence,
        reference: o.reference, ended_at: null, ioc_added_at: st.row.added_at, seen_run: run, expires_at: o.expiresAt ?? null, dirty: true,
        src: { name: source.name, reliability: source.reliability, aggregate: source.aggregate, redistributable: source.redistributable, no_decay: source.noDecay ?? false },
      });
    } else {
      const count = s.count + (o.lastSeen > s.last_seen ? 1 : 0);
      const firstSeen = Math.min(s.first_seen, o.firstSeen);
      const lastSeen = Math.max(s.last_seen, o.lastSeen);
      const confidence = o.confidence ?? s.confidence;
      const reference = o.reference ?? s.reference;
      // A claim of validity replaces the source's last one (by none too); an observation without one keeps it.
      const expiresAt = o.expiresAt === undefined ? s.expires_at : o.expiresAt;
      // Written back only when something moved (a run mark always does): a re-read of the same list writes nothing.
      if (
        count !== s.count || firstSeen !== s.first_seen || lastSeen !== s.last_seen || confidence !== s.confidence ||
        reference !== s.reference || s.ended_at !== null || s.seen_run !== run || expiresAt !== s.expires_at
      ) {
        Object.assign(s, { count, first_seen: firstSeen, last_seen: lastSeen, confidence, reference, ended_at: null, seen_run: run, expires_at: expiresAt, dirty: true });
      }
    }
    this.touched.add(st);
  }

  /** The source's sighting of the IOC ends now (a snapshot no longer lists it). */
  endSighting(st: IocState, sourceId: string, now: number): void {
    const s = st.sightings.get(sourceId);
    if (!s) return;
    s.ended_at = now;
    s.dirty = true;
    this.touched.add(st);
  }

  private addSector(sector: string, addedAt: number, id: number): void {
    this.sectors.set(`${sector}\0${id}`, [sector, addedAt, id]);
  }

  /**
   * Live sightings with their sources, in source order: the evidence of the IOC's score. Live: not ended, and not
   * past the end of validity its source claimed at `now`.
   */
  evidence(st: IocState, now: number): SightingState[] {
    return [...st.sightings.values()]
      .filter((s) => s.ended_at === null && (s.expires_at === null || s.expires_at > now))
      .sort((a, b) => byCode(a.source_id, b.source_id));
  }

  /**
   * Applies the one reconcile rule (ioc-reconcile.ts) to an existing IOC of the open transaction: its live evidence,
   * what `incoming` adds and its age at `now`; appends the STIX version the decision calls for.
   */
  reconcile(st: IocState, now: number, incoming: Incoming | undefined, seen: boolean): 'unchanged' | 'updated' | 'revoked' {
    const row = st.row;
    const evidence = this.evidence(st, now).map((e) => ({
      sourceId: e.source_id, name: e.src.name, reliability: e.src.reliability, confidence: e.confidence, aggregate: e.src.aggregate,
      redistributable: e.src.redistributable, noDecay: e.src.no_decay, expiresAt: e.expires_at,
    }));
    const d = decide(factsOf(row), evidence, now, incoming, seen);
    if (d.kind === 'unchanged') return 'unchanged';
    if (d.kind === 'revoke') {
      this.revokeRow(st, now, d.sources);
      return 'revoked';
    }
    let stixId = row.stix_id;
    let modified = row.modified ?? row.added_at;
    let versionSeq = row.version_seq;
    let created = createdOf(row);
    if (d.newVersion) {
      ({ stixId, modified } = nextVersionOf(row, d.reactivated, now));
      if (d.reactivated) created = now;
      else if (row.version_seq !== null) this.supersede(row.version_seq);
      versionSeq = this.appendIoc(row.id, updatedVersionOf(row, d, stixId, created, modified), now);
    }
    for (const sector of d.addedSectors) this.addSector(sector, row.added_at, row.id);
    Object.assign(row, {
      stix_id: stixId, score: d.score, first_seen: d.firstSeen, last_seen: d.lastSeen, updated_at: now, tags: JSON.stringify(d.tags),
      malware: JSON.stringify(d.malware), sectors: JSON.stringify(d.sectors), tlp: d.tlp, status: 'active', valid_until: d.validUntil,
      redistributable: d.redistributable, modified, version_seq: versionSeq, versioned_score: d.versionedScore,
      versioned_valid_until: d.versionedValidUntil, base_score: d.base, no_decay: d.noDecay, created,
    } satisfies Partial<IocRow>);
    st.dirty = true;
    this.touched.add(st);
    return 'updated';
  }

  /** The final version of an IOC (ingest-rules.ts revocationOf), kept for the flush. */
  revokeRow(st: IocState, now: number, sources: ReadonlyArray<{ id: string; name: string }>): void {
    const row = st.row;
    if (row.version_seq !== null) this.supersede(row.version_seq);
    const { modified, version } = revocationOf(row, now, createdOf(row), sources);
    const seq = this.appendIoc(row.id, version, now);
    Object.assign(row, { status: 'revoked', updated_at: now, modified, version_seq: seq } satisfies Partial<IocRow>);
    st.dirty = true;
    this.touched.add(st);
  }

  /** Versions appended so far in this transaction. */
  get appended(): number {
    return this.seq;
  }

  /**
   * Sends what changed since the last flush: the rows that are new (IOCs, their sightings, versions, memberships) by
   * COPY, the rest (updates, upserts, the log's position) in one statement of data-modifying CTEs over unnest()ed
   * arrays. What it sends is taken at once: the caller may go on changing IOCs while the server writes (the returned
   * promise settles when it has), and the next flush queues behind this one on the connection.
   */
  async flush(c: PoolClient): Promise<void> {
    return (await this.prepare())(c, new Sequence());
  }

  /**
   * What `flush` sends, encoded now and sent when the returned function is called (the caller may send something else
   * before it). The work's own state moves on at once; the rows are read while they are encoded, with turns of the
   * event loop in between, so nothing may change them until the returned promise resolves.
   */
  async prepare(): Promise<(c: PoolClient, sequence: Sequence) => Promise<void>> {
    const sent: Array<Send | Promise<Send>> = [];
    const inserts: IocRow[] = [];
    const updates: IocRow[] = [];
    const newSightings: SightingState[] = [];
    const sightings: SightingState[] = [];
    for (const st of this.touched) {
      if (st.isNew) inserts.push(st.row);
      else if (st.dirty) updates.push(st.row);
      for (const s of st.sightings.values()) if (s.dirty) (st.isNew ? newSightings : sightings).push(s);
    }
    if (inserts.length) sent.push(copyRows('iocs', IOC_COLS, inserts));
    if (newSightings.length) sent.push(copyRows('sightings', SIGHTING_COLS, newSightings));
    if (this.versions.length) sent.push(copyRows('object_versions', VERSION_COLS, this.versions));
    if (this.members.length) sent.push(copyRows('collection_members', MEMBER_COLS, this.members));
    const p = new Params();
    const parts: string[] = [];
    if (updates.length) {
      parts.push(`UPDATE iocs i SET ${IOC_MUTABLE.map(([n]) => `${n} = u.${n}`).join(', ')}
                  FROM ${unnestOf(p, updates, [IOC_COLS[0]!, ...IOC_MUTABLE])} WHERE i.id = u.id`);
    }
    if (sightings.length) {
      const names = SIGHTING_COLS.map((x) => x[0]).join(', ');
      parts.push(`INSERT INTO sightings (${names}) SELECT ${names} FROM ${unnestOf(p, sightings, SIGHTING_COLS)}
                  ON CONFLICT (ioc_id, source_id) DO UPDATE SET first_seen = excluded.first_seen, last_seen = excluded.last_seen,
                    count = excluded.count, confidence = excluded.confidence, reference = excluded.reference,
                    ended_at = excluded.ended_at, seen_run = excluded.seen_run, expires_at = excluded.expires_at`);
    }
    if (this.superseded.length) {
      parts.push(`UPDATE object_versions SET latest = false WHERE seq = ANY(${p.add(this.superseded, 'bigint[]')})`);
    }
    if (this.sectors.size) {
      parts.push(`INSERT INTO ioc_sectors (sector, ioc_added_at, ioc_id) SELECT sector, ioc_added_at, ioc_id FROM ${unnestOf(p, [...this.sectors.values()], SECTOR_COLS)}
                  ON CONFLICT DO NOTHING`);
    }
    if (this.moved) {
      parts.push(`UPDATE log_state SET seq = ${p.add(this.seq, 'bigint')}, date_added = ${p.add(Math.max(this.added, this.highWater), 'bigint')}`);
    }
    if (parts.length) {
      const last = parts.pop()!;
      const sql = parts.length ? `WITH ${parts.map((s, i) => `w${i} AS (${s})`).join(',\n')}\n${last}` : last;
      sent.push((c) => c.query(sql, p.values));
    }
    for (const st of this.touched) {
      st.isNew = false;
      st.dirty = false;
      for (const s of st.sightings.values()) s.dirty = false;
    }
    this.touched.clear();
    this.versions = [];
    this.pending.clear();
    this.superseded = [];
    this.members = [];
    this.sectors.clear();
    this.moved = false;
    const sends = await Promise.all(sent);
    return (c, sequence) => Promise.all(sends.map((send) => sequence.then(() => send(c)))).then(() => undefined);
  }
}

/** `created` of an IOC's current STIX object: the time of that object's first version. */
function createdOf(row: IocRow): number {
  return row.created ?? row.added_at;
}
