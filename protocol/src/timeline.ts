// One conversation as the UI shows it: stored messages in seq order, each once, then the pending sends.
// Framework-free and socket-free, so the web page, the desktop renderer and tests share it.
import type { OutboxItem } from './outbox';
import type { Message } from './types';

export type TimelineEntry =
  | { kind: 'message'; key: string; message: Message }
  | { kind: 'pending'; key: string; item: OutboxItem };

export class Timeline {
  private readonly bySeq = new Map<number, Message>();
  private readonly clientMsgIds = new Set<string>();
  private sorted: Message[] = [];
  private pendingItems: OutboxItem[] = [];
  private entriesCache: TimelineEntry[] | null = null;
  /** Bumped on every change, so a UI can tell cheaply that it must re-render. */
  version = 0;

  /** With a conversationId, messages and outbox items of other conversations are ignored. */
  constructor(
    readonly conversationId: string | null = null,
    messages: readonly Message[] = [],
  ) {
    this.add(messages);
  }

  /** Merges messages by seq (duplicates ignored, the first copy kept); true when anything was new. */
  add(messages: Message | readonly Message[]): boolean {
    const list: readonly Message[] = Array.isArray(messages) ? messages : [messages as Message];
    const fresh: Message[] = [];
    for (const m of list) {
      if (this.conversationId !== null && m.conversationId !== this.conversationId) continue;
      if (!Number.isInteger(m.seq) || m.seq < 1 || this.bySeq.has(m.seq)) continue;
      this.bySeq.set(m.seq, m);
      this.clientMsgIds.add(m.clientMsgId);
      fresh.push(m);
    }
    if (fresh.length === 0) return false;
    const highest = this.highestSeq;
    fresh.sort((a, b) => a.seq - b.seq);
    // The common case (live messages, newer sync pages) appends; older pages and gap fills re-sort.
    this.sorted =
      fresh[0]!.seq > highest
        ? [...this.sorted, ...fresh]
        : [...this.sorted, ...fresh].sort((a, b) => a.seq - b.seq);
    this.pendingItems = this.pendingItems.filter((i) => !this.clientMsgIds.has(i.clientMsgId));
    this.touch();
    return true;
  }

  /** Stored messages, oldest first (a new array after every change, the same one otherwise). */
  get items(): readonly Message[] {
    return this.sorted;
  }

  get size(): number {
    return this.sorted.length;
  }

  /** 0 when empty. */
  get highestSeq(): number {
    return this.sorted[this.sorted.length - 1]?.seq ?? 0;
  }

  /** 0 when empty. */
  get lowestSeq(): number {
    return this.sorted[0]?.seq ?? 0;
  }

  /** Highest seq up to which nothing is missing from lowestSeq on: sync after this one. */
  get contiguousSeq(): number {
    const first = this.sorted[0];
    if (!first) return 0;
    let seq = first.seq;
    for (const m of this.sorted) {
      if (m.seq > seq + 1) break;
      seq = m.seq;
    }
    return seq;
  }

  /** True when a seq between the lowest and the highest held is missing. */
  hasGap(): boolean {
    return this.size > 0 && this.highestSeq - this.lowestSeq + 1 !== this.size;
  }

  /** The missing seqs between the lowest and the highest held (at most `limit`). */
  missingSeqs(limit = 100): number[] {
    const missing: number[] = [];
    for (let i = 1; i < this.sorted.length && missing.length < limit; i++) {
      for (let s = this.sorted[i - 1]!.seq + 1; s < this.sorted[i]!.seq && missing.length < limit; s++)
        missing.push(s);
    }
    return missing;
  }

  /** True when older messages exist on the server (history can load another page `before: lowestSeq`). */
  hasOlder(): boolean {
    return this.lowestSeq > 1;
  }

  has(seq: number): boolean {
    return this.bySeq.has(seq);
  }

  /** Replaces the pending sends shown after the stored messages (give it ChatClient's `outbox` event payload). */
  setPending(items: readonly OutboxItem[]): boolean {
    const next = items.filter(
      (i) =>
        i.status !== 'sent' &&
        (this.conversationId === null || i.conversationId === this.conversationId) &&
        !this.clientMsgIds.has(i.clientMsgId),
    );
    const same =
      next.length === this.pendingItems.length &&
      next.every((item, k) => {
        const old = this.pendingItems[k]!;
        return old.clientMsgId === item.clientMsgId && old.status === item.status && old.error === item.error;
      });
    if (same) return false;
    this.pendingItems = next;
    this.touch();
    return true;
  }

  /** Pending and failed sends not yet stored, in the order they were sent. */
  get pending(): readonly OutboxItem[] {
    return this.pendingItems;
  }

  /** What to render: stored messages, then pending sends; keys are stable across the pending -> stored move. */
  get entries(): readonly TimelineEntry[] {
    if (!this.entriesCache) {
      this.entriesCache = [
        ...this.sorted.map(
          (message): TimelineEntry => ({ kind: 'message', key: message.clientMsgId, message }),
        ),
        ...this.pendingItems.map((item): TimelineEntry => ({ kind: 'pending', key: item.clientMsgId, item })),
      ];
    }
    return this.entriesCache;
  }

  private touch(): void {
    this.entriesCache = null;
    this.version++;
  }
}
