import { ALL_IOCS, BUILTIN_COLLECTIONS, builtinCollectionOfStixTypes, builtinIocStixTypes } from '../domain/collections.js';
import type { LogPage, LogQuery, ObjectPage } from './types.js';

/**
 * What the SQL of a TAXII page needs from a dialect: placeholders, lists, booleans and how two versions of one
 * object are told apart. The algorithm below is written once for both stores (kysely's habit: SQL logic out of
 * the dialects).
 */
export interface LogSqlDialect {
  /** A placeholder bound to `value`. */
  param(value: number | string, type: 'bigint' | 'text'): string;
  /** `expr` is one of `values` (never empty). */
  inList(expr: string, values: readonly (number | string)[], type: 'bigint' | 'text'): string;
  /** Versions `a` and `b` (table aliases of object_versions) are of the same object. */
  sameObject(a: string, b: string): string;
  /** Versions of table alias `t` whose object is one of `ids`. */
  objectIn(t: string, ids: readonly string[]): string;
  /** The `latest` flag of alias `t` is set. */
  isLatest(t: string): string;
  falseCondition: string;
  /** The row count of a LIMIT (ioc-select.ts IocSqlDialect.limit: a literal in SQLite, a placeholder in PostgreSQL). */
  limit(n: number): string;
  /**
   * Whether the byte budget is applied in SQL. SQLite reads the rows as they come and stops at the budget itself
   * (cheaper there than a window over a subquery); PostgreSQL sends a result whole, so it cuts in SQL.
   */
  budgetInSql: boolean;
  /**
   * `object_versions v` read by the versions no IOC owns (`v.ioc_id IS NULL`: the shared objects), a few rows. SQLite
   * names its index: without statistics a plan is chosen from the schema alone, and this one must not drift to the
   * walk's order.
   */
  unownedVersions: string;
}

const BUILTIN = new Set(BUILTIN_COLLECTIONS.map((c) => c.alias));

/** Collections whose versions only this server writes (their latest version is kept as a flag on write). */
export function isBuiltinCollection(collection: string): boolean {
  return BUILTIN.has(collection);
}

/** The spec version of every version in a built-in collection: the server writes them all (log-work.ts, both stores). */
const BUILTIN_SPEC_VERSION = '2.1';

/**
 * A query with an empty list of ids, types or spec versions, or asking a built-in collection for spec versions it
 * does not hold: it selects nothing, and needs no SQL (filtered over the collection, `match[spec_version]=2.0` on
 * `all-iocs` read every member: 374–380 ms at 1M IOCs on SQLite).
 */
export function selectsNothing(q: LogQuery): boolean {
  return q.ids?.length === 0 || q.types?.length === 0 || q.specVersions?.length === 0 ||
    (q.specVersions !== undefined && isBuiltinCollection(q.collection) && !q.specVersions.includes(BUILTIN_SPEC_VERSION));
}

/**
 * The SELECT of one page of a collection's version log: `date_added, seq, stix_id, modified, spec_version, json`
 * in (date_added, seq) order, `limit + 1` rows so that the caller knows whether more follow.
 *
 * Selection, as TAXII 2.1 §3.4.2 and medallion apply it, all within this collection's own versions:
 * 1. spec version: those `match[spec_version]` names; without it, only the versions of each object's latest spec
 *    version in the collection (a 2.0 version is not served beside a 2.1 one unless asked for);
 * 2. version, among what 1 kept: `last` and `first` by `modified` (the version a writer gave: `modified`, else
 *    `created`, else the date it was added — §5.3 manifest-record `version`), then `seq`; `all`; exact values.
 * 3. `added_after` and the `next` position bound the walk (one range condition, so that the planner seeks).
 *
 * Built-in collections hold only our IOCs (spec 2.1, written by the server alone): their `last` is the `latest`
 * flag kept on write, so a walk is one range scan; a version that no longer belongs to the collection takes the
 * object out of it.
 */
