import type { Role } from '../domain/roles.js';
import type { ConfidenceBand } from '../domain/confidence.js';
import type {
  Account,
  AccountChange,
  AccountPage,
  AllowEntry,
  AllowEntryPage,
  AuditPage,
  AuditQuery,
  NewAuditRecord,
  AuditRecord,
  BlocklistEntry,
  BlocklistQuery,
  DataVersion,
  NewAllowEntry,
  ApiKeyRecord,
  ApiKeyWithAccount,
  IocDetail,
  IocMatch,
  IocStatus,
  IocPage,
  IocListPage,
  IocQuery,
  Observation,
  PlanInput,
  AddOutcome,
  SavedStatus,
  LoadedCollection,
  LoadedRoot,
  LogPage,
  ObjectPage,
  LogQuery,
  NewObject,
  TaxiiLoad,
  RenderIocVersion,
  RunResult,
  SharedObject,
  SourceRun,
  SourceRunPage,
  SourceHealthRow,
  SourceSetting,
  SourceSettingPatch,
  DecayResult,
  UpsertOptions,
  SharedValuePage,
  SourceDay,
  SourceRecord,
  StixPage,
  UpsertResult,
} from './types.js';
import type { IocType } from '../domain/ioc-types.js';
import type { Tlp } from '../domain/tlp.js';
import type { AttemptOutcome, ClaimedDelivery, NewDelivery, NewWebhook, Webhook, WebhookDelivery, WebhookPatch } from '../domain/webhooks.js';

/**
 * The one seam between the application and its database, as roles: each consumer takes the roles it uses (as
 * `StixObjectSource` does), and `Store` is their sum. `sqlite/` and `postgres/` implement each role in a file of the
 * same name; the contract suite in test/store/ runs against each. Nothing here knows of HTTP. Times are epoch ms
 * unless a name says µs.
 */

/** Opening, schema and health. */
export interface StoreLifecycle {
  /** What the backend is, for logs and /readyz. */
  readonly kind: 'sqlite' | 'postgres';

  /** Brings the schema to the latest version; returns the names of the migrations applied now. */
  migrate(): Promise<string[]>;
  /** Answers when the database does. */
  ping(): Promise<void>;
  /**
   * The connection pools of this process and how busy they are (GET /metrics), read from memory. Absent where there is
   * no pool: SQLite works on one connection per process.
   */
  poolUse?(): PoolUse[];
  close(): Promise<void>;
}

/** One connection pool's figures: its connections open, idle, and the callers waiting for one. */
export interface PoolUse {
  /** Which pool: `requests` (the API's) or `ingest` (the one connection of ingestion writes). */
  pool: string;
  total: number;
  idle: number;
  waiting: number;
}

/** Values kept in the database. */
export interface SettingStore {
  /** A value kept in the database (the cursor-signing secret when SOCD_SECRET is unset). Set once; first writer wins. */
  getOrCreateSetting(name: string, create: () => string): Promise<string>;
  getSetting(name: string): Promise<string | undefined>;
  setSetting(name: string, value: string): Promise<void>;
}

/** The IOCs as the REST API and the STIX export read them. */
export interface IocReads {
  queryIocs(query: IocQuery): Promise<IocPage>;
  /** The same page as queryIocs, as the REST list writes it (lists as JSON text): the REST API's commonest read. */
  listIocs(query: IocQuery): Promise<IocListPage>;
  /** The stored STIX JSON of the latest version of each IOC the query selects, redistributable sources only. */
  pageStixObjects(query: IocQuery): Promise<StixPage>;
  /** The value and `addedAt` of each redistributable IOC the query selects, and nothing else (the MISP feed's hashes.csv). */
  pageSharedValues(query: IocQuery): Promise<SharedValuePage>;
  /** TLP levels that redistributable IOCs carry: the marking definitions an export needs. */
  tlpLevelsInUse(): Promise<Tlp[]>;
  /**
   * The redistributable IOCs, active or revoked, that `source` lists and that were added since `from` (a midnight UTC,
   * epoch ms), summed per UTC day in SQL (the MISP feed's manifest), days in order; days without any are left out.
   */
  sourceDays(source: string, from: number): Promise<SourceDay[]>;
  getIoc(id: string): Promise<IocDetail | undefined>;
  countIocs(): Promise<number>;
}

/**
 * Finding many values at once (the look-up of /api/v1/lookup): exact (type, value) probes of the value index, and
 * the prefix lengths of the stored networks, so that containment is a handful of exact probes per address
 * (domain/network.ts), never a scan of the networks.
 */
