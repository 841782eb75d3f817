import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import { InvalidArgumentError } from 'commander';
import { importFile } from '../connectors/pipeline/file-import.js';
import type { ImportProblem, ImportSummary } from '../connectors/pipeline/import-pipeline.js';
import { detectFileFormat, type FileFormat } from '../connectors/formats/open-file-records.js';
import { exclusionSettings } from '../connectors/catalog/source-config.js';
import { type ExcludedValue, loadAllowList } from '../connectors/pipeline/write-observations.js';
import { BAND_RANGES, isConfidenceBand } from '../domain/confidence.js';
import { Exclusions } from '../domain/exclusions.js';
import type { IocType } from '../domain/ioc-types.js';
import type { Tlp } from '../domain/tlp.js';
import { cliActor, withContext } from './context.js';

/**
 * SQLite's page cache for an import unless SOCD_SQLITE_CACHE_MB says otherwise. 64 MB holds the indexes an import
 * inserts into at random (value and STIX-id keys: ~40 MB at 1M IOCs); the rest of the pages are written once and
 * read from the OS's cache if at all. 256 MB cost 200 MB of memory (peak RSS of a 1M import 520-550 MB, 310-345 MB
 * with 64) for no speed that the runs could tell apart (1M: 25,000 vs 21,800-30,100 IOCs/s).
 */
const IMPORT_CACHE_MB = 64;

export interface ImportCommandOptions {
  type?: IocType;
  source: string;
  confidence?: number;
  tlp?: Tlp;
  format?: FileFormat;
  /** How many rejected (or excluded) lines to print; the rest are counted. */
  maxErrors: number;
  /** IOCs per transaction. */
  batchSize: number;
}

const SOURCE_ID = /^[a-z0-9][a-z0-9._:-]{0,63}$/;

/**
 * `--confidence`: an integer 0–100, or a band as in a CSV `confidence` cell, mapped to the same numbers (low 15,
 * medium 50, high 85: each band's canonical value, connectors/formats/file-record.ts).
 */
export function parseConfidenceOption(v: string): number {
  const band = v.trim().toLowerCase();
  if (isConfidenceBand(band)) return BAND_RANGES[band].canonical;
  const n = Number(v);
  if (!/^\d{1,3}$/.test(v) || n > 100) throw new InvalidArgumentError('an integer from 0 to 100, or low, medium, high');
  return n;
}

/**
 * `socd import FILE`: every valid line lands, unless the exclusions (config `exclusions`, as for ingestion) refuse
 * it; every invalid or excluded one is reported with its line number and reason.
 */
export async function importCommand(file: string, opts: ImportCommandOptions): Promise<void> {
  const sourceId = opts.source.trim().toLowerCase();
  if (!SOURCE_ID.test(sourceId)) throw new Error(`--source ${JSON.stringify(opts.source)}: use lowercase letters, digits, . _ : - (max 64)`);
  const size = (await stat(file)).size;
  const format = opts.format ?? (await detectFileFormat(file));
  await withContext(async ({ store, config, audit }) => {
    const exclusions = new Exclusions(exclusionSettings(config.file));
    const allowlist = await loadAllowList(store, Date.now());
    const known = (await store.listSources()).find((s) => s.id === sourceId);
    if (!known) {
      // A file's confidence is the operator's own statement: reliability 1, so a line's score is its confidence.
      await store.upsertSource({ id: sourceId, name: opts.source, reliability: 1, redistributable: true, aggregate: false, tlp: opts.tlp ?? 'clear' });
    }
    // A progress bar only on a terminal; rejected lines print above it (MultiBar.log keeps the bar intact).
    const multi = process.stderr.isTTY
      ? new cliProgress.MultiBar({ format: 'importing [{bar}] {percentage}% | {records} records | {rejected} rejected | {excluded} excluded', stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic)
      : undefined;
    const bar = multi?.create(size, 0, { records: 0, rejected: 0, excluded: 0 });
    let bytes = 0;
    let shown = 0;
    const print = (line: number, reason: string) => {
      if (shown++ >= opts.maxErrors) return;
      const text = `${file}:${line}: ${reason}\n`;
      if (multi) multi.log(text);
      else process.stderr.write(text);
    };
    const report = (p: ImportProblem) => print(p.line, p.reason);
    const reportExcluded = (e: ExcludedValue) => print(e.line, `excluded: ${e.reason}`);
    const started = process.hrtime.bigint();
    // An import is a run of its source, as a feed's is: the source's health, `GET /api/v1/sources/{id}/runs` and the
    // dashboard's IOCs added per day count it.
    const run = await store.startRun(sourceId, Date.now());
    const finish = (outcome: 'ok' | 'failed', s: Partial<ImportSummary>, error: string | null) =>
      store.finishRun(run, {
        outcome, records: s.read ?? 0, inserted: s.inserted ?? 0, updated: s.updated ?? 0, unchanged: s.unchanged ?? 0, delisted: 0,
        rejected: s.rejected ?? 0, excluded: s.excluded ?? 0, allowlisted: s.allowlisted ?? 0, bytes, error, etag: null, lastModified: null, finishedAt: Date.now(),
      });
    const summary = await importFile(store, file, {
      format,
      batchSize: opts.batchSize,
      onBytes: (total) => {
        bytes = total;
        bar?.update(bytes);
      },
      source: sourceId,
      type: opts.type,
      confidence: opts.confidence ?? 50,
      tlp: opts.tlp ?? null,
      exclusions,
      onProblem: report,
      onExcluded: reportExcluded,
      allowlist,
      onAllowlisted: (e) => print(e.line, e.reason),
      onBatch: (s) => bar?.update(bytes, { records: s.read, rejected: s.rejected, excluded: s.excluded }),
    }).catch(async (err: Error) => {
      await finish('failed', {}, err.message.slice(0, 1000)).catch(() => {});
      throw err;
    });
    await finish('ok', summary, null);
    bar?.update(size, { records: summary.read, rejected: summary.rejected, excluded: summary.excluded });
    multi?.stop();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    // One record per import (not per value): the file, where it went, and what came of it.
    await audit.record(cliActor(), {
      action: 'ioc.import',
      target: sourceId,
      details: {
        file: basename(file), path: resolve(file), format, source: sourceId, source_created: !known, read: summary.read, inserted: summary.inserted,
        updated: summary.updated, unchanged: summary.unchanged, rejected: summary.rejected, excluded: summary.excluded, allowlisted: summary.allowlisted,
      },
    });
    if (shown > opts.maxErrors) process.stderr.write(`… ${shown - opts.maxErrors} more rejected or excluded lines not shown (--max-errors)\n`);
    const skipped = Object.entries(summary.skipped).map(([k, v]) => `${v} ${k}`).join(', ');
    process.stderr.write(
      `${file} (${format}): ${summary.read} records in ${seconds.toFixed(1)} s — ${summary.inserted} new, ${summary.updated} updated, ` +
        `${summary.unchanged} unchanged, ${summary.rejected} rejected, ${summary.excluded} excluded, ${summary.allowlisted} excluded by allow-list${skipped ? `; skipped ${skipped}` : ''}\n`,
    );
    // Excluded and allow-listed values are the policy working, not bad input: only rejected lines make the exit status 2.
    if (summary.rejected > 0) process.exitCode = 2;
  }, { sqliteCacheMb: IMPORT_CACHE_MB });
}
