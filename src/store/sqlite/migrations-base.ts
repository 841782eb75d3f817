import type { Migration } from '../types.js';

/**
 * The SQLite schema's versions 1 to 15: the store, the version log, ingestion, TAXII, the
 * allow-list, accounts, audit and the console's sessions. Applied (never to be edited again): new versions go in
 * migrations-recent.ts. migrations.ts joins the lists, states the
 * schema's rules and applies them.
 */
export const BASE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'core: settings, sources, iocs, sightings, sectors, accounts, api keys',
    sql: `
CREATE TABLE settings (
  name  TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE sources (
  id              TEXT PRIMARY KEY,
  name            TEXT NOT NULL,
  reliability     REAL NOT NULL CHECK (reliability BETWEEN 0 AND 1),
  redistributable INTEGER NOT NULL CHECK (redistributable IN (0, 1)),
  aggregate       INTEGER NOT NULL DEFAULT 0 CHECK (aggregate IN (0, 1)),
  tlp             TEXT NOT NULL
) WITHOUT ROWID;

-- One row per canonical (type, value). stix_id is generated once and never changes. Times are epoch ms.
-- value_key and stix_key are integer hashes that index the two random look-ups compactly (lookup-keys.ts);
-- (type, value) stays unique because the one writer looks before it inserts, in the same transaction.
CREATE TABLE iocs (
  id              INTEGER PRIMARY KEY,
  type            TEXT NOT NULL,
  value           TEXT NOT NULL,
  value_key       INTEGER NOT NULL,
  stix_id         TEXT NOT NULL,
  stix_key        INTEGER NOT NULL,
  score           INTEGER NOT NULL CHECK (score BETWEEN 0 AND 100),
  first_seen      INTEGER NOT NULL,
  last_seen       INTEGER NOT NULL,
  added_at        INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  tags            TEXT NOT NULL DEFAULT '[]',
  malware         TEXT NOT NULL DEFAULT '[]',
  sectors         TEXT NOT NULL DEFAULT '[]',
  tlp             TEXT NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
  valid_until     INTEGER NOT NULL,
  redistributable INTEGER NOT NULL CHECK (redistributable IN (0, 1))
);
CREATE INDEX iocs_value_key ON iocs (value_key);
CREATE INDEX iocs_stix_key ON iocs (stix_key);
-- Keyset order of REST (added_at, id); the type index serves ?type=X as a pure range scan.
CREATE INDEX iocs_added ON iocs (added_at, id);
CREATE INDEX iocs_type_added ON iocs (type, added_at, id);

-- One row per (IOC, source). ioc_added_at is copied so that ?source=X is a range scan in REST order.
CREATE TABLE sightings (
  ioc_id       INTEGER NOT NULL REFERENCES iocs (id) ON DELETE CASCADE,
  source_id    TEXT NOT NULL REFERENCES sources (id),
  first_seen   INTEGER NOT NULL,
  last_seen    INTEGER NOT NULL,
  count        INTEGER NOT NULL DEFAULT 1,
  confidence   INTEGER CHECK (confidence BETWEEN 0 AND 100),
  reference    TEXT,
  ended_at     INTEGER,
  ioc_added_at INTEGER NOT NULL,
  PRIMARY KEY (ioc_id, source_id)
) WITHOUT ROWID;
CREATE INDEX sightings_source ON sightings (source_id, ioc_added_at, ioc_id);

-- Sectors only grow on an IOC; this table lets ?industry=X walk in REST order.
CREATE TABLE ioc_sectors (
  sector       TEXT NOT NULL,
  ioc_added_at INTEGER NOT NULL,
  ioc_id       INTEGER NOT NULL REFERENCES iocs (id) ON DELETE CASCADE,
  PRIMARY KEY (sector, ioc_added_at, ioc_id)
) WITHOUT ROWID;

CREATE TABLE accounts (
  id         INTEGER PRIMARY KEY,
  email      TEXT NOT NULL UNIQUE COLLATE NOCASE,
  plan       TEXT NOT NULL CHECK (plan IN ('free', 'pro', 'admin')),
  created_at INTEGER NOT NULL
);

CREATE TABLE api_keys (
  id           INTEGER PRIMARY KEY,
  account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  prefix       TEXT NOT NULL UNIQUE,
  hash         TEXT NOT NULL UNIQUE,
  name         TEXT,
  created_at   INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at   INTEGER
);
`,
  },
  {
    version: 2,
    name: 'STIX version log and collection membership',
    sql: `
-- The state of an IOC's latest STIX version, to decide whether a change deserves a new one (docs/design.md §2.1).
ALTER TABLE iocs ADD COLUMN modified INTEGER;
ALTER TABLE iocs ADD COLUMN version_seq INTEGER;
ALTER TABLE iocs ADD COLUMN versioned_score INTEGER;
ALTER TABLE iocs ADD COLUMN versioned_valid_until INTEGER;

-- Append-only: every STIX object version ever served. date_added is epoch µs: strictly increasing for what this
-- server appends (max(now, last + 1)), but kept exactly as given for history loaded from another server, where it
-- may repeat; walks go in (date_added, seq) order. json is rendered once and never again. latest = no newer
-- version of the object yet.
CREATE TABLE object_versions (
  seq          INTEGER PRIMARY KEY,
  date_added   INTEGER NOT NULL,
  stix_id      TEXT NOT NULL,
  stix_key     INTEGER NOT NULL,
  ioc_id       INTEGER REFERENCES iocs (id) ON DELETE SET NULL,
  type         TEXT NOT NULL,
  modified     INTEGER NOT NULL,
  spec_version TEXT NOT NULL DEFAULT '2.1',
  latest       INTEGER NOT NULL CHECK (latest IN (0, 1)),
  revoked      INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1)),
  json         TEXT NOT NULL
);
CREATE INDEX object_versions_added ON object_versions (date_added, seq);
CREATE INDEX object_versions_latest ON object_versions (date_added, seq) WHERE latest = 1;
CREATE INDEX object_versions_ioc ON object_versions (ioc_id, seq);
-- TAXII get-object and versions (§5.6, §5.8): the versions of one object by its id's integer key.
CREATE INDEX object_versions_object ON object_versions (stix_key, seq);

-- One row per version per collection it belongs to (a collection's alias): a TAXII page of a collection is one
-- range scan of this table from the cursor's (date_added, seq).
CREATE TABLE collection_members (
  collection TEXT NOT NULL,
  date_added INTEGER NOT NULL,
  seq        INTEGER NOT NULL,
  PRIMARY KEY (collection, date_added, seq)
) WITHOUT ROWID;
CREATE INDEX collection_members_seq ON collection_members (seq);

-- TAXII add-objects results (§4.3), kept at least 24 hours (we keep 7 days).
CREATE TABLE statuses (
  id         TEXT PRIMARY KEY,
  collection TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  json       TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX statuses_created ON statuses (created_at);

-- API roots and collections loaded from another TAXII server (socd taxii load): kept with their ids, titles and
-- permissions. Their versions are members under the collection's id.
CREATE TABLE taxii_roots (
  name               TEXT PRIMARY KEY,
  title              TEXT NOT NULL,
  description        TEXT,
  max_content_length INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE taxii_collections (
  id          TEXT PRIMARY KEY,
  root        TEXT NOT NULL REFERENCES taxii_roots (name),
  title       TEXT NOT NULL,
  description TEXT,
  alias       TEXT,
  can_read    INTEGER NOT NULL CHECK (can_read IN (0, 1)),
  can_write   INTEGER NOT NULL CHECK (can_write IN (0, 1))
) WITHOUT ROWID;
`,
  },
  {
    version: 3,
    name: 'ingestion: source runs, sighting run marks, decay',
    sql: `
-- One row per run of a connector: what \`socd sources\` and GET /api/v1/sources show, and the validators (etag,
-- last_modified) and \`since\` of the next conditional download. outcome: running, ok, not-modified, failed, skipped.
CREATE TABLE source_runs (
  id            INTEGER PRIMARY KEY,
  source_id     TEXT NOT NULL,
  started_at    INTEGER NOT NULL,
  finished_at   INTEGER,
  outcome       TEXT NOT NULL,
  records       INTEGER NOT NULL DEFAULT 0,
  inserted      INTEGER NOT NULL DEFAULT 0,
  updated       INTEGER NOT NULL DEFAULT 0,
  unchanged     INTEGER NOT NULL DEFAULT 0,
  delisted      INTEGER NOT NULL DEFAULT 0,
  rejected      INTEGER NOT NULL DEFAULT 0,
  bytes         INTEGER NOT NULL DEFAULT 0,
  error         TEXT,
  etag          TEXT,
  last_modified TEXT
);
CREATE INDEX source_runs_source ON source_runs (source_id, id);

-- The last run that listed a sighting: after a complete snapshot, the source's live sightings with an older mark
-- were delisted.
ALTER TABLE sightings ADD COLUMN seen_run INTEGER;
-- The noisy-OR of live sightings before decay; score is the decayed value. no_decay: a source listing it says it
-- does not age (CISA KEV).
ALTER TABLE iocs ADD COLUMN base_score INTEGER;
ALTER TABLE iocs ADD COLUMN no_decay INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sources ADD COLUMN no_decay INTEGER NOT NULL DEFAULT 0;
`,
  },
  {
    version: 4,
    name: 'leases: one ingestion scheduler at a time across processes',
    sql: `
-- A lease is held by one process until expires_at (renewed while it lives): the ingestion scheduler of several
-- \`socd serve\` processes on one database runs in the holder only.
CREATE TABLE leases (
  name       TEXT PRIMARY KEY,
  holder     TEXT NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
`,
  },
  {
    version: 5,
    name: 'TAXII: media types of loaded collections, the account of a status, the latest flag for our own versions only',
    sql: `
-- Collections loaded from another TAXII server keep the media types they were loaded with (a JSON list; NULL:
-- STIX 2.1 only).
ALTER TABLE taxii_collections ADD COLUMN media_types TEXT;

-- A status is shown to the account that made the request (and to admins); NULL: loaded from another server.
ALTER TABLE statuses ADD COLUMN account_id INTEGER;

-- Only the server's own versions (the built-in collections) carry the latest flag now: the last version of an object
-- in a writable or loaded collection is chosen within that collection when it is read. Before, a version posted to a
-- writable collection with a later modified cleared the flag of one of our IOCs and hid it from every built-in
-- collection: those flags are set again.
UPDATE object_versions SET latest = 0 WHERE latest = 1 AND NOT EXISTS (
  SELECT 1 FROM collection_members m WHERE m.seq = object_versions.seq AND m.collection = 'all-iocs');
UPDATE object_versions SET latest = 1 WHERE latest = 0 AND seq IN (SELECT version_seq FROM iocs WHERE version_seq IS NOT NULL);
UPDATE object_versions SET latest = 1 WHERE latest = 0 AND ioc_id IS NULL AND seq IN (
  SELECT max(v.seq) FROM object_versions v JOIN collection_members m ON m.seq = v.seq AND m.collection = 'all-iocs'
  WHERE v.ioc_id IS NULL GROUP BY v.stix_id);
`,
  },
  {
    version: 6,
    name: 'iocs: the TLP levels in use found by index',
    sql: `
-- A STIX export names the TLP markings in use: one probe of this index per level, not a scan of iocs for each level
-- no IOC carries (a scan that held the thread for a fraction of a second at a million IOCs).
CREATE INDEX iocs_tlp_shared ON iocs (tlp) WHERE redistributable = 1;
`,
  },
  {
    version: 7,
    name: 'allow-list: values, networks and domain suffixes never served; runs count what it held back',
    sql: `
-- One row per entry (domain/allowlist.ts): kind value, cidr or suffix; value canonical (a network as
-- network/prefix, a suffix without "*."). author: the account that added it, NULL for the CLI. Times epoch ms.
-- AUTOINCREMENT: a removed entry's id is never given to another (an id in a log or a script stays meaningful).
CREATE TABLE allowlist (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  kind       TEXT NOT NULL CHECK (kind IN ('value', 'cidr', 'suffix')),
  type       TEXT NOT NULL,
  value      TEXT NOT NULL,
  reason     TEXT NOT NULL,
  author     INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER
);
CREATE UNIQUE INDEX allowlist_entry ON allowlist (kind, type, value);

ALTER TABLE source_runs ADD COLUMN allowlisted INTEGER NOT NULL DEFAULT 0;
`,
  },
  {
    version: 8,
    name: 'iocs: the prefix lengths of stored networks found by index (lookup containment)',
    sql: `
-- Networks are ipv4/ipv6 IOCs whose value carries "/prefix". The look-up (store/ioc-lookup.ts) asks which prefix
-- lengths are in use, per family: a loose scan of this small partial index (one probe per length), never a scan of
-- the networks. Revoked networks stay in it (a superset of lengths is only a few more exact look-ups).
CREATE INDEX iocs_network_prefix ON iocs (type, CAST(substr(value, instr(value, '/') + 1) AS INTEGER))
  WHERE instr(value, '/') > 0 AND type IN ('ipv4', 'ipv6');
`,
  },
  {
    version: 9,
    name: "accounts: roles and disabled; the admin plan becomes pro plus the admin role",
    sql: `
-- What an account may do (roles) apart from what it may see (plan): docs/architecture.md §4. Roles are one TEXT of
-- names comma-separated in the order submitter, analyst, admin (store/rows.ts rolesText); the CHECK lists every set.
ALTER TABLE accounts ADD COLUMN roles TEXT NOT NULL DEFAULT ''
  CHECK (roles IN ('', 'submitter', 'analyst', 'admin', 'submitter,analyst', 'submitter,admin', 'analyst,admin', 'submitter,analyst,admin'));
ALTER TABLE accounts ADD COLUMN disabled_at INTEGER;
ALTER TABLE accounts ADD COLUMN disabled_reason TEXT;
UPDATE accounts SET plan = 'pro', roles = 'admin' WHERE plan = 'admin';
-- The column's CHECK still allows 'admin' (changing it means rebuilding the table, which api_keys and allowlist
-- reference): these triggers refuse it instead.
CREATE TRIGGER accounts_plan_insert BEFORE INSERT ON accounts WHEN NEW.plan NOT IN ('free', 'pro')
  BEGIN SELECT RAISE(ABORT, 'accounts.plan must be free or pro'); END;
CREATE TRIGGER accounts_plan_update BEFORE UPDATE OF plan ON accounts WHEN NEW.plan NOT IN ('free', 'pro')
  BEGIN SELECT RAISE(ABORT, 'accounts.plan must be free or pro'); END;
-- An account's keys (its key listing, the active key counts of the account listing), as PostgreSQL has had from 1.
CREATE INDEX api_keys_account ON api_keys (account_id);
`,
  },
  {
    version: 10,
    name: 'audit_log: who changed what, when, from where; append-only',
    sql: `
-- One row per change made through the API or the CLI (domain/audit.ts). at: epoch ms. account_id has no foreign key:
-- a record outlives its account, and ON DELETE SET NULL would be an UPDATE, which the triggers refuse. via: api (a
-- key over HTTP; origin the client address), cli (origin user@host), system (the server itself, e.g. a failed
-- sign-in burst). details: secret-free JSON, bounded. Sizes are checked here too, whatever the writer.
CREATE TABLE audit_log (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  at         INTEGER NOT NULL,
  account_id INTEGER,
  email      TEXT CHECK (email IS NULL OR length(email) <= 320),
  key_prefix TEXT CHECK (key_prefix IS NULL OR length(key_prefix) <= 64),
  via        TEXT NOT NULL CHECK (via IN ('api', 'cli', 'system')),
  origin     TEXT CHECK (origin IS NULL OR length(origin) <= 300),
  action     TEXT NOT NULL CHECK (length(action) BETWEEN 1 AND 100),
  target     TEXT CHECK (target IS NULL OR length(target) <= 500),
  details    TEXT NOT NULL CHECK (length(CAST(details AS BLOB)) <= 16384)
);
-- The filters of GET /api/v1/audit and socd audit, each walked newest first (store/audit-select.ts).
CREATE INDEX audit_log_action ON audit_log (action, id);
CREATE INDEX audit_log_email ON audit_log (lower(email), id);
CREATE INDEX audit_log_account ON audit_log (account_id, id);
CREATE INDEX audit_log_target ON audit_log (target, id);
CREATE INDEX audit_log_at ON audit_log (at);
-- Append-only, whoever writes: the application has no method to change a record, and the database refuses to.
-- Archiving is an operator's act, out of band (README "Audit").
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
`,
  },
  {
    version: 11,
    name: 'sources: settings set over the API, queued runs (run now), runs by outcome found by index',
    sql: `
-- What an administrator set for a source over the API or the CLI (PATCH /api/v1/sources/{id}), over the
-- configuration file; NULL: not set. api_key is in clear, as the configuration file holds it (README, Sources).
CREATE TABLE source_settings (
  source_id  TEXT PRIMARY KEY,
  enabled    INTEGER,
  schedule   TEXT,
  api_key    TEXT,
  updated_at INTEGER NOT NULL,
  updated_by TEXT
) WITHOUT ROWID;
-- Run now: a run row with outcome 'queued' waits for the process holding the ingestion lease, which polls this
-- small partial index every 2 s.
CREATE INDEX source_runs_queued ON source_runs (id) WHERE outcome = 'queued';
-- The last run of a source with an outcome (validators, last success, health) and the failures since: index probes,
-- not a walk back through a failing source's history.
CREATE INDEX source_runs_outcome ON source_runs (source_id, outcome, id);
`,
  },
  {
    version: 13,
    name: 'iocs: the stored networks by text (lookup containment by bucket)',
    sql: `
-- The look-up finds the networks of an address's bucket (/16, /32 for IPv6) by a range scan of their canonical text
-- (domain/network.ts bucketPrefixes): a small partial index, the networks only.
CREATE INDEX iocs_network_text ON iocs (type, value) WHERE instr(value, '/') > 0 AND type IN ('ipv4', 'ipv6');
`,
  },
  {
    version: 14,
    name: 'sightings: the end of validity a submission claims',
    sql: `
-- A submitted valid_until, epoch ms: the submitting source's claim that the value stops being valid then. NULL (every
-- feed's sighting): no claim. It caps the IOC's valid_until when every live sighting makes one; past it, the
-- sighting is no longer evidence (store/ioc-reconcile.ts claimCap). Adding a NULL column rewrites nothing.
ALTER TABLE sightings ADD COLUMN expires_at INTEGER;
`,
  },
  {
    version: 15,
    name: 'console sessions',
    sql: `
-- A signed-in console (POST /api/v1/session): the SHA-256 of the cookie's random token, never the token; the key it
-- was opened with (revoking the key ends it; deleting the key deletes it), and when it ends.
CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  key_id     INTEGER NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX sessions_key ON sessions (key_id);
`,
  },
];
