import type { SourceSettingsStore } from '../../store/store.js';
import type { SourceSetting } from '../../store/types.js';
import type { ResolvedSource } from './source-config.js';
import { parseDuration } from './url-template.js';

/**
 * What an administrator sets for a source over the API or the CLI (PATCH /api/v1/sources/{id}, `socd sources
 * enable|disable|set`), kept in the store's `source_settings`, applied over what the catalog and the configuration
 * file say. Precedence (README, Sources): the environment > an API setting > the configuration file > the catalog's
 * default. The environment only ever names keys (SOCD_<ID>_KEY), so it is the operator's last word on a key; enabled
 * and schedule are the API's over the file's.
 */

/** A key longer than this is a mistake (a pasted file), not a key. */
export const MAX_SOURCE_KEY_BYTES = 1024;

/** Why a schedule is refused (as the configuration file refuses it), or undefined when it is a duration of at least 1m. */
export function scheduleProblem(v: unknown): string | undefined {
  if (typeof v !== 'string' || v.length > 20 || !((parseDuration(v) ?? 0) >= 60_000)) return 'must be a duration of at least 1m, like 15m, 6h, 1d';
  return undefined;
}

/** Why a key is refused, or undefined: 1 to 1024 printable ASCII characters (it goes into a header or a URL). */
export function apiKeyProblem(v: unknown): string | undefined {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_SOURCE_KEY_BYTES || !/^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(v)) {
    return `must be 1 to ${MAX_SOURCE_KEY_BYTES} printable ASCII characters, without spaces at either end`;
  }
  return undefined;
}

/** The reason a source that is enabled does not run: a key it needs and has from nowhere. */
function keyReason(src: ResolvedSource, apiKey: string | undefined): string | undefined {
  const { def } = src;
  if (!def.apiKey || def.apiKey.optional || apiKey) return undefined;
  const env = src.keyEnv ?? `SOCD_${def.id.toUpperCase().replace(/-/g, '_')}_KEY`;
  return `needs-key: set ${env} or sources.${def.id}.apiKey, or PATCH /api/v1/sources/${def.id} {"api_key": …}`;
}

/** A source as the configuration resolved it, with an administrator's setting applied (precedence above). */
export function applySetting(src: ResolvedSource, setting: SourceSetting | undefined): ResolvedSource {
  if (!setting) return src;
  let { def, scheduleMs } = src;
  if (setting.schedule !== null && scheduleProblem(setting.schedule) === undefined) {
    def = { ...def, schedule: setting.schedule };
    scheduleMs = parseDuration(setting.schedule)!;
  }
  let apiKey = src.apiKey;
  let keyFrom = src.keyFrom ?? (src.apiKey ? 'config' : null);
  if (keyFrom !== 'env' && setting.apiKey !== null) {
    apiKey = setting.apiKey;
    keyFrom = 'api';
  }
  const enabled = setting.enabled ?? src.enabled;
  let reason: string | undefined;
  if (!enabled) reason = setting.enabled === false ? 'disabled by an administrator (API or socd sources disable)' : src.reason;
  else reason = keyReason(src, apiKey);
  return { ...src, def, scheduleMs, apiKey, keyFrom, enabled, reason };
}

/**
 * The sources as they stand now: the catalog and custom sources resolved once from the configuration at start, with
 * the settings read from the store at each call. The scheduler calls `all()` at each pass, so a change made on any
 * node reaches the one running ingestion within a tick, without a restart.
 */
export class SourceRegistry {
  private readonly byId: ReadonlyMap<string, ResolvedSource>;

  constructor(
    readonly configured: readonly ResolvedSource[],
    private readonly store: SourceSettingsStore,
  ) {
    this.byId = new Map(configured.map((s) => [s.def.id, s]));
  }

  /** Whether a source of this id exists (catalog or custom). */
  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** Every source in catalog order, with the settings (one small query). */
  async all(): Promise<ResolvedSource[]> {
    const settings = new Map((await this.store.listSourceSettings()).map((s) => [s.sourceId, s]));
    return this.configured.map((s) => applySetting(s, settings.get(s.def.id)));
  }

  /** One source with its setting; undefined when no source has this id. */
  async get(id: string): Promise<{ source: ResolvedSource; setting: SourceSetting | undefined } | undefined> {
    const base = this.byId.get(id);
    if (!base) return undefined;
    const setting = await this.store.getSourceSetting(id);
    return { source: applySetting(base, setting), setting };
  }
}
