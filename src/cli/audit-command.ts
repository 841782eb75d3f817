import { AppError } from '../errors/app-error.js';
import { AuditService } from '../rest/audit-service.js';
import { tokenSigner, withContext } from './context.js';
import { shorten, table } from './table.js';

export interface AuditCommandOptions {
  action?: string;
  email?: string;
  target?: string;
  since?: string;
  until?: string;
  limit?: string;
  json?: boolean;
}

/**
 * `socd audit`: the newest records of the audit log (README "Audit"), filtered as GET /api/v1/audit and checked by the
 * same service; a table by default, `--json` for scripts. Reading the log is not itself recorded.
 */
export async function auditCommand(opts: AuditCommandOptions): Promise<void> {
  await withContext(async (ctx) => {
    const query: Record<string, string> = { limit: opts.limit ?? '50' };
    for (const name of ['action', 'email', 'target', 'since', 'until'] as const) {
      const v = opts[name];
      if (v !== undefined) query[name] = v;
    }
    let page;
    try {
      page = await new AuditService(ctx.store, await tokenSigner(ctx), ctx.config.rest).list(query);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      // The service names query parameters: the CLI's options carry the same names.
      process.stderr.write(`socd audit: --${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(page.data, null, 2)}\n`);
      return;
    }
    process.stdout.write(table(
      ['TIME', 'ACTION', 'TARGET', 'WHO', 'VIA', 'ORIGIN', 'DETAILS'],
      page.data.map((r) => [
        r.at.slice(0, 19).replace('T', ' '), r.action, shorten(r.target ?? '-', 40),
        r.actor.email ? `${r.actor.email}${r.actor.key_prefix ? ` (${r.actor.key_prefix})` : ''}` : '-',
        r.actor.via, r.actor.origin ?? '-', shorten(JSON.stringify(r.details), 80),
      ]),
    ));
    if (page.pagination.has_more) process.stderr.write(`more records are older than these: raise --limit (at most ${ctx.config.rest.maxLimit}) or narrow with --since/--until\n`);
  });
}
