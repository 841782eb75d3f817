/**
 * The WAL checkpoints of a SQLite file, on a thread and a connection of their own (see checkpointer.ts). A PASSIVE
 * checkpoint copies what no reader still needs into the database file and syncs it: never waits for a lock, never
 * holds one that readers or the writer need, and costs nothing when there is nothing to copy.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

/** Asked by Checkpointer.drain: one checkpoint now, answered with what it did. */
export interface DrainRequest {
  drain: number;
}
/** `log`: frames in the WAL; `checkpointed`: frames copied (all of them: the writer's next commit restarts the WAL). */
export interface DrainAnswer {
  drain: number;
  log: number;
  checkpointed: number;
}

const { path, everyMs } = workerData as { path: string; everyMs: number };
const db = new Database(path);
db.pragma('busy_timeout = 0');
db.pragma('wal_autocheckpoint = 0');

const checkpoint = (): { log: number; checkpointed: number } => {
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{ busy: number; log: number; checkpointed: number }>;
    return { log: r?.log ?? -1, checkpointed: r?.checkpointed ?? -1 };
  } catch {
    // SQLITE_BUSY: another connection is checkpointing; the next turn will do.
    return { log: -1, checkpointed: -1 };
  }
};
const timer = setInterval(checkpoint, everyMs);
parentPort!.on('message', (m: unknown) => {
  if (m === 'checkpoint') checkpoint();
  else if (typeof m === 'object' && m !== null && 'drain' in m) {
    const { drain } = m as DrainRequest;
    parentPort!.postMessage({ drain, ...checkpoint() } satisfies DrainAnswer);
  } else if (m === 'close') {
    clearInterval(timer);
    db.close();
    parentPort!.close();
  }
});
