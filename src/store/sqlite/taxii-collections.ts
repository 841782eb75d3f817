import { setImmediate as nextTurn } from 'node:timers/promises';
import { stixKey } from '../lookup-keys.js';
import type { TaxiiStore } from '../store.js';
import {
  type CollectionRow, collectionOf, DISCOVERY_SETTING, duplicate, isRevokedJson, loadOrder, mediaTypesColumn, type RootRow, rootOf,
  sameVersion, versionOf,
} from '../taxii-load.js';
import type { AddOutcome, LoadedCollection, LoadedRoot, NewObject, SavedStatus, TaxiiLoad } from '../types.js';
import type { SqliteConnection } from './connection.js';
import { objectPositions } from './log-work.js';

const INSERT_OBJECT_VERSION = `INSERT INTO object_versions (seq, date_added, stix_id, stix_key, ioc_id, type, modified, spec_version, latest, revoked, json)
           VALUES (?, ?, ?, ?, NULL, ?, ?, ?, 0, ?, ?)`;

/** The most UTF-16 code units of a status row or of one of its parts. */
export const STATUS_PART_UNITS = 128 * 1024;

/** `json` cut into parts of at most STATUS_PART_UNITS code units, never between the two halves of a surrogate pair. */
export function statusParts(json: string): string[] {
  const parts: string[] = [];
  let at = 0;
  do {
    let end = Math.min(at + STATUS_PART_UNITS, json.length);
    const last = json.charCodeAt(end - 1);
    if (end < json.length && last >= 0xd800 && last <= 0xdbff) end--;
    parts.push(json.slice(at, end));
    at = end;
  } while (at < json.length);
  return parts;
}

/** TAXII writes, statuses, and the roots and collections loaded from another server (store.ts TaxiiStore). */
export class SqliteTaxiiCollections implements TaxiiStore {
  constructor(private readonly conn: SqliteConnection) {}

  async addObjects(collection: string, objects: readonly NewObject[], now: number): Promise<AddOutcome[]> {
    const { db, stmts } = this.conn;
    return this.conn.write(() =>
      db.transaction(() => {
        const log = objectPositions(this.conn, now);
        // This collection's versions of the object: versions, "latest" and duplicates are per collection. The object's
        // versions first (CROSS JOIN keeps that order), each checked by one probe of the members' primary key: a walk
        // of every member of the collection for each object made a 20,000-object POST quadratic.
        const mine = db.prepare(
          `SELECT v.modified, v.json FROM object_versions v CROSS JOIN collection_members m ON m.collection = ? AND m.date_added = v.date_added AND m.seq = v.seq
           WHERE v.stix_key = ? AND v.stix_id = ?`,
        );
        const insert = db.prepare(INSERT_OBJECT_VERSION);
        return objects.map((o): AddOutcome => {
          const key = stixKey(o.stixId) ?? -1;
          const same = sameVersion(mine.all(collection, key, o.stixId) as Array<{ modified: number; json: string }>, o);
          if (same) return duplicate(same);
          const { seq, dateAdded: added } = log.next();
          const modified = versionOf(o.modified, added);
          insert.run(seq, added, o.stixId, key, o.type, modified, o.specVersion, isRevokedJson(o.json) ? 1 : 0, o.json);
          stmts.insertMember().run(collection, added, seq);
          return { outcome: 'added', modified };
        });
      }).immediate(),
    );
  }

  async deleteObject(collection: string, stixId: string, versions: ReadonlyArray<{ dateAdded: number; seq: number }> | undefined): Promise<number> {
    const { db } = this.conn;
    return this.conn.write(() =>
      db.transaction(() => {
        const rows = db
          .prepare(`SELECT v.date_added, v.seq FROM object_versions v CROSS JOIN collection_members m ON m.collection = ? AND m.date_added = v.date_added AND m.seq = v.seq
                    WHERE v.stix_key = ? AND v.stix_id = ?`)
          .all(collection, stixKey(stixId) ?? -1, stixId) as Array<{ date_added: number; seq: number }>;
        const doomed = versions === undefined ? rows : rows.filter((r) => versions.some((x) => x.seq === r.seq && x.dateAdded === r.date_added));
        const remove = db.prepare('DELETE FROM collection_members WHERE collection = ? AND date_added = ? AND seq = ?');
        for (const r of doomed) remove.run(collection, r.date_added, r.seq);
        return doomed.length;
      }).immediate(),
    );
  }

