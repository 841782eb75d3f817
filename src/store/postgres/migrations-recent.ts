import type { Migration } from '../types.js';

/**
 * The PostgreSQL schema's versions from 19: tallies, blocklists, excluded counts, webhooks and the indexes
 * dropped for writes. A new version goes at the end of this list. migrations.ts joins the lists, states the
 * schema's rules and applies them.
 */
export const RECENT_MIGRATIONS: readonly Migration[] = [
  {
    version: 19,
    name: 'IOC tallies by type, status, band and sector, kept by statement triggers; source runs by start',
    sql: `
-- The dashboard's totals and the collections' counts (GET /api/v1/stats, /api/v1/collections) without counting a
-- million rows per view. Statement-level triggers with transition tables: one grouped delta per statement (a COPY
-- of 25,000 IOCs is one), not one update per row; an update subtracts the old rows and adds the new ones (what did
-- not move cancels out). Bands as domain/confidence.ts BAND_RANGES (high 70+, medium 30+; a test holds them equal).
CREATE TABLE ioc_counts (
  type   TEXT NOT NULL,
  status TEXT NOT NULL,
  band   TEXT NOT NULL,
  n      BIGINT NOT NULL,
  PRIMARY KEY (type, status, band)
);
CREATE TABLE ioc_sector_counts (
  sector TEXT NOT NULL,
  status TEXT NOT NULL,
  band   TEXT NOT NULL,
  n      BIGINT NOT NULL,
  PRIMARY KEY (sector, status, band)
);
INSERT INTO ioc_counts SELECT type, status, CASE WHEN score >= 70 THEN 'high' WHEN score >= 30 THEN 'medium' ELSE 'low' END, count(*) FROM iocs GROUP BY 1, 2, 3;
INSERT INTO ioc_sector_counts
  SELECT s.value, i.status, CASE WHEN i.score >= 70 THEN 'high' WHEN i.score >= 30 THEN 'medium' ELSE 'low' END, count(*) FROM iocs i CROSS JOIN LATERAL json_array_elements_text(i.sectors::json) s GROUP BY 1, 2, 3;
CREATE FUNCTION socd_tally_old() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    INSERT INTO ioc_counts AS c (type, status, band, n)
      SELECT r.type, r.status, CASE WHEN r.score >= 70 THEN 'high' WHEN r.score >= 30 THEN 'medium' ELSE 'low' END, -count(*) FROM old_rows r GROUP BY 1, 2, 3
      ON CONFLICT (type, status, band) DO UPDATE SET n = c.n + EXCLUDED.n;
    INSERT INTO ioc_sector_counts AS c (sector, status, band, n)
      SELECT s.value, r.status, CASE WHEN r.score >= 70 THEN 'high' WHEN r.score >= 30 THEN 'medium' ELSE 'low' END, -count(*) FROM old_rows r CROSS JOIN LATERAL json_array_elements_text(r.sectors::json) s GROUP BY 1, 2, 3
      ON CONFLICT (sector, status, band) DO UPDATE SET n = c.n + EXCLUDED.n;
  RETURN NULL;
END $fn$;
CREATE FUNCTION socd_tally_new() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    INSERT INTO ioc_counts AS c (type, status, band, n)
      SELECT r.type, r.status, CASE WHEN r.score >= 70 THEN 'high' WHEN r.score >= 30 THEN 'medium' ELSE 'low' END, count(*) FROM new_rows r GROUP BY 1, 2, 3
      ON CONFLICT (type, status, band) DO UPDATE SET n = c.n + EXCLUDED.n;
    INSERT INTO ioc_sector_counts AS c (sector, status, band, n)
      SELECT s.value, r.status, CASE WHEN r.score >= 70 THEN 'high' WHEN r.score >= 30 THEN 'medium' ELSE 'low' END, count(*) FROM new_rows r CROSS JOIN LATERAL json_array_elements_text(r.sectors::json) s GROUP BY 1, 2, 3
      ON CONFLICT (sector, status, band) DO UPDATE SET n = c.n + EXCLUDED.n;
  RETURN NULL;
END $fn$;
CREATE TRIGGER iocs_tally_insert AFTER INSERT ON iocs REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION socd_tally_new();
CREATE TRIGGER iocs_tally_update_old AFTER UPDATE ON iocs REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION socd_tally_old();
CREATE TRIGGER iocs_tally_update_new AFTER UPDATE ON iocs REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION socd_tally_new();
CREATE TRIGGER iocs_tally_delete AFTER DELETE ON iocs REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION socd_tally_old();
-- IOCs added per day by source (the dashboard's chart) from the runs of the last 30 days.
CREATE INDEX source_runs_started ON source_runs (started_at);
`,
  },
  {
    version: 20,
    name: 'active IOCs of a type by score (blocklists)',
    sql: `
-- Blocklists (GET /api/v1/blocklists/{type}.txt) walk the active IOCs of one type by score, highest first, in keyset
-- order (score, id) read backwards: a page is one range scan whatever the size of the list. Partial: revoked IOCs
-- are never listed, so they cost the index nothing.
CREATE INDEX iocs_blocklist ON iocs (type, score, id) WHERE status = 'active';
`,
  },
  {
    version: 21,
    name: 'source runs: values the exclusion rules refused',
    sql: `
-- Counted apart from rejected (unreadable) and allowlisted: the exclusion rules working (GET /api/v1/sources,
-- /metrics socd_source_last_run_excluded). Runs recorded before it say 0.
ALTER TABLE source_runs ADD COLUMN excluded BIGINT NOT NULL DEFAULT 0;
`,
  },
  {
    version: 22,
    name: 'webhooks and their delivery queue',
    sql: `
-- A webhook belongs to an account (account_id) or is global (NULL, an administrator's). events and sectors are JSON
-- lists (text, as SQLite keeps them). The secret signs every delivery, so it is kept as given; the API shows it once.
CREATE TABLE webhooks (
  id                BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  account_id        BIGINT REFERENCES accounts (id) ON DELETE CASCADE,
  name              TEXT NOT NULL,
  url               TEXT NOT NULL,
  format            TEXT NOT NULL CHECK (format IN ('json', 'slack', 'teams')),
  events            TEXT NOT NULL DEFAULT '[]',
  sectors           TEXT NOT NULL DEFAULT '[]',
  min_confidence    INTEGER NOT NULL CHECK (min_confidence BETWEEN 0 AND 100),
  secret            TEXT NOT NULL,
  enabled           BOOLEAN NOT NULL DEFAULT TRUE,
  created_at        BIGINT NOT NULL,
  created_by        BIGINT,
  last_attempt_at   BIGINT,
  last_status       INTEGER,
  last_error        TEXT,
  last_delivered_at BIGINT
);
CREATE INDEX webhooks_account ON webhooks (account_id, id);

-- One row per notification per webhook, its body as sent. Workers on every node claim due rows by pushing
-- next_attempt_at past a lease (an UPDATE that re-checks the row, so two nodes never take the same one); the partial
-- index holds only the pending rows.
CREATE TABLE webhook_deliveries (
  id              BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  uuid            TEXT NOT NULL UNIQUE,
  webhook_id      BIGINT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  event           TEXT NOT NULL,
  body            TEXT NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
  last_status     INTEGER,
  last_error      TEXT,
  created_at      BIGINT NOT NULL,
  delivered_at    BIGINT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhook_deliveries_done ON webhook_deliveries (created_at) WHERE state <> 'pending';
`,
  },
  {
    version: 23,
    name: 'no index of collection members by seq',
    sql: `
-- Every query that asked which collections hold a version now probes the members' primary key (collection,
-- date_added, seq) with the version's own date_added: the index by seq served nothing else, and cost each new IOC
-- version three more b-tree inserts (one per built-in collection it joins), the largest index of the database.
DROP INDEX IF EXISTS collection_members_seq;
`,
  },
  {
    version: 24,
    name: 'each IOC keeps its source list',
    sql: `
-- The REST list writes each IOC's sources: aggregated from sightings per row, that was a second index walk for every
-- row of a page. The writer keeps the list (sorted JSON, byte order as COLLATE "C" sorts) in the row: a sighting is
-- only ever added, with the IOC or to it (store/postgres/log-work.ts), and goes with the IOC. A new column with a
-- constant default rewrites nothing; the UPDATE writes each IOC once.
ALTER TABLE iocs ADD COLUMN sources TEXT NOT NULL DEFAULT '[]';
UPDATE iocs i SET sources = s.list
FROM (SELECT ioc_id, array_to_json(array_agg(source_id ORDER BY source_id COLLATE "C"))::text AS list FROM sightings GROUP BY ioc_id) s
WHERE i.id = s.ioc_id;
`,
  },
];
