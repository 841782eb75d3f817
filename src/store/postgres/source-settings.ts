import { patchedSetting, sourceSettingOf, type SourceSettingRow } from '../rows.js';
import type { SourceSettingsStore } from '../store.js';
import type { SourceSetting, SourceSettingPatch } from '../types.js';
import type { PgConnection } from './connection.js';

/** The advisory lock space of source settings ('sset'): the two-key form, apart from the one-key locks. */
const SETTINGS_LOCK_SPACE = 0x73736574;

/** What administrators set for sources over the API (store.ts SourceSettingsStore). */
export class PgSourceSettings implements SourceSettingsStore {
  constructor(private readonly conn: PgConnection) {}

  async listSourceSettings(): Promise<SourceSetting[]> {
    return (await this.conn.rows<SourceSettingRow>('SELECT * FROM source_settings ORDER BY source_id')).map(sourceSettingOf);
  }

  async getSourceSetting(source: string): Promise<SourceSetting | undefined> {
    const row = await this.conn.one<SourceSettingRow>('SELECT * FROM source_settings WHERE source_id = $1', [source]);
    return row && sourceSettingOf(row);
  }

  async updateSourceSetting(source: string, patch: SourceSettingPatch, now: number, by: string | null): Promise<SourceSetting | undefined> {
    return this.conn.tx(async (c) => {
      // Under a lock per source (the row may not exist yet): two nodes changing one source never lose a field.
      await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [SETTINGS_LOCK_SPACE, source]);
      const { rows } = await c.query<SourceSettingRow>('SELECT * FROM source_settings WHERE source_id = $1', [source]);
      const next = patchedSetting(rows[0] && sourceSettingOf(rows[0]), source, patch, now, by);
      if (!next) {
        await c.query('DELETE FROM source_settings WHERE source_id = $1', [source]);
        return undefined;
      }
      await c.query(
        `INSERT INTO source_settings (source_id, enabled, schedule, api_key, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (source_id) DO UPDATE SET enabled = excluded.enabled, schedule = excluded.schedule, api_key = excluded.api_key,
           updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
        [source, next.enabled, next.schedule, next.apiKey, now, by],
      );
      return next;
    });
  }
}
