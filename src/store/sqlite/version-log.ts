import {
  cutAtBudget, isBuiltinCollection, joinedObjectPage, joinedPageSql, type LogPosition, type LogSqlDialect, logPageOf, logPageSql,
  logWindowEndSql, objectPageOf, selectsNothing, windowedScan,
} from '../log-page.js';
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
    type Row = [number, number, string, number, string, string];
    // Built-in collections hold our own objects, a few hundred bytes each: the page comes whole, in one call per window
    // (rows one by one cost a crossing each), and is cut at the budget after. Objects a writer stored may be large:
    // rows as they come, until the next would pass the budget (the first always comes).
    const whole = q.maxBytes === undefined || isBuiltinCollection(q.collection);
    const all: Row[] = [];
    let before: number | undefined;
    let bytes = 0;
    await this.readWindows(q, ({ sql, params }) => {
      const statement = this.conn.statement(sql, 'raw');
      if (whole) {
        const rows = statement.all(params) as Row[];
        for (const row of rows) all.push(row);
        return rows.length;
      }
      let got = 0;
      for (const row of statement.iterate(params) as IterableIterator<Row>) {
        bytes += Buffer.byteLength(row[5], 'utf8');
        if (all.length > 0 && bytes > q.maxBytes!) {
          before = all.length + 1;
          return false;
        }
        all.push(row);
        got++;
      }
      return got;
    });
    const cut = whole ? cutAtBudget(all, q.maxBytes, (r) => r[5]) : { rows: all, before };
    const { rows, more } = logPageOf(cut.rows, q.limit, cut.before);
    return {
      items: rows.map(([dateAdded, seq, stixId, modified, specVersion, json]) => ({ dateAdded, seq, stixId, modified, specVersion, json })),
      more,
    };
  }

  /**
   * Runs `read` on the SQL of `q`'s page: once, or for a scan that may pass over many members (windowedScan), on each
   * window of members in turn, one turn of the event loop each, asking each for the rows still missing (`read` answers
   * how many it got), until the page has `q.limit + 1` rows, the members end or `read` says to stop (false).
   */
  private async readWindows(q: LogQuery, read: (page: { sql: string; params: Params }) => number | false): Promise<void> {
    if (!windowedScan(q)) {
      read(pageSql(q));
      return;
    }
    let part = q;
    let rows = 0;
    await this.conn.windows.run(`log:${q.collection}`, q.limit, (members) => {
      const end = windowEnd(this.conn, part, members);
      const got = read(pageSql(part, end));
      if (got === false || (rows += got) > q.limit || end === undefined) return true;
      part = { ...q, after: end, limit: q.limit - rows };
      return false;
    });
  }

  async pageObjects(q: LogQuery): Promise<ObjectPage> {
    // Built-in collections hold our own objects, a few hundred bytes each: the database joins a page's texts, handed
    // over as one value of bytes instead of a string per row that the answer would join and encode again (per window,
    // for a windowed scan, joined here).
    if (isBuiltinCollection(q.collection) && !selectsNothing(q)) {
      const objects: Buffer[] = [];
      const positions: string[] = [];
      await this.readWindows(q, ({ sql, params }) => {
        const [texts, at] = this.conn.statement(joinedPageSql(sql), 'raw').get(params) as [Buffer | null, string | null];
        if (texts === null || at === null) return 0;
        objects.push(texts);
        positions.push(at);
        return at.split(',').length;
      });
      const joined = objects.length < 2 ? objects[0] : Buffer.concat(objects.flatMap((o, i) => (i > 0 ? [COMMA, o] : [o])));
      const page = joinedObjectPage(joined ?? null, positions.length > 0 ? positions.join(',') : null, q.limit, q.maxBytes);
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

type Params = Record<string, number | string>;

const COMMA = Buffer.from(',');

/** The last position of a window of `members` members of `q`'s scan; undefined when fewer follow (logWindowEndSql). */
function windowEnd(conn: SqliteConnection, q: LogQuery, members: number): LogPosition | undefined {
  const { params, dialect } = sqliteDialect();
  const row = conn.statement(logWindowEndSql(q, dialect, members), 'raw').get(params) as [number, number] | undefined;
  return row && { dateAdded: row[0], seq: row[1] };
}

/** logPageSql in SQLite, with named placeholders (logPageSql hands them out in an order of its own, not the text's). */
function pageSql(q: LogQuery, until?: LogPosition): { sql: string; params: Params } {
  const { params, dialect } = sqliteDialect();
  return { sql: logPageSql(q, dialect, until), params };
}

/** The SQLite dialect of logPageSql, with the named placeholders it hands out. */
function sqliteDialect(): { params: Params; dialect: LogSqlDialect } {
  const params: Params = {};
  let n = 0;
  const param = (value: number | string) => {
    const name = `p${n++}`;
    params[name] = value;
    return `@${name}`;
  };
  const dialect: LogSqlDialect = {
    param,
    inList: (expr, values) => `${expr} IN (${values.map((v) => param(v)).join(', ')})`,
    sameObject: (a, b) => `${a}.stix_key = ${b}.stix_key AND ${a}.stix_id = ${b}.stix_id`,
    objectIn: (t, ids) => `${t}.stix_key IN (${ids.map((id) => param(stixKey(id) ?? -1)).join(', ')}) AND ${t}.stix_id IN (${ids.map((id) => param(id)).join(', ')})`,
    isLatest: (t) => `${t}.latest = 1`,
    falseCondition: '0',
    limit: limitLiteral,
    budgetInSql: false,
    unownedVersions: 'object_versions v INDEXED BY object_versions_ioc',
  };
  return { params, dialect };
}
