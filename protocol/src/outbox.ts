// The send queue behind ChatClient.send: ordered per conversation, one attempt in flight per conversation,
// retried with the same clientMsgId until the server acknowledges. Knows nothing of sockets (tested alone).
import { type ApiError, ErrorCode, type Result } from './errors';
import type { Attachment, Message } from './types';

export type OutboxStatus = 'pending' | 'sent' | 'failed';

/** `T`: what the server stores and answers (a message; a note for the notes' outbox). */
export interface OutboxItem<T = Message> {
  clientMsgId: string;
  conversationId: string;
  text: string;
  /** Files uploaded already, sent with the message by id. */
  attachments?: Attachment[];
  status: OutboxStatus;
  /** The last error: the reason of a `failed` item, or why a `pending` one is being retried. */
  error?: ApiError;
  /** Attempts made so far. */
  attempts: number;
  /** When send() was called (ISO 8601, client clock). */
  createdAt: string;
  /** Settles once: with the stored message, or with the error that failed the item. Never rejects. */
  done: Promise<Result<T>>;
}

/** Codes that no retry can fix: the item fails and the queue moves on. */
const PERMANENT: ReadonlySet<string> = new Set<string>([
  ErrorCode.invalidInput,
  ErrorCode.notFound,
  ErrorCode.forbidden,
  ErrorCode.tooLarge,
  ErrorCode.conflict,
]);
/** A server bug answering internal_error forever should not keep a message pending forever. */
const MAX_INTERNAL_ERRORS = 5;

export type RetryDecision = { kind: 'fail' } | { kind: 'retry'; afterMs?: number };

/** What to do with an error ack: fail the item, or retry (after `afterMs` when the server said so). */
export function decideRetry(error: ApiError, attempts: number): RetryDecision {
  if (PERMANENT.has(error.code)) return { kind: 'fail' };
  if (error.code === ErrorCode.rateLimited) return { kind: 'retry', afterMs: error.retryAfterMs ?? 1000 };
  if (error.code === ErrorCode.internal && attempts >= MAX_INTERNAL_ERRORS) return { kind: 'fail' };
  // unavailable (timeout, disconnect, database down), unauthorized (re-auth then retry), internal_error
  if (
    error.code === ErrorCode.unavailable ||
    error.code === ErrorCode.unauthorized ||
    error.code === ErrorCode.internal
  )
    return { kind: 'retry' };
  return { kind: 'fail' };
}

export interface OutboxOptions<T = Message> {
  /** One attempt: resolves with the ack (a timeout or a disconnect is `unavailable`). */
  transmit: (item: OutboxItem<T>) => Promise<Result<T>>;
  /** Pending and failed items changed (a fresh array of snapshots, oldest first). */
  onChange?: (items: OutboxItem<T>[]) => void;
  /** An item was acknowledged; called before onChange so a UI shows the message before dropping the bubble. */
  onSent?: (message: T, item: OutboxItem<T>) => void;
  newId: () => string;
  /** First retry delay after a transient error (doubles up to retryDelayMaxMs). */
  retryDelayMs?: number;
  retryDelayMaxMs?: number;
}

interface Entry<T> {
  item: OutboxItem<T>;
  order: number;
  resolve: (r: Result<T>) => void;
}

interface Lane<T> {
  queue: Entry<T>[];
  busy: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** The timer waits for a rate limit (kept across reconnects) rather than a backoff (skipped on reconnect). */
  timerIsRateLimit: boolean;
  failures: number;
}

export class Outbox<T = Message> {
  private readonly lanes = new Map<string, Lane<T>>();
  private failed: Entry<T>[] = [];
  private online = false;
  private order = 0;
  private disposed = false;

  constructor(private readonly opts: OutboxOptions<T>) {}

  /** Queues a message; it goes out as soon as the outbox is online and the earlier ones of its conversation are acknowledged. */
  enqueue(
    conversationId: string,
    text: string,
    clientMsgId = this.opts.newId(),
    attachments?: Attachment[],
  ): OutboxItem<T> {
    const entry = this.makeEntry({
      clientMsgId,
      conversationId,
      text,
      ...(attachments?.length ? { attachments } : {}),
      status: 'pending',
      attempts: 0,
      createdAt: new Date().toISOString(),
    });
    this.lane(conversationId).queue.push(entry);
    this.changed();
    this.pump(this.lane(conversationId));
    return entry.item;
  }

  /** An item that never enters the queue (refused before sending, e.g. empty text). */
  rejected(conversationId: string, text: string, error: ApiError): OutboxItem<T> {
    const entry = this.makeEntry({
      clientMsgId: this.opts.newId(),
      conversationId,
      text,
      status: 'failed',
      error,
      attempts: 0,
      createdAt: new Date().toISOString(),
    });
    entry.resolve({ ok: false, error });
    return entry.item;
  }

  get isOnline(): boolean {
    return this.online;
  }

