import { readFileSync } from 'node:fs';
import { resolveSources } from '../connectors/catalog/source-config.js';
import { SourceRegistry } from '../connectors/catalog/source-overrides.js';
import { CATALOG } from '../connectors/catalog/sources/index.js';
import { SourceService } from '../rest/source-service.js';
import { cliActor, type Context, refusing, withContext } from './context.js';

/**
 * `socd sources enable|disable|set|run`: the settings of PATCH /api/v1/sources/{id} and the run now of POST
 * …/runs from the shell, through the same service, audited as the CLI's operator (cliActor). Settings are kept in
 * the database: every `socd serve` on it applies them at its scheduler's next pass, without a restart.
 */

function service(ctx: Context): SourceService {
  return new SourceService(ctx.store, new SourceRegistry(resolveSources(CATALOG, ctx.config.file).sources, ctx.store), ctx.config.rest);
}

async function update(id: string, body: Record<string, unknown>): Promise<void> {
  await withContext(async (ctx) => refusing('sources', async () => {
    const actor = cliActor();
    const { source, changes } = await service(ctx).update(id, body, actor.origin);
    await ctx.audit.record(actor, { action: 'source.update', target: id, details: changes });
    const key = source.api_key_set ? `key from ${source.api_key_from}` : 'no key';
    process.stderr.write(`${id}: ${source.enabled ? 'enabled' : 'disabled'}, every ${source.schedule}, ${key}${source.status_reason ? ` (${source.status_reason})` : ''}\n`);
  }));
}

/** `socd sources enable ID` / `disable ID`: over the configuration file, until `set ID --reset-enabled`. */
export const sourcesEnable = (id: string) => update(id, { enabled: true });
export const sourcesDisable = (id: string) => update(id, { enabled: false });

export interface SetOptions {
  schedule?: string;
  resetSchedule?: boolean;
  resetEnabled?: boolean;
  apiKeyStdin?: boolean;
  clearApiKey?: boolean;
}

/** `socd sources set ID [--schedule 6h] [--api-key-stdin] [--clear-api-key] [--reset-schedule] [--reset-enabled]`. */
export async function sourcesSet(id: string, opts: SetOptions): Promise<void> {
  const body: Record<string, unknown> = {};
  if (opts.schedule !== undefined) body.schedule = opts.schedule;
  if (opts.resetSchedule) body.schedule = null;
  if (opts.resetEnabled) body.enabled = null;
  if (opts.clearApiKey) body.api_key = null;
  // From stdin, never an argument: a key on the command line stays in the shell's history and in `ps`.
  if (opts.apiKeyStdin) body.api_key = readFileSync(0, 'utf8').replace(/\r?\n$/, '');
  if (Object.keys(body).length === 0) {
    process.stderr.write('socd sources set: nothing to change (--schedule, --api-key-stdin, --clear-api-key, --reset-schedule, --reset-enabled)\n');
    process.exitCode = 2;
    return;
  }
  await update(id, body);
}

/**
 * `socd sources run ID`: queues a run for the server's scheduler (as POST /api/v1/sources/{id}/runs) and prints the run
 * id; `--wait` follows it to its end. Without a server running the scheduler the run waits: `socd ingest --source ID`
 * runs it here instead.
 */
export async function sourcesRun(id: string, opts: { wait?: boolean }): Promise<void> {
  await withContext(async (ctx) => refusing('sources', async () => {
    const sources = service(ctx);
    const run = await sources.requestRun(id);
    await ctx.audit.record(cliActor(), { action: 'source.run', target: id, details: { run_id: run.id } });
    process.stdout.write(`${run.id}\n`);
    process.stderr.write(`queued run ${run.id} of ${id}: the server running ingestion starts it within seconds (socd ingest --source ${id} runs it here)\n`);
    if (!opts.wait) return;
    for (;;) {
      await new Promise((r) => setTimeout(r, 2000));
      const now = await sources.getRun(id, String(run.id));
      if (now.status !== 'queued' && now.status !== 'running') {
        process.stderr.write(`${id}: ${now.status}, ${now.new} new, ${now.updated} updated, ${now.delisted} delisted${now.error ? ` — ${now.error}` : ''}\n`);
        if (now.status === 'failed') process.exitCode = 2;
        return;
      }
    }
  }));
}
