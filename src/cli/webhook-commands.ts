import { WebhookService, type WebhookView } from '../rest/webhook-service.js';
import { cliActor, type Context, refusing, tokenSigner, withContext } from './context.js';
import { shorten, table } from './table.js';
import { deliveryWorker, webhookPolicy } from './webhooks.js';

/**
 * `socd webhooks list|add|remove`: webhooks from the shell, through the same service as the REST routes (the same
 * checks of the URL, the same audit records). The CLI is the server's administrator: it sees every webhook, and what
 * it adds is global (no account).
 */

async function service(ctx: Context): Promise<WebhookService> {
  // Never started: the shell neither sends nor tests; a running `socd serve` delivers.
  const worker = deliveryWorker(ctx.store, ctx.config, { info: () => {}, warn: () => {} });
  return new WebhookService(ctx.store, await tokenSigner(ctx), worker, { policy: webhookPolicy(ctx.config), server: ctx.config.publicUrl, limits: ctx.config.rest }, ctx.audit);
}

const caller = () => ({ actor: cliActor(), admin: true });

const list = (v: string | undefined) => (v === undefined ? undefined : v.split(',').map((x) => x.trim()).filter((x) => x !== ''));

/** `socd webhooks add NAME URL --events E,… [--format F] [--sectors S,…] [--min-confidence N]`: prints the id, then the secret once. */
export async function webhooksAdd(name: string, url: string, opts: { events: string; format?: string; sectors?: string; minConfidence?: string }): Promise<void> {
  await withContext(async (ctx) => refusing('webhooks', async () => {
    const body: Record<string, unknown> = { name, url, events: list(opts.events), scope: 'global' };
    if (opts.format !== undefined) body.format = opts.format;
    if (opts.sectors !== undefined) body.sectors = list(opts.sectors);
    if (opts.minConfidence !== undefined) body.min_confidence = /^\d{1,3}$/.test(opts.minConfidence) ? Number(opts.minConfidence) : opts.minConfidence;
    const { webhook, secret } = await (await service(ctx)).create(caller(), body);
    process.stdout.write(`${webhook.id}\n`);
    process.stderr.write(`webhook ${webhook.id} (${webhook.format}, ${webhook.events.join(', ')}); its signing secret, shown only now:\n${secret}\n`);
  }));
}

/** `socd webhooks list [--json]`: every webhook (never a secret), with its last attempt. */
export async function webhooksList(opts: { json?: boolean }): Promise<void> {
  await withContext(async (ctx) => {
    const svc = await service(ctx);
    const all: WebhookView[] = [];
    for (let cursor: string | null | undefined; ;) {
      const page = await svc.list(caller(), { limit: '100', ...(cursor ? { cursor } : {}) });
      all.push(...page.data);
      cursor = page.pagination.next_cursor;
      if (!cursor) break;
    }
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(all, null, 2)}\n`);
      return;
    }
    process.stdout.write(table(
      ['ID', 'NAME', 'OWNER', 'FORMAT', 'EVENTS', 'ENABLED', 'LAST'],
      all.map((w) => [
        String(w.id), shorten(w.name, 30), w.account_id === null ? 'global' : `account ${w.account_id}`, w.format, w.events.join(','), w.enabled ? 'yes' : 'no',
        w.last_attempt_at === null ? '-' : `${w.last_status ?? 'no answer'} ${w.last_attempt_at.slice(0, 19).replace('T', ' ')}${w.last_error ? ` ${shorten(w.last_error, 40)}` : ''}`,
      ]),
    ));
  });
}

/** `socd webhooks remove ID`: with its queued and past deliveries. */
export async function webhooksRemove(id: string): Promise<void> {
  await withContext(async (ctx) => refusing('webhooks', async () => {
    await (await service(ctx)).remove(caller(), id);
    process.stderr.write(`removed webhook ${id}\n`);
  }));
}
