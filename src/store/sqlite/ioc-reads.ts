import { TLP_LEVELS, type Tlp } from '../../domain/tlp.js';
import { iocPageOf, iocSelectSql, type IocSqlDialect, STIX_PAGE } from '../ioc-select.js';
import { type PositionForm, readPastPosition } from '../position-seek.js';
import { stixKey, valueKey } from '../lookup-keys.js';
import { limitLiteral } from '../sql-literals.js';
import { LIST_COLUMNS, type ListedRow, listTextColumns, type ListTextRow, type SightingColumns, sightingOf, toIoc, toListedIoc, toListRow } from '../rows.js';
import type { IocReads } from '../store.js';
import type { IocDetail, IocListPage, IocPage, IocQuery, StixPage } from '../types.js';
import type { SqliteConnection } from './connection.js';
import { IOC_BY_STIX_ID, type IocRow } from './log-work.js';

/** ioc-select.ts in SQLite: `?` placeholders; a value by its integer key (lookup-keys.ts). */
function sqliteIocSql(q: IocQuery & { redistributableOnly?: boolean }, columns: string, join = '', form: PositionForm = 'tuple'): { sql: string; params: unknown[] } {
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
  const sql = iocSelectSql(q, columns, join, dialect, form);
  return { sql, params };
}

/** The REST list's columns: the TLP and status quoted as JSON strings by SQLite. */
const LIST_TEXT_COLUMNS = listTextColumns((column) => `json_quote(${column})`);

/** The IOCs as the REST API and the STIX export read them (store.ts IocReads). */
export class SqliteIocReads implements IocReads {
  constructor(private readonly conn: SqliteConnection) {}

  /** The rows of one page (limit + 1 at most) in the walk's order, past the position in two seeks (position-seek.ts). */
  private pageRows<T>(q: IocQuery & { redistributableOnly?: boolean }, columns: string, join = ''): T[] {
    return readPastPosition(q.after !== undefined, q.limit + 1, (form) => {
      const { sql, params } = sqliteIocSql(q, columns, join, form);
      return this.conn.statement(sql, 'raw').all(...params) as T[];
    });
  }

  async queryIocs(q: IocQuery): Promise<IocPage> {
    if (q.types?.length === 0) return { items: [], next: null };
    const { rows, next } = iocPageOf(this.pageRows<ListedRow>(q, LIST_COLUMNS), q.limit, (r) => ({ addedAt: r[6], rowId: r[16] }));
    return { items: rows.map(toListedIoc), next };
  }

  async listIocs(q: IocQuery): Promise<IocListPage> {
    if (q.types?.length === 0) return { items: [], next: null };
    const { rows, next } = iocPageOf(this.pageRows<ListTextRow>(q, LIST_TEXT_COLUMNS), q.limit, (r) => ({ addedAt: r[6], rowId: r[9] }));
    return { items: rows.map(toListRow), next };
  }

  async pageStixObjects(q: IocQuery): Promise<StixPage> {
    if (q.types?.length === 0) return { objects: [], next: null };
    const all = this.pageRows<[string, number, number]>({ ...q, redistributableOnly: true }, STIX_PAGE.columns, STIX_PAGE.join);
    const { rows, next } = iocPageOf(all, q.limit, (r) => ({ addedAt: r[1], rowId: r[2] }));
    return { objects: rows.map((r) => r[0]), next };
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
