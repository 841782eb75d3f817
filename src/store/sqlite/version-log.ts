import { cutAtBudget, isBuiltinCollection, joinedObjectPage, joinedPageSql, logPageOf, logPageSql, objectPageOf, selectsNothing } from '../log-page.js';
import { stixKey } from '../lookup-keys.js';
import { limitLiteral } from '../sql-literals.js';
import type { VersionLog } from '../store.js';
import type { LogPage, LogQuery, ObjectPage, SharedObject } from '../types.js';
import type { SqliteConnection } from './connection.js';
import { objectPositions } from './log-work.js';

/** The version log that TAXII pages walk, and the objects every collection shares (store.ts VersionLog). */
export class SqliteVersionLog implements VersionLog {
  constructor(private readonly conn: SqliteConnection) {}

  async pageLog(q: LogQuery): Promise<LogPage> {
    if (selectsNothing(q)) return { items: [], more: false };
    const { sql, params } = pageSql(q);
    type Row = [number, number, string, number, string, string];
    const statement = this.conn.statement(sql, 'raw');
    let all: Row[];
    let before: number | undefined;
    if (q.maxBytes === undefined || isBuiltinCollection(q.collection)) {
      // Built-in collections hold our own objects, a few hundred bytes each: the page comes whole, in one call (rows
      // one by one cost a crossing each), and is cut at the budget after.
      all = statement.all(params) as Row[];
      ({ rows: all, before } = cutAtBudget(all, q.maxBytes, (r) => r[5]));
    } else {
      // Objects a writer stored may be large: rows as they come, until the next would pass the budget (the first
      // always comes).
      all = [];
      let bytes = 0;
      for (const row of statement.iterate(params) as IterableIterator<Row>) {
        bytes += Buffer.byteLength(row[5], 'utf8');
        if (all.length > 0 && bytes > q.maxBytes) {
          before = all.length + 1;
          break;
        }
        all.push(row);
      }
    }
    const { rows, more } = logPageOf(all, q.limit, before);
    return {
      items: rows.map(([dateAdded, seq, stixId, modified, specVersion, json]) => ({ dateAdded, seq, stixId, modified, specVersion, json })),
      more,
    };
  }

  async pageObjects(q: LogQuery): Promise<ObjectPage> {
    // Built-in collections hold our own objects, a few hundred bytes each: the database joins a page's texts, handed
    // over as one value of bytes instead of a string per row that the answer would join and encode again.
    if (isBuiltinCollection(q.collection) && !selectsNothing(q)) {
      const { sql, params } = pageSql(q);
      const [objects, positions] = this.conn.statement(joinedPageSql(sql), 'raw').get(params) as [Buffer | null, string | null];
      const page = joinedObjectPage(objects, positions, q.limit, q.maxBytes);
      if (page) return page;
    }
    return objectPageOf(await this.pageLog(q));
  }

  async ensureSharedObjects(objects: readonly SharedObject[], collections: readonly string[], now: number): Promise<number> {
    const { db, stmts } = this.conn;
    return this.conn.write(() =>
      db.transaction(() => {
        const log = objectPositions(this.conn, now);
        let appended = 0;
        for (const o of objects) {
          const current = db
            .prepare('SELECT seq, json FROM object_versions WHERE stix_key = ? AND stix_id = ? AND latest = 1')
            .get(stixKey(o.stixId) ?? -1, o.stixId) as { seq: number; json: string } | undefined;
          if (current?.json === o.json) continue;
          if (current) stmts.supersede().run(current.seq);
          const { seq, dateAdded: added } = log.next();
          stmts.insertVersion().run(seq, added, o.stixId, stixKey(o.stixId) ?? -1, null, o.type, o.modified, 0, o.json);
          for (const c of collections) stmts.insertMember().run(c, added, seq);
          appended++;
        }
        return appended;
      }).immediate(),
    );
  }
}

/** logPageSql in SQLite, with named placeholders (logPageSql hands them out in an order of its own, not the text's). */
function pageSql(q: LogQuery): { sql: string; params: Record<string, number | string> } {
  const params: Record<string, number | string> = {};
  let n = 0;
  const param = (value: number | string) => {
    const name = `p${n++}`;
    params[name] = value;
    return `@${name}`;
  };
  const sql = logPageSql(q, {
    param,
    inList: (expr, values) => `${expr} IN (${values.map((v) => param(v)).join(', ')})`,
    sameObject: (a, b) => `${a}.stix_key = ${b}.stix_key AND ${a}.stix_id = ${b}.stix_id`,
    objectIn: (t, ids) => `${t}.stix_key IN (${ids.map((id) => param(stixKey(id) ?? -1)).join(', ')}) AND ${t}.stix_id IN (${ids.map((id) => param(id)).join(', ')})`,
    isLatest: (t) => `${t}.latest = 1`,
    falseCondition: '0',
    limit: limitLiteral,
    budgetInSql: false,
    unownedVersions: 'object_versions v INDEXED BY object_versions_ioc',
  });
  return { sql, params };
}
