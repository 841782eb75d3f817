import type { IocType } from '../../domain/ioc-types.js';
import type { SourceRecord } from './record.js';
import type { Demotion, FieldMap, FieldPath, FieldRule, FieldSpec } from '../catalog/source-definition.js';
import { parseSourceTime } from './source-time.js';
import { DAY_MS } from '../../domain/durations.js';

export type MapOutcome = { record: SourceRecord } | { skipped: string };

const MAX_LIST = 64;

/** Applies a source's Demotion to a record it matched (see Demotion). */
function demote(record: SourceRecord, d: Demotion): void {
  record.confidence = Math.max(0, Math.min(100, Math.round(d.confidence)));
  record.lastSeen ??= record.firstSeen;
  if (record.lastSeen !== undefined) {
    const until = record.lastSeen + d.validDays * DAY_MS;
    record.expires = record.expires === undefined ? until : Math.min(record.expires, until);
  }
}

/** Reads `path` from `row`: dotted segments; each leading `^` steps to the parent record (nearest first). */
export function readPath(row: unknown, parents: readonly unknown[], path: FieldPath): unknown {
  let depth = 0;
  while (path[depth] === '^') depth++;
  let at: unknown = depth === 0 ? row : parents[parents.length - depth];
  const rest = path.slice(depth);
  if (rest === '') return at;
  if (at !== null && typeof at === 'object' && !Array.isArray(at) && rest in (at as object)) return (at as Record<string, unknown>)[rest];
  for (const segment of rest.split('.')) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<string, unknown>)[segment];
  }
  return at;
}

const TEMPLATE = /\{([^{}]+)\}/g;

/** A scalar as text; objects in lists are named by display_name, name or value (OTX malware_families, MISP tags). */
function textOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    for (const k of ['display_name', 'name', 'value']) if (typeof o[k] === 'string') return o[k] as string;
  }
  return undefined;
}

/** Is `text` (already trimmed) one of the null spellings (kept lowercase)? */
const isNull = (nulls: ReadonlySet<string>, text: string): boolean => nulls.size > 0 && nulls.has(text.toLowerCase());

function raw(row: unknown, parents: readonly unknown[], spec: FieldSpec, nulls: ReadonlySet<string>): unknown {
  const from = typeof spec === 'string' ? spec : spec.from;
  let v: unknown;
  if (from.includes('{')) {
    let missing = false;
    v = from.replace(TEMPLATE, (_, name: string) => {
      const t = textOf(readPath(row, parents, name));
      if (t === undefined || isNull(nulls, t.trim())) missing = true;
      return t?.trim() ?? '';
    });
    if (missing) return undefined;
  } else v = readPath(row, parents, from);
  if (typeof v === 'string') {
    const t = v.trim();
    if (t === '' || isNull(nulls, t)) return undefined;
    v = t;
  }
  return v ?? undefined;
}