export function logPageSql(q: LogQuery, d: LogSqlDialect, until?: LogPosition): string {
  const builtin = isBuiltinCollection(q.collection);
  // A placeholder only if the SQL names this collection (a placeholder PostgreSQL cannot type is an error).
  let collectionParam: string | undefined;
  const collection = () => (collectionParam ??= d.param(q.collection, 'text'));
  const from = startOf(q);
  const position = (t: string) => `(${t}.date_added, ${t}.seq) > (${d.param(from.dateAdded, 'bigint')}, ${d.param(from.seq, 'bigint')})`;
  /** Another version `o` of v's object in this collection, matching `extra`. */
  const other = (extra: string) =>
    `EXISTS (SELECT 1 FROM object_versions o JOIN collection_members mo ON mo.collection = ${collection()} AND mo.date_added = o.date_added AND mo.seq = o.seq
             WHERE ${d.sameObject('o', 'v')} AND ${extra})`;

  const where: string[] = [];
  // 1. Spec version.
  let sameSpec: string;
  // (A built-in collection holds one spec version: asked for it, it needs no filter; for others, selectsNothing.)
  if (q.specVersions && !builtin) {
    where.push(d.inList('v.spec_version', q.specVersions, 'text'));
    sameSpec = d.inList('o.spec_version', q.specVersions, 'text');
  } else {
    if (!builtin) where.push(`NOT ${other('o.spec_version > v.spec_version')}`);
    sameSpec = 'o.spec_version = v.spec_version';
  }
  // 2. Version.
  if (!q.versions.all) {
    const terms: string[] = [];
    if (q.versions.last) terms.push(builtin ? d.isLatest('v') : `NOT ${other(`${sameSpec} AND (o.modified, o.seq) > (v.modified, v.seq)`)}`);
    if (q.versions.first) terms.push(`NOT ${other(`${sameSpec} AND (o.modified, o.seq) < (v.modified, v.seq)`)}`);
    if (q.versions.modified.length) terms.push(d.inList('v.modified', q.versions.modified, 'bigint'));
    where.push(terms.length ? `(${terms.join(' OR ')})` : d.falseCondition);
  }
  if (q.types) where.push(d.inList('v.type', q.types, 'text'));
  const columns = 'v.date_added, v.seq, v.stix_id, v.modified, v.spec_version, v.json';
  const limit = d.limit(q.limit + 1);
  // Drive by a few versions, checking membership per version: the objects named, or, in a built-in collection asked
  // for none of the types of its IOCs' objects (only the shared objects' types, or types it never holds), the versions
  // no IOC owns. Filtered over the whole collection, a type no member has read every member (366 ms at 1M IOCs).
  const iocTypes = builtin ? builtinIocStixTypes(q.collection) : undefined;
  const byVersions = q.ids
    ? { from: 'object_versions v', which: d.objectIn('v', q.ids) }
    : iocTypes && q.types && !q.types.some((t) => iocTypes.has(t)) ? { from: d.unownedVersions, which: 'v.ioc_id IS NULL' } : undefined;
  // `all-iocs` asked for the types of a collection by type (vulnerabilities: `cves`) is that collection's log, where
  // they lie together, not a few per thousand members.
  const byType = scannedCollection(q);
  const members = () => (byType === q.collection ? collection() : d.param(byType, 'text'));
  // The scan's range: from the position, up to `until` for a window of it (windowedScan). (A function: a placeholder
  // is handed out only for SQL that uses it.)
  const bounds = () => [position('m'), ...(until ? [`(m.date_added, m.seq) <= (${d.param(until.dateAdded, 'bigint')}, ${d.param(until.seq, 'bigint')})`] : [])];
  const page = byVersions
    ? `SELECT ${columns} FROM ${byVersions.from}
       WHERE ${byVersions.which}
         AND EXISTS (SELECT 1 FROM collection_members m WHERE m.collection = ${collection()} AND m.date_added = v.date_added AND m.seq = v.seq)
         AND ${[position('v'), ...where].join(' AND ')}
       ORDER BY v.date_added, v.seq LIMIT ${limit}`
    // One range scan of the collection's members from the position.
    : `SELECT ${columns} FROM collection_members m JOIN object_versions v ON v.seq = m.seq
       WHERE m.collection = ${members()} AND ${[...bounds(), ...where].join(' AND ')}
       ORDER BY m.date_added, m.seq LIMIT ${limit}`;
  // Built-in collections hold only our own objects, rendered by this server, each a few hundred bytes: their rows
  // come whole and the store cuts them at the budget (cutAtBudget). Elsewhere a writer may have stored large objects.
  if (q.maxBytes === undefined || !d.budgetInSql || builtin) return page;
  // The byte budget, applied to the rows the limit chose: a running sum of their JSON sizes (read from the row
  // headers, without reading the texts), the first row always; `n`, the rows before the cut, tells whether it cut.
  const order = 'p.date_added, p.seq';
  return `SELECT date_added, seq, stix_id, modified, spec_version, json, n FROM (
            SELECT p.*, sum(octet_length(p.json)) OVER (ORDER BY ${order} ROWS UNBOUNDED PRECEDING) AS running,
                   row_number() OVER (ORDER BY ${order}) AS rn, count(*) OVER () AS n
            FROM (${page}) p) w
          WHERE w.running <= ${d.param(q.maxBytes, 'bigint')} OR w.rn = 1
          ORDER BY date_added, seq`;
}

