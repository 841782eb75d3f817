import { TLP_LEVELS, type Tlp } from '../../domain/tlp.js';
import { addSourceDays, iocPageOf, iocSelectSql, type IocSqlDialect, sightingsWalk, sourceDaysOf, sourceDaysSql, STIX_PAGE, VALUE_PAGE_COLUMNS } from '../ioc-select.js';
import { LIST_COLUMNS, type ListedRow, listTextColumns, type ListTextRow, sightingOf, toIoc, toListedIoc, toListRow } from '../rows.js';
import type { IocReads } from '../store.js';
import type { IocDetail, IocListPage, IocPage, IocQuery, SharedValuePage, SourceDay, StixPage } from '../types.js';
import type { PgConnection } from './connection.js';
import { Params } from './copy-rows.js';
import type { IocRow, SightingRow } from './log-work.js';

/** ioc-select.ts in PostgreSQL: typed `$n` placeholders; a value by its (type, md5(value)) index. */
function pgIocSql(q: IocQuery & { redistributableOnly?: boolean }, columns: string, join = ''): { sql: string; params: unknown[] } {
  const { p, dialect } = pgIocDialect();
  return { sql: iocSelectSql(q, columns, join, dialect), params: p.values };
}

/** ioc-select.ts's dialect in PostgreSQL, with the values it binds (`p`). */
export function pgIocDialect(): { p: Params; dialect: IocSqlDialect } {
  const p = new Params();
  const dialect: IocSqlDialect = {
    param: (value, type) => p.add(value, type),
    valueIs: (types, value) => {
      const v = p.add(value, 'text');
      return `i.type = ANY(${p.add(types, 'text[]')}) AND md5(i.value) = md5(${v}) AND i.value = ${v}`;
    },
    typeIn: (types) => `i.type = ANY(${p.add(types, 'text[]')})`,
    isSet: (column) => column,
    filterOnly: (column) => column,
    limit: (n) => p.add(n, 'bigint'),
  };
  return { p, dialect };
}

/** The REST list's columns: the TLP and status quoted as JSON text (the driver would parse json into strings). */
const LIST_TEXT_COLUMNS = listTextColumns((column) => `to_json(${column})::text`);

/** The IOCs as the REST API and the STIX export read them (store.ts IocReads). */
export class PgIocReads implements IocReads {
  constructor(private readonly conn: PgConnection) {}

  async queryIocs(q: IocQuery): Promise<IocPage> {
    if (q.types?.length === 0) return { items: [], next: null };
    const { rows, next } = iocPageOf(await this.arrays<ListedRow>(q, LIST_COLUMNS), q.limit, (r) => ({ addedAt: Number(r[6]), rowId: Number(r[16]) }));
    return { items: rows.map(toListedIoc), next };
  }

  async listIocs(q: IocQuery): Promise<IocListPage> {
    if (q.types?.length === 0) return { items: [], next: null };
    const { rows, next } = iocPageOf(await this.arrays<ListTextRow>(q, LIST_TEXT_COLUMNS), q.limit, (r) => ({ addedAt: Number(r[6]), rowId: Number(r[9]) }));
    return { items: rows.map(toListRow), next };
  }

  private async arrays<T extends unknown[]>(q: IocQuery, columns: string): Promise<T[]> {
    const { sql, params } = pgIocSql(q, columns);
    // Prepared per connection: the SQL depends only on which filters are set (a few hundred shapes at most).
    return this.conn.arrays<T>(sql, params, true);
  }

  async pageStixObjects(q: IocQuery): Promise<StixPage> {
    if (q.types?.length === 0) return { objects: [], next: null };
    const { sql, params } = pgIocSql({ ...q, redistributableOnly: true }, STIX_PAGE.columns, STIX_PAGE.join);
    const all = await this.conn.rows<{ json: string; added_at: number; id: number }>(sql, params, true);
    const { rows, next } = iocPageOf(all, q.limit, (r) => ({ addedAt: r.added_at, rowId: r.id }));
    return { objects: rows.map((r) => r.json), next };
  }

  async pageSharedValues(q: IocQuery): Promise<SharedValuePage> {
    if (q.types?.length === 0) return { items: [], next: null };
    const { sql, params } = pgIocSql({ ...q, redistributableOnly: true }, VALUE_PAGE_COLUMNS);
    const { rows, next } = iocPageOf(await this.conn.arrays<[string, number, number]>(sql, params, true), q.limit, (r) => ({ addedAt: Number(r[1]), rowId: Number(r[2]) }));
    return { items: rows.map((r) => ({ value: r[0], addedAt: Number(r[1]) })), next };
  }

  /** One statement (PostgreSQL's do not hold the event loop; a source of 1M IOCs holds one connection of the pool for it). */
  async sourceDays(source: string, from: number): Promise<SourceDay[]> {
    const { p, dialect } = pgIocDialect();
    const sql = sourceDaysSql(sightingsWalk(source, undefined, from - 1), from, dialect);
    const days = new Map<number, SourceDay>();
    addSourceDays(days, await this.conn.rows(sql, p.values, true));
    return sourceDaysOf(days);
  }

  async tlpLevelsInUse(): Promise<Tlp[]> {
    const rows = await this.conn.rows<{ tlp: Tlp }>(
      'SELECT t.tlp FROM unnest($1::text[]) AS t(tlp) WHERE EXISTS (SELECT 1 FROM iocs i WHERE i.tlp = t.tlp AND i.redistributable)',
      [TLP_LEVELS],
    );
    const used = new Set(rows.map((r) => r.tlp));
    return TLP_LEVELS.filter((t) => used.has(t));
  }

  async getIoc(id: string): Promise<IocDetail | undefined> {
    const row = await this.conn.one<IocRow>('SELECT * FROM iocs WHERE stix_id = $1', [id]);
    if (!row) return undefined;
    const sightings = await this.conn.rows<SightingRow>('SELECT * FROM sightings WHERE ioc_id = $1 ORDER BY source_id', [row.id]);
    return { ...toIoc(row, row.redistributable, sightings.map((s) => s.source_id)), sightings: sightings.map(sightingOf) };
  }

  async countIocs(): Promise<number> {
    return (await this.conn.one<{ n: number }>('SELECT count(*) AS n FROM iocs'))!.n;
  }
}