const splitters = new WeakMap<readonly string[], RegExp>();
/** Splits a list cell on one separator or on any of several. */
function splitCell(text: string, split: string | readonly string[] | undefined): string[] {
  if (split === undefined || typeof split === 'string') return text.split(split ?? ',');
  let re = splitters.get(split);
  if (!re) {
    re = new RegExp(split.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'));
    splitters.set(split, re);
  }
  return text.split(re);
}

const lowered = new WeakMap<object, Map<string, string>>();
/** Map keys compared case-insensitively (OTX writes `Banking` and `banking`). */
function lowerKeys(map: Readonly<Record<string, string>>): Map<string, string> {
  let m = lowered.get(map);
  if (!m) {
    m = new Map(Object.entries(map).map(([k, v]) => [k.toLowerCase(), v]));
    lowered.set(map, m);
  }
  return m;
}

function applyRule(text: string, rule: FieldRule | undefined): string | undefined {
  let t = text;
  if (rule?.match) {
    const m = new RegExp(rule.match).exec(t);
    if (!m) return undefined;
    t = (m.groups?.v ?? m[1] ?? m[0]).trim();
  }
  if (rule?.map) {
    // Own keys only: a value "constructor" must not map to Object.prototype.constructor.
    const mapped = (Object.hasOwn(rule.map, t) ? rule.map[t] : undefined) ?? lowerKeys(rule.map).get(t.toLowerCase());
    if (mapped !== undefined) t = mapped;
    else if (rule.strict) return undefined;
  }
  return t === '' ? undefined : t;
}

export class FieldReader {
  private readonly nulls: ReadonlySet<string>;
  /** `nulls`: cell values that mean "no value", compared trimmed and case-insensitively. */
  constructor(nulls: readonly string[] = []) {
    this.nulls = new Set(nulls.map((n) => n.trim().toLowerCase()));
  }

  text(row: unknown, parents: readonly unknown[], spec: FieldSpec | undefined): string | undefined {
    if (spec === undefined) return undefined;
    const v = textOf(raw(row, parents, spec, this.nulls));
    return v === undefined ? undefined : applyRule(v, typeof spec === 'string' ? undefined : spec);
  }

  list(row: unknown, parents: readonly unknown[], specs: FieldSpec | readonly FieldSpec[] | undefined): string[] {
    if (specs === undefined) return [];
    const out: string[] = [];
    for (const spec of (Array.isArray(specs) ? specs : [specs]) as FieldSpec[]) {
      const rule = typeof spec === 'string' ? undefined : spec;
      const v = raw(row, parents, spec, this.nulls);
      const items = Array.isArray(v) ? v.map(textOf) : typeof v === 'string' ? splitCell(v, rule?.split) : [textOf(v)];
      for (const item of items) {
        if (item === undefined) continue;
        const t = applyRule(item.trim(), rule);
        if (t !== undefined && !isNull(this.nulls, t) && !out.includes(t)) out.push(t);
        if (out.length >= MAX_LIST) return out;
      }
    }
    return out;
  }

  number(row: unknown, parents: readonly unknown[], spec: FieldSpec | undefined): number | undefined {
    if (spec === undefined) return undefined;
    const v = raw(row, parents, spec, this.nulls);
    const text = typeof v === 'number' ? String(v) : textOf(v);
    if (text === undefined) return undefined;
    const ruled = applyRule(text, typeof spec === 'string' ? undefined : spec);
    const n = ruled === undefined ? NaN : Number(ruled);
    if (!Number.isFinite(n)) return undefined;
    const scaled = n * (typeof spec === 'string' ? 1 : (spec.scale ?? 1));
    return Math.max(0, Math.min(100, Math.round(scaled)));
  }

  time(row: unknown, parents: readonly unknown[], spec: FieldSpec | undefined): number | undefined {
    if (spec === undefined) return undefined;
    const v = raw(row, parents, spec, this.nulls);
    const rule = typeof spec === 'string' ? undefined : spec;
    if (typeof v === 'number') return parseSourceTime(v, rule?.dateFormat);
    const text = textOf(v);
    const ruled = text === undefined ? undefined : applyRule(text, rule);
    return ruled === undefined ? undefined : parseSourceTime(ruled, rule?.dateFormat);
  }

  /** Applies a FieldMap to one record (a CSV row, a JSON object with its parents). */
  map(row: unknown, parents: readonly unknown[], fields: FieldMap, line: number): MapOutcome {
    for (const [path, allowed] of Object.entries(fields.where ?? {})) {
      const v = this.text(row, parents, path)?.toLowerCase();
      if (v === undefined || !allowed.some((a) => a.toLowerCase() === v)) return { skipped: `${path} not ${allowed.join('/')}` };
    }
    for (const [path, refused] of Object.entries(fields.whereNot ?? {})) {
      const v = this.text(row, parents, path)?.toLowerCase();
      if (v !== undefined && refused.some((a) => a.toLowerCase() === v)) return { skipped: `${path} ${v}` };
    }
    let fixedType: IocType | undefined;
    let typeName: string | undefined;
    if (fields.type !== undefined) {
      const t = this.text(row, parents, fields.type)?.toLowerCase();
      if (fields.typeMap) {
        if (t === undefined) return { skipped: 'no type' };
        fixedType = Object.hasOwn(fields.typeMap, t) ? fields.typeMap[t] : undefined;
        if (fixedType === undefined) return { skipped: `type ${t.slice(0, 40)}` };
      } else typeName = t;
    }
    const values: SourceRecord['values'] = [];
    if (Array.isArray(fields.value)) {
      for (const v of fields.value as ReadonlyArray<{ value: FieldSpec; type?: IocType }>) {
        const text = this.text(row, parents, v.value);
        if (text !== undefined) values.push({ value: text, type: v.type ?? fixedType });
      }
    } else if (typeof fields.value !== 'string' && (fields.value as FieldRule).split !== undefined) {
      // One cell holding several values (ICS advisories: `CVE-2024-1, CVE-2024-2`).
      for (const text of this.list(row, parents, fields.value as FieldSpec)) values.push({ value: text, type: fixedType });
    } else {
      const text = this.text(row, parents, fields.value as FieldSpec);
      if (text !== undefined) values.push({ value: text, type: fixedType });
    }
    if (values.length === 0) return { skipped: 'no value' };
    const record: SourceRecord = {
      line,
      values,
      typeName,
      tags: this.list(row, parents, fields.tags),
      malware: this.list(row, parents, fields.malware),
      sectors: this.list(row, parents, fields.sectors),
      confidence: this.number(row, parents, fields.confidence),
      firstSeen: this.time(row, parents, fields.firstSeen),
      lastSeen: this.time(row, parents, fields.lastSeen),
      reference: this.text(row, parents, fields.reference),
      expires: this.time(row, parents, fields.expires),
    };
    if (fields.demote && this.matches(row, parents, fields.demote.where)) demote(record, fields.demote);
    return { record };
  }

  private matches(row: unknown, parents: readonly unknown[], where: Readonly<Record<FieldPath, readonly string[]>>): boolean {
    for (const [path, allowed] of Object.entries(where)) {
      const v = this.text(row, parents, path)?.toLowerCase();
      if (v === undefined || !allowed.some((a) => a.toLowerCase() === v)) return false;
    }
    return true;
  }
}
