import { Worker } from 'node:worker_threads';
import type { DrainAnswer, DrainRequest } from './checkpoint-worker.js';

/** How often the background thread checkpoints the WAL. */
const CHECKPOINT_EVERY_MS = 1000;

/**
 * Moves WAL checkpoints off the thread that serves. SQLite's automatic checkpoint runs inside the COMMIT of whichever
 * connection passes 1,000 WAL pages: after `socd import` wrote hundreds of MB to the WAL, the server's next small write
 * (a key's last use) copied them into the database file and synced it, holding every request for most of a second.
 * The store's own connection runs with wal_autocheckpoint = 0 and this worker checkpoints every second instead.
 */
export class Checkpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  private closed = false;
  private gone = false;
  private lastDrain = 0;
  private readonly drains = new Map<number, (a: DrainAnswer | undefined) => void>();

  constructor(path: string) {
    this.worker = new Worker(new URL('./checkpoint-worker.js', import.meta.url), { workerData: { path, everyMs: CHECKPOINT_EVERY_MS } });
    // A checkpoint left undone costs nothing but WAL size: the thread never keeps the process alive, nor fails it.
    this.worker.unref();
    this.worker.on('error', () => {});
    this.worker.on('message', (m: DrainAnswer) => {
      this.drains.get(m.drain)?.(m);
      this.drains.delete(m.drain);
    });
    this.exited = new Promise<void>((resolve) =>
      this.worker.once('exit', () => {
        this.gone = true;
        // A thread that died answers nobody: whoever waits goes on without its checkpoint.
        for (const answer of this.drains.values()) answer(undefined);
        this.drains.clear();
        resolve();
      }),
    );
  }

  /**
   * One PASSIVE checkpoint now, on the thread, awaited without holding this one: between two transactions of a
   * bulk load nothing new is written while it runs, so it copies the whole WAL unless a reader still needs part of
   * it, and the writer's next commit starts the WAL over from its beginning (SQLite restarts a WAL that is fully
   * copied and that no reader uses). The timer's checkpoints, overlapping back-to-back transactions, never get there.
   * Undefined when the thread is gone or the checkpoint could not run.
   */
  drain(): Promise<DrainAnswer | undefined> {
    if (this.closed || this.gone) return Promise.resolve(undefined);
    const drain = ++this.lastDrain;
    return new Promise((resolve) => {
      this.drains.set(drain, resolve);
      // Referenced while awaited, so that an awaited drain is not dropped by a process with nothing else to do.
      this.worker.ref();
      this.worker.postMessage({ drain } satisfies DrainRequest);
    }).finally(() => {
      if (this.drains.size === 0 && !this.closed) this.worker.unref();
    }) as Promise<DrainAnswer | undefined>;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.worker.ref(); // a close that is awaited keeps the process until the thread is gone
    this.worker.postMessage('close');
    await this.exited;
  }
}
