import { TLP_LEVELS, type Tlp } from '../../domain/tlp.js';
import {
  addSourceDays, iocPageOf, iocSelectSql, type IocSqlDialect, type IocWalkPosition, sightingsWalk, sourceDaysOf, sourceDaysSql, STIX_PAGE, VALUE_PAGE_COLUMNS, walkFiltered,
  walkTallySql, walkWindowEndSql,
} from '../ioc-select.js';
import { type PositionForm, readPastPosition } from '../position-seek.js';
import { stixKey, valueKey } from '../lookup-keys.js';
import { limitLiteral } from '../sql-literals.js';
import { LIST_COLUMNS, type ListedRow, listTextColumns, type ListTextRow, type SightingColumns, sightingOf, toIoc, toListedIoc, toListRow } from '../rows.js';
import type { IocReads } from '../store.js';
import type { IocDetail, IocListPage, IocPage, IocQuery, SharedValuePage, SourceDay, StixPage } from '../types.js';
import type { SqliteConnection } from './connection.js';
import { IOC_BY_STIX_ID, type IocRow } from './log-work.js';

/** ioc-select.ts's dialect in SQLite: `?` placeholders, bound in the order they are handed out; a value by its integer key (lookup-keys.ts). */
export function sqliteIocDialect(): { params: unknown[]; dialect: IocSqlDialect } {
  const params: unknown[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return '?';
  };
  const dialect: IocSqlDialect = {
    param,
    // A value is of one type per key.
    valueIs: (types, value) => `i.value_key IN (${types.map((t) => param(valueKey(t, value))).join(', ')}) AND i.value = ${param(value)}`,
    // Unary + keeps the planner on the REST-order index: a filter, not a sort of every matching row.
    typeIn: (types) => `+i.type IN (${types.map((t) => param(t)).join(', ')})`,
    isSet: (column) => `+${column} = 1`,
    filterOnly: (column) => `+${column}`,
    limit: limitLiteral,
  };
  return { params, dialect };
}

type WalkQuery = IocQuery & { redistributableOnly?: boolean };

/** What a walk's windows are sized by (scan-window.ts): the index that drives it. */
const walkKind = (q: IocQuery) => `walk:${q.sector !== undefined ? 'sector' : q.source !== undefined ? 'source' : q.types?.length === 1 ? 'type' : 'all'}`;

/** The REST list's columns: the TLP and status quoted as JSON strings by SQLite. */
const LIST_TEXT_COLUMNS = listTextColumns((column) => `json_quote(${column})`);

/**
 * The last position of a window of about `entries` entries of `q`'s driving index past its position: the rest of the
 * position's `added_at` and then what follows are two seeks (position-seek.ts), so a window holds up to `entries` of
 * either (any bound gives the same rows). Undefined when fewer follow: the window runs to the end.
 */
export function walkWindowEnd(conn: SqliteConnection, q: IocQuery, entries: number): IocWalkPosition | undefined {
  const end = (form: PositionForm) => {
    const { params, dialect } = sqliteIocDialect();
    const row = conn.statement(walkWindowEndSql(q, dialect, form, entries), 'raw').get(...params) as [number, number] | undefined;
    return row && { addedAt: row[0], rowId: row[1] };
  };
  return q.after === undefined ? end('tuple') : (end('same-first') ?? end('later'));
}

/**
 * The rows of a window of `q`'s walk that `sql` selects in each form of its position: one seek without a position,
 * else the rest of the position's `added_at` and then what follows (position-seek.ts), in the walk's order.
 */
export function windowRows<T>(conn: SqliteConnection, q: IocQuery, mode: 'objects' | 'raw' | 'pluck', sql: (dialect: IocSqlDialect, form: PositionForm) => string): T[] {
  const rows: T[] = [];
  for (const form of q.after === undefined ? (['tuple'] as const) : (['same-first', 'later'] as const)) {
    const { params, dialect } = sqliteIocDialect();
    for (const row of conn.statement(sql(dialect, form), mode).all(...params) as T[]) rows.push(row);
  }
  return rows;
}

/** The IOCs as the REST API and the STIX export read them (store.ts IocReads). */
export class SqliteIocReads implements IocReads {
  constructor(private readonly conn: SqliteConnection) {}

  /**
   * The rows of one page (limit + 1 at most) in the walk's order, past the position in two seeks (position-seek.ts). A
   * walk whose filters may pass over many entries of its index (walkFiltered) is read in windows of that index, with a
   * turn of the event loop between them.
   */
  private async pageRows<T>(q: WalkQuery, columns: string, join = ''): Promise<T[]> {
    const read = (part: WalkQuery, until?: IocWalkPosition) => readPastPosition(part.after !== undefined, part.limit + 1, (form) => {
      const { params, dialect } = sqliteIocDialect();
      return this.conn.statement(iocSelectSql(part, columns, join, dialect, form, until), 'raw').all(...params) as T[];
    });
    if (!walkFiltered(q) || this.conn.windows.fitsOneTurn(walkKind(q), this.passesOver(q))) return read(q);
    const rows: T[] = [];
    let part = q;
    await this.conn.windows.run(walkKind(q), q.limit, (entries) => {
      const end = walkWindowEnd(this.conn, part, entries);
      for (const row of read(part, end)) rows.push(row);
      if (rows.length > q.limit || end === undefined) return true;
      part = { ...q, after: end, limit: q.limit - rows.length };
      return false;
    });
    return rows;
  }

