import cliProgress from 'cli-progress';
import { type RunReport, runSources } from '../connectors/pipeline/runner.js';
import { resolveSources } from '../connectors/catalog/source-config.js';
import { CATALOG } from '../connectors/catalog/sources/index.js';
import { SourceRegistry } from '../connectors/catalog/source-overrides.js';
import { cliActor, withContext } from './context.js';
import { table } from './table.js';
import { webhookNotifier } from './webhooks.js';

export interface IngestOptions {
  source?: string[];
  all?: boolean;
  force?: boolean;
  json?: boolean;
}

/**
 * `socd ingest [--source ID …] [--all]`: runs connectors once, one after the other, then ages IOCs. Without
 * --source it runs every enabled source (--all too). Exit 0 when every run succeeded, 2 when any failed.
 */
export async function ingestCommand(opts: IngestOptions): Promise<void> {
  await withContext(async ({ store, config, audit }) => {
    const resolved = resolveSources(CATALOG, config.file);
    const { ingest } = resolved;
    // With what administrators set over the API (enabled, schedule, key), as the scheduler runs them.
    const sources = await new SourceRegistry(resolved.sources, store).all();
    let chosen = sources.filter((s) => s.enabled);
    if (opts.source?.length) {
      const unknown = opts.source.filter((id) => !sources.some((s) => s.def.id === id));
      if (unknown.length) throw new Error(`unknown source ${unknown.join(', ')} (see \`socd sources\`)`);
      chosen = sources.filter((s) => opts.source!.includes(s.def.id));
    }
    // Runs started by hand are recorded before they start (one record per source),
    // so an interrupted run is on record too; their outcomes are in source_runs (`socd sources`).
    const actor = cliActor();
    for (const s of chosen) await audit.record(actor, { action: 'source.run', target: s.def.id, details: { force: opts.force ?? false } });
    const tty = process.stderr.isTTY && !opts.json;
    const bar = tty
      ? new cliProgress.SingleBar({ format: '{source} | {stored} stored | {elapsed}s', stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic)
      : undefined;
    // Notifications are queued in the database; a `socd serve` node sends them.
    const observer = webhookNotifier(store, config, { warn: (o, m) => process.stderr.write(`${m}: ${JSON.stringify(o)}\n`) });
    let started = Date.now();
    bar?.start(1, 0, { source: chosen[0]?.def.id ?? '', stored: 0, elapsed: '0' });
    const reports = await runSources(chosen, {
      store,
      settings: ingest,
      observer,
      onProgress: (source, t) => bar?.update(0, { source, stored: (t.inserted + t.updated + t.unchanged).toLocaleString('en'), elapsed: ((Date.now() - started) / 1000).toFixed(0) }),
    }, {
      force: opts.force ?? false,
      onReport: (r: RunReport) => {
        bar?.stop();
        if (!opts.json) process.stderr.write(`${r.source}: ${r.outcome}${r.error ? ` — ${r.error}` : ''}\n`);
        for (const p of opts.json ? [] : r.problems.slice(0, 5)) process.stderr.write(`  ${p}\n`);
        started = Date.now();
        const next = chosen[chosen.findIndex((c) => c.def.id === r.source) + 1];
        if (next) bar?.start(1, 0, { source: next.def.id, stored: 0, elapsed: '0' });
      },
      // Offline: one line for the run instead of one failure per source (the table below still lists them).
      onNetworkDown: (line) => {
        bar?.stop();
        if (!opts.json) process.stderr.write(`${line}\n`);
      },
    });
    bar?.stop();
    await observer.afterPass(chosen, Date.now());
    const decay = await store.decayIocs(Date.now());
    if (opts.json) {
      process.stdout.write(`${JSON.stringify({ runs: reports, decay }, null, 2)}\n`);
    } else {
      process.stdout.write(table(
        ['SOURCE', 'OUTCOME', 'RECORDS', 'NEW', 'UPDATED', 'UNCHANGED', 'DELISTED', 'REJECTED', 'EXCLUDED', 'ALLOWLISTED', 'SECONDS', 'ERROR'],
        reports.map((r) => [
          r.source, r.outcome, String(r.records), String(r.inserted), String(r.updated), String(r.unchanged), String(r.delisted),
          String(r.rejected), String(r.excluded), String(r.allowlisted), (r.durationMs / 1000).toFixed(1), (r.error ?? '').slice(0, 80),
        ]),
      ));
      process.stdout.write(`aged IOCs: ${decay.rescored} rescored, ${decay.revoked} revoked\n`);
    }
    if (reports.some((r) => r.outcome === 'failed')) process.exitCode = 2;
  }, { sqliteCacheMb: 128 });
}