export interface IocLookup {
  /** The IOCs, active or revoked, with these exact canonical (type, value) pairs, with their sightings. Any order. */
  lookupValues(keys: ReadonlyArray<{ type: IocType; value: string }>): Promise<IocMatch[]>;
  /** The prefix lengths (< 32 for ipv4, < 128 for ipv6) of the stored networks of a family, ascending; revoked included. */
  networkPrefixLengths(type: 'ipv4' | 'ipv6'): Promise<number[]>;
  /**
   * The stored networks (values with `/prefix`, active or revoked) of a family whose canonical text lies in one of the
   * half-open ranges [lo, hi): one range scan of the networks' text index per range (domain/network.ts
   * bucketPrefixes). Each value once, any order.
   */
  networksInRanges(type: 'ipv4' | 'ipv6', ranges: ReadonlyArray<readonly [string, string]>): Promise<string[]>;
}

/** One cell of the IOC tallies (kept by the database as IOCs change: no count of the table per read). */
export interface TallyRow {
  /** An IOC type, or a sector slug for sectorTallies. */
  key: string;
  status: IocStatus;
  band: ConfidenceBand;
  n: number;
}

/** The figures of the dashboard and the collections (GET /api/v1/stats, /api/v1/collections): cheap reads. */
export interface StatsReads {
  /** IOCs by type, status and band (cells with n = 0 may be left out). */
  typeTallies(): Promise<TallyRow[]>;
  /** IOCs by sector, status and band: an IOC of several sectors counts in each. */
  sectorTallies(): Promise<TallyRow[]>;
  /** New IOCs per UTC day and source, from the runs started at or after `since` (epoch ms). */
  addedPerDay(since: number): Promise<Array<{ day: string; source: string; added: number }>>;
  /**
   * The version log's size as its last `seq` (0: empty): one index probe (SQLite: the largest key of object_versions;
   * PostgreSQL: the one row of log_state), never a count. Removed versions do not lower it.
   */
  versionLogSize(): Promise<number>;
}

/**
 * Console sessions (POST /api/v1/session): a random token in an HttpOnly cookie, stored as its SHA-256 only, tied to
 * the API key it was opened with. A session is as good as its key: revoking the key or disabling the account ends
 * it (the caller checks the key's state on every request), deleting the key deletes it.
 */
export interface SessionStore {
  createSession(session: { tokenHash: string; keyId: number; createdAt: number; expiresAt: number }): Promise<void>;
  /** The session of a token hash with its key and account, expired or not (the caller decides); undefined if none. */
  findSession(tokenHash: string): Promise<{ expiresAt: number; key: ApiKeyWithAccount } | undefined>;
  /** Ends one session (sign-out); false if there was none. */
  deleteSession(tokenHash: string): Promise<boolean>;
  /** Forgets the sessions that ended before `now`; how many. */
  deleteExpiredSessions(now: number): Promise<number>;
}

/** What ingestion writes: observations, the end of a snapshot, relisting, decay and revocation. */
export interface IngestWrites {
  /** The renderer of STIX versions (see RenderIocVersion); IOC writes need one. */
  setVersionRenderer(render: RenderIocVersion): void;
  /**
   * Records what `source` saw: one IOC per (type, value), one sighting per (IOC, source). One transaction per
   * `batchSize` observations, written while the producer makes the next chunk, so a bulk load keeps both busy and
   * memory flat. A failure loses the batch in flight only.
   */
  upsertObservationStream(
    source: string,
    chunks: AsyncIterable<readonly Observation[]>,
    opts: UpsertOptions & { batchSize: number; clock?: () => number; onCommit?: (total: Readonly<UpsertResult>) => void },
  ): Promise<UpsertResult>;
  /**
   * After a complete snapshot run: ends the source's live sightings that `run` did not mark, and rescores their
   * IOCs (an IOC left without live sightings gets its final revoked version). Returns how many ended.
   */
  endUnseenSightings(source: string, run: number, now: number): Promise<number>;
  /**
   * A snapshot that did not change (HTTP 304): its live sightings are seen again now, marked by `run`. `skip` leaves
   * out the values it returns true for (the allow-list: a relisting must not bring back what it holds back).
   */
  relistSource(source: string, run: number, now: number, opts?: { skip?: (type: IocType, value: string) => boolean }): Promise<UpsertResult>;
  /** Ages every active IOC to `now`: rescores it, and revokes those past their valid_until. Batched transactions. */
  decayIocs(now: number): Promise<DecayResult>;
  /** Withdraws IOCs: each gets a final version with `revoked: true`. Returns how many were active. */
  revokeIocs(stixIds: readonly string[], now: number): Promise<number>;
}