/** A position in a collection's log: (date_added, seq) order. */
export interface LogPosition {
  dateAdded: number;
  seq: number;
}

/** Where a page starts: after its `next` position, or after `added_after` (every seq of that instant), or at the start. */
function startOf(q: LogQuery): LogPosition {
  return q.after && (q.addedAfter === undefined || q.after.dateAdded >= q.addedAfter)
    ? { dateAdded: q.after.dateAdded, seq: q.after.seq }
    : { dateAdded: q.addedAfter ?? -1, seq: Number.MAX_SAFE_INTEGER };
}

/**
 * The collection whose members logPageSql's scan reads: the one asked for, or for `all-iocs` asked for the types of a
 * collection by type (vulnerabilities: `cves`), that collection, where they lie together, not a few per thousand members.
 */
function scannedCollection(q: LogQuery): string {
  const iocTypes = isBuiltinCollection(q.collection) ? builtinIocStixTypes(q.collection) : undefined;
  const asked = iocTypes && q.types ? new Set(q.types.filter((t) => iocTypes.has(t))) : undefined;
  return (q.collection === ALL_IOCS && asked && asked.size < iocTypes!.size && builtinCollectionOfStixTypes(asked)) || q.collection;
}

/**
 * Whether logPageSql reads `q`'s page by a scan of the collection's members that may pass over many of them: the scan
 * filters by more than the `latest` flag of a built-in collection. `match[version]=<timestamp>` on `all-iocs` read every
 * member of it in one statement (363–379 ms at 1M IOCs on SQLite), and a match[type] of a few members would too.
 * Such a page is read in windows of members (logWindowEndSql; scan-window.ts), a turn of the event loop each (SQLite's
 * statements run on it), until the page is full: the same page, without holding the other clients.
 */
export function windowedScan(q: LogQuery): boolean {
  if (q.ids) return false;
  const iocTypes = builtinIocStixTypes(q.collection);
  if (!iocTypes) return true;
  if (q.types && !q.types.some((t) => iocTypes.has(t))) return false; // driven by the versions no IOC owns
  return q.types !== undefined || (!q.versions.all && (q.versions.first || q.versions.modified.length > 0));
}

/**
 * The SELECT of the last position of a window of logPageSql's scan: the `members`-th member of the scanned collection
 * after the page's start (`date_added, seq`), no row when fewer follow (the window then runs to the end). Read from the
 * members' index alone.
 */
export function logWindowEndSql(q: LogQuery, d: LogSqlDialect, members: number): string {
  const from = startOf(q);
  return `SELECT m.date_added, m.seq FROM collection_members m
          WHERE m.collection = ${d.param(scannedCollection(q), 'text')}
            AND (m.date_added, m.seq) > (${d.param(from.dateAdded, 'bigint')}, ${d.param(from.seq, 'bigint')})
          ORDER BY m.date_added, m.seq LIMIT 1 OFFSET ${members - 1}`;
}

/**
 * The rows of a page fetched whole, cut where their JSON would pass `maxBytes` (the first always stays); `before` is
 * the row count before a cut (for logPageOf), undefined when nothing was cut.
 */
export function cutAtBudget<T>(rows: T[], maxBytes: number | undefined, json: (row: T) => string): { rows: T[]; before: number | undefined } {
  if (maxBytes === undefined) return { rows, before: undefined };
  // A UTF-16 code unit is at most 3 bytes of UTF-8: a page whose texts' lengths bound it under the budget is not
  // measured byte by byte.
  let units = 0;
  for (const row of rows) units += json(row).length;
  if (units * 3 <= maxBytes) return { rows, before: undefined };
  let bytes = 0;
  for (let i = 0; i < rows.length; i++) {
    bytes += Buffer.byteLength(json(rows[i]!), 'utf8');
    if (i > 0 && bytes > maxBytes) return { rows: rows.slice(0, i), before: rows.length };
  }
  return { rows, before: undefined };
}

/** The page a store read with logPageSql: `limit` rows at most; more when the limit or the byte budget cut. */
export function logPageOf<T>(rows: T[], limit: number, before: number | undefined): { rows: T[]; more: boolean } {
  const more = rows.length > limit || (before !== undefined && rows.length < before);
  if (rows.length > limit) rows.length = limit;
  return { rows, more };
}

