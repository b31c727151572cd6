// What transports need from the server's lifecycle: whether shutdown began, and a way to make shutdown wait for a
// durable write they started.
export interface Lifecycle {
  /** True once shutdown began; handlers refuse new work. */
  readonly closing: boolean;
  /** `await lifecycle.trackWrite(insert(...))`: graceful shutdown waits for it. */
  trackWrite<T>(write: Promise<T>): Promise<T>;
}

export class ServerLifecycle implements Lifecycle {
  closing = false;
  private readonly pending = new Set<Promise<unknown>>();

  trackWrite<T>(write: Promise<T>): Promise<T> {
    this.pending.add(write);
    const done = () => this.pending.delete(write);
    write.then(done, done);
    return write;
  }

  get pendingWrites(): number {
    return this.pending.size;
  }

  /** Waits for the writes in flight, at most `timeoutMs`; false when some did not finish. */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.pending.size > 0 && Date.now() < deadline) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.pending]),
        new Promise((r) => {
          timer = setTimeout(r, Math.max(0, deadline - Date.now()));
        }),
      ]);
      clearTimeout(timer);
    }
    return this.pending.size === 0;
  }
}
