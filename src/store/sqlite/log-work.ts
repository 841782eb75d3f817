import { builtinMemberships } from '../../domain/collections.js';
import { stixTypeOf } from '../../domain/ioc-types.js';
import { stixKey, valueKey } from '../lookup-keys.js';
import { decide, type Incoming } from '../ioc-reconcile.js';
import {
  countOutcome, firstVersionOf, incomingOf, newIocOf, nextVersionOf, observationStep, revocationOf, updatedVersionOf,
} from '../ingest-rules.js';
import { listJson, withSource } from '../merge.js';
import { factsOf, type IocStateColumns } from '../rows.js';
import { TallyDelta } from '../tallies.js';
import type { IocVersionInput, Observation, RenderIocVersion, SourceRecord, UpsertOptions, UpsertResult } from '../types.js';
import type { SqliteConnection } from './connection.js';

/** An `iocs` row: the columns the API reads, and the state of reconciling and versioning (booleans 0/1). */
export type IocRow = IocStateColumns<number>;

export interface EvidenceRow {
  source_id: string;
  name: string;
  confidence: number | null;
  reliability: number;
  aggregate: number;
  redistributable: number;
  no_decay: number;
  expires_at: number | null;
}

/**
 * The IOC whose current STIX id is given (parameters: the id's stix_key, the id, the id again), found through the
 * id's versions (index object_versions_object): since migration 22 `iocs` keeps no index of its own by STIX id, one
 * random b-tree insert less per new IOC. Every id an IOC carries has versions in the log, written with it; an IOC
 * with several versions of the id is found once per version (read one row).
 */
export const IOC_BY_STIX_ID = 'object_versions v JOIN iocs i ON i.id = v.ioc_id WHERE v.stix_key = ? AND v.stix_id = ? AND i.stix_id = ?';

/** 1 when an observation says what its source claims of the value's validity (sighting's expires_at replaced), else 0. */
const claims = (o: Observation): number => (o.expiresAt === undefined ? 0 : 1);

/**
 * Log positions for versions that are not an IOC's (shared objects, TAXII writes and loads), inside the caller's
 * write transaction: the next seq, and date_added as given (loaded history, kept exactly) or ours, epoch µs,
 * max(now, last + 1).
 */
export function objectPositions(conn: SqliteConnection, now: number): { next(dateAdded?: number | null): { seq: number; dateAdded: number } } {
  const last = conn.positions();
  let seq = last.seq ?? 0;
  let added = last.added ?? 0;
  return {
    next(dateAdded = null) {
      seq++;
      return { seq, dateAdded: dateAdded ?? (added = Math.max(now * 1000, added + 1)) };
    },
  };
}

/**
 * The writes of one transaction to IOCs and the version log, inside the caller's write transaction: hands out row
 * ids, version seqs and date_added (the single writer reads the last ones once, here), and applies the rules of
 * ingestion (ingest-rules.ts) and the reconcile decision (ioc-reconcile.ts) statement by statement. date_added is
 * epoch µs, max(now, last + 1): strictly increasing even for a million versions in one second. The PostgreSQL
 * store's log-work.ts is the same work, kept in memory and written in bulk.
 */
export class LogWork {
  private readonly render: RenderIocVersion;
  /** What this work moves in the IOC tallies, written by finish(). */
  private readonly tally = new TallyDelta();
  private iocId: number;
  private seq: number;
  private added: number;

  constructor(private readonly conn: SqliteConnection, private readonly now: number) {
    this.render = conn.renderer();
    const last = conn.positions();
    this.iocId = last.ioc ?? 0;
    this.seq = last.seq ?? 0;
    this.added = last.added ?? 0;
  }

  nextIocId(): number {
    return ++this.iocId;
  }

  nextSeq(): number {
    return this.seq + 1;
  }

  /** Appends a version of an IOC (rendered now) and its memberships of the built-in collections. */
  append(iocRowId: number, v: IocVersionInput): number {
    const s = this.conn.stmts;
    this.seq++;
    this.added = Math.max(this.now * 1000, this.added + 1);
    s.insertVersion().run(this.seq, this.added, v.stixId, stixKey(v.stixId)!, iocRowId, stixTypeOf(v.type), v.modified, v.revoked ? 1 : 0, this.render(v));
    for (const collection of builtinMemberships(v)) s.insertMember().run(collection, this.added, this.seq);
    return this.seq;
  }