  /** Online: send; offline: hold. Going online skips backoff waits (a reconnect is the moment to retry). */
  setOnline(online: boolean): void {
    if (this.disposed || this.online === online) return;
    this.online = online;
    if (!online) return;
    for (const lane of this.lanes.values()) {
      if (lane.timer && !lane.timerIsRateLimit) {
        clearTimeout(lane.timer);
        lane.timer = undefined;
      }
      lane.failures = 0;
      this.pump(lane);
    }
  }

  /** Pending items (queue order per conversation) and failed ones, oldest first. */
  get items(): OutboxItem<T>[] {
    return this.entries().map((e) => e.item);
  }

  /** Puts a failed item back at the end of its conversation's queue, with the same clientMsgId. */
  retry(clientMsgId: string): OutboxItem<T> | null {
    const i = this.failed.findIndex((e) => e.item.clientMsgId === clientMsgId);
    if (i < 0) return null;
    const [old] = this.failed.splice(i, 1);
    if (!old) return null;
    const { done: _done, ...rest } = old.item;
    const entry = this.makeEntry({ ...rest, status: 'pending', error: undefined });
    this.lane(entry.item.conversationId).queue.push(entry);
    this.changed();
    this.pump(this.lane(entry.item.conversationId));
    return entry.item;
  }

  /** Forgets a failed item. Pending ones cannot be discarded: one may already be stored. */
  discard(clientMsgId: string): boolean {
    const before = this.failed.length;
    this.failed = this.failed.filter((e) => e.item.clientMsgId !== clientMsgId);
    if (this.failed.length === before) return false;
    this.changed();
    return true;
  }

  /** Fails every pending item (logout) and forgets everything. */
  failAll(error: ApiError): void {
    for (const lane of this.lanes.values()) {
      if (lane.timer) clearTimeout(lane.timer);
      for (const e of lane.queue) this.settleFailed(e, error);
    }
    this.lanes.clear();
    this.failed = [];
    this.changed();
  }

  dispose(): void {
    this.failAll({ code: ErrorCode.unavailable, message: 'The chat client was closed.' });
    this.disposed = true;
  }

  private makeEntry(fields: Omit<OutboxItem<T>, 'done'>): Entry<T> {
    let resolve: (r: Result<T>) => void = () => {};
    const done = new Promise<Result<T>>((r) => {
      resolve = r;
    });
    return { item: { ...fields, done }, order: this.order++, resolve };
  }

  private lane(conversationId: string): Lane<T> {
    let lane = this.lanes.get(conversationId);
    if (!lane) {
      lane = { queue: [], busy: false, timer: undefined, timerIsRateLimit: false, failures: 0 };
      this.lanes.set(conversationId, lane);
    }
    return lane;
  }

  private entries(): Entry<T>[] {
    const all: Entry<T>[] = [...this.failed];
    for (const lane of this.lanes.values()) all.push(...lane.queue);
    return all.sort((a, b) => a.order - b.order);
  }

  private changed(): void {
    if (this.disposed) return;
    this.opts.onChange?.(this.entries().map((e) => ({ ...e.item })));
  }

  private pump(lane: Lane<T>): void {
    if (this.disposed || !this.online || lane.busy || lane.timer) return;
    const entry = lane.queue[0];
    if (!entry) return;
    lane.busy = true;
    entry.item.attempts++;
    let attempt: Promise<Result<T>>;
    try {
      attempt = this.opts.transmit(entry.item);
    } catch (err) {
      attempt = Promise.resolve({
        ok: false,
        error: { code: ErrorCode.unavailable, message: String(err) },
      });
    }
    attempt.then(
      (result) => this.settle(lane, entry, result),
      (err: unknown) =>
        this.settle(lane, entry, { ok: false, error: { code: ErrorCode.unavailable, message: String(err) } }),
    );
  }

  private settle(lane: Lane<T>, entry: Entry<T>, result: Result<T>): void {
    lane.busy = false;
    if (this.disposed || lane.queue[0] !== entry) return; // failed by logout meanwhile
    if (result.ok) {
      lane.queue.shift();
      lane.failures = 0;
      entry.item.status = 'sent';
      entry.item.error = undefined;
      this.opts.onSent?.(result.data, entry.item);
      entry.resolve(result);
      this.changed();
      this.pump(lane);
      return;
    }
    const decision = decideRetry(result.error, entry.item.attempts);
    if (decision.kind === 'fail') {
      lane.queue.shift();
      this.settleFailed(entry, result.error);
      this.failed.push(entry);
      this.changed();
      this.pump(lane);
      return;
    }
    entry.item.error = result.error;
    const base = this.opts.retryDelayMs ?? 250;
    const max = this.opts.retryDelayMaxMs ?? 5000;
    const backoff = Math.min(max, base * 2 ** lane.failures) * (0.75 + Math.random() * 0.5);
    lane.failures++;
    lane.timerIsRateLimit = decision.afterMs !== undefined;
    lane.timer = setTimeout(() => {
      lane.timer = undefined;
      this.pump(lane);
    }, decision.afterMs ?? backoff);
    this.changed();
  }

  private settleFailed(entry: Entry<T>, error: ApiError): void {
    entry.item.status = 'failed';
    entry.item.error = error;
    entry.resolve({ ok: false, error });
  }
}
