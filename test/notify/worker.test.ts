import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NewWebhook } from '../../src/domain/webhooks.js';
import { DeliveryWorker } from '../../src/notify/worker.js';
import { sqliteStore } from '../support/stores.js';

const quiet = { info: () => {}, warn: () => {} };
const policy = { allowPrivate: true, allow: [] };

async function receiver(answer: (path: string, res: ServerResponse) => void) {
  const paths: string[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      paths.push(req.url ?? '');
      answer(req.url ?? '', res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, paths, stop: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

const hook = (url: string): NewWebhook => ({
  accountId: null, name: 'w', url, format: 'json', events: ['source.failing'], sectors: [], minConfidence: 70, secret: 's'.repeat(24), enabled: true, createdAt: 0, createdBy: null,
});
const until = async (ask: () => Promise<boolean> | boolean) => {
  while (!(await ask())) await sleep(5);
};

describe('the delivery worker', () => {
  it('gives up after the attempts the backoff allows: failed, with the last status and error', async () => {
    const rx = await receiver((_p, res) => res.writeHead(410).end('gone for good'));
    const store = await sqliteStore();
    const worker = new DeliveryWorker(store, { policy, pollMs: 5, backoff: (n) => (n < 3 ? 1 : undefined) }, quiet);
    try {
      const w = await store.createWebhook(hook(`${rx.base}/gone`));
      const [id] = await store.enqueueDeliveries([{ uuid: '00000000-0000-4000-8000-000000000001', webhookId: w.id, event: 'source.failing', body: '{}' }], Date.now());
      worker.start();
      await until(async () => (await store.getDelivery(id!))?.state === 'failed');
      const d = await store.getDelivery(id!);
      assert.equal(d?.attempts, 3);
      assert.equal(d?.lastStatus, 410);
      assert.equal(d?.lastError, 'HTTP 410: gone for good');
      assert.equal(rx.paths.length, 3);
    } finally {
      await worker.stop();
      await store.close();
      await rx.stop();
    }
  });

  it('one attempt per webhook at a time: a hanging receiver holds one slot while another webhook\'s queue drains; a redirect is not followed', async () => {
    const held: ServerResponse[] = [];
    const rx = await receiver((path, res) => {
      if (path === '/hang') held.push(res);
      else if (path === '/moved') res.writeHead(302, { location: 'http://169.254.169.254/' }).end();
      else res.writeHead(200).end();
    });
    const store = await sqliteStore();
    const worker = new DeliveryWorker(store, { policy, pollMs: 5, concurrency: 2, timeoutMs: 60_000, backoff: () => 60_000 }, quiet);
    try {
      const hang = await store.createWebhook(hook(`${rx.base}/hang`));
      const ok = await store.createWebhook(hook(`${rx.base}/ok`));
      const moved = await store.createWebhook(hook(`${rx.base}/moved`));
      const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
      const rows = [hang, hang, hang, ok, ok, ok, ok].map((w, i) => ({ uuid: uuid(i), webhookId: w.id, event: 'source.failing' as const, body: '{}' }));
      await store.enqueueDeliveries(rows, Date.now());
      const [movedId] = await store.enqueueDeliveries([{ uuid: uuid(99), webhookId: moved.id, event: 'source.failing', body: '{}' }], Date.now());
      worker.start();
      await until(async () => (await store.listDeliveries(ok.id, { limit: 10 })).items.every((d) => d.state === 'delivered'));
      assert.equal(held.length, 1, 'the hanging webhook has one attempt in flight, not three');
      assert.equal(rx.paths.filter((p) => p === '/hang').length, 1);
      await until(async () => (await store.getDelivery(movedId!))?.lastStatus === 302);
      assert.match((await store.getDelivery(movedId!))!.lastError!, /redirect to http:\/\/169\.254\.169\.254\/: never followed/);
      assert.ok(!rx.paths.includes('/'), 'nothing went where the redirect pointed');
      for (const r of held) r.destroy();
    } finally {
      await worker.stop();
      await store.close();
      await rx.stop();
    }
  });
});
