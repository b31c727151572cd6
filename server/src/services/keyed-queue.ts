// Per-key serialisation in this process: conditional updates are not atomic on every MongoDB-compatible server
// (FerretDB v1 applies findAndModify as read-then-write), so writes that must not race are queued by key.
/** Runs tasks with the same key one after another (in this process); different keys run in parallel. */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task);
    const tail = result.then(
      () => {},
      () => {},
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
