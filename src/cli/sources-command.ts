import { SourceService } from '../rest/source-service.js';
import { type ResolvedSource, resolveSources } from '../connectors/catalog/source-config.js';
import { CATALOG } from '../connectors/catalog/sources/index.js';
import { SourceRegistry } from '../connectors/catalog/source-overrides.js';
import { withContext } from './context.js';
import { shorten, table } from './table.js';

const NOTE_WIDTH = 80;

/** `socd sources`: the catalog and custom sources, whether each runs (or why not), and its last run. */
export async function sourcesCommand(opts: { json?: boolean }): Promise<void> {
  await withContext(async ({ store, config }) => {
    const registry = new SourceRegistry(resolveSources(CATALOG, config.file).sources, store);
    const resolved = await registry.all();
    const { data } = await new SourceService(store, registry).list();
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
      return;
    }
    const byId = new Map(resolved.map((r) => [r.def.id, r]));
    process.stdout.write(table(
      ['ID', 'ENABLED', 'MODE', 'SCHEDULE', 'LAST RUN', 'OUTCOME', 'NEW', 'UPDATED', 'DELISTED', 'EXCLUDED', 'ALLOWLISTED', 'FAILS', 'NOTE'],
      data.map((s) => [
        s.id, runs(byId.get(s.id)!), s.mode, s.schedule + (s.set_by_api.includes('schedule') ? ' (api)' : ''), s.last_run?.started_at.slice(0, 19).replace('T', ' ') ?? '-',
        s.last_run?.outcome ?? '-', String(s.last_run?.new ?? '-'), String(s.last_run?.updated ?? '-'), String(s.last_run?.delisted ?? '-'),
        String(s.last_run?.excluded ?? '-'), String(s.last_run?.allowlisted ?? '-'), String(s.health.consecutive_failures) + (s.health.stale ? ' stale' : ''),
        shorten(s.last_run?.error ?? s.status_reason ?? '', NOTE_WIDTH),
      ]),
    ));
  });
}

/**
 * The ENABLED cell: `yes` only for a source that will run. An enabled source that lacks its API key is skipped by
 * `ingest` and the scheduler, so it says so, with the variable to set; a disabled one is `no` (NOTE says why).
 */
function runs(s: ResolvedSource): string {
  if (!s.enabled) return 'no';
  if (!s.reason) return 'yes';
  if (s.def.apiKey && !s.def.apiKey.optional && !s.apiKey) {
    // The variable named by the reason (`needs-key: set SOCD_OTX_KEY or sources.otx.apiKey`).
    const variable = /\bset (SOCD_[A-Z0-9_]+)/.exec(s.reason)?.[1];
    return variable ? `no key (${variable})` : 'no key';
  }
  return 'no';
}
