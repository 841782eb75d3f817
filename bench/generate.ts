/**
 * Write a synthetic IOC data set to a file (streamed, flat memory even for 10 M+ rows).
 *
 *   node dist/bench/generate.js --count 1000000 --seed 42 --out bench/out/iocs-1m.csv [--format csv|txt|ndjson]
 *
 * Flags
 *   --count, -n   number of IOCs; accepts 1000000, 1e6, 1_000_000, 500k, 10m   (default 1m)
 *   --seed, -s    PRNG seed (default 42)
 *   --out, -o     output file, or "-" for stdout (default bench/out/iocs-<count>-s<seed>.<ext>)
 *   --format, -f  csv | txt | ndjson (default: from the --out extension, else csv)
 *   --now         reference time, ISO 8601 or ms since the epoch (default: start of today UTC)
 *   --mix         weights, e.g. "ipv4=0.5,url=0.3,sha256=0.2" (only listed types are produced)
 *   --help, -h
 *
 * Prints count, seconds and rate to stderr at the end.
 */
import { createWriteStream, mkdirSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { dirname, extname } from 'node:path';
import { parseArgs } from 'node:util';
import type { Writable } from 'node:stream';
import { IOC_TYPES, isIocType, type IocType } from '../src/domain/ioc-types.js';
import {
  CSV_HEADER,
  OUTPUT_FORMATS,
  defaultNow,
  generateIocs,
  toCsvRow,
  toNdjsonRow,
  type OutputFormat,
  type SyntheticIoc,
} from './generator.js';

const USAGE = `usage: node dist/bench/generate.js [--count N] [--seed S] [--out FILE|-] [--format csv|txt|ndjson] [--now ISO|ms] [--mix type=w,...]
  -n, --count   number of IOCs: 1000000, 1e6, 1_000_000, 500k, 10m (default 1m)
  -s, --seed    PRNG seed (default 42)
  -o, --out     output file or "-" for stdout (default bench/out/iocs-<count>-s<seed>.<format>)
  -f, --format  csv | txt | ndjson (default: from the --out extension, else csv)
      --now     reference time, ISO 8601 or epoch ms (default: start of today, UTC)
      --mix     relative weights, e.g. ipv4=0.5,url=0.3,sha256=0.2 (only listed types)`;
const DEFAULT_OUT_DIR = 'bench/out';
/** Flush to the stream once this many characters are buffered. */
const CHUNK_CHARS = 1 << 18;

class UsageError extends Error {}

function parseCount(raw: string): number {
  const m = /^(\d[\d_]*(?:\.\d+)?(?:e\d+)?)([km]?)$/i.exec(raw.trim());
  if (m === null) throw new UsageError(`--count: not a number: ${raw}`);
  const base = Number((m[1] as string).replace(/_/g, ''));
  const mult = { '': 1, k: 1e3, m: 1e6 }[(m[2] as string).toLowerCase() as '' | 'k' | 'm'];
  const n = base * mult;
  if (!Number.isSafeInteger(n)) throw new UsageError(`--count: not an integer: ${raw}`);
  return n;
}

function parseMix(raw: string): Partial<Record<IocType, number>> {
  const mix: Partial<Record<IocType, number>> = {};
  for (const part of raw.split(',')) {
    const [type, weight] = part.split('=').map((s) => s.trim());
    if (type === undefined || !isIocType(type)) throw new UsageError(`--mix: unknown type "${type}" (one of ${IOC_TYPES.join(', ')})`);
    const w = Number(weight);
    if (weight === undefined || weight === '' || !Number.isFinite(w) || w < 0) throw new UsageError(`--mix: bad weight for ${type}`);
    mix[type] = w;
  }
  return mix;
}

function parseNow(raw: string): number {
  const ms = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(ms)) throw new UsageError(`--now: not a date: ${raw}`);
  return ms;
}

function humanCount(n: number): string {
  if (n >= 1e6 && n % 1e6 === 0) return `${n / 1e6}m`;
  if (n >= 1e3 && n % 1e3 === 0) return `${n / 1e3}k`;
  return String(n);
}

/** Stream rows to `out`, batching into large chunks and waiting for 'drain' when the stream is full. */
async function writeRows(out: Writable, rows: Iterable<SyntheticIoc>, format: OutputFormat): Promise<number> {
  let buf = format === 'csv' ? `${CSV_HEADER}\n` : '';
  let written = 0;
  for (const ioc of rows) {
    buf += (format === 'csv' ? toCsvRow(ioc) : format === 'ndjson' ? toNdjsonRow(ioc) : ioc.value) + '\n';
    written += 1;
    if (buf.length >= CHUNK_CHARS) {
      const ok = out.write(buf);
      buf = '';
      if (!ok) await once(out, 'drain');
    }
  }
  if (buf.length > 0 && !out.write(buf)) await once(out, 'drain');
  return written;
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      count: { type: 'string', short: 'n', default: '1m' },
      seed: { type: 'string', short: 's', default: '42' },
      out: { type: 'string', short: 'o' },
      format: { type: 'string', short: 'f' },
      now: { type: 'string' },
      mix: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }

  const count = parseCount(values.count);
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) throw new UsageError(`--seed: not an integer: ${values.seed}`);
  const extFormat = values.out !== undefined ? extname(values.out).slice(1).toLowerCase() : '';
  const formatRaw = values.format ?? ((OUTPUT_FORMATS as readonly string[]).includes(extFormat) ? extFormat : 'csv');
  if (!(OUTPUT_FORMATS as readonly string[]).includes(formatRaw)) throw new UsageError(`--format: one of ${OUTPUT_FORMATS.join(', ')}`);
  const format = formatRaw as OutputFormat;
  const now = values.now !== undefined ? parseNow(values.now) : defaultNow();
  const mix = values.mix !== undefined ? parseMix(values.mix) : undefined;
  const outPath = values.out ?? `${DEFAULT_OUT_DIR}/iocs-${humanCount(count)}-s${seed}.${format}`;

  const toStdout = outPath === '-';
  let out: Writable;
  if (toStdout) {
    out = process.stdout;
  } else {
    mkdirSync(dirname(outPath), { recursive: true });
    out = createWriteStream(outPath, { highWaterMark: 1 << 20 });
  }
  // Surface stream errors (EACCES, ENOSPC, EPIPE) instead of hanging on 'drain'.
  let streamError: unknown;
  out.on('error', (err) => {
    streamError = err;
  });

  const started = process.hrtime.bigint();
  const rows = generateIocs({ count, seed, now, ...(mix !== undefined ? { mix } : {}) });
  const written = await writeRows(out, rows, format);
  if (!toStdout) {
    out.end();
    await once(out, 'finish');
  }
  if (streamError !== undefined) throw streamError;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;

  const size = toStdout ? '' : `, ${(statSync(outPath).size / 1e6).toFixed(1)} MB`;
  process.stderr.write(
    `generated ${written} IOCs (${format}${size}) in ${seconds.toFixed(2)} s — ${Math.round(written / seconds).toLocaleString('en-US')} IOCs/s` +
      `${toStdout ? '' : ` → ${outPath}`}\n`,
  );
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError || (err instanceof Error && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))) {
    process.stderr.write(`${err.message}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  // `generate … -o - | head` closes the pipe early: that is a normal way to stop, not a failure.
  if (err instanceof Error && 'code' in err && err.code === 'EPIPE') return;
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
