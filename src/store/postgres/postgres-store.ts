import { availableParallelism } from 'node:os';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { builtinMemberships } from '../../domain/collections.js';
import { BAND_RANGES } from '../../domain/confidence.js';
import { IOC_TYPES, type IocType } from '../../domain/ioc-types.js';
import { decayedScore, scoreOf, validUntil } from '../../domain/scoring.js';
import { TLP_LEVELS, type Tlp } from '../../domain/tlp.js';
import { dedupeSorted, listJson, parseList } from '../merge.js';
import { cutAtBudget, logPageOf, logPageSql } from '../log-page.js';
import { decide, type Incoming } from '../ioc-reconcile.js';
import { WriteLock } from '../write-lock.js';
import { type IocColumns, type KeyRow, newStixId, parseMediaTypes, runOf, type RunRow, toIoc, toKey } from '../rows.js';
import type { Store } from '../store.js';
import type {
  SavedStatus,
  Account,
  ApiKeyRecord,
  ApiKeyWithAccount,
  IocDetail,
  IocPage,
  IocQuery,
  IocStatus,
  IocVersionInput,
  AddOutcome,
  LoadedCollection,
  LoadedRoot,
  LogPage,
  LogQuery,
  NewObject,
  Observation,
  TaxiiLoad,
  SharedObject,
  Plan,
  SourceRecord,
  SourceRun,
  RunResult,
  DecayResult,
  UpsertOptions,
  StixPage,
  StixVersion,
  RenderIocVersion,
  UpsertResult,
} from '../types.js';
import { CopyBinary, type CopyType } from './copy-binary.js';
import { POSTGRES_MIGRATIONS } from './postgres-migrations.js';

type PoolClient = pg.PoolClient;

/** int8 (oid 20: BIGINT, count(*), identity ids) as a JS number: every value we store is a safe integer. */
const INT8_OID = 20;
const pgTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8_OID && format !== 'binary' ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

/**
 * Advisory lock keys (pg_advisory_xact_lock(class, key)). The version log's is taken by every transaction that
 * appends to the log or rewrites IOCs: it serializes seq / date_added assignment across nodes, so date_added is
 * strictly increasing in commit order. The key is the schema's, so that deployments sharing a database in
 * separate schemas do not wait on each other.
 */
const LOG_LOCK_CLASS = 0x736f6364; // 'socd'
const MIGRATION_LOCK = 0x736f6364_6d6967n.toString(); // 'socdmig', one bigint key
const LOG_LOCK_SQL = `SELECT pg_advisory_xact_lock(${LOG_LOCK_CLASS}, hashtext(coalesce(current_schema(), '')))`;

/** IOCs per transaction of a decay pass and of a delisting. */
const DECAY_PAGE = 5000;
const DELIST_PAGE = 5000;
/** Observations per statement inside one ingest transaction: bounds the statements and the memory of a large batch. */
const WRITE_SLICE = 5000;
/** Observations reconciled between two turns of the event loop, less one (a power of two). */
const YIELD_EVERY = 255;

/** An `iocs` row: the columns the API reads, and the state of reconciling and versioning. */
interface IocRow extends IocColumns {
  id: number;
  redistributable: boolean;
  modified: number | null;
  version_seq: number | null;
  versioned_score: number | null;
  versioned_valid_until: number | null;
  base_score: number | null;
  no_decay: boolean;
  created: number | null;
}

/** The source facts a sighting's evidence needs (from the join with sources). */
interface SourceFacts {
  name: string;
  reliability: number;
  aggregate: boolean;
  redistributable: boolean;
  no_decay: boolean;
}

interface SightingRow {
  ioc_id: number;
  source_id: string;
  first_seen: number;
  last_seen: number;
  count: number;
  confidence: number | null;
  reference: string | null;
  ended_at: number | null;
  ioc_added_at: number;
  seen_run: number | null;
}

interface SightingState extends SightingRow {
  src: SourceFacts;
  dirty: boolean;
}

/** An IOC as the open transaction sees it: the row and its sightings, changed in memory and written at flush. */
interface IocState {
  row: IocRow;
  sightings: Map<string, SightingState>;
  /** Not in the table yet: written by the flush's insert. */
  isNew: boolean;
  dirty: boolean;
}

interface SourceRow {
  id: string;
  name: string;
  reliability: number;
  redistributable: boolean;
  aggregate: boolean;
  tlp: Tlp;
  no_decay: boolean;
}

const sourceOf = (r: SourceRow): SourceRecord => ({
  id: r.id, name: r.name, reliability: r.reliability, redistributable: r.redistributable, aggregate: r.aggregate,
  tlp: r.tlp, noDecay: r.no_decay,
});

interface VersionRow {
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

/** A row of the ingestion look-up: an IOC's columns, then one of its sightings' (all NULL when it has none). */
type LookUpRow = IocRow & {
  s_source_id: string | null;
  s_first_seen: number | null;
  s_last_seen: number | null;
  s_count: number | null;
  s_confidence: number | null;
  s_reference: string | null;
  s_ended_at: number | null;
  s_ioc_added_at: number | null;
  s_seen_run: number | null;
  src_name: string | null;
  src_reliability: number | null;
  src_aggregate: boolean | null;
  src_redistributable: boolean | null;
  src_no_decay: boolean | null;
};
const LOOKUP_SIGHTING_COLUMNS = [
  ...['source_id', 'first_seen', 'last_seen', 'count', 'confidence', 'reference', 'ended_at', 'ioc_added_at', 'seen_run'].map((c) => `s.${c} AS s_${c}`),
  ...['name', 'reliability', 'aggregate', 'redistributable', 'no_decay'].map((c) => `src.${c} AS src_${c}`),
].join(', ');

/** The channel of key and plan changes (one per database: a change in another schema only empties a cache). */
const KEYS_CHANNEL = 'socd_keys';
/** How soon a lost LISTEN connection is tried again. */
const WATCH_RETRY_MS = 5000;

/** New IOCs in one stream after which the tables are vacuumed and analyzed. */
const ANALYZE_AFTER = 10_000;

/** Names of prepared statements, one per text (the texts are built from a bounded set of query shapes). */
const statementNames = new Map<string, string>();
function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (!name) {
    name = `s${statementNames.size}`;
    statementNames.set(sql, name);
  }
  return name;
}

const REVOKED_JSON = /"revoked"\s*:\s*true/;

/** Byte order of ASCII ids, as SQLite and COLLATE "C" sort them. */
const byCode = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Numbered query parameters, for SQL built in pieces. */
class Params {
  readonly values: unknown[] = [];
  add(value: unknown, type?: string): string {
    this.values.push(value);
    return type ? `$${this.values.length}::${type}` : `$${this.values.length}`;
  }
}

type Col<T> = readonly [name: string, type: CopyType, get: (r: T) => unknown];

const RS = '\x1e';
const US = '\x1f';

/**
 * One column of many rows as a single text parameter split by PostgreSQL: elements joined by the record separator,
 * NULL as the unit separator. pg's own array literals escape every element (each quote of each 750-byte STIX JSON)
 * and cost more CPU and garbage than the database's work; nothing we store contains these two control characters
 * (values are normalized, labels filtered, JSON escapes them), and a column where one would appear, or an empty
 * string that a split cannot tell from no element, goes as a plain array.
 */
function column(p: Params, values: unknown[], type: string): string {
  const texts: string[] = new Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) texts[i] = US;
    else {
      const t = typeof v === 'string' ? v : String(v);
      if (t === '' || t.includes(RS) || t.includes(US)) return p.add(values, `${type}[]`);
      texts[i] = t;
    }
  }
  return `string_to_array(${p.add(texts.join(RS), 'text')}, chr(30), chr(31))::${type}[]`;
}

/** `unnest(col1, col2, …) AS u(c1, c2, …)`: many rows in one statement, one parameter per column. */
function unnestOf<T>(p: Params, rows: readonly T[], cols: readonly Col<T>[]): string {
  return `unnest(${cols.map(([, type, get]) => column(p, rows.map(get), type)).join(', ')}) AS u(${cols.map((c) => c[0]).join(', ')})`;
}

