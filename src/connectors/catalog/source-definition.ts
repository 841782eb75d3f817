import type { IocType } from '../../domain/ioc-types.js';
import type { Tlp } from '../../domain/tlp.js';

/**
 * A source as data (docs/sources.md §4): where to fetch, how to read, what it is worth.
 * The catalog in `sources/` is a list of these; `customSources` in the config file are the same shape in JSON,
 * so nothing here may be a function.
 */
export interface SourceDefinition {
  /** Stable id (docs/sources.md §1, §4), lowercase `[a-z0-9-]`: the config key, `?source=` filter and STIX source name. */
  id: string;
  name: string;
  homepage: string;
  /** Licence or terms, as the provider states them. */
  license: string;
  /** May we re-serve what it lists? No → kept for matching and scoring, never exported (REST/STIX/TAXII). */
  redistributable: boolean;
  /** Enabled when the config says nothing. Default: true. */
  enabledByDefault?: boolean;
  /** Why it is off by default (licence, needs a key…): shown by `socd sources` and `GET /api/v1/sources`. */
  disabledReason?: string;
  tlp: Tlp;
  /** Reliability prior 0–1 (seeded from CIF's per-feed confidence). */
  reliability: number;
  /** Ids of the sources this one is made of: it does not count again next to them in the score. */
  aggregateOf?: readonly string[];
  /** `snap`: each download is the whole current list, a value that disappears is delisted; `inc`: a recent window. */
  mode: 'snap' | 'inc';
  /** How often the scheduler runs it: `15m`, `1h`, `6h`, `1d`… */
  schedule: string;
  /** Never fetched more often than this, even by `socd ingest` (provider rules, e.g. Spamhaus ≤ 1/hour). Default: none. */
  minInterval?: string;
  /** Values this source lists do not decay while it lists them (CISA KEV: exploited stays exploited). */
  noDecay?: boolean;
  /** Only adds evidence to IOCs already known (EPSS scores, advisory sectors); never creates an IOC. */
  enrichOnly?: boolean;
  /** A key the provider requires; without it the source is skipped with status `needs-key`. */
  apiKey?: ApiKeySpec;
  fetch: FetchSpec;
  shape: Shape;
  /** Applied to every observation of the source (merged with what each record says). */
  defaults?: RecordDefaults;
}

export interface ApiKeySpec {
  /** Environment variable that may hold it (config `sources.<id>.apiKey` also does). */
  env: string;
  /** Sent as this request header; absent → only substituted into URLs as `{apiKey}`. */
  header?: string;
  /** Optional: works without a key but with one when given (NVD). */
  optional?: boolean;
}

export interface FetchSpec {
  /**
   * One URL, or several whose union is the source's list (Spamhaus DROP v4 + v6). Templates: `{apiKey}`,
   * `{date:YYYY-MM-DD}` (today, UTC), `{date-1:YYYY-MM-DD}` (yesterday; any `-N` days), `{since:ISO}` (the start of the
   * last successful run, or 30 days ago on a first run), `{since:YYYY-MM-DD}`, `{until:ISO}` (the end of the window:
   * the run's time, or see `windowDays`), `{now:ISO}`. Values go in unencoded.
   */
  url: string | readonly string[];
  /**
   * The `{since}`…`{until}` span is walked in consecutive windows of at most this many days, oldest first, the last
   * ending at the run's time (NVD: 120-day windows at most, none ending in the future). Each window is fetched
   * (and paged) in turn; their union is the run's list.
   */
  windowDays?: number;
  headers?: Readonly<Record<string, string>>;
  /** The body is a zip archive: read this member (a name, or `*` for the first file). gzip is detected by itself. */
  zipMember?: string;
  /** Largest body accepted, bytes (default 256 MB): what is downloaded, and what a gzip body or a zip member inflates to. */
  maxBytes?: number;
  /** Whole request deadline, ms (default 120 s). */
  timeoutMs?: number;
  /** `{since}` never reaches further back than this many days (what is older is not fetched: see windowDays to walk it). */
  sinceMaxDays?: number;
}

