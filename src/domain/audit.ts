/**
 * The audit trail's vocabulary (docs/architecture.md §4): who changed what, when, from where. Services and CLI
 * commands record through the AuditTrail port; the store keeps the records append-only.
 */

/** Who acted. `api`: a key over HTTP (origin: the client address); `cli`: a command on the host (origin: user@host). */
export interface Actor {
  accountId: number | null;
  email: string | null;
  /** The key used (its public prefix), for API actions. */
  keyPrefix: string | null;
  via: 'api' | 'cli' | 'system';
  origin: string | null;
}

/** One change to record. `action` is dotted (`allowlist.add`, `key.create`, `ioc.revoke`, …); `target` names its object. */
export interface AuditEvent {
  action: string;
  target: string | null;
  /** What changed: small, secret-free JSON (never a key, never a password). */
  details: Record<string, unknown>;
}

/** Where changes are recorded. `record` never throws on behalf of the caller's change once that change is made. */
export interface AuditTrail {
  record(actor: Actor, event: AuditEvent): Promise<void>;
}

/** A trail that keeps nothing: for unit tests of services that do not test auditing. */
export const NO_AUDIT: AuditTrail = { record: async () => {} };
