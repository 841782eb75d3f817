/**
 * The WAL checkpoints of a SQLite file, on a thread and a connection of their own (see checkpointer.ts). A PASSIVE
 * checkpoint copies what no reader still needs into the database file and syncs it: never waits for a lock, never
 * holds one that readers or the writer need, and costs nothing when there is nothing to copy.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { path, everyMs } = workerData as { path: string; everyMs: number };
const db = new Database(path);
db.pragma('busy_timeout = 0');
db.pragma('wal_autocheckpoint = 0');

const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // SQLITE_BUSY: another connection is checkpointing; the next turn will do.
  }
};
const timer = setInterval(checkpoint, everyMs);
parentPort!.on('message', (m: unknown) => {
  if (m === 'checkpoint') checkpoint();
  else if (m === 'close') {
    clearInterval(timer);
    db.close();
    parentPort!.close();
  }
});