/** Bytes per row of each table's last COPY: the next buffer starts at about the right size. */
const copyRowBytes = new Map<string, number>();

/** A statement made ready, sent when called. */
type Send = (c: PoolClient) => Promise<unknown>;

/**
 * Statements of one connection sent one after the other, each as soon as the one before has completed, while the
 * caller goes on: pg would queue them itself, but that is deprecated (pg 9 removes it). After a failure the next
 * ones are still sent; in a transaction they fail as aborted, and the caller reports the first failure.
 */
class Sequence {
  private tail: Promise<unknown> = Promise.resolve();

  then<T>(send: () => Promise<T>): Promise<T> {
    const sent = this.tail.then(send, send);
    this.tail = sent.catch(() => {});
    return sent;
  }
}

/**
 * New rows by COPY … FROM STDIN (binary format): the server reads them straight into tuples, with no plan and no
 * arrays to build and unnest: the cheapest bulk insert PostgreSQL has. The data is encoded now; the returned
 * function sends it, and settles when the server has it.
 */
async function copyRows<T>(table: string, cols: readonly Col<T>[], rows: readonly T[]): Promise<Send> {
  const data = new CopyBinary(Math.ceil(rows.length * (copyRowBytes.get(table) ?? 128) * 1.1));
  for (let r = 0; r < rows.length; r++) {
    if ((r & YIELD_EVERY) === YIELD_EVERY) await new Promise(setImmediate);
    const row = rows[r]!;
    data.row(cols.length);
    for (let k = 0; k < cols.length; k++) data.field(cols[k]![1], cols[k]![2](row));
  }
  if (rows.length > 0) copyRowBytes.set(table, data.length / rows.length);
  const bytes = data.done();
  const sql = `COPY ${table} (${cols.map((x) => x[0]).join(', ')}) FROM STDIN (FORMAT binary)`;
  return (c) => {
    const stream = c.query(copyFrom(sql));
    return new Promise<void>((resolve, reject) => {
      stream.on('finish', resolve);
      stream.on('error', reject);
      stream.end(bytes);
    });
  };
}

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
 * writes it all in one multi-row statement per flush. The decisions (reconcile, revokeRow) are the SQLite store's.
 */
