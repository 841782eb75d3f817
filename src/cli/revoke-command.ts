import type { IocType } from '../domain/ioc-types.js';
import { normalizeAny } from '../domain/normalize.js';
import { withContext } from './context.js';

/**
 * `socd revoke VALUE…`: withdraws IOCs (a false positive, a cleaned host). Each gets a final STIX version with
 * `revoked: true`, so SIEMs that poll remove it; if a source reports the value again it returns as a new object.
 */
export async function revokeCommand(values: string[], opts: { type?: IocType }): Promise<void> {
  await withContext(async ({ store }) => {
    const ids: string[] = [];
    for (const raw of values) {
      const n = normalizeAny(raw, opts.type);
      if (!n.ok) {
        process.stderr.write(`${n.reason}\n`);
        process.exitCode = 2;
        continue;
      }
      const [ioc] = (await store.queryIocs({ status: 'active', types: [n.type], value: n.value, limit: 1 })).items;
      if (!ioc) {
        process.stderr.write(`${n.value}: no active IOC with this value\n`);
        process.exitCode = 2;
        continue;
      }
      ids.push(ioc.id);
    }
    const revoked = ids.length ? await store.revokeIocs(ids, Date.now()) : 0;
    process.stderr.write(`revoked ${revoked} IOC${revoked === 1 ? '' : 's'}\n`);
  });
}
