import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import cliProgress from 'cli-progress';
import { type ExportFilters, type ExportFormat, IocExport } from '../rest/ioc-export.js';
import { withContext } from './context.js';

export { EXPORT_FORMATS, type ExportFormat } from '../rest/ioc-export.js';

export interface ExportOptions extends ExportFilters {
  format: ExportFormat;
  out?: string;
}

/** `socd export`: the same selection as the API (api/ioc-export.ts), to a file or stdout, with a progress bar. */
export async function exportCommand(opts: ExportOptions): Promise<void> {
  await withContext(async ({ store, identity }) => {
    const { format, out: file, ...filters } = opts;
    const exporter = new IocExport(store, identity, filters);
    const total = await exporter.total();
    const bar = process.stderr.isTTY
      ? new cliProgress.SingleBar({ format: `exporting ${format} [{bar}] {value} objects`, stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic)
      : undefined;
    bar?.start(total, 0);
    let exported = 0;
    const progress = (n: number) => {
      exported = n;
      bar?.update(Math.min(n, total));
    };
    const out: Writable = file ? createWriteStream(file) : process.stdout;
    const started = process.hrtime.bigint();
    try {
      await exporter.write(format, out, progress);
    } finally {
      bar?.update(exported);
      bar?.stop();
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    process.stderr.write(`exported ${exported} IOCs as ${format} in ${seconds.toFixed(1)} s${file ? ` to ${file}` : ''}\n`);
  });
}
