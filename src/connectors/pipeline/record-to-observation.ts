import type { IocType } from '../../domain/ioc-types.js';
import { SectorRules } from '../../domain/sector-rules.js';
import type { Tlp } from '../../domain/tlp.js';
import type { Observation } from '../../store/types.js';
import { fileRecord } from '../formats/file-record.js';
import type { RawRecord } from '../formats/raw-record.js';
import { RecordConverter } from './record-converter.js';

/** What a file import fixes for records that say nothing (socd import --type, --confidence, --tlp), and its time. */
export interface RecordDefaults {
  type?: IocType | undefined;
  confidence?: number | null | undefined;
  tlp?: Tlp | null | undefined;
  now: number;
}

export type Converted = { ok: true; observation: Observation } | { ok: false; reason: string };

/** The converter a file import uses: the one converter, with a file's policy (no sector rules). */
export function fileConverter(d: RecordDefaults): RecordConverter {
  return new RecordConverter(
    { ...(d.type !== undefined ? { type: d.type } : {}), ...(typeof d.confidence === 'number' ? { confidence: d.confidence } : {}) },
    new SectorRules([]),
    d.now,
    { ipFamily: false, clampToNow: false, tlp: d.tlp },
  );
}

/** One file record through the pipeline's two steps (fileRecord, then the converter); the reason of a refusal names the field. */
export function recordToObservation(r: RawRecord, d: RecordDefaults, converter: RecordConverter = fileConverter(d)): Converted {
  const read = fileRecord(r, d.type);
  if ('problem' in read) return { ok: false, reason: read.problem.reason };
  const { observations, rejected } = converter.convert(read.record);
  return observations[0] ? { ok: true, observation: observations[0] } : { ok: false, reason: rejected[0] ?? 'no value' };
}