/** The version log that TAXII pages walk, and the objects every collection shares. */
export interface VersionLog {
  /** A page of one collection's version log (TAXII objects, manifest, object and versions endpoints). */
  pageLog(query: LogQuery): Promise<LogPage>;
  /** The same page as pageLog, its objects' JSON joined as the envelope writes them (TAXII objects and object). */
  pageObjects(query: LogQuery): Promise<ObjectPage>;
  /** Puts shared objects in the log once (again only when their JSON changes), member of every collection. */
  ensureSharedObjects(objects: readonly SharedObject[], collections: readonly string[], now: number): Promise<number>;
}

/** TAXII writes, statuses, and the roots and collections loaded from another server. */
export interface TaxiiStore {
  /** Adds objects to a writable collection, in one transaction; an (id, version) already there is a duplicate. */
  addObjects(collection: string, objects: readonly NewObject[], now: number): Promise<AddOutcome[]>;
  /** Removes versions of an object from a collection: all, or those at these log positions; how many were removed. */
  deleteObject(collection: string, stixId: string, versions: ReadonlyArray<{ dateAdded: number; seq: number }> | undefined): Promise<number>;
  /** Keeps a TAXII status resource (JSON text); statuses older than `pruneBefore` (epoch ms) go. */
  saveStatus(status: SavedStatus, now: number, pruneBefore: number): Promise<void>;
  getStatus(id: string): Promise<SavedStatus | undefined>;
  /** Loads another TAXII server's roots, collections, versions (with their date_added) and statuses, in one transaction. */
  loadTaxii(data: TaxiiLoad, now: number): Promise<{ versions: number; duplicates: number }>;
  loadedTaxiiRoots(): Promise<LoadedRoot[]>;
  loadedTaxiiCollections(): Promise<LoadedCollection[]>;
}

/**
 * Accounts (plan: what they may see; roles: what they may do; disabled or not) and their API keys. A plan given as
 * `admin` (PlanInput, the plan of earlier versions) is stored as Pro plus the admin role (domain/plans.ts
 * resolvePlan). Every change that alters what a key may do (revocation, plan, roles, disabling) is announced to
 * watchKeyChanges.
 */
export interface AccountStore {
  countAccounts(): Promise<number>;
  /** A new account; `roles` are added to those its plan input implies. */
  createAccount(email: string, plan: PlanInput, now: number, roles?: readonly Role[]): Promise<Account>;
  findAccountByEmail(email: string): Promise<Account | undefined>;
  findAccountById(id: number): Promise<Account | undefined>;
  /** Sets the plan (`admin`: Pro, and the admin role added). */
  setAccountPlan(accountId: number, plan: PlanInput): Promise<void>;
  /**
   * Changes plan, roles and/or disabled state in one transaction; the account as it is after, or undefined when
   * there is none. Disabling an account already disabled keeps its first time and takes the new reason.
   */
  updateAccount(accountId: number, change: AccountChange): Promise<Account | undefined>;
  listAccounts(): Promise<Account[]>;
  /** Accounts in id order after `after`, with their active key counts (keyset paging, like the allow-list). */
  listAccountsPage(opts: { after?: number; limit: number }): Promise<AccountPage>;
  insertApiKey(key: Omit<ApiKeyRecord, 'id' | 'lastUsedAt' | 'revokedAt'>): Promise<ApiKeyRecord>;
  /** The key with this hash and what its account may do (plan, roles, disabled). */
  findApiKeyByHash(hash: string): Promise<ApiKeyWithAccount | undefined>;
  findApiKeyByPrefix(prefix: string): Promise<ApiKeyWithAccount | undefined>;
  listApiKeys(): Promise<ApiKeyWithAccount[]>;
  /** The keys of one account, oldest first, revoked ones included. */
  listApiKeysOf(accountId: number): Promise<ApiKeyRecord[]>;
  /** Revokes the key with this public prefix; false when there is none (or it was already revoked). */
  revokeApiKey(prefix: string, now: number): Promise<boolean>;
  /**
   * Tells this process of key revocations and account changes (plan, roles, disabled) made by any process on the same database: `onChange(true)`
   * when it starts watching and after each change, `onChange(false)` while it cannot see them. Resolves to the
   * function that stops it. Absent when the store cannot watch: then keys must be looked up at every request.
   */
  watchKeyChanges?(onChange: (watching: boolean) => void): Promise<() => Promise<void>>;
  /**
   * For a store that cannot announce changes but can tell cheaply and at once whether any may have happened
   * (SQLite): a value that moves when an account or key may have changed, in this process or another. Keys verified
   * while it stays the same may be remembered.
   */
  keyChangeMark?(): string;
  /**
   * Stores last-use times collected in memory, in one write (never one write per request). `bestEffort`: when the
   * database is busy (SQLite locked by another process, e.g. `socd import`), nothing is written and the answer is
   * false, at once: the caller keeps the times for a later try. Otherwise true.
   */
  touchApiKeys(lastUsed: ReadonlyMap<number, number>, opts?: { bestEffort?: boolean }): Promise<boolean>;
}

