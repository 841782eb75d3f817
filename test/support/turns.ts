/**
 * Counts the turns of the event loop while `work` runs: a chain of setImmediate callbacks, one a turn. Work that never
 * gives the loop a turn (SQLite answers synchronously, a sink that never pushes back) counts 0.
 */
export async function turnsDuring<T>(work: () => Promise<T>): Promise<{ value: T; turns: number }> {
  let turns = 0;
  let running = true;
  const tick = () => {
    if (!running) return;
    turns++;
    setImmediate(tick);
  };
  setImmediate(tick);
  try {
    const value = await work();
    return { value, turns };
  } finally {
    running = false;
  }
}
