// Group commit (STYLE.md, SPEC §14) for the benchmarks: writers enqueue and wait; one flusher takes everything
// waiting, writes it in one round trip as soon as the previous write returned, then wakes each writer with its own
// result. No timer: under no load a batch is one item. `take` may leave items waiting for the next batch (e.g. at
// most one message per conversation per batch).

interface Waiting<T, R> {
  item: T;
  resolve: (r: R) => void;
  reject: (err: unknown) => void;
}

export class GroupCommit<T, R> {
  private queue: Waiting<T, R>[] = [];
  private flushing = false;
  /** batches written and items in them, for the report (mean batch size) */
  batches = 0;
  items = 0;

  constructor(
    /** writes one batch; returns one result per item (an Error for an item that failed alone) */
    private readonly write: (items: T[]) => Promise<(R | Error)[]>,
    /** which of the waiting items go into the next batch (default: all of them, in order) */
    private readonly take: (waiting: T[]) => boolean[] = (w) => w.map(() => true),
  ) {}

  enqueue(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.flush();
    });
  }

  private flush(): void {
    if (this.flushing || this.queue.length === 0) return;
    const chosen = this.take(this.queue.map((w) => w.item));
    const batch: Waiting<T, R>[] = [];
    const rest: Waiting<T, R>[] = [];
    this.queue.forEach((w, i) => {
      (chosen[i] ? batch : rest).push(w);
    });
    this.queue = rest;
    if (batch.length === 0) return;
    this.flushing = true;
    this.batches++;
    this.items += batch.length;
    this.write(batch.map((w) => w.item))
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

/** Per-document outcome of an unordered insertMany that may have failed in part. */
export function insertOutcomes(err: unknown, size: number): (true | Error)[] {
  const writeErrors = (err as { writeErrors?: unknown }).writeErrors;
  const list = (Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : []) as {
    index: number;
    errmsg?: string;
  }[];
  if (list.length === 0) return Array.from({ length: size }, () => err as Error);
  const failed = new Map(list.map((w) => [w.index, new Error(w.errmsg ?? 'write error')]));
  return Array.from({ length: size }, (_, i) => failed.get(i) ?? true);
}
