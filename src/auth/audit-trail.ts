import type { Actor, AuditEvent, AuditTrail } from '../domain/audit.js';
import type { AuditLog } from '../store/store.js';
import type { NewAuditRecord } from '../store/types.js';

/** Most bytes of a record's details as JSON; larger details are cut (strings, lists), then reduced to their keys. */
export const AUDIT_DETAILS_BYTES = 8192;
const MAX_TARGET = 500;
const MAX_ACTION = 100;
const MAX_DEPTH = 6;
/** Strings and lists as kept in a first pass, and in a second one when the details are still too large. */
const FIRST = { chars: 2000, items: 200 };
const SECOND = { chars: 200, items: 20 };

/**
 * The audit trail kept in the store's audit log (store.ts AuditLog). It stamps the time, bounds what it keeps, cuts
 * anything that looks like an API key to its public prefix (a caller's slip must not put a secret in a log that is
 * kept forever), and never throws: the change it records is made already, and failing the caller's request then
 * would report a change as failed that happened. A record that cannot be written is counted (`failures`) and told to
 * `onFailure` (the server logs it; the default writes one line to stderr).
 */
export class StoreAuditTrail implements AuditTrail {
  /** Records that could not be written since the start. */
  failures = 0;
  onFailure: (err: unknown, event: AuditEvent) => void = (err, event) => {
    process.stderr.write(`socd: audit record of ${event.action} lost: ${err instanceof Error ? err.message : String(err)}\n`);
  };

  constructor(
    private readonly log: AuditLog,
    private readonly clock: () => number = Date.now,
  ) {}

  async record(actor: Actor, event: AuditEvent): Promise<void> {
    try {
      await this.log.appendAudit(auditRecord(actor, event, this.clock()));
    } catch (err) {
      this.failures++;
      try {
        this.onFailure(err, event);
      } catch {
        // A logger that fails must not turn a lost record into a failed change.
      }
    }
  }
}

/** The row a record becomes: bounded, secret-free. Exported for tests. */
export function auditRecord(actor: Actor, event: AuditEvent, at: number): NewAuditRecord {
  return {
    at,
    accountId: actor.accountId,
    email: cut(actor.email, 320),
    keyPrefix: cut(actor.keyPrefix === null ? null : scrubKeys(actor.keyPrefix), 64),
    via: actor.via,
    origin: cut(actor.origin, 300),
    action: event.action.slice(0, MAX_ACTION) || 'unknown',
    target: cut(event.target === null ? null : scrubKeys(event.target), MAX_TARGET),
    details: boundDetails(event.details),
  };
}

function cut(s: string | null, max: number): string | null {
  if (s === null) return null;
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** An API key anywhere in a text becomes its public prefix and an ellipsis (auth/api-keys.ts: sk_live_ and 8). */
export function scrubKeys(s: string): string {
  return s.replace(/sk_live_([0-9A-Za-z]{8})[0-9A-Za-z]+/g, 'sk_live_$1…');
}

/** Details within AUDIT_DETAILS_BYTES as JSON; `truncated: true` says something was cut. */
export function boundDetails(details: Record<string, unknown>): Record<string, unknown> {
  for (const limits of [FIRST, SECOND]) {
    const state = { cut: false };
    const copy = plain(details, limits, 0, state) as Record<string, unknown>;
    const out = state.cut ? { ...copy, truncated: true } : copy;
    if (bytes(out) <= AUDIT_DETAILS_BYTES) return out;
  }
  return { truncated: true, keys: Object.keys(details).slice(0, 20).map((k) => k.slice(0, 100)) };
}

const bytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v), 'utf8');

/** A JSON-safe copy with strings and lists cut and keys scrubbed; deeper than MAX_DEPTH becomes a marker. */
function plain(v: unknown, limits: { chars: number; items: number }, depth: number, state: { cut: boolean }): unknown {
  if (v === null || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'string') {
    if (v.length > limits.chars) state.cut = true;
    return cut(scrubKeys(v), limits.chars);
  }
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (typeof v !== 'object') return null;
  if (depth >= MAX_DEPTH) {
    state.cut = true;
    return '…';
  }
  if (Array.isArray(v)) {
    const items = v.slice(0, limits.items).map((x) => plain(x, limits, depth + 1, state));
    if (v.length <= limits.items) return items;
    state.cut = true;
    return [...items, `… ${v.length - limits.items} more`];
  }
  const out: Record<string, unknown> = {};
  let n = 0;
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (x === undefined) continue;
    if (n++ >= limits.items) {
      state.cut = true;
      out['…'] = 'more keys';
      break;
    }
    out[cut(scrubKeys(k), 100)!] = plain(x, limits, depth + 1, state);
  }
  return out;
}