  /**
   * The status row last, in one transaction with the pruning: until it is written the status is not found (its id is
   * answered to nobody before). A long text is written in parts first (migration 25), one transaction each with a turn
   * of the event loop between: the status of a 20,000-object POST (1.9 MB) written at once held the thread 16–21 ms.
   */
  async saveStatus(status: SavedStatus, now: number, pruneBefore: number): Promise<void> {
    const { db } = this.conn;
    const [head, ...parts] = statusParts(status.json);
    for (let i = 0; i < parts.length; i++) {
      await nextTurn();
      await this.conn.write(() => db.prepare('INSERT INTO status_parts (id, part, created_at, json) VALUES (?, ?, ?, ?)').run(status.id, i + 1, now, parts[i]!));
    }
    await this.conn.write(() => db.transaction(() => {
      db.prepare('DELETE FROM statuses WHERE created_at < ?').run(pruneBefore);
      // (With the parts of a status whose row was never written: a save cut short.)
      db.prepare('DELETE FROM status_parts WHERE created_at < ?').run(pruneBefore);
      db.prepare('INSERT INTO statuses (id, collection, account_id, created_at, json) VALUES (?, ?, ?, ?, ?)')
        .run(status.id, status.collection, status.accountId, now, head!);
    }).immediate());
  }

  async getStatus(id: string): Promise<SavedStatus | undefined> {
    const row = this.conn.db.prepare('SELECT id, collection, account_id, json FROM statuses WHERE id = ?').get(id) as
      { id: string; collection: string; account_id: number | null; json: string } | undefined;
    if (!row) return undefined;
    const parts = this.conn.db.prepare('SELECT json FROM status_parts WHERE id = ? ORDER BY part').pluck().all(id) as string[];
    return { id: row.id, collection: row.collection, accountId: row.account_id, json: parts.length ? row.json + parts.join('') : row.json };
  }

  async loadTaxii(data: TaxiiLoad, now: number): Promise<{ versions: number; duplicates: number }> {
    const { db, stmts } = this.conn;
    return this.conn.write(() =>
      db.transaction(() => {
        if (data.discovery) {
          db.prepare('INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value').run(DISCOVERY_SETTING, JSON.stringify(data.discovery));
        }
        const root = db.prepare(
          `INSERT INTO taxii_roots (name, title, description, max_content_length) VALUES (?, ?, ?, ?)
           ON CONFLICT (name) DO UPDATE SET title = excluded.title, description = excluded.description, max_content_length = excluded.max_content_length`,
        );
        for (const r of data.roots) root.run(r.name, r.title, r.description, r.maxContentLength);
        const collection = db.prepare(
          `INSERT INTO taxii_collections (id, root, title, description, alias, can_read, can_write, media_types) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET root = excluded.root, title = excluded.title, description = excluded.description,
             alias = excluded.alias, can_read = excluded.can_read, can_write = excluded.can_write, media_types = excluded.media_types`,
        );
        for (const c of data.collections) {
          collection.run(c.id, c.root, c.title, c.description, c.alias, c.canRead ? 1 : 0, c.canWrite ? 1 : 0, mediaTypesColumn(c));
        }
        const status = db.prepare('INSERT INTO statuses (id, collection, created_at, json) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING');
        for (const st of data.statuses) status.run(st.id, st.root, now, st.json);

        const log = objectPositions(this.conn, now);
        const existing = db.prepare(
          `SELECT 1 FROM object_versions v CROSS JOIN collection_members m ON m.collection = ? AND m.date_added = v.date_added AND m.seq = v.seq
           WHERE v.stix_key = ? AND v.stix_id = ? AND v.modified = ?`,
        );
        const insert = db.prepare(INSERT_OBJECT_VERSION);
        let versions = 0;
        let duplicates = 0;
        for (const v of loadOrder(data.versions)) {
          const key = stixKey(v.object.stixId) ?? -1;
          if (v.object.modified !== null && existing.get(v.collection, key, v.object.stixId, v.object.modified)) {
            duplicates++;
            continue;
          }
          // A version without a date_added of its own gets ours: now, strictly after the log's last.
          const { seq, dateAdded } = log.next(v.dateAdded);
          const modified = versionOf(v.object.modified, dateAdded);
          insert.run(seq, dateAdded, v.object.stixId, key, v.object.type, modified, v.object.specVersion, isRevokedJson(v.object.json) ? 1 : 0, v.object.json);
          stmts.insertMember().run(v.collection, dateAdded, seq);
          versions++;
        }
        return { versions, duplicates };
      }).immediate(),
    );
  }

  async loadedTaxiiRoots(): Promise<LoadedRoot[]> {
    return (this.conn.db.prepare('SELECT * FROM taxii_roots ORDER BY name').all() as RootRow[]).map(rootOf);
  }

  async loadedTaxiiCollections(): Promise<LoadedCollection[]> {
    return (this.conn.db.prepare('SELECT * FROM taxii_collections ORDER BY root, title, id').all() as Array<CollectionRow<number>>).map(collectionOf);
  }
}
