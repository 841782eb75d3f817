import { patchedSetting, sourceSettingOf, type SourceSettingRow } from '../rows.js';
import type { SourceSettingsStore } from '../store.js';
import type { SourceSetting, SourceSettingPatch } from '../types.js';
import type { SqliteConnection } from './connection.js';

/** What administrators set for sources over the API (store.ts SourceSettingsStore). */
export class SqliteSourceSettings implements SourceSettingsStore {
  constructor(private readonly conn: SqliteConnection) {}

  async listSourceSettings(): Promise<SourceSetting[]> {
    return (this.conn.db.prepare('SELECT * FROM source_settings ORDER BY source_id').all() as SourceSettingRow[]).map(sourceSettingOf);
  }

  async getSourceSetting(source: string): Promise<SourceSetting | undefined> {
    const row = this.conn.db.prepare('SELECT * FROM source_settings WHERE source_id = ?').get(source) as SourceSettingRow | undefined;
    return row && sourceSettingOf(row);
  }

  async updateSourceSetting(source: string, patch: SourceSettingPatch, now: number, by: string | null): Promise<SourceSetting | undefined> {
    // Read and write in one immediate transaction: two changes of one source never lose a field. On the side
    // connection: a run of this process streaming its writes does not hold the change up to its end.
    return this.conn.sideWrite((db) => db.transaction(() => {
      const row = db.prepare('SELECT * FROM source_settings WHERE source_id = ?').get(source) as SourceSettingRow | undefined;
      const next = patchedSetting(row && sourceSettingOf(row), source, patch, now, by);
      if (!next) {
        db.prepare('DELETE FROM source_settings WHERE source_id = ?').run(source);
        return undefined;
      }
      db.prepare(
        `INSERT INTO source_settings (source_id, enabled, schedule, api_key, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (source_id) DO UPDATE SET enabled = excluded.enabled, schedule = excluded.schedule, api_key = excluded.api_key,
           updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
      ).run(source, next.enabled === null ? null : next.enabled ? 1 : 0, next.schedule, next.apiKey, now, by);
      return next;
    }).immediate());
  }
}