  /**
   * At most how many entries of its driving index a page of `q` passes over, from the IOC tallies (walkTallySql): those
   * its filters do not keep. Undefined when the tallies cannot tell.
   */
  private passesOver(q: WalkQuery): number | undefined {
    const params: Record<string, string> = {};
    let n = 0;
    const sql = walkTallySql(q, (value) => {
      const name = `t${n++}`;
      params[name] = value;
      return `@${name}`;
    });
    if (sql === undefined) return undefined;
    const { drive, matching } = this.conn.statement(sql).get(params) as { drive: number; matching: number };
    return drive - matching;
  }

  async queryIocs(q: IocQuery): Promise<IocPage> {
    if (q.types?.length === 0) return { items: [], next: null };
    const { rows, next } = iocPageOf(await this.pageRows<ListedRow>(q, LIST_COLUMNS), q.limit, (r) => ({ addedAt: r[6], rowId: r[16] }));
    return { items: rows.map(toListedIoc), next };
  }

  async listIocs(q: IocQuery): Promise<IocListPage> {
    if (q.types?.length === 0) return { items: [], next: null };
    const { rows, next } = iocPageOf(await this.pageRows<ListTextRow>(q, LIST_TEXT_COLUMNS), q.limit, (r) => ({ addedAt: r[6], rowId: r[9] }));
    return { items: rows.map(toListRow), next };
  }

  async pageStixObjects(q: IocQuery): Promise<StixPage> {
    if (q.types?.length === 0) return { objects: [], next: null };
    const all = await this.pageRows<[string, number, number]>({ ...q, redistributableOnly: true }, STIX_PAGE.columns, STIX_PAGE.join);
    const { rows, next } = iocPageOf(all, q.limit, (r) => ({ addedAt: r[1], rowId: r[2] }));
    return { objects: rows.map((r) => r[0]), next };
  }

  async pageSharedValues(q: IocQuery): Promise<SharedValuePage> {
    if (q.types?.length === 0) return { items: [], next: null };
    const all = await this.pageRows<[string, number, number]>({ ...q, redistributableOnly: true }, VALUE_PAGE_COLUMNS);
    const { rows, next } = iocPageOf(all, q.limit, (r) => ({ addedAt: r[1], rowId: r[2] }));
    return { items: rows.map((r) => ({ value: r[0], addedAt: r[1] })), next };
  }

  /**
   * In windows of the source's sightings (scan-window.ts), a turn of the event loop between them: one statement over a
   * source of 1M IOCs would hold every other request for about a second. Each window is summed in SQL (both seeks past
   * its start, position-seek.ts), and the windows' sums are merged. The first window is the smallest (a page of no
   * rows: 64 entries), and each grows 4× until a window takes its share of WindowSize.WINDOW_MS.
   */
  async sourceDays(source: string, from: number): Promise<SourceDay[]> {
    const days = new Map<number, SourceDay>();
    let after: IocWalkPosition | undefined;
    await this.conn.windows.run('days:source', 0, (entries) => {
      const q = sightingsWalk(source, after, from - 1);
      const end = walkWindowEnd(this.conn, q, entries);
      addSourceDays(days, windowRows(this.conn, q, 'objects', (dialect, form) => sourceDaysSql(q, from, dialect, form, end)));
      if (end === undefined) return true;
      after = end;
      return false;
    });
    return sourceDaysOf(days);
  }

  async tlpLevelsInUse(): Promise<Tlp[]> {
    // One query, one probe of iocs_tlp_shared per level.
    const used = new Set(this.conn.db
      .prepare('SELECT t.value FROM json_each(?) t WHERE EXISTS (SELECT 1 FROM iocs i WHERE i.tlp = t.value AND i.redistributable = 1)')
      .pluck()
      .all(JSON.stringify(TLP_LEVELS)) as Tlp[]);
    return TLP_LEVELS.filter((t) => used.has(t));
  }

  async getIoc(id: string): Promise<IocDetail | undefined> {
    const key = stixKey(id);
    if (key === undefined) return undefined;
    const row = this.conn.statement(`SELECT i.* FROM ${IOC_BY_STIX_ID}`).get(key, id, id) as IocRow | undefined;
    if (!row) return undefined;
    const sightings = this.conn.db.prepare('SELECT * FROM sightings WHERE ioc_id = ? ORDER BY source_id').all(row.id) as SightingColumns[];
    return { ...toIoc(row, row.redistributable === 1, sightings.map((s) => s.source_id)), sightings: sightings.map(sightingOf) };
  }

  async countIocs(): Promise<number> {
    return this.conn.db.prepare('SELECT count(*) FROM iocs').pluck().get() as number;
  }
}