class LogWork {
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
      seq, date_added: added, stix_id: v.stixId, ioc_id: iocRowId, type: v.type === 'cve' ? 'vulnerability' : 'indicator',
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
    const sectors = o.sectors.length === 0 ? o.sectors : dedupeSorted(o.sectors);
    const tags = o.tags.length === 0 ? o.tags : dedupeSorted(o.tags);
    const malware = o.malware.length === 0 ? o.malware : dedupeSorted(o.malware);
    const stixId = newStixId(o.type);
    const noDecay = source.noDecay ?? false;
    const base = scoreOf([{ prior: source.reliability, confidence: o.confidence, aggregate: source.aggregate }]);
    const score = decayedScore(base, o.type, o.lastSeen, now, noDecay);
    const until = validUntil(base, o.type, o.lastSeen, noDecay);
    const id = this.nextIocId();
    const row: IocRow = {
      id, type: o.type, value: o.value, stix_id: stixId, score, first_seen: o.firstSeen, last_seen: o.lastSeen, added_at: now,
      updated_at: now, tags: listJson(tags), malware: listJson(malware), sectors: listJson(sectors), tlp, status: 'active',
      valid_until: until, redistributable: source.redistributable, modified: now, version_seq: this.nextSeq(),
      versioned_score: score, versioned_valid_until: until, base_score: base, no_decay: noDecay, created: now,
    };
    const state: IocState = { row, sightings: new Map(), isNew: true, dirty: true };
    this.touched.add(state);
    this.appendIoc(id, {
      stixId, type: o.type, value: o.value, score, tags, malware, sectors, tlp, revoked: false,
      firstSeen: o.firstSeen, validUntil: until, created: now, modified: now, sources: [{ id: source.id, name: source.name }],
    }, now);
    this.seen(state, source, o, run);
    for (const sector of sectors) this.addSector(sector, now, id);
    return state;
  }

  /** The sighting upsert: what `source` saw of an IOC now. */
  seen(st: IocState, source: SourceRecord, o: Observation, run: number | null): void {
    const s = st.sightings.get(source.id);
    if (!s) {
      st.sightings.set(source.id, {
        ioc_id: st.row.id, source_id: source.id, first_seen: o.firstSeen, last_seen: o.lastSeen, count: 1, confidence: o.confidence,
        reference: o.reference, ended_at: null, ioc_added_at: st.row.added_at, seen_run: run, dirty: true,
        src: { name: source.name, reliability: source.reliability, aggregate: source.aggregate, redistributable: source.redistributable, no_decay: source.noDecay ?? false },
      });
    } else {
      const count = s.count + (o.lastSeen > s.last_seen ? 1 : 0);
      const firstSeen = Math.min(s.first_seen, o.firstSeen);
      const lastSeen = Math.max(s.last_seen, o.lastSeen);
      const confidence = o.confidence ?? s.confidence;
      const reference = o.reference ?? s.reference;
      // Written back only when something moved (a run mark always does): a re-read of the same list writes nothing.
      if (
        count !== s.count || firstSeen !== s.first_seen || lastSeen !== s.last_seen || confidence !== s.confidence ||
        reference !== s.reference || s.ended_at !== null || s.seen_run !== run
      ) {
        Object.assign(s, { count, first_seen: firstSeen, last_seen: lastSeen, confidence, reference, ended_at: null, seen_run: run, dirty: true });
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

  /** Live sightings with their sources, in source order: the evidence of the IOC's score. */
  evidence(st: IocState): SightingState[] {
    return [...st.sightings.values()].filter((s) => s.ended_at === null).sort((a, b) => byCode(a.source_id, b.source_id));
  }

  /**
   * Applies the one reconcile rule (ioc-reconcile.ts) to an existing IOC of the open transaction: its live evidence,
   * what `incoming` adds and its age at `now`; appends the STIX version the decision calls for.
   */
  reconcile(st: IocState, now: number, incoming: Incoming | undefined, seen: boolean): 'unchanged' | 'updated' | 'revoked' {
    const row = st.row;
    const evidence = this.evidence(st).map((e) => ({
      sourceId: e.source_id, name: e.src.name, reliability: e.src.reliability, confidence: e.confidence, aggregate: e.src.aggregate,
      redistributable: e.src.redistributable, noDecay: e.src.no_decay,
    }));
    const d = decide({
      type: row.type, score: row.score, baseScore: row.base_score, firstSeen: row.first_seen, lastSeen: row.last_seen, tlp: row.tlp,
      redistributable: row.redistributable, noDecay: row.no_decay, tags: row.tags, malware: row.malware, sectors: row.sectors,
      validUntil: row.valid_until, status: row.status, versionedScore: row.versioned_score, versionedValidUntil: row.versioned_valid_until,
    }, evidence, now, incoming, seen);
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
      if (d.reactivated) {
        stixId = newStixId(row.type);
        created = now;
        modified = now;
      } else {
        modified = Math.max(now, modified + 1);
        if (row.version_seq !== null) this.supersede(row.version_seq);
      }
      versionSeq = this.appendIoc(row.id, {
        stixId, type: row.type, value: row.value, score: d.score, tags: d.tags, malware: d.malware, sectors: d.sectors, tlp: d.tlp,
        revoked: false, firstSeen: d.firstSeen, validUntil: d.validUntil, created, modified, sources: d.sources,
      }, now);
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

  /** The final version of an IOC: `revoked: true`, so that SIEMs remove it (STIX 2.1 §3.6). */
  revokeRow(st: IocState, now: number, sources: ReadonlyArray<{ id: string; name: string }>): void {
    const row = st.row;
    const modified = Math.max(now, (row.modified ?? row.added_at) + 1);
    if (row.version_seq !== null) this.supersede(row.version_seq);
    const seq = this.appendIoc(row.id, {
      stixId: row.stix_id, type: row.type, value: row.value, score: row.score, tags: parseList(row.tags),
      malware: parseList(row.malware), sectors: parseList(row.sectors), tlp: row.tlp, revoked: true,
      firstSeen: row.first_seen, validUntil: row.valid_until, created: createdOf(row), modified, sources,
    }, now);
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
                    ended_at = excluded.ended_at, seen_run = excluded.seen_run`);
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

/** Options of a PostgresStore. */
export interface PostgresStoreOptions {
  renderVersion?: RenderIocVersion;
  /** A schema of its own (created by migrate() when missing): the search_path of every connection. */
  schema?: string;
  /**
   * Connections of the pool that serves requests (default: this machine's cores, at least 2). Ingestion writes use one
   * connection of their own besides.
   */
  maxConnections?: number;
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Opens `postgres://…`. One pg.Pool; times are BIGINT epoch ms (date_added µs); migrations applied by `migrate()`.
 * Several nodes may write at once: the version log is serialized by a transaction-level advisory lock.
 */
export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  private readonly pool: pg.Pool;
  /** One connection for the ingestion writes (serialized by `writes`): a long load never holds one of `pool`'s. */
  private readonly ingestPool: pg.Pool;
  private readonly connection: pg.ClientConfig;
  private readonly schema: string | undefined;
  private sourceCache = new Map<string, SourceRecord>();
  /** Serializes this process's ingestion writes (streams keep a connection and a transaction across awaits). */
  private readonly writes = new WriteLock();
  private renderVersion: RenderIocVersion | undefined;
  private closed = false;

  constructor(connectionString: string, opts: PostgresStoreOptions = {}) {
    this.renderVersion = opts.renderVersion;
    if (opts.schema !== undefined && !SCHEMA_NAME.test(opts.schema)) throw new Error(`invalid PostgreSQL schema name ${JSON.stringify(opts.schema)}`);
    this.schema = opts.schema;
    const connection = (this.connection = {
      connectionString,
      types: pgTypes,
      // No parallel query: a TAXII or REST page is a short index range scan, and a parallel plan near the end of a
      // collection cost 94 ms where the serial one costs 8 (a deep page must cost what the first costs).
      // No JIT: every statement here is short and planned anew or prepared, and once a table passed a few hundred MB
      // the planner's estimates crossed jit_above_cost and LLVM compiled each ingestion look-up afresh: a fifth of the
      // server's time in a 1M load.
      options: `-c max_parallel_workers_per_gather=0 -c jit=off${opts.schema ? ` -c search_path=${opts.schema}` : ''}`,
    });
    // Few connections: one Node.js process cannot keep more than a few queries busy, and every connection more is one
    // more backend process competing for the database server's cores. On 2 cores, 32 TAXII clients got 1,208 req/s
    // (p99 53 ms) from 2 connections, 1,145 from 4, 522 (p99 297 ms) from 32.
    this.pool = new pg.Pool({ ...connection, max: opts.maxConnections ?? Math.max(2, availableParallelism()) });
    this.ingestPool = new pg.Pool({ ...connection, max: 1, idleTimeoutMillis: 30_000 });
    // An idle connection that the server drops emits here; the pool discards it. Without a listener it would throw.
    this.pool.on('error', () => {});
    this.ingestPool.on('error', () => {});
  }

  setVersionRenderer(render: RenderIocVersion): void {
    this.renderVersion = render;
  }

  private readonly renderer = (): RenderIocVersion => {
    if (!this.renderVersion) throw new Error('no STIX version renderer: call setVersionRenderer before writing IOCs');
    return this.renderVersion;
  };

  // --- plumbing ---------------------------------------------------------------------------------

  /**
   * `prepared`: the statement is parsed and planned once per connection and kept (for the hot read paths: a TAXII
   * page, a key's look-up), instead of at every call.
   */
  private async rows<T>(sql: string, params: unknown[] = [], prepared = false): Promise<T[]> {
    if (prepared) return (await this.pool.query({ name: statementName(sql), text: sql, values: params })).rows as T[];
    return (await this.pool.query(sql, params)).rows as T[];
  }

  private async one<T>(sql: string, params: unknown[] = [], prepared = false): Promise<T | undefined> {
    return (await this.rows<T>(sql, params, prepared))[0];
  }

  /**
   * `fn` inside a transaction on one connection (`client` when given, else one of the pool's). `begin` opens it: a
   * simple query that may run more statements in the same round trip (their results go to `fn`).
   */
  private async tx<T>(fn: (c: PoolClient, begun: pg.QueryResult[]) => Promise<T>, client?: PoolClient, begin = 'BEGIN', pool = this.pool): Promise<T> {
    const c = client ?? (await pool.connect());
    let broken: Error | undefined;
    try {
      let begun: pg.QueryResult | pg.QueryResult[];
      try {
        begun = (await c.query(begin)) as pg.QueryResult | pg.QueryResult[];
      } catch (e) {
        await c.query('ROLLBACK').catch(() => {});
        throw e;
      }
      try {
        const out = await fn(c, Array.isArray(begun) ? begun : [begun]);
        await c.query('COMMIT');
        return out;
      } catch (e) {
        await c.query('ROLLBACK').catch((rollback: unknown) => {
          broken = rollback instanceof Error ? rollback : new Error(String(rollback));
        });
        throw e;
      }
    } finally {
      if (!client) c.release(broken);
    }
  }

  /**
   * A transaction that writes the version log or IOCs: takes the log's advisory lock first, then reads where the
   * log stands (a statement of its own, so under the lock: no other node appends until this one commits). One
   * round trip opens it all.
   */
  private async logTx<T>(fn: (c: PoolClient, work: LogWork) => Promise<T>, client?: PoolClient, ingestion = false): Promise<T> {
    // Ingestion can be fetched again from its sources: its commits do not wait for the WAL flush (~25 % faster).
    // A PostgreSQL crash may lose the last fraction of a second of them, never corrupt anything; TAXII writes,
    // accounts and keys stay fully durable.
    const relaxed = ingestion ? "SET LOCAL synchronous_commit TO OFF; SET LOCAL work_mem TO '64MB'; " : '';
    return this.tx(async (c, begun) => {
      const pos = begun[begun.length - 1]!.rows[0] as { ioc: number | null; seq: number; date_added: number };
      return fn(c, new LogWork(this.renderer, pos));
    }, client, `BEGIN; ${relaxed}${LOG_LOCK_SQL}; SELECT (SELECT max(id) FROM iocs) AS ioc, seq, date_added FROM log_state`, ingestion ? this.ingestPool : this.pool);
  }

  // --- lifecycle --------------------------------------------------------------------------------

  async migrate(): Promise<string[]> {
    const c = await this.pool.connect();
    const lock = `SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`;
    let failed: Error | undefined;
    try {
      await this.tx(async () => {
        await c.query(lock);
        if (this.schema) await c.query(`CREATE SCHEMA IF NOT EXISTS ${this.schema}`);
        await c.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
      }, c);
      const applied: string[] = [];
      for (const m of POSTGRES_MIGRATIONS) {
        const done = await this.tx(async () => {
          await c.query(lock);
          // Read under the lock: another node may have applied it while this one waited.
          if ((await c.query('SELECT 1 FROM schema_migrations WHERE version = $1', [m.version])).rowCount) return true;
          await c.query(m.sql);
          await c.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()]);
          return false;
        }, c);
        if (!done) applied.push(`${m.version}: ${m.name}`);
      }
      return applied;
    } catch (e) {
      failed = e instanceof Error ? e : new Error(String(e));
      throw e;
    } finally {
      c.release(failed);
    }
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.pool.end(), this.ingestPool.end()]);
  }

  async getOrCreateSetting(name: string, create: () => string): Promise<string> {
    await this.pool.query('INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [name, create()]);
    // A statement of its own: it sees the row of a concurrent first writer that committed meanwhile.
    return (await this.one<{ value: string }>('SELECT value FROM settings WHERE name = $1', [name]))!.value;
  }

  // --- sources and IOCs -------------------------------------------------------------------------

  async upsertSource(s: SourceRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO sources (id, name, reliability, redistributable, aggregate, tlp, no_decay) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, reliability = excluded.reliability,
         redistributable = excluded.redistributable, aggregate = excluded.aggregate, tlp = excluded.tlp, no_decay = excluded.no_decay`,
      [s.id, s.name, s.reliability, s.redistributable, s.aggregate, s.tlp, s.noDecay ?? false],
    );
    this.sourceCache.set(s.id, { ...s, noDecay: s.noDecay ?? false });
  }

  async listSources(): Promise<SourceRecord[]> {
    return (await this.rows<SourceRow>('SELECT * FROM sources ORDER BY id')).map(sourceOf);
  }

  private async source(id: string): Promise<SourceRecord> {
    let s = this.sourceCache.get(id);
    if (!s) {
      const r = await this.one<SourceRow>('SELECT * FROM sources WHERE id = $1', [id]);
      if (!r) throw new Error(`unknown source ${id}: register it with upsertSource first`);
      s = sourceOf(r);
      this.sourceCache.set(id, s);
    }
    return s;
  }

  /** The sightings (with their sources' facts) of these IOCs, in one query. */
  private async loadSightings(c: PoolClient, states: Iterable<IocState>): Promise<void> {
    const byId = new Map<number, IocState>();
    for (const st of states) byId.set(st.row.id, st);
    if (byId.size === 0) return;
    const { rows } = await c.query(
      `SELECT s.ioc_id, s.source_id, s.first_seen, s.last_seen, s.count, s.confidence, s.reference, s.ended_at, s.ioc_added_at,
              s.seen_run, src.name, src.reliability, src.aggregate, src.redistributable, src.no_decay
       FROM sightings s JOIN sources src ON src.id = s.source_id WHERE s.ioc_id = ANY($1::bigint[])`,
      [[...byId.keys()]],
    );
    for (const r of rows as Array<SightingRow & SourceFacts>) {
      const { name, reliability, aggregate, redistributable, no_decay, ...s } = r;
      byId.get(r.ioc_id)!.sightings.set(r.source_id, { ...s, src: { name, reliability, aggregate, redistributable, no_decay }, dirty: false });
    }
  }

  private static state(row: IocRow): IocState {
    return { row, sightings: new Map(), isNew: false, dirty: false };
  }

  async upsertObservations(sourceId: string, batch: readonly Observation[], now: number, opts: UpsertOptions = {}): Promise<UpsertResult> {
    const source = await this.source(sourceId);
    const result: UpsertResult = { inserted: 0, updated: 0, unchanged: 0, ignored: 0 };
    if (batch.length === 0) return result;
    return this.writes.run(() => this.writeBatch(source, batch, now, opts));
  }

  async upsertObservationStream(
    sourceId: string,
    chunks: AsyncIterable<readonly Observation[]>,
    opts: UpsertOptions & { batchSize: number; clock?: () => number; onCommit?: (total: Readonly<UpsertResult>) => void },
  ): Promise<UpsertResult> {
    const source = await this.source(sourceId);
    const clock = opts.clock ?? Date.now;
    const total: UpsertResult = { inserted: 0, updated: 0, unchanged: 0, ignored: 0 };
    return this.writes.run(async () => {
      const client = await this.ingestPool.connect();
      let broken: Error | undefined;
      // One batch is written (its own transaction) while the producer makes the next: both stay busy, and the
      // version-log lock is held only while a batch is written, never while the producer works.
      let inflight: Promise<void> | undefined;
      const write = async (batch: readonly Observation[]) => {
        const r = await this.writeBatch(source, batch, clock(), opts, client);
        total.inserted += r.inserted;
        total.updated += r.updated;
        total.unchanged += r.unchanged;
        total.ignored += r.ignored;
        opts.onCommit?.(total);
      };
      const start = (batch: readonly Observation[]) => {
        inflight = write(batch).catch((e: unknown) => {
          broken = e instanceof Error ? e : new Error(String(e));
          throw e;
        });
        inflight.catch(() => {}); // awaited below; not an unhandled rejection meanwhile
      };
      try {
        let buffer: Observation[] = [];
        try {
          for await (const chunk of chunks) {
            // Exactly batchSize observations per transaction, whatever the size of the chunks.
            for (let at = 0; at < chunk.length; ) {
              const take = Math.min(chunk.length - at, opts.batchSize - buffer.length);
              for (let i = at; i < at + take; i++) buffer.push(chunk[i]!);
              at += take;
              if (buffer.length >= opts.batchSize) {
                const full = buffer;
                buffer = [];
                if (inflight) await inflight;
                start(full);
              }
            }
          }
        } catch (e) {
          // A failing producer loses the batch it was filling; the one already being written commits.
          if (inflight) await inflight.catch(() => {});
          throw e;
        }
        if (inflight) await inflight;
        if (buffer.length > 0) await write(buffer);
        // After a bulk load: statistics for the planner, or the first page of a walk scans and sorts the table; and
        // the visibility map, or a TAXII page reads every member's heap row besides its index entry (a page went from
        // 0.78 to 0.30 ms). Autovacuum does both in time, if it runs; this does it now (1.2 s after 100k new IOCs).
        if (total.inserted >= ANALYZE_AFTER) await client.query('VACUUM (ANALYZE) iocs, sightings, ioc_sectors, object_versions, collection_members');
        return total;
      } finally {
        client.release(broken);
      }
    });
  }

  /**
   * One batch of observations in one transaction, by slices of WRITE_SLICE observations, each in a fixed number of
   * round trips (its IOCs and their sightings looked up, then its writes), pipelined: a slice's look-ups are sent
   * before the previous slice's writes, so the server writes one slice while this process reconciles the next. What
   * those look-ups cannot see yet (the IOCs of the previous slice) is taken from memory, where it is current.
   */
  private async writeBatch(source: SourceRecord, batch: readonly Observation[], now: number, opts: UpsertOptions, client?: PoolClient): Promise<UpsertResult> {
    const result: UpsertResult = { inserted: 0, updated: 0, unchanged: 0, ignored: 0 };
    await this.logTx(async (c, work) => {
      const writes: Array<Promise<void>> = [];
      let failed: { error: unknown } | undefined;
      const sequence = new Sequence();
      const send = (prepared: (c: PoolClient, sequence: Sequence) => Promise<void>) => {
        const w = prepared(c, sequence);
        w.catch((error: unknown) => {
          failed ??= { error };
        });
        writes.push(w);
      };
      let previous = new Map<string, IocState>();
      try {
        for (let at = 0; at < batch.length; at += WRITE_SLICE) {
          const slice = at === 0 && batch.length <= WRITE_SLICE ? batch : batch.slice(at, at + WRITE_SLICE);
          const keys = new Map<string, readonly [IocType, string]>();
          for (const o of slice) keys.set(`${o.type}\0${o.value}`, [o.type, o.value]);
          // Encoded before the look-ups are sent, sent right after them.
          const prepared = at > 0 ? await work.prepare() : undefined;
          const looked = this.lookUp(c, sequence, keys);
          looked.catch(() => {}); // awaited below, unless sending the previous slice throws first
          if (prepared) send(prepared);
          const states = await looked;
          for (const key of keys.keys()) {
            const current = previous.get(key);
            if (current) states.set(key, current);
          }
          await this.reconcileSlice(work, source, slice, states, now, opts, result);
          previous = states;
        }
        send(await work.prepare());
        await Promise.all(writes);
      } catch (e) {
        // A write that failed aborts the transaction, and every statement after it fails for that reason: report the
        // first failure, once everything sent has settled.
        await Promise.allSettled(writes);
        throw failed ? failed.error : e;
      }
    }, client, true);
    return result;
  }

  /**
   * The IOCs of `keys` as stored, with their sightings: one query that probes the (type, md5(value)) index once per key
   * and returns a row per sighting of each IOC found (the IOC's columns, then the sighting's, prefixed `s_`), or one row
   * with no sighting. Two queries, one for each, probed the index twice: a tenth of the server's time in a bulk load.
   */
  private async lookUp(c: PoolClient, sequence: Sequence, keys: ReadonlyMap<string, readonly [IocType, string]>): Promise<Map<string, IocState>> {
    const types: string[] = [];
    const values: string[] = [];
    for (const [t, v] of keys.values()) {
      types.push(t);
      values.push(v);
    }
    const p = new Params();
    // LATERAL … LIMIT 1: one index probe per key, whatever the planner believes of a table that a load is growing.
    const { rows } = await sequence.then(() => c.query(
      `SELECT i.*, ${LOOKUP_SIGHTING_COLUMNS}
       FROM unnest(${column(p, types, 'text')}, ${column(p, values, 'text')}) AS k(type, value)
       CROSS JOIN LATERAL (SELECT * FROM iocs i WHERE i.type = k.type AND md5(i.value) = md5(k.value) AND i.value = k.value LIMIT 1) i
       LEFT JOIN LATERAL (SELECT * FROM sightings s WHERE s.ioc_id = i.id OFFSET 0) s ON true
       LEFT JOIN sources src ON src.id = s.source_id`,
      p.values,
    ));
    const states = new Map<string, IocState>();
    const byId = new Map<number, IocState>();
    for (const r of rows as LookUpRow[]) {
      const {
        s_source_id, s_first_seen, s_last_seen, s_count, s_confidence, s_reference, s_ended_at, s_ioc_added_at, s_seen_run,
        src_name, src_reliability, src_aggregate, src_redistributable, src_no_decay, ...row
      } = r;
      let st = byId.get(row.id);
      if (!st) {
        st = PostgresStore.state(row);
        byId.set(row.id, st);
        states.set(`${row.type}\0${row.value}`, st);
      }
      if (s_source_id === null) continue;
      st.sightings.set(s_source_id, {
        ioc_id: row.id, source_id: s_source_id, first_seen: s_first_seen!, last_seen: s_last_seen!, count: s_count!, confidence: s_confidence,
        reference: s_reference, ended_at: s_ended_at, ioc_added_at: s_ioc_added_at!, seen_run: s_seen_run, dirty: false,
        src: { name: src_name!, reliability: src_reliability!, aggregate: src_aggregate!, redistributable: src_redistributable!, no_decay: src_no_decay! },
      });
    }
    return states;
  }

  /**
   * What one slice of observations does to the IOCs, in memory (`states`: those of the slice that exist). It yields
   * to the event loop every few hundred observations: the previous slice's COPYs go on only as their protocol
   * messages are answered.
   */
  private async reconcileSlice(
    work: LogWork, source: SourceRecord, slice: readonly Observation[], states: Map<string, IocState>, now: number, opts: UpsertOptions,
    result: UpsertResult,
  ): Promise<void> {
    const run = opts.run ?? null;
    let n = 0;
    for (const o of slice) {
      if ((++n & YIELD_EVERY) === 0) await new Promise(setImmediate);
      const key = `${o.type}\0${o.value}`;
      const st = states.get(key);
      const tlp = o.tlp ?? source.tlp;
      if (opts.enrichOnly && st?.row.status === 'revoked') {
        // Enrichment adds evidence to what is live; it never brings back a withdrawn IOC.
        result.ignored++;
        continue;
      }
      if (!st) {
        if (opts.enrichOnly) {
          result.ignored++;
          continue;
        }
        states.set(key, work.insertIoc(source, o, tlp, now, run));
        result.inserted++;
        continue;
      }
      work.seen(st, source, o, run);
      const outcome = work.reconcile(st, now, { tags: o.tags, malware: o.malware, sectors: o.sectors, tlp, firstSeen: o.firstSeen, lastSeen: o.lastSeen }, true);
      if (outcome === 'unchanged') result.unchanged++;
      else result.updated++;
    }
  }

  async endUnseenSightings(sourceId: string, run: number, now: number): Promise<number> {
    await this.source(sourceId);
    return this.writes.run(async () => {
      let ended = 0;
      for (;;) {
        const n = await this.logTx(async (c, work) => {
          const { rows } = await c.query(
            `SELECT i.* FROM iocs i WHERE i.id IN (
               SELECT ioc_id FROM sightings WHERE source_id = $1 AND ended_at IS NULL AND (seen_run IS NULL OR seen_run <> $2)
               ORDER BY ioc_id LIMIT ${DELIST_PAGE})`,
            [sourceId, run],
          );
          const states = (rows as IocRow[]).map(PostgresStore.state);
          await this.loadSightings(c, states);
          for (const st of states) {
            work.endSighting(st, sourceId, now);
            if (st.row.status === 'active') work.reconcile(st, now, undefined, false);
          }
          await work.flush(c);
          return states.length;
        }, undefined, true);
        ended += n;
        if (n < DELIST_PAGE) return ended;
      }
    });
  }

  async relistSource(sourceId: string, run: number, now: number): Promise<UpsertResult> {
    const source = await this.source(sourceId);
    const rows = await this.rows<{ type: IocType; value: string; first_seen: number; confidence: number | null; reference: string | null; tlp: Tlp }>(
      `SELECT i.type, i.value, s.first_seen, s.confidence, s.reference, i.tlp FROM sightings s JOIN iocs i ON i.id = s.ioc_id
       WHERE s.source_id = $1 AND s.ended_at IS NULL`,
      [sourceId],
    );
    // The IOC's own TLP: a relisting says nothing new about markings and must not loosen them.
    const observations: Observation[] = rows.map((r) => ({
      type: r.type, value: r.value, confidence: r.confidence, reference: r.reference, firstSeen: r.first_seen, lastSeen: now,
      tags: [], malware: [], sectors: [], tlp: r.tlp,
    }));
    async function* chunks() {
      yield observations;
    }
    return this.upsertObservationStream(source.id, chunks(), { batchSize: 5000, run, clock: () => now });
  }

  async decayIocs(now: number): Promise<DecayResult> {
    const result: DecayResult = { rescored: 0, revoked: 0, versions: 0 };
    let after = 0;
    for (;;) {
      const done = await this.writes.run(() => this.logTx(async (c, work) => {
        const { rows } = await c.query(`SELECT * FROM iocs WHERE id > $1 AND status = 'active' ORDER BY id LIMIT ${DECAY_PAGE}`, [after]);
        if (rows.length === 0) return true;
        const seqBefore = work.appended;
        // Cheap test first: most IOCs neither moved a point nor expired since the last pass.
        const due = (rows as IocRow[]).filter((row) => {
          after = row.id;
          const base = row.base_score ?? row.score;
          return !(now < row.valid_until && decayedScore(base, row.type, row.last_seen, now, row.no_decay) === row.score);
        }).map(PostgresStore.state);
        await this.loadSightings(c, due);
        for (const st of due) {
          const outcome = work.reconcile(st, now, undefined, false);
          if (outcome === 'revoked') result.revoked++;
          else if (outcome === 'updated') result.rescored++;
        }
        result.versions += work.appended - seqBefore;
        await work.flush(c);
        return false;
      }, undefined, true));
      if (done) return result;
    }
  }

  // --- leadership across processes ----------------------------------------------------------------

  async tryLease(name: string, holder: string, ttlMs: number, now: number): Promise<boolean> {
    // One statement: take a free or lapsed lease, or renew our own; the row lock of the conflict orders nodes.
    const r = await this.pool.query(
      `INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
       WHERE leases.holder = excluded.holder OR leases.expires_at <= $4`,
      [name, holder, now + ttlMs, now],
    );
    return r.rowCount === 1;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    await this.pool.query('DELETE FROM leases WHERE name = $1 AND holder = $2', [name, holder]);
  }

  // --- source runs ------------------------------------------------------------------------------

  async startRun(sourceId: string, now: number): Promise<number> {
    return this.tx(async (c) => {
      await c.query(
        "UPDATE source_runs SET outcome = 'failed', finished_at = $1, error = 'interrupted: the process stopped during this run' WHERE source_id = $2 AND outcome = 'running'",
        [now, sourceId],
      );
      const { rows } = await c.query("INSERT INTO source_runs (source_id, started_at, outcome) VALUES ($1, $2, 'running') RETURNING id", [sourceId, now]);
      return (rows[0] as { id: number }).id;
    });
  }

  async finishRun(run: number, r: RunResult): Promise<void> {
    await this.pool.query(
      `UPDATE source_runs SET finished_at = $1, outcome = $2, records = $3, inserted = $4, updated = $5, unchanged = $6, delisted = $7,
         rejected = $8, bytes = $9, error = $10, etag = $11, last_modified = $12 WHERE id = $13`,
      [r.finishedAt, r.outcome, r.records, r.inserted, r.updated, r.unchanged, r.delisted, r.rejected, r.bytes, r.error, r.etag, r.lastModified, run],
    );
  }

  async latestRuns(): Promise<SourceRun[]> {
    const rows = await this.rows<RunRow>('SELECT DISTINCT ON (source_id) * FROM source_runs ORDER BY source_id, id DESC');
    return rows.map(runOf);
  }

  async lastRun(sourceId: string, outcomes: readonly string[]): Promise<SourceRun | undefined> {
    if (outcomes.length === 0) return undefined;
    const row = await this.one<RunRow>('SELECT * FROM source_runs WHERE source_id = $1 AND outcome = ANY($2::text[]) ORDER BY id DESC LIMIT 1', [sourceId, outcomes]);
    return row && runOf(row);
  }

  async queryIocs(q: IocQuery): Promise<IocPage> {
    if (q.types?.length === 0) return { items: [], next: null };
    const { sql, params } = iocSelect(q, 'i.*');
    const rows = await this.rows<IocRow>(sql, params);
    const more = rows.length > q.limit;
    if (more) rows.length = q.limit;
    const sources = await this.sourcesOf(rows.map((r) => r.id));
    const last = rows[rows.length - 1];
    return {
      items: rows.map((r) => toIoc(r, r.redistributable, sources.get(r.id) ?? [])),
      next: more && last ? { addedAt: last.added_at, rowId: last.id } : null,
    };
  }

  async pageStixObjects(q: IocQuery): Promise<StixPage> {
    if (q.types?.length === 0) return { objects: [], next: null };
    const { sql, params } = iocSelect({ ...q, redistributableOnly: true }, 'v.json, i.added_at, i.id', 'JOIN object_versions v ON v.seq = i.version_seq');
    const rows = await this.rows<{ json: string; added_at: number; id: number }>(sql, params, true);
    const more = rows.length > q.limit;
    if (more) rows.length = q.limit;
    const last = rows[rows.length - 1];
    return { objects: rows.map((r) => r.json), next: more && last ? { addedAt: last.added_at, rowId: last.id } : null };
  }

  async tlpLevelsInUse(): Promise<Tlp[]> {
    const rows = await this.rows<{ tlp: Tlp }>(
      'SELECT t.tlp FROM unnest($1::text[]) AS t(tlp) WHERE EXISTS (SELECT 1 FROM iocs i WHERE i.tlp = t.tlp AND i.redistributable)',
      [TLP_LEVELS],
    );
    const used = new Set(rows.map((r) => r.tlp));
    return TLP_LEVELS.filter((t) => used.has(t));
  }

  async revokeIocs(stixIds: readonly string[], now: number): Promise<number> {
    if (stixIds.length === 0) return 0;
    return this.logTx(async (c, work) => {
      const { rows } = await c.query("SELECT * FROM iocs WHERE stix_id = ANY($1::text[]) AND status = 'active'", [stixIds]);
      const byStix = new Map((rows as IocRow[]).map((r) => [r.stix_id, PostgresStore.state(r)]));
      await this.loadSightings(c, byStix.values());
      let revoked = 0;
      for (const id of stixIds) {
        const st = byStix.get(id);
        if (!st || st.row.status !== 'active') continue;
        work.revokeRow(st, now, work.evidence(st).map((e) => ({ id: e.source_id, name: e.src.name })));
        revoked++;
      }
      await work.flush(c);
      return revoked;
    });
  }

  async listVersions(stixId: string): Promise<StixVersion[]> {
    // The versions of the IOC that carries this id; an object no IOC carries now (revoked, then seen again under a
    // new id; or not an IOC) by its id alone.
    const rows = await this.rows<{ date_added: number; modified: number; latest: boolean; revoked: boolean; json: string }>(
      `SELECT date_added, modified, latest, revoked, json FROM object_versions
       WHERE stix_id = $1 AND (NOT EXISTS (SELECT 1 FROM iocs WHERE stix_id = $1) OR ioc_id = (SELECT id FROM iocs WHERE stix_id = $1))
       ORDER BY seq`,
      [stixId],
    );
    return rows.map((r) => ({ dateAdded: r.date_added, modified: r.modified, latest: r.latest, revoked: r.revoked, json: r.json }));
  }

  async pageLog(q: LogQuery): Promise<LogPage> {
    if (q.ids?.length === 0 || q.types?.length === 0 || q.specVersions?.length === 0) return { items: [], more: false };
    const p = new Params();
    const sql = logPageSql(q, {
      param: (value, type) => p.add(value, type),
      inList: (expr, values, type) => `${expr} = ANY(${p.add(values, `${type}[]`)})`,
      sameObject: (a, b) => `${a}.stix_id = ${b}.stix_id`,
      objectIn: (t, ids) => `${t}.stix_id = ANY(${p.add(ids, 'text[]')})`,
      isLatest: (t) => `${t}.latest`,
      falseCondition: 'false',
      budgetInSql: true,
    });
    const all = await this.rows<{ date_added: number; seq: number; stix_id: string; modified: number; spec_version: string; json: string; n?: number }>(sql, p.values, true);
    // The byte budget: cut in SQL (n: the rows before the cut), or here for rows that came whole.
    const cut = all[0]?.n !== undefined ? { rows: all, before: all[0].n } : cutAtBudget(all, q.maxBytes, (r) => r.json);
    const { rows, more } = logPageOf(cut.rows, q.limit, cut.before);
    return {
      items: rows.map((r) => ({ dateAdded: r.date_added, seq: r.seq, stixId: r.stix_id, modified: r.modified, specVersion: r.spec_version, json: r.json })),
      more,
    };
  }

  async ensureSharedObjects(objects: readonly SharedObject[], collections: readonly string[], now: number): Promise<number> {
    if (objects.length === 0) return 0;
    return this.logTx(async (c, work) => {
      const { rows } = await c.query(
        'SELECT DISTINCT ON (stix_id) stix_id, seq, json FROM object_versions WHERE stix_id = ANY($1::text[]) AND latest ORDER BY stix_id, seq',
        [objects.map((o) => o.stixId)],
      );
      const current = new Map((rows as Array<{ stix_id: string; seq: number; json: string }>).map((r) => [r.stix_id, r]));
      let appended = 0;
      for (const o of objects) {
        const cur = current.get(o.stixId);
        if (cur?.json === o.json) continue;
        if (cur) work.supersede(cur.seq);
        const v = work.appendObject({ stix_id: o.stixId, type: o.type, modified: o.modified, spec_version: '2.1', latest: true, revoked: false, json: o.json }, collections, now);
        current.set(o.stixId, { stix_id: o.stixId, seq: v.seq, json: o.json });
        appended++;
      }
      await work.flush(c);
      return appended;
    });
  }

  async addObjects(collection: string, objects: readonly NewObject[], now: number): Promise<AddOutcome[]> {
    if (objects.length === 0) return [];
    return this.logTx(async (c, work) => {
      // This collection's versions of the objects: versions, "latest" and duplicates are per collection.
      const { rows } = await c.query(
        `SELECT v.stix_id, v.modified, v.json FROM object_versions v JOIN collection_members m ON m.seq = v.seq AND m.collection = $2
         WHERE v.stix_id = ANY($1::text[])`,
        [[...new Set(objects.map((o) => o.stixId))], collection],
      );
      type Known = { modified: number; json: string };
      const known = new Map<string, Known[]>();
      for (const r of rows as Array<Known & { stix_id: string }>) {
        const list = known.get(r.stix_id) ?? [];
        list.push({ modified: r.modified, json: r.json });
        known.set(r.stix_id, list);
      }
      const outcomes = objects.map((o): AddOutcome => {
        const there = known.get(o.stixId) ?? [];
        const same = o.modified !== null ? there.find((v) => v.modified === o.modified) : there.find((v) => v.json === o.json);
        if (same) return { outcome: 'duplicate', modified: same.modified };
        const row = work.appendObject(
          { stix_id: o.stixId, type: o.type, modified: o.modified ?? 0, spec_version: o.specVersion, latest: false, revoked: REVOKED_JSON.test(o.json), json: o.json },
          [collection], now,
        );
        // An object without a version of its own is versioned by the time it was added (TAXII 2.1 §5.3).
        if (o.modified === null) row.modified = Math.floor(row.date_added / 1000);
        there.push({ modified: row.modified, json: o.json });
        known.set(o.stixId, there);
        return { outcome: 'added', modified: row.modified };
      });
      await work.flush(c);
      return outcomes;
    });
  }

  async deleteObject(collection: string, stixId: string, versions: ReadonlyArray<{ dateAdded: number; seq: number }> | undefined): Promise<number> {
    return this.logTx(async (c) => {
      const { rows } = await c.query(
        `SELECT v.date_added, v.seq FROM object_versions v JOIN collection_members m ON m.collection = $1 AND m.seq = v.seq
         WHERE v.stix_id = $2`,
        [collection, stixId],
      );
      const all = rows as Array<{ date_added: number; seq: number }>;
      const doomed = versions === undefined ? all : all.filter((r) => versions.some((x) => x.seq === r.seq && x.dateAdded === r.date_added));
      if (doomed.length) {
        await c.query(
          `DELETE FROM collection_members m USING unnest($2::bigint[], $3::bigint[]) AS d(date_added, seq)
           WHERE m.collection = $1 AND m.date_added = d.date_added AND m.seq = d.seq`,
          [collection, doomed.map((r) => r.date_added), doomed.map((r) => r.seq)],
        );
      }
      return doomed.length;
    });
  }

  async saveStatus(status: SavedStatus, now: number, pruneBefore: number): Promise<void> {
    await this.pool.query(
      `WITH pruned AS (DELETE FROM statuses WHERE created_at < $6)
       INSERT INTO statuses (id, collection, account_id, created_at, json) VALUES ($1, $2, $3, $4, $5)`,
      [status.id, status.collection, status.accountId, now, status.json, pruneBefore],
    );
  }

  async getStatus(id: string): Promise<SavedStatus | undefined> {
    const row = await this.one<{ id: string; collection: string; account_id: number | null; json: string }>(
      'SELECT id, collection, account_id, json FROM statuses WHERE id = $1', [id]);
    return row && { id: row.id, collection: row.collection, accountId: row.account_id === null ? null : Number(row.account_id), json: row.json };
  }

  async loadTaxii(data: TaxiiLoad, now: number): Promise<{ versions: number; duplicates: number }> {
    return this.logTx(async (c, work) => {
      if (data.discovery) {
        await c.query('INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value', ['taxii_discovery', JSON.stringify(data.discovery)]);
      }
      for (const r of data.roots) {
        await c.query(
          `INSERT INTO taxii_roots (name, title, description, max_content_length) VALUES ($1, $2, $3, $4)
           ON CONFLICT (name) DO UPDATE SET title = excluded.title, description = excluded.description, max_content_length = excluded.max_content_length`,
          [r.name, r.title, r.description, r.maxContentLength],
        );
      }
      for (const col of data.collections) {
        await c.query(
          `INSERT INTO taxii_collections (id, root, title, description, alias, can_read, can_write, media_types) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (id) DO UPDATE SET root = excluded.root, title = excluded.title, description = excluded.description,
             alias = excluded.alias, can_read = excluded.can_read, can_write = excluded.can_write, media_types = excluded.media_types`,
          [col.id, col.root, col.title, col.description, col.alias, col.canRead, col.canWrite, col.mediaTypes ? JSON.stringify(col.mediaTypes) : null],
        );
      }
      if (data.statuses.length) {
        await c.query(
          `INSERT INTO statuses (id, collection, created_at, json) SELECT id, root, $4, json FROM unnest($1::text[], $2::text[], $3::text[]) AS s(id, root, json)
           ON CONFLICT (id) DO NOTHING`,
          [data.statuses.map((s) => s.id), data.statuses.map((s) => s.root), data.statuses.map((s) => s.json), now],
        );
      }
      // What is already there: (collection, id, version) of the loaded objects.
      const { rows } = await c.query(
        `SELECT m.collection, v.stix_id, v.modified FROM object_versions v JOIN collection_members m ON m.seq = v.seq
         WHERE v.stix_id = ANY($1::text[])`,
        [[...new Set(data.versions.map((v) => v.object.stixId))]],
      );
      const there = new Set((rows as Array<{ collection: string; stix_id: string; modified: number }>).map((r) => `${r.collection}\0${r.stix_id}\0${r.modified}`));
      let versions = 0;
      let duplicates = 0;
      // Oldest first, so that seq follows date_added within what is loaded. No latest flag: a loaded collection's
      // last version of an object is chosen within it when read (store/log-page.ts).
      const ordered = [...data.versions].sort((a, b) => (a.dateAdded ?? Number.MAX_SAFE_INTEGER) - (b.dateAdded ?? Number.MAX_SAFE_INTEGER));
      for (const v of ordered) {
        const key = `${v.collection}\0${v.object.stixId}\0${v.object.modified}`;
        if (v.object.modified !== null && there.has(key)) {
          duplicates++;
          continue;
        }
        there.add(key);
        // A version without a date_added of its own gets ours: now, strictly after the log's last.
        const row = work.appendObject(
          { stix_id: v.object.stixId, type: v.object.type, modified: v.object.modified ?? 0, spec_version: v.object.specVersion, latest: false, revoked: REVOKED_JSON.test(v.object.json), json: v.object.json },
          [v.collection], now, v.dateAdded,
        );
        if (v.object.modified === null) row.modified = Math.floor(row.date_added / 1000);
        versions++;
      }
      await work.flush(c);
      return { versions, duplicates };
    });
  }

  async loadedTaxiiRoots(): Promise<LoadedRoot[]> {
    const rows = await this.rows<{ name: string; title: string; description: string | null; max_content_length: number }>('SELECT * FROM taxii_roots ORDER BY name');
    return rows.map((r) => ({ name: r.name, title: r.title, description: r.description, maxContentLength: r.max_content_length }));
  }

  async loadedTaxiiCollections(): Promise<LoadedCollection[]> {
    const rows = await this.rows<{
      id: string; root: string; title: string; description: string | null; alias: string | null; can_read: boolean; can_write: boolean; media_types: string | null;
    }>('SELECT * FROM taxii_collections ORDER BY root, title, id');
    return rows.map((r) => ({
      id: r.id, root: r.root, title: r.title, description: r.description, alias: r.alias, canRead: r.can_read, canWrite: r.can_write,
      mediaTypes: parseMediaTypes(r.media_types),
    }));
  }

  async setSetting(name: string, value: string): Promise<void> {
    await this.pool.query('INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value', [name, value]);
  }

  async getSetting(name: string): Promise<string | undefined> {
    return (await this.one<{ value: string }>('SELECT value FROM settings WHERE name = $1', [name]))?.value;
  }

  private async sourcesOf(ids: readonly number[]): Promise<Map<number, string[]>> {
    const out = new Map<number, string[]>();
    if (ids.length === 0) return out;
    const rows = await this.rows<{ ioc_id: number; source_id: string }>(
      'SELECT ioc_id, source_id FROM sightings WHERE ioc_id = ANY($1::bigint[]) ORDER BY source_id',
      [ids],
    );
    for (const r of rows) {
      const list = out.get(r.ioc_id);
      if (list) list.push(r.source_id);
      else out.set(r.ioc_id, [r.source_id]);
    }
    return out;
  }

  async getIoc(id: string): Promise<IocDetail | undefined> {
    const row = await this.one<IocRow>('SELECT * FROM iocs WHERE stix_id = $1', [id]);
    if (!row) return undefined;
    const sightings = await this.rows<SightingRow>('SELECT * FROM sightings WHERE ioc_id = $1 ORDER BY source_id', [row.id]);
    return {
      ...toIoc(row, row.redistributable, sightings.map((s) => s.source_id)),
      sightings: sightings.map((s) => ({
        source: s.source_id,
        firstSeen: s.first_seen,
        lastSeen: s.last_seen,
        count: s.count,
        confidence: s.confidence,
        reference: s.reference,
        endedAt: s.ended_at,
      })),
    };
  }

  async countIocs(): Promise<number> {
    return (await this.one<{ n: number }>('SELECT count(*) AS n FROM iocs'))!.n;
  }

  // --- accounts and keys ------------------------------------------------------------------------

  async countAccounts(): Promise<number> {
    return (await this.one<{ n: number }>('SELECT count(*) AS n FROM accounts'))!.n;
  }

  async createAccount(email: string, plan: Plan, now: number): Promise<Account> {
    const r = await this.one<{ id: number }>('INSERT INTO accounts (email, plan, created_at) VALUES ($1, $2, $3) RETURNING id', [email, plan, now]);
    return { id: r!.id, email, plan, createdAt: now };
  }

  async findAccountByEmail(email: string): Promise<Account | undefined> {
    const r = await this.one<{ id: number; email: string; plan: Plan; created_at: number }>('SELECT * FROM accounts WHERE lower(email) = lower($1)', [email]);
    return r && { id: r.id, email: r.email, plan: r.plan, createdAt: r.created_at };
  }

  async setAccountPlan(accountId: number, plan: Plan): Promise<void> {
    // The notification goes out at commit, to every process that caches keys (watchKeyChanges).
    await this.tx(async (c) => {
      await c.query('UPDATE accounts SET plan = $1 WHERE id = $2', [plan, accountId]);
      await c.query(`NOTIFY ${KEYS_CHANNEL}`);
    });
  }

  async listAccounts(): Promise<Account[]> {
    const rows = await this.rows<{ id: number; email: string; plan: Plan; created_at: number }>('SELECT * FROM accounts ORDER BY id');
    return rows.map((r) => ({ id: r.id, email: r.email, plan: r.plan, createdAt: r.created_at }));
  }

  async insertApiKey(k: Omit<ApiKeyRecord, 'id' | 'lastUsedAt' | 'revokedAt'>): Promise<ApiKeyRecord> {
    const r = await this.one<{ id: number }>(
      'INSERT INTO api_keys (account_id, prefix, hash, name, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id',
      [k.accountId, k.prefix, k.hash, k.name, k.createdAt],
    );
    return { ...k, id: r!.id, lastUsedAt: null, revokedAt: null };
  }

  async findApiKeyByHash(hash: string): Promise<ApiKeyWithAccount | undefined> {
    const r = await this.one<KeyRow>('SELECT k.*, a.email, a.plan FROM api_keys k JOIN accounts a ON a.id = k.account_id WHERE k.hash = $1', [hash], true);
    return r && toKey(r);
  }

  async listApiKeys(): Promise<ApiKeyWithAccount[]> {
    const rows = await this.rows<KeyRow>('SELECT k.*, a.email, a.plan FROM api_keys k JOIN accounts a ON a.id = k.account_id ORDER BY k.id');
    return rows.map(toKey);
  }

  async revokeApiKey(prefix: string, now: number): Promise<boolean> {
    return this.tx(async (c) => {
      const r = await c.query('UPDATE api_keys SET revoked_at = $1 WHERE prefix = $2 AND revoked_at IS NULL', [now, prefix]);
      if (!r.rowCount) return false;
      await c.query(`NOTIFY ${KEYS_CHANNEL}`);
      return true;
    });
  }

  /**
   * LISTEN on a connection of its own for the notifications of revokeApiKey and setAccountPlan, from any process on
   * this database: `onChange(true)` once listening and after each change; `onChange(false)` when the connection is
   * lost, then a new one every few seconds until it listens again. Fails when it cannot listen at first.
   */
  async watchKeyChanges(onChange: (watching: boolean) => void): Promise<() => Promise<void>> {
    let stopped = false;
    let client: pg.Client | undefined;
    let retry: NodeJS.Timeout | undefined;
    const listen = async () => {
      const c = new pg.Client(this.connection);
      c.on('error', () => {}); // 'end' follows
      c.on('notification', () => onChange(true));
      c.on('end', () => {
        if (stopped || client !== c) return;
        client = undefined;
        onChange(false);
        again();
      });
      try {
        await c.connect();
        await c.query(`LISTEN ${KEYS_CHANNEL}`);
      } catch (err) {
        await c.end().catch(() => {});
        throw err;
      }
      if (stopped) return void (await c.end().catch(() => {}));
      client = c;
      onChange(true);
    };
    const again = () => {
      retry = setTimeout(() => void listen().catch(again), WATCH_RETRY_MS);
      retry.unref();
    };
    await listen();
    return async () => {
      stopped = true;
      clearTimeout(retry);
      await client?.end().catch(() => {});
      client = undefined;
    };
  }

  async touchApiKeys(lastUsed: ReadonlyMap<number, number>): Promise<boolean> {
    if (lastUsed.size === 0) return true;
    // One statement; greatest() keeps the latest use when nodes report out of order.
    await this.pool.query(
      `UPDATE api_keys k SET last_used_at = greatest(coalesce(k.last_used_at, 0), t.at)
       FROM unnest($1::bigint[], $2::bigint[]) AS t(id, at) WHERE k.id = t.id`,
      [[...lastUsed.keys()], [...lastUsed.values()]],
    );
    return true;
  }
}

/**
 * The REST-order walk of IOCs under a query, as SQL: the driving table is the most selective index in
 * (added_at, id) order — the sector or source tables when those filters are given — so every page is a range scan.
 */
function iocSelect(q: IocQuery & { redistributableOnly?: boolean }, columns: string, join = ''): { sql: string; params: unknown[] } {
  const p = new Params();
  const where: string[] = [];
  let from = 'iocs i';
  let k = { at: 'i.added_at', id: 'i.id' };
  if (q.sector !== undefined) {
    from = 'ioc_sectors d JOIN iocs i ON i.id = d.ioc_id';
    k = { at: 'd.ioc_added_at', id: 'd.ioc_id' };
    where.push(`d.sector = ${p.add(q.sector, 'text')}`);
  } else if (q.source !== undefined) {
    from = 'sightings d JOIN iocs i ON i.id = d.ioc_id';
    k = { at: 'd.ioc_added_at', id: 'd.ioc_id' };
    where.push(`d.source_id = ${p.add(q.source, 'text')}`);
  }
  if (q.source !== undefined && q.sector !== undefined) {
    where.push(`EXISTS (SELECT 1 FROM sightings s WHERE s.ioc_id = i.id AND s.source_id = ${p.add(q.source, 'text')})`);
  }
  if (q.value !== undefined) {
    // A value is of one type: look it up by each type asked for (all when none is).
    const value = p.add(q.value, 'text');
    where.push(`i.type = ANY(${p.add(q.types ?? IOC_TYPES, 'text[]')}) AND md5(i.value) = md5(${value}) AND i.value = ${value}`);
  }
  if (q.types && q.types.length === 1 && from === 'iocs i') {
    // (type, added_at, id) index: a pure range scan for one type.
    where.push(`i.type = ${p.add(q.types[0], 'text')}`);
  } else if (q.types && q.types.length > 0) {
    where.push(`i.type = ANY(${p.add(q.types, 'text[]')})`);
  }
  if (q.since !== undefined) where.push(`${k.at} > ${p.add(q.since, 'bigint')}`);
  if (q.after) where.push(`(${k.at}, ${k.id}) > (${p.add(q.after.addedAt, 'bigint')}, ${p.add(q.after.rowId, 'bigint')})`);
  if (q.band) where.push(`i.score BETWEEN ${p.add(BAND_RANGES[q.band].min, 'integer')} AND ${p.add(BAND_RANGES[q.band].max, 'integer')}`);
  if (q.status !== 'all') where.push(`i.status = ${p.add(q.status, 'text')}`);
  if (q.redistributableOnly) where.push('i.redistributable');
  const limit = p.add(q.limit + 1, 'bigint');
  return {
    sql: `SELECT ${columns} FROM ${from} ${join} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${k.at}, ${k.id} LIMIT ${limit}`,
    params: p.values,
  };
}

/** Most observations carry no labels: skip the sort and the serializer for them. */

/** Drops a schema and all it holds (tests give each store a schema of its own). */
export async function dropPostgresSchema(connectionString: string, schema: string): Promise<void> {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid PostgreSQL schema name ${JSON.stringify(schema)}`);
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}