/** The sources, their runs, and the leases that elect one scheduler across processes. */
export interface SourceRunStore {
  upsertSource(source: SourceRecord): Promise<void>;
  listSources(): Promise<SourceRecord[]>;
  /**
   * Takes or renews the lease `name` for `holder`: true when `holder` holds it now. A lease lapses `ttlMs` after its
   * last renewal (or, where the backend can tell, when the holding process dies), and another holder may take it.
   */
  tryLease(name: string, holder: string, ttlMs: number, now: number): Promise<boolean>;
  /** Gives the lease up (a clean shutdown hands it over at once). */
  releaseLease(name: string, holder: string): Promise<void>;
  /**
   * Opens a run (outcome `running`); runs still `running` for this source were interrupted and become `failed`. A
   * run of this source `queued` by requestRun becomes this run (it starts now): the request is served by it.
   */
  startRun(source: string, now: number): Promise<number>;
  /**
   * Asks for a run of `source` now (POST /api/v1/sources/{id}/runs): a `queued` run row, which the process holding
   * the ingestion lease starts (startRun). One at a time per source: when one is queued or running already, that
   * one is answered, with `created: false`. Atomic across processes.
   */
  requestRun(source: string, now: number): Promise<{ run: SourceRun; created: boolean }>;
  /** The oldest queued runs, at most `limit` (an index of the queued rows: cheap to poll every few seconds). */
  queuedRuns(limit: number): Promise<SourceRun[]>;
  /** Ends runs left `running` by a process that no longer holds the lease (it died): `failed`, interrupted. */
  interruptRuns(now: number): Promise<number>;
  getRun(run: number): Promise<SourceRun | undefined>;
  /** A source's runs, newest first, before the run id `before` (keyset). */
  listRuns(source: string, opts: { before?: number; limit: number }): Promise<SourceRunPage>;
  /** Per source that has run: its last success and the failures since, in one indexed query per source. */
  sourceHealth(): Promise<SourceHealthRow[]>;
  finishRun(run: number, result: RunResult): Promise<void>;
  /** The latest run of each source that has one. */
  latestRuns(): Promise<SourceRun[]>;
  /** The latest run of a source with one of these outcomes (validators, `since`, minimum interval). */
  lastRun(source: string, outcomes: readonly string[]): Promise<SourceRun | undefined>;
}

/**
 * The allow-list (domain/allowlist.ts): entries an administrator adds and removes. An entry is unique by its kind
 * and canonical value. The write gate loads the whole list at the start of each run or import (it is small).
 */
export interface AllowListStore {
  /** Adds an entry; undefined when one with the same kind, type and value exists (it is left as it is). */
  addAllowEntry(entry: NewAllowEntry): Promise<AllowEntry | undefined>;
  /** Entries in id order after `after` (keyset), expired ones included. */
  listAllowEntries(opts: { after?: number; limit: number }): Promise<AllowEntryPage>;
  getAllowEntry(id: number): Promise<AllowEntry | undefined>;
  /** Removes an entry; false when there is none with this id. */
  removeAllowEntry(id: number): Promise<boolean>;
}

/**
 * The audit log (domain/audit.ts): append-only. There is no method to change or remove a record, and the database
 * refuses UPDATE and DELETE on the table (triggers), so a bug or a stolen admin key cannot rewrite history; an
 * operator archives it out of band (README "Audit").
 */
export interface AuditLog {
  appendAudit(record: NewAuditRecord): Promise<AuditRecord>;
  /** Newest first, keyset paged (AuditQuery). */
  listAudit(query: AuditQuery): Promise<AuditPage>;
}

/**
 * What an administrator set for sources over the API, over the configuration file (connectors/catalog/
 * source-overrides.ts applies them). One row per source with a setting.
 */
