import type { IocType } from '../domain/ioc-types.js';
import { normalizeAny } from '../domain/normalize.js';
import { cliActor, withContext } from './context.js';

/**
 * `socd revoke VALUE…`: withdraws IOCs (a false positive, a cleaned host). Each gets a final STIX version with
 * `revoked: true`, so SIEMs that poll remove it; if a source reports the value again it returns as a new object.
 */
export async function revokeCommand(values: string[], opts: { type?: IocType }): Promise<void> {
  await withContext(async ({ store, audit }) => {
    const found = new Map<string, { type: IocType; value: string }>();
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
      found.set(ioc.id, { type: ioc.type, value: ioc.value });
    }
    const revoked = found.size ? await store.revokeIocs([...found.keys()], Date.now()) : 0;
    // One record per IOC (its STIX id as target, as the API's revocations), so a filter on the target finds it.
    const actor = cliActor();
    for (const [id, ioc] of found) await audit.record(actor, { action: 'ioc.revoke', target: id, details: { type: ioc.type, value: ioc.value } });
    process.stderr.write(`revoked ${revoked} IOC${revoked === 1 ? '' : 's'}\n`);
  });
}
