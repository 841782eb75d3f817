/**
 * Bench: the server's CPU time per request, for pages of the TAXII collection all-iocs and of the REST list, measured in
 * the server's own process. Wall-clock rates swing with whatever else the machine runs; the CPU a request costs the
 * server (user + system, all its threads, from process.cpuUsage) moves much less, so that two versions of the code can
 * be compared on a busy machine.
 *
 *   node dist/bench/server-cpu.js [--count 100000] [--seed 42] [--database URL] [--requests 3000] [--rounds 5] [--json]
 *
 * The server (wired as `socd serve` wires it, bench/bench-server.ts) runs in a child process of this script over the read
 * database of bench/bench-database.ts (made with `socd import` when missing). One keep-alive client walks, one page
 * after the other: TAXII `objects` of all-iocs at limit=100 by `next`, the REST list at limit=100 by `next_cursor` (no
 * filter), and the REST list filtered by type (each of 8 types in turn), restarting a walk at its end. Each walk first
 * runs `--requests` pages unmeasured (JIT, caches), then `--rounds` rounds of `--requests` pages; the child reports
 * its CPU time over each round. Prints the median and the spread (min-max) of the rounds, in µs per request.
 * Prints figures; asserts nothing.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import { parseArgs } from 'node:util';
import { benchDatabase, displayUrl, openBenchStore } from './bench-database.js';
import { emitBenchJson, median } from './bench-output.js';
import { startBenchServer } from './bench-server.js';

const { values: args } = parseArgs({
  options: {
    count: { type: 'string', default: '100000' },
    seed: { type: 'string', default: '42' },
    database: { type: 'string' },
    requests: { type: 'string', default: '3000' },
    rounds: { type: 'string', default: '5' },
    json: { type: 'boolean', default: false },
    serve: { type: 'string' },
  },
});

type Message = { origin: string; key: string } | { cpu: { user: number; system: number } };

if (args.serve !== undefined) {
  // The child: the server, answering 'mark' with its CPU time since the last mark.
  const { store, identity } = await openBenchStore(args.serve);
  const server = await startBenchServer(store, identity, { databaseUrl: args.serve, dir: 'bench/out', plan: 'pro', email: `cpu-bench-${Date.now()}@example.com` });
  let last = process.cpuUsage();
  process.on('message', (m) => {
    if (m === 'mark') {
      const cpu = process.cpuUsage(last);
      last = process.cpuUsage();
      process.send!({ cpu } satisfies Message);
    } else if (m === 'close') void server.close().then(() => process.exit(0));
  });
  process.send!({ origin: server.origin, key: server.key } satisfies Message);
} else {
  const count = Number(args.count);
  const requests = Number(args.requests);
  const rounds = Number(args.rounds);
  const { url } = await benchDatabase(count, String(args.seed), args.database);
  const child: ChildProcess = fork(new URL(import.meta.url).pathname, ['--serve', url], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = async (): Promise<Message> => (await once(child, 'message'))[0] as Message;
  const hello = await next();
  if (!('origin' in hello)) throw new Error('the server did not start');
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const get = (path: string, accept: string) => new Promise<Record<string, unknown>>((resolvePromise, reject) => {
    request(`${hello.origin}${path}`, { agent, headers: { authorization: `Bearer ${hello.key}`, accept } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) reject(new Error(`GET ${path}: ${res.statusCode} ${text.slice(0, 300)}`));
        else resolvePromise(JSON.parse(text) as Record<string, unknown>);
      });
      res.on('error', reject);
    }).on('error', reject).end();
  });
  const TAXII = 'application/taxii+json;version=2.1';
  const discovery = await get('/api/taxii2/', TAXII);
  const root = new URL((discovery.api_roots as string[])[0]!).pathname;
  const TYPES = ['ipv4', 'url', 'domain', 'sha256', 'md5', 'ipv6', 'sha1', 'cve'];

  /** A walk as a page fetcher: each call fetches the next page, starting over at the end. */
  function taxiiWalk(): () => Promise<void> {
    let token: string | undefined;
    return async () => {
      const page = await get(`${root}collections/all-iocs/objects/?limit=100${token ? `&next=${encodeURIComponent(token)}` : ''}`, TAXII);
      token = page.more === true ? (page.next as string) : undefined;
    };
  }
  function restWalk(typed: boolean): () => Promise<void> {
    let cursor: string | undefined;
    let t = 0;
    return async () => {
      const type = typed ? `&type=${TYPES[t % TYPES.length]}` : '';
      const page = await get(`/api/v1/iocs?limit=100${type}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, 'application/json');
      cursor = ((page.pagination as { next_cursor: string | null }).next_cursor) ?? undefined;
      if (cursor === undefined) t++;
    };
  }

  const figures: Record<string, number> = {};
  console.log(`server-cpu ${displayUrl(url)}: ${count.toLocaleString('en')} IOCs; ${rounds} rounds of ${requests} requests per walk, one client`);
  for (const [name, walk] of [['taxii', taxiiWalk()], ['rest', restWalk(false)], ['rest_typed', restWalk(true)]] as const) {
    for (let i = 0; i < requests; i++) await walk();
    child.send('mark');
    await next();
    const perRequest: number[] = [];
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < requests; i++) await walk();
      child.send('mark');
      const m = await next();
      if (!('cpu' in m)) throw new Error('unexpected message');
      perRequest.push((m.cpu.user + m.cpu.system) / requests);
    }
    const sorted = [...perRequest].sort((a, b) => a - b);
    figures[`${name}_cpu_us`] = Math.round(median(perRequest));
    console.log(`${name.padEnd(11)} server CPU per request: median ${median(perRequest).toFixed(0)} µs (rounds ${sorted[0]!.toFixed(0)}–${sorted[sorted.length - 1]!.toFixed(0)})`);
  }
  child.send('close');
  await once(child, 'exit');
  agent.destroy();
  emitBenchJson(args.json, figures);
}
