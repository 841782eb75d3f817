/**
 * The server of bench/stall.ts, in a process of its own (a stalled event loop must not also stall the client that
 * measures it): the bench server on `--database`, with a writable TAXII collection `stall-share` and key last-use
 * times written every `--flush-ms` (as `socd serve` does every 30 s). Prints `{"origin", "key"}` on one stdout line,
 * then serves until SIGTERM.
 *
 *   node dist/bench/stall-server.js --database sqlite:PATH [--flush-ms 1000]
 */
import { parseArgs } from 'node:util';
import { dirname } from 'node:path';
import { openBenchStore } from './bench-database.js';
import { startBenchServer } from './bench-server.js';

export const STALL_COLLECTION = { id: '3d0c9a5e-6b1f-4c2a-9e8d-7f6a5b4c3d2e', alias: 'stall-share' };

const { values: args } = parseArgs({ options: { database: { type: 'string' }, 'flush-ms': { type: 'string', default: '1000' } } });
if (!args.database) throw new Error('--database sqlite:PATH is required');
const { store, identity } = await openBenchStore(args.database);
const server = await startBenchServer(store, identity, {
  databaseUrl: args.database,
  dir: dirname(args.database.replace(/^sqlite:/, '')),
  plan: 'pro',
  email: `stall-bench-${Date.now()}@example.com`,
  flushEveryMs: Number(args['flush-ms']),
  configure: (c) => {
    c.taxii.maxContentLength = 256 * 1024 * 1024;
    c.taxii.collections = [{
      ...STALL_COLLECTION, root: 'api', title: 'Stall bench', description: '',
      read: { plans: ['pro'], accounts: [] }, write: { plans: ['pro'], accounts: [] },
    }];
  },
});
process.stdout.write(`${JSON.stringify({ origin: server.origin, key: server.key })}\n`);
process.on('SIGTERM', () => {
  void server.close().then(() => store.close()).then(() => process.exit(0));
});
