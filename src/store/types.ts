import type { ConfidenceBand } from '../domain/confidence.js';
import type { IocStatus, IocType } from '../domain/ioc-types.js';
import type { Plan } from '../domain/plans.js';
import type { Role } from '../domain/roles.js';
import type { Tlp } from '../domain/tlp.js';
import type { AllowEntry } from '../domain/allowlist.js';

export type { AllowEntry } from '../domain/allowlist.js';

export { PLANS, type Plan, type PlanInput } from '../domain/plans.js';

export { IOC_STATUSES, type IocStatus } from '../domain/ioc-types.js';

/** A source as the store knows it: enough to score and to decide what may be redistributed. */
export interface SourceRecord {
  id: string;
  name: string;
  /** Reliability prior, 0–1. */
  reliability: number;
  redistributable: boolean;
  aggregate: boolean;
  tlp: Tlp;
  /** What it lists does not decay while it lists it (CISA KEV). */
  noDecay?: boolean;
}

/** One observation of one value by one source, already normalized. Times are epoch ms. */
export interface Observation {
  type: IocType;
  value: string;
  /** Native confidence of the source for this value, 0–100, or null. */
  confidence: number | null;
  tags: readonly string[];
  malware: readonly string[];
  sectors: readonly string[];
  tlp: Tlp | null;
  firstSeen: number;
  lastSeen: number;
  reference: string | null;
  /**
   * The source's claim that the value stops being valid then (a submitted `valid_until`), epoch ms; null: no claim.
   * Stored on the source's sighting, replacing what it held; undefined (feeds, imports, relisting) leaves it as it is.
   * It caps the IOC's valid_until when every live sighting makes one (ioc-reconcile.ts claimCap).
   */
  expiresAt?: number | null;
}

export interface UpsertResult {
  inserted: number;
  updated: number;
  unchanged: number;
  /** Observations an enrich-only write dropped because no IOC has that value. */
  ignored: number;
}

/** How a write of observations is done (see Store.upsertObservationStream). */
export interface UpsertOptions {
  /** The source run that saw these values: marks their sightings, so a snapshot can delist the rest after. */
  run?: number;
  /** Only add evidence to IOCs that exist (EPSS, advisory sectors); never create one. */
  enrichOnly?: boolean;
  /**
   * Told what each observation did, once per observation in the order they were streamed (before its batch
   * commits: a caller reports outcomes only once the write has returned). Submissions report per item with it.
   */
  onOutcome?: (outcome: ObservationOutcome) => void;
}

/** What one observation did to the store: a new IOC, a new version, nothing new, or dropped (enrich-only). */
export type ObservationOutcome = 'inserted' | 'updated' | 'unchanged' | 'ignored';

/** `queued`: asked for (run now, POST /api/v1/sources/{id}/runs) and not started yet; the scheduler's holder starts it. */
export const RUN_OUTCOMES = ['queued', 'running', 'ok', 'not-modified', 'failed', 'skipped'] as const;
export type RunOutcome = (typeof RUN_OUTCOMES)[number];

/** What a run counted. */
export interface RunCounts {
  /** Records read from the source (accepted + rejected). */
  records: number;
  inserted: number;
  updated: number;
  unchanged: number;
  /** Sightings a snapshot no longer lists, ended by this run. */
  delisted: number;
  rejected: number;
  /** Values the exclusion rules refused (domain/exclusions.ts): read fine, kept out by policy, apart from `rejected`. */
  excluded: number;
  /** Values the allow-list held back (domain/allowlist.ts), counted apart from `rejected` and the exclusions. */
  allowlisted: number;
  bytes: number;
}

/** One run of a connector. Times epoch ms. */
export interface SourceRun extends RunCounts {
  id: number;
  sourceId: string;
  startedAt: number;
  finishedAt: number | null;
  outcome: RunOutcome;
  error: string | null;
  etag: string | null;
  lastModified: string | null;
}

/** A page of a source's runs, newest first; `next`: the id to pass as `before` for the page after. */
export interface SourceRunPage {
  items: SourceRun[];
  next: number | null;
}

/** What the health of a source is computed from: its last success and the failures since (store.ts sourceHealth). */
export interface SourceHealthRow {
  sourceId: string;
  /** When the last run that succeeded (ok or not-modified) started and finished; null: none yet. */
  lastSuccessStartedAt: number | null;
  lastSuccessFinishedAt: number | null;
  /** Failed runs since the last success (all of them when none), counted up to HEALTH_FAILURE_CAP. */
  consecutiveFailures: number;
}

/** Failures counted per source by the health query at most: past it, "at least this many" is all a dashboard needs. */
export const HEALTH_FAILURE_CAP = 1000;

