import { SourceService } from '../api/source-service.js';
import { resolveSources } from '../connectors/source-config.js';
import { CATALOG } from '../connectors/sources/index.js';
import { withContext } from './context.js';
import { table } from './table.js';

/** `socd sources`: the catalog and custom sources, whether each runs (or why not), and its last run. */
export async function sourcesCommand(opts: { json?: boolean }): Promise<void> {
  await withContext(async ({ store, config }) => {
    const { data } = await new SourceService(store, resolveSources(CATALOG, config.file).sources).list();
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
      return;
    }
    process.stdout.write(table(
      ['ID', 'ENABLED', 'MODE', 'SCHEDULE', 'LAST RUN', 'OUTCOME', 'NEW', 'UPDATED', 'DELISTED', 'NOTE'],
      data.map((s) => [
        s.id, s.enabled ? 'yes' : 'no', s.mode, s.schedule, s.last_run?.started_at.slice(0, 19).replace('T', ' ') ?? '-',
        s.last_run?.outcome ?? '-', String(s.last_run?.new ?? '-'), String(s.last_run?.updated ?? '-'), String(s.last_run?.delisted ?? '-'),
        (s.last_run?.error ?? s.status_reason ?? '').slice(0, 90),
      ]),
    ));
  });
}
