import { allAllowEntries } from '../connectors/pipeline/write-observations.js';
import { allowEntryView, AllowListService } from '../rest/allowlist-service.js';
import { cliActor, type Context, refusing, tokenSigner, withContext } from './context.js';
import { shorten, table } from './table.js';

/**
 * `socd allowlist add|list|remove`: the allow-list from the shell, through the same service as the REST routes. The
 * CLI has no account: entries it adds have no author (null; `author` shows `cli`), as anyone who can run socd
 * against the database is its administrator.
 */

async function service(ctx: Context): Promise<AllowListService> {
  return new AllowListService(ctx.store, await tokenSigner(ctx), ctx.config.rest, ctx.audit);
}

/** `socd allowlist add VALUE --reason R [--expires ISO]`: prints the new entry's id alone on stdout. */
export async function allowlistAdd(value: string, opts: { reason: string; expires?: string }): Promise<void> {
  await withContext(async (ctx) => refusing('allowlist', async () => {
    const { entry, revoked } = await (await service(ctx)).add({ value, reason: opts.reason, ...(opts.expires !== undefined ? { expires_at: opts.expires } : {}) }, cliActor());
    process.stdout.write(`${entry.id}\n`);
    process.stderr.write(`allow-listed ${entry.value} (${entry.kind}${entry.expires_at ? `, until ${entry.expires_at}` : ''}); revoked ${revoked} IOC${revoked === 1 ? '' : 's'}\n`);
  }));
}

/** `socd allowlist list [--json]`: every entry, expired ones marked. */
export async function allowlistList(opts: { json?: boolean }): Promise<void> {
  await withContext(async ({ store }) => {
    const entries = await allAllowEntries(store);
    const now = Date.now();
    const views = entries.map((e) => allowEntryView(e, now));
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(views, null, 2)}\n`);
      return;
    }
    process.stdout.write(table(
      ['ID', 'ENTRY', 'KIND', 'AUTHOR', 'CREATED', 'EXPIRES', 'REASON'],
      views.map((v) => [
        String(v.id), v.value, v.kind, v.author === null ? 'cli' : `account ${v.author}`, v.created_at.slice(0, 19).replace('T', ' '),
        v.expires_at === null ? '-' : `${v.expires_at.slice(0, 19).replace('T', ' ')}${v.expired ? ' (expired)' : ''}`, shorten(v.reason, 60),
      ]),
    ));
  });
}

/** `socd allowlist remove ID`: the values it held back come back at their next sighting. */
export async function allowlistRemove(id: string): Promise<void> {
  await withContext(async (ctx) => refusing('allowlist', async () => {
    const removed = await (await service(ctx)).remove(id, cliActor());
    process.stderr.write(`removed allow-list entry ${removed.id} (${removed.value}); its values come back at their next sighting\n`);
  }));
}