/**
 * What an administrator set for a source over the API (PATCH /api/v1/sources/{id}, `socd sources enable|disable|set`),
 * over the configuration file: null fields are not set. The key is kept in clear, as the configuration file keeps it.
 */
export interface SourceSetting {
  sourceId: string;
  enabled: boolean | null;
  schedule: string | null;
  apiKey: string | null;
  updatedAt: number;
  /** Who set it last: an account email, or user@host for the CLI. */
  updatedBy: string | null;
}

/** A change to a source's settings: undefined keeps a field, null clears it (back to the configuration). */
export interface SourceSettingPatch {
  enabled?: boolean | null;
  schedule?: string | null;
  apiKey?: string | null;
}

/** What a finished run records. */
export type RunResult = Omit<SourceRun, 'id' | 'sourceId' | 'startedAt' | 'finishedAt'> & { finishedAt: number };

/** What a decay pass did. */
export interface DecayResult {
  /** IOCs whose stored score moved. */
  rescored: number;
  /** IOCs that reached their valid_until and got their final revoked version. */
  revoked: number;
  /** New STIX versions (band changes and revocations). */
  versions: number;
}

export interface Ioc {
  /** The STIX id: `indicator--<uuid4>` or `vulnerability--<uuid4>` for CVEs. Stable forever. */
  id: string;
  type: IocType;
  value: string;
  score: number;
  firstSeen: number;
  lastSeen: number;
  /** When we first stored it, epoch ms: the `since` filter and the REST order. */
  addedAt: number;
  updatedAt: number;
  sources: string[];
  tags: string[];
  malware: string[];
  sectors: string[];
  tlp: Tlp;
  status: IocStatus;
  validUntil: number;
  redistributable: boolean;
}

export interface Sighting {
  source: string;
  firstSeen: number;
  lastSeen: number;
  count: number;
  confidence: number | null;
  reference: string | null;
  endedAt: number | null;
  /** The source's claim of when the value stops being valid (a submitted valid_until); null: none. */
  expiresAt: number | null;
}

export interface IocDetail extends Ioc {
  sightings: Sighting[];
}

/**
 * What a look-up needs of a stored IOC (store.ts IocLookup.lookupValues): the fields that decide and describe a
 * verdict, without the rest of the row (a batch reads ten thousand of them).
 */
export interface IocMatch {
  id: string;
  type: IocType;
  value: string;
  status: IocStatus;
  score: number;
  tags: string[];
  malware: string[];
  sectors: string[];
  tlp: Tlp;
  sightings: Array<Pick<Sighting, 'source' | 'firstSeen' | 'lastSeen' | 'endedAt'>>;
}

/** Position in the REST order (added_at, row id). Opaque to callers; signed by the layer above. */
export interface IocPosition {
  addedAt: number;
  rowId: number;
}

export interface IocQuery {
  /** Absent: every type. Empty: nothing matches. */
  types?: readonly IocType[];
  /** Only IOCs added strictly after this time, epoch ms. */
  since?: number;
  sector?: string;
  band?: ConfidenceBand;
  source?: string;
  status: IocStatus | 'all';
  /** Exact normalized value. */
  value?: string;
  after?: IocPosition;
  limit: number;
}

/**
 * An IOC as the REST list writes it (listIocs): its sources, label lists, TLP and status as the JSON members the
 * database writes from what it holds (`"sources":[…],"tags":[…],"malware":[…],"sectors":[…],"tlp":"…","status":"…"`,
 * store/rows.ts listTextColumns), so a page is written without parsing and serializing them again.
 */
export interface IocListRow extends Pick<Ioc, 'id' | 'type' | 'value' | 'score' | 'firstSeen' | 'lastSeen' | 'addedAt' | 'validUntil'> {
  labelsJson: string;
}

export interface IocListPage {
  items: IocListRow[];
  next: IocPosition | null;
}

export interface IocPage {
  items: Ioc[];
  /** Position of the last item when more rows follow, else null. */
  next: IocPosition | null;
}

/** A page of stored STIX JSON texts (the latest version of each IOC), in REST order. */
export interface StixPage {
  objects: string[];
  next: IocPosition | null;
}

/**
 * What one UTC day's redistributable IOCs of a source add up to (IocReads.sourceDays): the fields of a MISP event in
 * the feed's manifest that depend on its IOCs.
 */
export interface SourceDay {
  /** Days since the `from` asked for (a midnight UTC): the IOCs added in [from + day·24 h, from + (day + 1)·24 h). */
  day: number;
  count: number;
  /** The latest `updatedAt` among them, epoch ms. */
  updatedAt: number;
  maxScore: number;
  /** The most restrictive TLP among them, as its index in TLP_LEVELS (0 when none is known). */
  tlp: number;
}