/** Per-source defaults and fixed facts. */
export interface RecordDefaults {
  type?: IocType;
  tags?: readonly string[];
  malware?: readonly string[];
  sectors?: readonly string[];
  /** Native confidence 0–100 when a record gives none. */
  confidence?: number;
}

/**
 * Where a field of a record comes from. In delimited shapes: a column name (header or `columns`). In JSON shapes: a
 * dotted path (`a.b.c`); a leading `^` reads the parent record (`^tags` = the pulse's tags for an OTX indicator),
 * `^^` the grandparent.
 */
export type FieldPath = string;

/** A field read with an optional transform. A bare string is `{ from: string }`. */
export type FieldSpec = FieldPath | FieldRule;

export interface FieldRule {
  from: FieldPath;
  /** Regex with one capture group (or a named group `v`): keep only that part; no match → field absent. */
  match?: string;
  /**
   * Cell lists: split on this separator, or on any of several (`[',', ' ']`: CVEs listed with commas or with spaces);
   * default `,` for tags/malware/sectors. Items are trimmed; empty ones dropped.
   */
  split?: string | readonly string[];
  /** Numbers: multiply then clamp to 0–100 (IPsum count×12.5, PhishStats 0–10 ×10, EPSS 0–1 ×100). */
  scale?: number;
  /** Date format when not ISO 8601 / `YYYY-MM-DD HH:MM:SS` (UTC): `DD-MM-YYYY`, `epoch-s`, `epoch-ms`. */
  dateFormat?: 'DD-MM-YYYY' | 'MM/DD/YYYY' | 'epoch-s' | 'epoch-ms';
  /** Value map applied after the other transforms (e.g. OTX industry names → sector ids); unmapped values dropped when `strict`. */
  map?: Readonly<Record<string, string>>;
  strict?: boolean;
}

/** What each record of a source yields. */
export interface FieldMap {
  /** The indicator; or several (MalwareBazaar: sha256, md5 and sha1 of one file; ViriBack: url and ip). */
  value: FieldSpec | ReadonlyArray<{ value: FieldSpec; type?: IocType }>;
  /** A type column, mapped through `typeMap` (ThreatFox `ioc_type`, OTX `type`). Absent → `defaults.type` or detection. */
  type?: FieldSpec;
  /** Source type names → ours (lowercase keys); unmapped types are skipped (counted, not errors). */
  typeMap?: Readonly<Record<string, IocType>>;
  tags?: FieldSpec | readonly FieldSpec[];
  malware?: FieldSpec | readonly FieldSpec[];
  /** Sector ids or CISA sector names (both understood). */
  sectors?: FieldSpec | readonly FieldSpec[];
  /** Native confidence 0–100 (after `scale`). */
  confidence?: FieldSpec;
  firstSeen?: FieldSpec;
  lastSeen?: FieldSpec;
  /** A link for analysts; a template `https://x/{id}` reads other fields of the record. */
  reference?: FieldSpec;
  /** When the source says the value stops being valid (OTX `expiration`): a record already expired is skipped. */
  expires?: FieldSpec;
  /** Keep only records where every listed field equals one of the values (case-insensitive), e.g. `url_status: ["online"]`. */
  where?: Readonly<Record<FieldPath, readonly string[]>>;
  /** Skip records where any listed field equals one of the values (OTX `is_active: 0`). */
  whereNot?: Readonly<Record<FieldPath, readonly string[]>>;
  /** Records the source itself marks as stale (Feodo `status: offline`): kept, but scored and aged down. */
  demote?: Demotion;
}

/**
 * A record matching `where` (case-insensitive, as FieldMap.where) takes `confidence` instead of its own, its last
 * sighting is the source's own date (or, lacking one, its first sighting: never "now"), and it stops being valid
 * `validDays` after that: once expired it is skipped, so a snapshot source ends its sighting.
 */
export interface Demotion {
  where: Readonly<Record<FieldPath, readonly string[]>>;
  /** Native confidence 0–100 of a demoted record. */
  confidence: number;
  /** Days a demoted record stays valid after its last sighting. */
  validDays: number;
}