export interface SourceSettingsStore {
  listSourceSettings(): Promise<SourceSetting[]>;
  getSourceSetting(source: string): Promise<SourceSetting | undefined>;
  /** Applies a change (undefined keeps a field, null clears it); a row left with no field set is removed. */
  updateSourceSetting(source: string, patch: SourceSettingPatch, now: number, by: string | null): Promise<SourceSetting | undefined>;
}

/** Blocklists (GET /api/v1/blocklists/{type}.txt): pages of active IOCs by score, and a cheap version of the data. */
export interface BlocklistReads {
  /**
   * At most `limit` active IOCs of one type under the filters, by score highest first, ties by id highest first (a
   * stable order); after `after` when given. Fewer than `limit`: the list is done. One range scan of the
   * (type, score, id) index of active IOCs per page; the sector, source and since filters are probes per row.
   */
  blocklistPage(query: BlocklistQuery): Promise<BlocklistEntry[]>;
  /**
   * The version log's last seq and newest date_added, with the IOC tallies: a few index probes and a few dozen
   * rows, never a read of the IOCs. What changes a blocklist without changing these: a score move of less than one
   * STIX version step inside one band (the order under `limit` may shift), a new sighting by another source with no
   * new version (the `source` filter). Both show at the next change that makes a version.
   */
  dataVersion(): Promise<DataVersion>;
}

/** A new IOC of a run, as `iocs.sector` notifications list it. */
export interface RunIoc {
  type: IocType;
  value: string;
  score: number;
  sectors: string[];
}

/**
 * Webhooks (domain/webhooks.ts) and their delivery queue. Enqueueing is one insert per delivery; workers on any number
 * of nodes claim due deliveries atomically (a claim pushes next_attempt_at past a lease, so a worker that dies leaves
 * the row due again), which is what keeps two nodes from sending the same delivery.
 */
export interface WebhookStore {
  createWebhook(webhook: NewWebhook): Promise<Webhook>;
  getWebhook(id: number): Promise<Webhook | undefined>;
  /** In id order after `after` (keyset); `accountId` given: that account's only (null: the global ones only). */
  listWebhooks(opts: { accountId?: number | null; after?: number; limit: number }): Promise<{ items: Webhook[]; next: number | null }>;
  /** Applies a change; undefined when there is no such webhook. */
  updateWebhook(id: number, patch: WebhookPatch): Promise<Webhook | undefined>;
  /** Removes a webhook with its deliveries; false when there was none. */
  deleteWebhook(id: number): Promise<boolean>;
  /** Queues deliveries, made at `now`, due at `dueAt` (default `now`); their ids, in order. */
  enqueueDeliveries(deliveries: readonly NewDelivery[], now: number, dueAt?: number): Promise<number[]>;
  /**
   * Claims due pending deliveries (next_attempt_at ≤ now), at most one per webhook and none of `exclude`'s webhooks (in
   * flight already), oldest due first: each is counted an attempt and pushed to now + leaseMs, atomically across
   * processes. `id`: that delivery only, if it is pending (due or not).
   */
  claimDeliveries(opts: { now: number; leaseMs: number; limit: number; exclude?: readonly number[]; id?: number }): Promise<ClaimedDelivery[]>;
  /** Records how an attempt ended, on the delivery and on its webhook (last status, error, time). */
  finishAttempt(id: number, outcome: AttemptOutcome): Promise<void>;
  getDelivery(id: number): Promise<WebhookDelivery | undefined>;
  /** A webhook's deliveries, newest first, before the id `before` (keyset). */
  listDeliveries(webhookId: number, opts: { before?: number; limit: number }): Promise<{ items: WebhookDelivery[]; next: number | null }>;
  /** Forgets delivered and failed deliveries created before `before`; how many. Pending ones stay. */
  pruneDeliveries(before: number): Promise<number>;
  /**
   * The IOCs a run of `source` inserted (added at or after `since`, now active, score ≥ minScore), in one of `sectors`
   * (empty: any): how many (counted up to `countCap`) and the first `limit`. One range scan of the sector index (or
   * the source's sightings) from `since`: the cost follows the run's new IOCs, never the table.
   */
  runIocs(q: { source: string; since: number; sectors: readonly string[]; minScore: number; limit: number; countCap: number }): Promise<{ count: number; items: RunIoc[] }>;
}

/** The whole store: every role, and its lifecycle. */
export interface Store
  extends StoreLifecycle, SettingStore, IocReads, IocLookup, IngestWrites, VersionLog, TaxiiStore, AccountStore, SourceRunStore, AllowListStore, SourceSettingsStore,
    AuditLog, SessionStore, StatsReads, BlocklistReads, WebhookStore {}