/** A page of the values of shareable IOCs, with when each was added (IocReads.pageSharedValues), in REST order. */
export interface SharedValuePage {
  items: Array<{ value: string; addedAt: number }>;
  next: IocPosition | null;
}

/** One stored version of a STIX object. `dateAdded` is epoch µs; `modified` epoch ms. */
export interface StixVersion {
  dateAdded: number;
  modified: number;
  latest: boolean;
  revoked: boolean;
  json: string;
}

export interface Account {
  id: number;
  email: string;
  /** What it may see. */
  plan: Plan;
  /** What it may do, as granted (domain/roles.ts; a higher role implies the lower ones). */
  roles: Role[];
  createdAt: number;
  /** When it was disabled (every key refused), or null. */
  disabledAt: number | null;
  disabledReason: string | null;
}

/** An account with the number of its keys not revoked (the admin listing). */
export interface AccountWithKeys extends Account {
  activeKeys: number;
}

export interface AccountPage {
  items: AccountWithKeys[];
  /** The id to continue after, or null at the end. */
  next: number | null;
}

/** What updateAccount may change; absent: kept. `disabled`: null enables; an object disables (the time kept if already). */
export interface AccountChange {
  plan?: Plan;
  roles?: Role[];
  disabled?: { at: number; reason: string | null } | null;
}

