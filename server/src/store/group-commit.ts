// Group commit (SPEC §14): writers enqueue and wait; whatever is waiting leaves in one round trip as soon as the
// previous write of this queue returned, then each writer gets its own result. No timer: an item alone goes at once,
// so an idle server adds no latency, and a busy one shares each database commit among everything that waited.

interface Waiting<T, R> {
  item: T;
  resolve: (r: R) => void;
  reject: (err: unknown) => void;
}

export interface GroupCommitOptions<T> {
  /** Which waiting items go into the next batch (the rest wait for the one after); default all, in order. */
  take?: (waiting: readonly T[]) => boolean[];
  /** Most items in one batch. */
  maxBatch?: number;
}

export class GroupCommit<T, R> {
  private queue: Waiting<T, R>[] = [];
  private flushing = false;
  /** Batches written and the items in them (mean batch size = items / batches). */
  batches = 0;
  items = 0;

  constructor(
    /** Writes one batch; one result per item, or an Error for an item that failed alone. */
    private readonly write: (items: T[]) => Promise<(R | Error)[]>,
    private readonly opts: GroupCommitOptions<T> = {},
  ) {}

  enqueue(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.flush();
    });
  }

  /** True while a batch is in flight or items wait. */
  get busy(): boolean {
    return this.flushing || this.queue.length > 0;
  }

  private flush(): void {
    if (this.flushing || this.queue.length === 0) return;
    const max = this.opts.maxBatch ?? Number.POSITIVE_INFINITY;
    const chosen = this.opts.take?.(this.queue.map((w) => w.item));
    const batch: Waiting<T, R>[] = [];
    const rest: Waiting<T, R>[] = [];
    this.queue.forEach((w, i) => {
      (batch.length < max && (chosen ? chosen[i] : true) ? batch : rest).push(w);
    });
    this.queue = rest;
    if (batch.length === 0) return;
    this.flushing = true;
    this.batches++;
    this.items += batch.length;
    // A write that throws synchronously must fail its batch, not the caller that happened to trigger the flush.
    Promise.resolve()
      .then(() => this.write(batch.map((w) => w.item)))
      .then(
        (results) => {
          batch.forEach((w, i) => {
            const r = results[i];
            if (r instanceof Error) w.reject(r);
            else w.resolve(r as R);
          });
        },
        (err: unknown) => {
          for (const w of batch) w.reject(err);
        },
      )
      .finally(() => {
        this.flushing = false;
        this.flush();
      });
  }
}