  /** The write of a batch of observations. */
  apply(source: SourceRecord, batch: readonly Observation[], result: UpsertResult, opts: UpsertOptions): void {
    const s = this.conn.stmts;
    const now = this.now;
    const run = opts.run ?? null;
    for (const o of batch) {
      const key = valueKey(o.type, o.value);
      const row = s.findIoc().get(key, o.type, o.value) as IocRow | undefined;
      const tlp = o.tlp ?? source.tlp;
      const step = observationStep(row?.status, opts);
      if (step === 'ignore') {
        result.ignored++;
        opts.onOutcome?.('ignored');
        continue;
      }
      if (!row) {
        const n = newIocOf(source, o, now);
        const iocId = this.nextIocId();
        s.insertIoc().run(
          iocId, o.type, o.value, key, n.stixId, stixKey(n.stixId)!, n.score, o.firstSeen, o.lastSeen, now, now,
          listJson(n.tags), listJson(n.malware), listJson(n.sectors), tlp, n.until, source.redistributable ? 1 : 0,
          now, this.nextSeq(), n.score, n.until, n.base, n.noDecay ? 1 : 0, listJson([source.id]),
        );
        this.append(iocId, firstVersionOf(o, tlp, n, source, now));
        s.upsertSighting().run(iocId, source.id, o.firstSeen, o.lastSeen, o.confidence, o.reference, now, run, o.expiresAt ?? null, claims(o));
        for (const sector of n.sectors) s.insertSector().run(sector, now, iocId);
        this.tally.move(o.type, 'active', n.score, n.sectors, 1);
        result.inserted++;
        opts.onOutcome?.('inserted');
        continue;
      }
      s.upsertSighting().run(row.id, source.id, o.firstSeen, o.lastSeen, o.confidence, o.reference, row.added_at, run, o.expiresAt ?? null, claims(o));
      // A source new to the IOC joins the list its row keeps (migration 24).
      const sources = withSource(row.sources, source.id);
      if (sources !== undefined) {
        s.setSources().run(sources, row.id);
        row.sources = sources;
      }
      countOutcome(result, this.reconcile(row, incomingOf(o, tlp), true), opts);
    }
  }

  /** The live sightings of an IOC with their sources' facts, in source order: not ended, no claim passed by now. */
  evidence(iocRowId: number): EvidenceRow[] {
    return this.conn.stmts.evidence().all(iocRowId, this.now) as EvidenceRow[];
  }

  /**
   * Applies the one reconcile rule (ioc-reconcile.ts) to an existing IOC: its live evidence, what `incoming` adds and
   * its age at `now`; appends the STIX version the decision calls for.
   */
  reconcile(row: IocRow, incoming: Incoming | undefined, seen: boolean): 'unchanged' | 'updated' | 'revoked' {
    const s = this.conn.stmts;
    const now = this.now;
    const evidence = this.evidence(row.id).map((e) => ({
      sourceId: e.source_id, name: e.name, reliability: e.reliability, confidence: e.confidence, aggregate: e.aggregate === 1,
      redistributable: e.redistributable === 1, noDecay: e.no_decay === 1, expiresAt: e.expires_at,
    }));
    const d = decide(factsOf(row), evidence, now, incoming, seen);
    if (d.kind === 'unchanged') return 'unchanged';
    if (d.kind === 'revoke') {
      this.revoke(row, d.sources);
      return 'revoked';
    }
    let stixId = row.stix_id;
    let modified = row.modified ?? row.added_at;
    let versionSeq = row.version_seq;
    if (d.newVersion) {
      ({ stixId, modified } = nextVersionOf(row, d.reactivated, now));
      let created = now;
      if (!d.reactivated) {
        if (row.version_seq !== null) s.supersede().run(row.version_seq);
        created = this.createdOf(row);
      }
      versionSeq = this.append(row.id, updatedVersionOf(row, d, stixId, created, modified));
    }
    s.updateIoc().run(
      stixId, stixKey(stixId)!, d.score, d.firstSeen, d.lastSeen, now, JSON.stringify(d.tags), JSON.stringify(d.malware),
      JSON.stringify(d.sectors), d.tlp, 'active', d.validUntil, d.redistributable ? 1 : 0, modified, versionSeq,
      d.versionedScore, d.versionedValidUntil, d.base, d.noDecay ? 1 : 0, row.id,
    );
    for (const sector of d.addedSectors) s.insertSector().run(sector, row.added_at, row.id);
    this.tally.change(row, { status: 'active', score: d.score, sectors: d.sectors });
    return 'updated';
  }

  /** The final version of an IOC (ingest-rules.ts revocationOf), written. */
  revoke(row: IocRow, sources: ReadonlyArray<{ id: string; name: string }>): void {
    if (row.version_seq !== null) this.conn.stmts.supersede().run(row.version_seq);
    const { modified, version } = revocationOf(row, this.now, this.createdOf(row), sources);
    const seq = this.append(row.id, version);
    this.conn.db
      .prepare("UPDATE iocs SET status = 'revoked', updated_at = ?, modified = ?, version_seq = ? WHERE id = ?")
      .run(this.now, modified, seq, row.id);
    this.tally.change(row, { status: 'revoked', score: row.score, sectors: row.sectors });
  }

  /**
   * Writes what this work moved in the IOC tallies (migration 17: no triggers on SQLite). Every LogWork must end with
   * it, inside its transaction.
   */
  finish(): void {
    const cells = this.tally.cells();
    if (cells.length === 0) return;
    const types = this.conn.db.prepare('INSERT INTO ioc_counts (type, status, band, n) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET n = n + excluded.n');
    const sectors = this.conn.db.prepare('INSERT INTO ioc_sector_counts (sector, status, band, n) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET n = n + excluded.n');
    for (const c of cells) (c.kind === 'type' ? types : sectors).run(c.key, c.status, c.band, c.delta);
  }

  /** `created` of an IOC's current STIX object: the time of that object's first version. */
  private createdOf(row: IocRow): number {
    const first = this.conn.db
      .prepare('SELECT min(modified) FROM object_versions WHERE ioc_id = ? AND stix_id = ?')
      .pluck()
      .get(row.id, row.stix_id) as number | null;
    return first ?? row.added_at;
  }
}