export interface ApiKeyRecord {
  id: number;
  accountId: number;
  /** Public, non-secret part shown in listings: `sk_live_` plus the first characters. */
  prefix: string;
  /** SHA-256 hex of the whole key. The key itself is never stored. */
  hash: string;
  name: string | null;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

export interface ApiKeyWithAccount extends ApiKeyRecord {
  email: string;
  plan: Plan;
  /** The account's roles, as granted. */
  roles: Role[];
  /** When the account was disabled (its keys are refused), or null. */
  disabledAt: number | null;
}

/** What one STIX version of an IOC is rendered from. Times are epoch ms. */
export interface IocVersionInput {
  stixId: string;
  type: IocType;
  value: string;
  score: number;
  tags: readonly string[];
  malware: readonly string[];
  sectors: readonly string[];
  tlp: Tlp;
  revoked: boolean;
  firstSeen: number;
  validUntil: number;
  /** `created` of the object: its first version's time. */
  created: number;
  /** `modified` of this version. */
  modified: number;
  sources: ReadonlyArray<{ id: string; name: string }>;
}

/**
 * Renders a version to its STIX JSON text. The store calls it when it appends a version (the text is stored
 * once and never rendered again); `stix/` provides it, so the store knows nothing of STIX.
 */
export type RenderIocVersion = (v: IocVersionInput) => string;

/** Which versions of each object a log query selects (TAXII match[version]); several OR together. */
export interface VersionSelection {
  last: boolean;
  first: boolean;
  all: boolean;
  /** Exact versions: `modified`, epoch ms. */
  modified: readonly number[];
}

/** A walk of the version log of one collection, in date_added order. */
export interface LogQuery {
  /** Alias of a built-in collection. */
  collection: string;
  /** Only versions added strictly after this, epoch µs (TAXII added_after). */
  addedAfter?: number | undefined;
  /** Only entries after this position in (date_added, seq) order (a `next` token). */
  after?: { dateAdded: number; seq: number } | undefined;
  limit: number;
  ids?: readonly string[] | undefined;
  types?: readonly string[] | undefined;
  versions: VersionSelection;
  specVersions?: readonly string[] | undefined;
  /**
   * The page also ends before the JSON of its objects would pass this many bytes (the first object always comes,
   * whatever its size); `more` is then true.
   */
  maxBytes?: number | undefined;
}

export interface LogEntry {
  /** Epoch µs. */
  dateAdded: number;
  /** Position in the log: breaks ties of date_added (loaded history may repeat one). */
  seq: number;
  stixId: string;
  /** The version: STIX `modified`, epoch ms. */
  modified: number;
  specVersion: string;
  json: string;
}

export interface LogPage {
  items: LogEntry[];
  /** More entries follow the last one. */
  more: boolean;
}

/**
 * A page of a collection's objects as the TAXII envelope writes them (VersionLog.pageObjects): the stored JSON texts
 * joined by commas, as UTF-8 bytes, and the positions the answer needs. The same page as pageLog's.
 */
export interface ObjectPage {
  /** The objects' JSON texts in log order, joined by ','; empty when the page is. */
  json: Buffer;
  count: number;
  /** date_added of the first object, epoch µs; undefined when the page is empty. */
  firstAdded: number | undefined;
  /** The position of the last object; undefined when the page is empty. */
  last: { dateAdded: number; seq: number } | undefined;
  /** More entries follow the last one. */
  more: boolean;
}

/** An object that belongs to every collection (the producer identity, the TLP marking definitions). */
export interface SharedObject {
  stixId: string;
  type: string;
  modified: number;
  json: string;
}

/**
 * A STIX object sent to a writable collection, validated by the caller. `modified` is its version, epoch ms: STIX
 * `modified`, else `created`; null for an object with neither (most SCOs), which the store versions by the time it
 * adds it (TAXII 2.1 §5.3, manifest-record `version`).
 */
export interface NewObject {
  stixId: string;
  type: string;
  modified: number | null;
  specVersion: string;
  json: string;
}

/**
 * What happened to one object of an add: stored, or already there with that version (a success too; for an object
 * without a version of its own, one with the same JSON). `modified` is the version it is known by.
 */
export interface AddOutcome {
  outcome: 'added' | 'duplicate';
  modified: number;
}

/** An API root loaded from another TAXII server. */
export interface LoadedRoot {
  name: string;
  title: string;
  description: string | null;
  maxContentLength: number;
}

/** A collection loaded from another TAXII server; its permissions apply to every key allowed on TAXII. */
export interface LoadedCollection {
  id: string;
  root: string;
  title: string;
  description: string | null;
  alias: string | null;
  canRead: boolean;
  canWrite: boolean;
  /** The media types it was loaded with (TAXII 2.1 §5.2); null: STIX 2.1 only. */
  mediaTypes: string[] | null;
}

/** A version loaded with its original date_added (epoch µs), kept exactly. */
export interface LoadedVersion {
  collection: string;
  object: NewObject;
  dateAdded: number | null;
}

export interface TaxiiLoad {
  discovery: Record<string, unknown> | null;
  roots: LoadedRoot[];
  collections: LoadedCollection[];
  versions: LoadedVersion[];
  statuses: Array<{ id: string; root: string; json: string }>;
}

/** A TAXII status resource (§4.3) as kept: its JSON text, the collection (or loaded root) and who made the request. */
export interface SavedStatus {
  id: string;
  collection: string;
  /** The account whose key made the request; null for statuses loaded from another server. */
  accountId: number | null;
  json: string;
}

/** One version of a dialect's schema (sqlite/migrations.ts, postgres/migrations.ts). Never edit an applied one. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** An allow-list entry as added: its canonical target (domain/allowlist.ts parseAllowValue) and who added it why. */
export type NewAllowEntry = Omit<AllowEntry, 'id'>;

/** A page of the allow-list in id order (keyset: `next` is the id to continue after, null at the end). */
export interface AllowEntryPage {
  items: AllowEntry[];
  next: number | null;
}

/** One record of the audit log (domain/audit.ts): who did what, when, from where. Append-only. */
export interface AuditRecord {
  id: number;
  /** Epoch ms. */
  at: number;
  accountId: number | null;
  email: string | null;
  keyPrefix: string | null;
  via: 'api' | 'cli' | 'system';
  origin: string | null;
  action: string;
  target: string | null;
  /** Secret-free JSON, bounded (auth/audit-trail.ts). */
  details: Record<string, unknown>;
}

export type NewAuditRecord = Omit<AuditRecord, 'id'>;

/**
 * A page of the audit log, newest first (an admin reads the latest changes first): keyset on the id, `before` the id
 * to continue below. Filters combine with AND; `actionPrefix` matches actions that start with it (`allowlist.`).
 */
export interface AuditQuery {
  before?: number;
  limit: number;
  action?: string;
  actionPrefix?: string;
  /** Compared without regard to ASCII case. */
  email?: string;
  accountId?: number;
  target?: string;
  /** Epoch ms, inclusive. */
  since?: number;
  /** Epoch ms, exclusive. */
  until?: number;
}

export interface AuditPage {
  items: AuditRecord[];
  /** The id to continue below, null at the end. */
  next: number | null;
}

/** One page of a blocklist (store.ts BlocklistReads): the active IOCs of one type, highest score first. */
export interface BlocklistQuery {
  type: IocType;
  band?: ConfidenceBand;
  sector?: string;
  source?: string;
  /** Only IOCs added strictly after this time, epoch ms. */
  since?: number;
  /** The position of the last entry of the previous page: entries strictly after it in (score desc, id desc). */
  after?: BlocklistPosition;
  limit: number;
}

export interface BlocklistPosition {
  score: number;
  rowId: number;
}

export interface BlocklistEntry extends BlocklistPosition {
  value: string;
}

/**
 * What a blocklist's validator is made of (store.ts BlocklistReads.dataVersion): cheap to read, changed by what changes
 * a list. `lastModified` is the newest `date_added` of the version log in ms (0 when empty).
 */
export interface DataVersion {
  seq: number;
  lastModified: number;
  /** The IOC tallies by type, status and band, and by sector, as one canonical text. */
  tallies: string;
}
