import type { TaxiiStore } from '../store.js';
import {
  type CollectionRow, collectionOf, DISCOVERY_SETTING, duplicate, isRevokedJson, loadOrder, mediaTypesColumn, type RootRow, rootOf,
  sameVersion, versionOf,
} from '../taxii-load.js';
import type { AddOutcome, LoadedCollection, LoadedRoot, NewObject, SavedStatus, TaxiiLoad } from '../types.js';
import type { PgConnection } from './connection.js';

/** TAXII writes, statuses, and the roots and collections loaded from another server (store.ts TaxiiStore). */
export class PgTaxiiCollections implements TaxiiStore {
  constructor(private readonly conn: PgConnection) {}

  async addObjects(collection: string, objects: readonly NewObject[], now: number): Promise<AddOutcome[]> {
    if (objects.length === 0) return [];
    return this.conn.logTx(async (c, work) => {
      // This collection's versions of the objects: versions, "latest" and duplicates are per collection.
      const { rows } = await c.query(
        `SELECT v.stix_id, v.modified, v.json FROM object_versions v JOIN collection_members m ON m.collection = $2 AND m.date_added = v.date_added AND m.seq = v.seq
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
        const same = sameVersion(there, o);
        if (same) return duplicate(same);
        const row = work.appendObject(
          { stix_id: o.stixId, type: o.type, modified: o.modified ?? 0, spec_version: o.specVersion, latest: false, revoked: isRevokedJson(o.json), json: o.json },
          [collection], now,
        );
        row.modified = versionOf(o.modified, row.date_added);
        there.push({ modified: row.modified, json: o.json });
        known.set(o.stixId, there);
        return { outcome: 'added', modified: row.modified };
      });
      await work.flush(c);
      return outcomes;
    });
  }

  async deleteObject(collection: string, stixId: string, versions: ReadonlyArray<{ dateAdded: number; seq: number }> | undefined): Promise<number> {
    return this.conn.logTx(async (c) => {
      const { rows } = await c.query(
        `SELECT v.date_added, v.seq FROM object_versions v JOIN collection_members m ON m.collection = $1 AND m.date_added = v.date_added AND m.seq = v.seq
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
    await this.conn.pool.query(
      `WITH pruned AS (DELETE FROM statuses WHERE created_at < $6)
       INSERT INTO statuses (id, collection, account_id, created_at, json) VALUES ($1, $2, $3, $4, $5)`,
      [status.id, status.collection, status.accountId, now, status.json, pruneBefore],
    );
  }

  async getStatus(id: string): Promise<SavedStatus | undefined> {
    const row = await this.conn.one<{ id: string; collection: string; account_id: number | null; json: string }>(
      'SELECT id, collection, account_id, json FROM statuses WHERE id = $1', [id]);
    return row && { id: row.id, collection: row.collection, accountId: row.account_id === null ? null : Number(row.account_id), json: row.json };
  }

  async loadTaxii(data: TaxiiLoad, now: number): Promise<{ versions: number; duplicates: number }> {
    return this.conn.logTx(async (c, work) => {
      if (data.discovery) {
        await c.query('INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value', [DISCOVERY_SETTING, JSON.stringify(data.discovery)]);
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
          [col.id, col.root, col.title, col.description, col.alias, col.canRead, col.canWrite, mediaTypesColumn(col)],
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
        `SELECT m.collection, v.stix_id, v.modified FROM object_versions v
         JOIN collection_members m ON m.collection = ANY($2::text[]) AND m.date_added = v.date_added AND m.seq = v.seq
         WHERE v.stix_id = ANY($1::text[])`,
        [[...new Set(data.versions.map((v) => v.object.stixId))], [...new Set(data.versions.map((v) => v.collection))]],
      );
      const there = new Set((rows as Array<{ collection: string; stix_id: string; modified: number }>).map((r) => `${r.collection}\0${r.stix_id}\0${r.modified}`));
      let versions = 0;
      let duplicates = 0;
      for (const v of loadOrder(data.versions)) {
        const key = `${v.collection}\0${v.object.stixId}\0${v.object.modified}`;
        if (v.object.modified !== null && there.has(key)) {
          duplicates++;
          continue;
        }
        there.add(key);
        // A version without a date_added of its own gets ours: now, strictly after the log's last.
        const row = work.appendObject(
          { stix_id: v.object.stixId, type: v.object.type, modified: v.object.modified ?? 0, spec_version: v.object.specVersion, latest: false, revoked: isRevokedJson(v.object.json), json: v.object.json },
          [v.collection], now, v.dateAdded,
        );
        row.modified = versionOf(v.object.modified, row.date_added);
        versions++;
      }
      await work.flush(c);
      return { versions, duplicates };
    });
  }

  async loadedTaxiiRoots(): Promise<LoadedRoot[]> {
    return (await this.conn.rows<RootRow>('SELECT * FROM taxii_roots ORDER BY name')).map(rootOf);
  }

  async loadedTaxiiCollections(): Promise<LoadedCollection[]> {
    return (await this.conn.rows<CollectionRow<boolean>>('SELECT * FROM taxii_collections ORDER BY root, title, id')).map(collectionOf);
  }
}
