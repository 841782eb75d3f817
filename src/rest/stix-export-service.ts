import type { ProducerIdentity } from '../stix/identity.js';
import { type StixObjectSource, stixBundleChunks } from '../stix/bundle-stream.js';
import { parseIocListQuery } from './ioc-query.js';

/** Most IOC objects one export may hold when the client asks for a limit. */
export const MAX_EXPORT_LIMIT = 10_000_000;

/** GET /api/v1/iocs/stix without HTTP: the REST filters (no cursor), an optional `limit`, one streamed bundle. */
export class StixExportService {
  constructor(
    private readonly store: StixObjectSource,
    private readonly identity: ProducerIdentity,
    /** IOC objects per read of the store (bundle-stream.ts BundleOptions.readSize). */
    private readonly readSize?: number,
  ) {}

  /** Validates the query now (a bad parameter is a 400 before anything is sent), then streams. */
  bundle(rawQuery: Record<string, unknown>, onProgress?: (objects: number) => void): AsyncGenerator<string> {
    const { query } = parseIocListQuery(rawQuery, { defaultLimit: undefined, maxLimit: MAX_EXPORT_LIMIT, cursor: false });
    return stixBundleChunks(this.store, query, { identity: this.identity, ...(this.readSize ? { readSize: this.readSize } : {}), ...(onProgress ? { onProgress } : {}) });
  }
}
