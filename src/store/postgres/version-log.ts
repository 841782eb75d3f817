import { cutAtBudget, logPageOf, logPageSql, objectPageOf, selectsNothing } from '../log-page.js';
import type { VersionLog } from '../store.js';
import type { LogPage, LogQuery, ObjectPage, SharedObject } from '../types.js';
import type { PgConnection } from './connection.js';
import { Params } from './copy-rows.js';

/** The version log that TAXII pages walk, and the objects every collection shares (store.ts VersionLog). */
export class PgVersionLog implements VersionLog {
  constructor(private readonly conn: PgConnection) {}

  async pageLog(q: LogQuery): Promise<LogPage> {
    if (selectsNothing(q)) return { items: [], more: false };
    const p = new Params();
    const sql = logPageSql(q, {
      param: (value, type) => p.add(value, type),
      inList: (expr, values, type) => `${expr} = ANY(${p.add(values, `${type}[]`)})`,
      sameObject: (a, b) => `${a}.stix_id = ${b}.stix_id`,
      objectIn: (t, ids) => `${t}.stix_id = ANY(${p.add(ids, 'text[]')})`,
      isLatest: (t) => `${t}.latest`,
      falseCondition: 'false',
      limit: (n) => p.add(n, 'bigint'),
      budgetInSql: true,
      unownedVersions: 'object_versions v',
    });
    // Rows as arrays in the select list's order: no object per row.
    type Row = [number, number, string, number, string, string, number?];
    const all = await this.conn.arrays<Row>(sql, p.values, true);
    // The byte budget: cut in SQL (n: the rows before the cut), or here for rows that came whole.
    const cut = all[0]?.[6] !== undefined ? { rows: all, before: all[0][6] } : cutAtBudget(all, q.maxBytes, (r) => r[5]);
    const { rows, more } = logPageOf(cut.rows, q.limit, cut.before);
    return {
      items: rows.map(([dateAdded, seq, stixId, modified, specVersion, json]) => ({ dateAdded, seq, stixId, modified, specVersion, json })),
      more,
    };
  }

  async pageObjects(q: LogQuery): Promise<ObjectPage> {
    // The driver hands over each text as a string anyway: the page joined from them.
    return objectPageOf(await this.pageLog(q));
  }

  async ensureSharedObjects(objects: readonly SharedObject[], collections: readonly string[], now: number): Promise<number> {
    if (objects.length === 0) return 0;
    return this.conn.logTx(async (c, work) => {
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
}
