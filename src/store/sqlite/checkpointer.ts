import { Worker } from 'node:worker_threads';

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

  constructor(path: string) {
    this.worker = new Worker(new URL('./checkpoint-worker.js', import.meta.url), { workerData: { path, everyMs: CHECKPOINT_EVERY_MS } });
    // A checkpoint left undone costs nothing but WAL size: the thread never keeps the process alive, nor fails it.
    this.worker.unref();
    this.worker.on('error', () => {});
    this.exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.worker.ref(); // a close that is awaited keeps the process until the thread is gone
    this.worker.postMessage('close');
    await this.exited;
  }
}