export type Shape = LineShape | DelimitedShape | JsonShape | NdjsonShape | MispShape | StixBundleShape | TaxiiShape;

/** One value per line. */
export interface LineShape {
  kind: 'line';
  /** Line prefixes that mark comments (default `#`, `;`, `//`). */
  comments?: readonly string[];
  /** Keep only lines matching this regex (VXVault: `^https?://` out of an HTML page). */
  keep?: string;
  /**
   * Regex applied to each kept line, with named groups `value` (required) and optionally `firstSeen`, `lastSeen`,
   * `confidence`, `malware`, `tags` (bruteforceblocker). Default: the first whitespace-separated token.
   */
  pattern?: string;
  /** Lines to skip at the top, whatever they hold (header lines of ThreatView). */
  skipLines?: number;
  /** Date format of `firstSeen`/`lastSeen` groups, as FieldRule.dateFormat. */
  dateFormat?: FieldRule['dateFormat'];
}

/** CSV, TSV, pipe-separated… read with csv-parse. */
export interface DelimitedShape {
  kind: 'delimited';
  /** Default `,`. `\t` for tabs. */
  delimiter?: string;
  /**
   * `first`: the first non-comment line names the columns; `commented`: the last `#` line before the data that
   * splits into ≥ 2 columns does (abuse.ch: `# id,dateadded,url,…`); `none`: `columns` names them.
   */
  header: 'first' | 'commented' | 'none';
  columns?: readonly string[];
  /** Comment prefix (default `#`); comment lines and blank lines are skipped everywhere. */
  comment?: string;
  /**
   * Cell values meaning "empty", on top of the ones every delimited source shares (`None`, `null`, `n/a`, `-` and
   * empty: DELIMITED_NULLS); compared trimmed and case-insensitively.
   */
  nulls?: readonly string[];
  /** A `#model_version…` line or similar before the header that is not a comment: skip this many lines. */
  skipLines?: number;
  fields: FieldMap;
}

/** One JSON document. */
export interface JsonShape {
  kind: 'json';
  /**
   * Where the records are: `''` (the root is an array), `vulnerabilities`, `data`, `results[].indicators[]` (each
   * indicator of each result; `^` fields read the result); `*` = abuse.ch's dict of arrays (`{"123": [{…}], …}`).
   */
  records: string;
  fields: FieldMap;
  paging?: Paging;
}

/** One JSON object per line; lines that are not objects with the value field are skipped (Spamhaus metadata). */
export interface NdjsonShape {
  kind: 'ndjson';
  fields: FieldMap;
}

/** A MISP feed directory: `manifest.json` (event uuid → info, date, timestamp, Tag) then `<uuid>.json` per event. */
export interface MispShape {
  kind: 'misp';
  /** Events newer than this many days only (default 30): a first run does not fetch a decade of history. */
  maxAgeDays?: number;
  /** Attributes with `to_ids: false` are context, not indicators: skipped unless this is true. */
  includeNonIds?: boolean;
}

/** A STIX 2.1 bundle: indicators (patterns), observables and vulnerabilities become IOCs. */
export interface StixBundleShape {
  kind: 'stix-bundle';
}

/** A TAXII 2.1 collection (its objects URL): `added_after` from the last run, `next` paging, Basic auth. */
export interface TaxiiShape {
  kind: 'taxii';
  /** Basic auth user; the password is the source's apiKey. */
  username?: string;
  /** Objects per page requested (default 1000). */
  pageSize?: number;
}

/** Paging of JSON APIs (OTX, NVD, AbuseIPDB), on JsonShape's fetch. */
export interface Paging {
  /** `next-url`: the document holds the next page's URL at this path (OTX `next`). */
  nextUrl?: FieldPath;
  /** `offset`: request `param=start` until `total` (NVD `startIndex`, `resultsPerPage`, `totalResults`). */
  offset?: { param: string; sizeParam: string; size: number; total: FieldPath };
  /** Pause between pages, ms (NVD: 6 s without a key). */
  delayMs?: number;
  /** Stop after this many pages (default 100). */
  maxPages?: number;
}
