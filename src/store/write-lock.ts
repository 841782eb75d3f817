/**
 * Serializes the writes of one process on one connection. A streamed load keeps its transaction open across
 * awaits; any other write on the same connection must wait for it, or it would land inside that transaction.
 */
export class WriteLock {
  private tail: Promise<void> = Promise.resolve();

  async run<T>(fn: () => T | Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((r) => (release = r));
    await previous;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}
