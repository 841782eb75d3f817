import type { Migration } from '../types.js';

/**
 * The SQLite schema's versions from 16: tallies, blocklists, excluded counts, webhooks and the indexes
 * dropped for writes. A new version goes at the end of this list. migrations.ts joins the lists, states the
 * schema's rules and applies them.
 */
export const RECENT_MIGRATIONS: readonly Migration[] = [
  {
    version: 16,
    name: 'IOC tallies by type, status, band and sector, kept by triggers; source runs by start',
    sql: `
-- The dashboard's totals and the collections' counts (GET /api/v1/stats, /api/v1/collections) without counting a
-- million rows per view: triggers keep them as IOCs are added, rescored, revoked or deleted. The bands are
-- domain/confidence.ts BAND_RANGES (high 70+, medium 30+); a test holds the two equal.
CREATE TABLE ioc_counts (
  type   TEXT NOT NULL,
  status TEXT NOT NULL,
  band   TEXT NOT NULL,
  n      INTEGER NOT NULL,
  PRIMARY KEY (type, status, band)
) WITHOUT ROWID;
CREATE TABLE ioc_sector_counts (
  sector TEXT NOT NULL,
  status TEXT NOT NULL,
  band   TEXT NOT NULL,
  n      INTEGER NOT NULL,
  PRIMARY KEY (sector, status, band)
) WITHOUT ROWID;
INSERT INTO ioc_counts SELECT type, status, CASE WHEN score >= 70 THEN 'high' WHEN score >= 30 THEN 'medium' ELSE 'low' END AS band, count(*) FROM iocs GROUP BY 1, 2, 3;
INSERT INTO ioc_sector_counts SELECT j.value, i.status, CASE WHEN i.score >= 70 THEN 'high' WHEN i.score >= 30 THEN 'medium' ELSE 'low' END AS band, count(*) FROM iocs i, json_each(i.sectors) j GROUP BY 1, 2, 3;
CREATE TRIGGER iocs_tally_insert AFTER INSERT ON iocs BEGIN
  INSERT INTO ioc_counts VALUES (NEW.type, NEW.status, CASE WHEN NEW.score >= 70 THEN 'high' WHEN NEW.score >= 30 THEN 'medium' ELSE 'low' END, 1) ON CONFLICT DO UPDATE SET n = n + 1;
  INSERT INTO ioc_sector_counts SELECT value, NEW.status, CASE WHEN NEW.score >= 70 THEN 'high' WHEN NEW.score >= 30 THEN 'medium' ELSE 'low' END, 1 FROM json_each(NEW.sectors) WHERE true
    ON CONFLICT DO UPDATE SET n = n + 1;
END;
-- Most updates move last_seen only: the WHEN skips them.
CREATE TRIGGER iocs_tally_update AFTER UPDATE OF type, status, score, sectors ON iocs
  WHEN OLD.type IS NOT NEW.type OR OLD.status IS NOT NEW.status OR OLD.sectors IS NOT NEW.sectors
    OR (CASE WHEN OLD.score >= 70 THEN 'high' WHEN OLD.score >= 30 THEN 'medium' ELSE 'low' END) IS NOT (CASE WHEN NEW.score >= 70 THEN 'high' WHEN NEW.score >= 30 THEN 'medium' ELSE 'low' END)
BEGIN
  UPDATE ioc_counts SET n = n - 1 WHERE type = OLD.type AND status = OLD.status AND band = CASE WHEN OLD.score >= 70 THEN 'high' WHEN OLD.score >= 30 THEN 'medium' ELSE 'low' END;
  INSERT INTO ioc_counts VALUES (NEW.type, NEW.status, CASE WHEN NEW.score >= 70 THEN 'high' WHEN NEW.score >= 30 THEN 'medium' ELSE 'low' END, 1) ON CONFLICT DO UPDATE SET n = n + 1;
  UPDATE ioc_sector_counts SET n = n - 1
    WHERE status = OLD.status AND band = CASE WHEN OLD.score >= 70 THEN 'high' WHEN OLD.score >= 30 THEN 'medium' ELSE 'low' END AND sector IN (SELECT value FROM json_each(OLD.sectors));
  INSERT INTO ioc_sector_counts SELECT value, NEW.status, CASE WHEN NEW.score >= 70 THEN 'high' WHEN NEW.score >= 30 THEN 'medium' ELSE 'low' END, 1 FROM json_each(NEW.sectors) WHERE true
    ON CONFLICT DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER iocs_tally_delete AFTER DELETE ON iocs BEGIN
  UPDATE ioc_counts SET n = n - 1 WHERE type = OLD.type AND status = OLD.status AND band = CASE WHEN OLD.score >= 70 THEN 'high' WHEN OLD.score >= 30 THEN 'medium' ELSE 'low' END;
  UPDATE ioc_sector_counts SET n = n - 1
    WHERE status = OLD.status AND band = CASE WHEN OLD.score >= 70 THEN 'high' WHEN OLD.score >= 30 THEN 'medium' ELSE 'low' END AND sector IN (SELECT value FROM json_each(OLD.sectors));
END;
-- IOCs added per day by source (the dashboard's chart) from the runs of the last 30 days.
CREATE INDEX source_runs_started ON source_runs (started_at);
`,
  },
  {
    version: 17,
    name: 'IOC tallies kept by the writer, not by triggers',
    sql: `
-- A trigger per row cost a quarter of a bulk insert: the single writer now gathers the moves of a transaction and
-- writes them as a few grouped deltas (store/tallies.ts, LogWork.finish). The counts are taken again from the table.
DROP TRIGGER IF EXISTS iocs_tally_insert;
DROP TRIGGER IF EXISTS iocs_tally_update;
DROP TRIGGER IF EXISTS iocs_tally_delete;
DELETE FROM ioc_counts;
DELETE FROM ioc_sector_counts;
INSERT INTO ioc_counts SELECT type, status, CASE WHEN score >= 70 THEN 'high' WHEN score >= 30 THEN 'medium' ELSE 'low' END AS band, count(*) FROM iocs GROUP BY 1, 2, 3;
INSERT INTO ioc_sector_counts SELECT j.value, i.status, CASE WHEN i.score >= 70 THEN 'high' WHEN i.score >= 30 THEN 'medium' ELSE 'low' END AS band, count(*) FROM iocs i, json_each(i.sectors) j GROUP BY 1, 2, 3;
`,
  },
  {
    version: 18,
    name: 'active IOCs of a type by score (blocklists)',
    sql: `
-- Blocklists (GET /api/v1/blocklists/{type}.txt) walk the active IOCs of one type by score, highest first, in keyset
-- order (score, id) read backwards: a page is one range scan whatever the size of the list. Partial: revoked IOCs
-- are never listed, so they cost the index nothing.
CREATE INDEX iocs_blocklist ON iocs (type, score, id) WHERE status = 'active';
`,
  },
  {
    version: 19,
    name: 'source runs: values the exclusion rules refused',
    sql: `
-- Counted apart from rejected (unreadable) and allowlisted: the exclusion rules working (GET /api/v1/sources,
-- /metrics socd_source_last_run_excluded). Runs recorded before it say 0.
ALTER TABLE source_runs ADD COLUMN excluded INTEGER NOT NULL DEFAULT 0;
`,
  },
  {
    version: 20,
    name: 'webhooks and their delivery queue',
    sql: `
-- A webhook belongs to an account (account_id) or is global (NULL, an administrator's). events and sectors are JSON
-- lists. The secret signs every delivery, so it is kept as given; the API shows it once, at creation.
CREATE TABLE webhooks (
  id                INTEGER PRIMARY KEY,
  account_id        INTEGER REFERENCES accounts (id) ON DELETE CASCADE,
  name              TEXT NOT NULL,
  url               TEXT NOT NULL,
  format            TEXT NOT NULL CHECK (format IN ('json', 'slack', 'teams')),
  events            TEXT NOT NULL DEFAULT '[]',
  sectors           TEXT NOT NULL DEFAULT '[]',
  min_confidence    INTEGER NOT NULL CHECK (min_confidence BETWEEN 0 AND 100),
  secret            TEXT NOT NULL,
  enabled           INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  created_at        INTEGER NOT NULL,
  created_by        INTEGER,
  last_attempt_at   INTEGER,
  last_status       INTEGER,
  last_error        TEXT,
  last_delivered_at INTEGER
);
CREATE INDEX webhooks_account ON webhooks (account_id, id);

-- One row per notification per webhook, its body as sent. Workers claim due rows by pushing next_attempt_at past a
-- lease; the partial index holds only the pending rows, so polling it stays cheap however long the history.
CREATE TABLE webhook_deliveries (
  id              INTEGER PRIMARY KEY,
  uuid            TEXT NOT NULL UNIQUE,
  webhook_id      INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  event           TEXT NOT NULL,
  body            TEXT NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
  last_status     INTEGER,
  last_error      TEXT,
  created_at      INTEGER NOT NULL,
  delivered_at    INTEGER
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhook_deliveries_done ON webhook_deliveries (created_at) WHERE state <> 'pending';
`,
  },
  {
    version: 21,
    name: 'no index of collection members by seq',
    sql: `
-- Every query that asked which collections hold a version now probes the members' primary key (collection,
-- date_added, seq) with the version's own date_added: the index by seq served nothing else, and cost each new IOC
-- version three more b-tree inserts (one per built-in collection it joins), the largest index of the database.
DROP INDEX IF EXISTS collection_members_seq;
`,
  },
  {
    version: 22,
    name: 'IOCs by STIX id through their versions',
    sql: `
-- An IOC is found by its STIX id (GET /api/v1/iocs/{id}, revocation) through the id's versions
-- (object_versions_object) joined to iocs by ioc_id: every id an IOC carries has versions in the log. The index of
-- iocs by stix_key was a second random-key b-tree insert for each new IOC.
DROP INDEX IF EXISTS iocs_stix_key;
`,
  },
  {
    version: 23,
    name: 'no index of latest versions by date_added',
    sql: `
-- From migration 1, before collections had members: every TAXII page is now a range of collection_members (the
-- latest flag read on the version's row), a look-up by object (object_versions_object) or an export walk of iocs,
-- so nothing reads it; each version wrote an entry and each superseding update removed one.
DROP INDEX IF EXISTS object_versions_latest;
`,
  },
  {
    version: 24,
    name: 'each IOC keeps its source list',
    sql: `
-- The REST list writes each IOC's sources: aggregated from sightings per row, that was a second b-tree walk for every
-- row of a page, a third of the page's query at 1M IOCs. The writer keeps the list (sorted JSON, as the aggregate
-- wrote it) in the row: a sighting is only ever added, with the IOC or to it (store/sqlite/log-work.ts), and goes
-- with the IOC.
ALTER TABLE iocs ADD COLUMN sources TEXT NOT NULL DEFAULT '[]';
UPDATE iocs SET sources = (SELECT json_group_array(s.source_id ORDER BY s.source_id) FROM sightings s WHERE s.ioc_id = iocs.id)
WHERE EXISTS (SELECT 1 FROM sightings s WHERE s.ioc_id = iocs.id);
`,
  },
  {
    version: 25,
    name: 'long TAXII statuses in parts',
    sql: `
-- A status longer than 128 Ki UTF-16 code units (one entry per object of a POST: 1.9 MB for 20,000) keeps its first
-- part in statuses.json and the rest here, written one transaction each with turns of the event loop between
-- (store/sqlite/taxii-collections.ts saveStatus). The status row is written last: a status is found whole or not at all.
CREATE TABLE status_parts (
  id         TEXT NOT NULL,
  part       INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  json       TEXT NOT NULL,
  PRIMARY KEY (id, part)
);
CREATE INDEX status_parts_created ON status_parts (created_at);
`,
  },
];
