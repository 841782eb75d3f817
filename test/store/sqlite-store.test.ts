import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { legacySqliteStore, sqliteStore } from '../support/stores.js';
import { storeAccountsContract } from './store-accounts.contract.js';
import { storeAllowListContract } from './store-allowlist.contract.js';
import { storeAuditContract } from './store-audit.contract.js';
import { storeSessionsContract } from './store-sessions.contract.js';
import { storeStatsContract } from './store-stats.contract.js';
import { storeSourcesContract } from './store-sources.contract.js';
import { storeWalkContract } from './store-walk.contract.js';
import { storeBlocklistsContract } from './store-blocklists.contract.js';
import { storeClaimsContract } from './store-claims.contract.js';
import { storeSourceSettingsContract } from './store-source-settings.contract.js';
import { storeLookupContract } from './store-lookup.contract.js';
import { storeRolesContract } from './store-roles.contract.js';
import { storeContract } from './store.contract.js';
import { storeWebhooksContract } from './store-webhooks.contract.js';

storeContract('sqlite (memory)', () => sqliteStore());

storeContract('sqlite (file, WAL)', () => sqliteStore(join(mkdtempSync(join(tmpdir(), 'socd-store-')), 'socd.db')));

storeRolesContract('sqlite (memory)', () => sqliteStore());

storeRolesContract('sqlite (file, WAL)', () => sqliteStore(join(mkdtempSync(join(tmpdir(), 'socd-store-')), 'socd.db')));

storeAllowListContract('sqlite (memory)', () => sqliteStore());
storeAccountsContract('sqlite (memory)', () => sqliteStore(), legacySqliteStore);
storeSourceSettingsContract('sqlite (memory)', () => sqliteStore());

storeLookupContract('sqlite (memory)', () => sqliteStore());
storeClaimsContract('sqlite (memory)', () => sqliteStore());

storeAuditContract('sqlite (memory)', () => sqliteStore());
storeSessionsContract('sqlite (memory)', () => sqliteStore());
storeStatsContract('sqlite (memory)', () => sqliteStore());
storeSourcesContract('sqlite (memory)', () => sqliteStore());
storeWalkContract('sqlite (memory)', () => sqliteStore());
storeBlocklistsContract('sqlite (memory)', () => sqliteStore());
storeWebhooksContract('sqlite (memory)', () => sqliteStore());
storeWebhooksContract('sqlite (file, WAL)', () => sqliteStore(join(mkdtempSync(join(tmpdir(), 'socd-store-')), 'socd.db')));