const COMMA = Buffer.from(',');

/** A page read with pageLog as the envelope writes it (VersionLog.pageObjects). */
export function objectPageOf(page: LogPage): ObjectPage {
  const { items } = page;
  const parts: Buffer[] = [];
  for (let i = 0; i < items.length; i++) {
    if (i > 0) parts.push(COMMA);
    parts.push(Buffer.from(items[i]!.json, 'utf8'));
  }
  const last = items[items.length - 1];
  return {
    json: Buffer.concat(parts),
    count: items.length,
    firstAdded: items[0]?.dateAdded,
    last: last && { dateAdded: last.dateAdded, seq: last.seq },
    more: page.more,
  };
}

/**
 * The SELECT of a page whose objects the database joins (SQLite's built-in collections): over the rows of
 * logPageSql's `page` (`limit + 1`, in log order), the JSON texts joined by commas as bytes, and beside them each
 * row's `date_added:seq:bytes` joined by commas, in the same order (one pass of both aggregates). The order in which
 * an aggregate takes the rows of an ordered subquery is not promised by SQL: joinedObjectPage checks it from the
 * positions, and the caller reads the page row by row when they are not in log order.
 */
export const joinedPageSql = (page: string) =>
  `SELECT CAST(group_concat(json, ',') AS BLOB), group_concat(date_added || ':' || seq || ':' || octet_length(json)) FROM (${page})`;

/**
 * The page of joinedPageSql's answer: at most `limit` objects, cut before the JSON would pass `maxBytes` (the first
 * always comes), as cutAtBudget and logPageOf cut the rows; undefined when the rows did not come in log order.
 */
export function joinedObjectPage(objects: Buffer | null, positions: string | null, limit: number, maxBytes: number | undefined): ObjectPage | undefined {
  if (objects === null || positions === null) return { json: Buffer.alloc(0), count: 0, firstAdded: undefined, last: undefined, more: false };
  const at = parsePositions(positions);
  if (at === undefined) return undefined;
  const rows = at.length / 3;
  // Every row in log order, and the bytes those of the positions: else the texts are not known to be in this order.
  let total = rows - 1;
  for (let i = 0; i < rows; i++) {
    const added = at[3 * i]!;
    const seq = at[3 * i + 1]!;
    if (i > 0 && (added < at[3 * i - 3]! || (added === at[3 * i - 3]! && seq <= at[3 * i - 2]!))) return undefined;
    total += at[3 * i + 2]!;
  }
  if (total !== objects.length) return undefined;
  let count = 0;
  let jsonBytes = 0;
  let end = 0;
  for (let i = 0; i < rows; i++) {
    const bytes = at[3 * i + 2]!;
    if (count === limit || (count > 0 && maxBytes !== undefined && jsonBytes + bytes > maxBytes)) break;
    jsonBytes += bytes;
    end += (count > 0 ? 1 : 0) + bytes;
    count++;
  }
  const last = 3 * (count - 1);
  return {
    json: count === rows ? objects : objects.subarray(0, end),
    count,
    firstAdded: at[0],
    last: { dateAdded: at[last]!, seq: at[last + 1]! },
    more: count < rows,
  };
}

const DIGIT_0 = 48;
const DIGIT_9 = 57;
const MINUS = 45;
const COLON = 58;
const COMMA_CODE = 44;

/**
 * joinedPageSql's positions, `date_added:seq:bytes` joined by commas, as one flat list (`[added, seq, bytes, added, …]`);
 * undefined unless every field is an integer of the safe range and every row has three. Read in one pass over the
 * characters: splitting them into a string and an array per row cost 43–49 µs a page of 100 (a twentieth of a small
 * walk's page).
 */
export function parsePositions(text: string): number[] | undefined {
  const out: number[] = [];
  let n = 0;
  let digits = 0;
  let negative = false;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : COMMA_CODE;
    if (c >= DIGIT_0 && c <= DIGIT_9) {
      n = n * 10 + (c - DIGIT_0);
      digits++;
      continue;
    }
    if (c === MINUS && digits === 0 && !negative) {
      negative = true;
      continue;
    }
    // A field ends: at a colon inside a row, at a comma (or the end) after its third.
    if (c !== (out.length % 3 === 2 ? COMMA_CODE : COLON) || digits === 0 || n > Number.MAX_SAFE_INTEGER) return undefined;
    out.push(negative ? -n : n);
    n = 0;
    digits = 0;
    negative = false;
  }
  return out;
}
