import { AppError, InvalidParameterError } from '../errors/app-error.js';
import type { IngestWrites } from '../store/store.js';
import type { IocService } from './ioc-service.js';

const MAX_REASON = 500;

export type RevokeStore = Pick<IngestWrites, 'revokeIocs'>;

/**
 * POST /api/v1/iocs/{id}/revoke without HTTP: the IOC found as GET /api/v1/iocs/{id} finds it (id or value), then
 * withdrawn as `socd revoke` does (store revokeIocs: a final STIX version with `revoked: true`, status revoked). The
 * store has no column for a revocation's reason: it is kept in the audit record (`ioc.revoke`) the route writes.
 * Revoking what is revoked already is a 409, not a silent success: the caller learns its view was stale.
 */
export class RevokeService {
  constructor(
    private readonly store: RevokeStore,
    private readonly iocs: Pick<IocService, 'find'>,
    private readonly clock: () => number = Date.now,
  ) {}

  async revoke(idOrValue: string, body: unknown) {
    const reason = reasonOf(body);
    const found = await this.iocs.find(idOrValue);
    const conflict = () =>
      new AppError(409, 'conflict', `${found.view.value} (${found.canonicalId}) is revoked already; it comes back only as a new object if a source lists it again`);
    if (found.view.status === 'revoked') throw conflict();
    // Another request may have revoked it since it was read: then nothing was active to revoke.
    if ((await this.store.revokeIocs([found.canonicalId], this.clock())) === 0) throw conflict();
    const after = await this.iocs.find(found.canonicalId);
    return { ...after, reason };
  }
}

function reasonOf(body: unknown): string {
  const input = (typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
  for (const k of Object.keys(input)) if (k !== 'reason') throw new InvalidParameterError(k.slice(0, 50), 'unknown field', ['reason']);
  const reason = typeof input.reason === 'string' ? input.reason.trim() : '';
  if (reason === '' || reason.length > MAX_REASON || /[\u0000-\u001f\u007f]/.test(reason)) {
    throw new InvalidParameterError('reason', `required: why it is withdrawn, 1 to ${MAX_REASON} characters on one line`);
  }
  return reason;
}
