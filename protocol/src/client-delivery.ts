// What a ChatClient delivers, both ways: sends through the outbox (ordered, retried with one clientMsgId until
// acknowledged), and every message to the UI once, in seq order: live, after a gap, and by a sync after every
// (re)connect. Talks to the server through a Wire (the transport), so it is tested without one.
import { SeqTracker } from './client-seqs';
import { badAnswer, isMessage, newClientMsgId } from './client-util';
import { type ApiError, ErrorCode, type Result } from './errors';
import { type AckData, ClientEvent, type ClientEventName, type EventPayload } from './events';
import { MAX_SYNC_MESSAGES } from './limits';
import { decideRetry, Outbox, type OutboxItem } from './outbox';
import { checkMessageText, OBJECT_ID } from './text';
import type { Message } from './types';

/** The part of the transport delivery uses. */
export interface Wire {
  readonly connected: boolean;
  ask<E extends ClientEventName>(
    event: E,
    payload: EventPayload<E>,
    waitForConnection?: boolean,
  ): Promise<Result<AckData<E>>>;
  tell<E extends ClientEventName>(event: E, payload: EventPayload<E>): void;
}

export interface DeliveryHooks {
  /** Live and synced messages, each (conversationId, seq) once. */
  message: (message: Message) => void;
  /** Pending and failed sends changed (snapshots, oldest first). */
  outbox: (items: OutboxItem[]) => void;
}

type Timer = ReturnType<typeof setTimeout>;

/** A live `typing: true` is re-sent at most this often per conversation. */
const TYPING_INTERVAL_MS = 2000;
/** How long a seq gap in live messages may last before a sync fills it (a racing broadcast may still come). */
const GAP_SYNC_DELAY_MS = 300;
const SYNC_CONCURRENCY = 4;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class Delivery {
  private readonly outbox: Outbox;
  private readonly seqs = new SeqTracker();
  private readonly syncs = new Map<string, Promise<void>>();
  private readonly syncAgain = new Set<string>();
  private readonly gapTimers = new Map<string, Timer>();
  private readonly typingState = new Map<string, { lastTrueAt: number; on: boolean }>();

  constructor(
    private readonly wire: Wire,
    private readonly hooks: DeliveryHooks,
  ) {
    this.outbox = new Outbox({
      newId: newClientMsgId,
      transmit: (item) => this.transmit(item),
      onSent: (message) => this.deliver(message),
      onChange: (items) => this.hooks.outbox(items),
    });
  }

  /** Pending and failed sends, oldest first. */
  get outboxItems(): OutboxItem[] {
    return this.outbox.items;
  }

  /** Connected: first the sends waiting since the outage, then what others wrote meanwhile. */
  online(): void {
    this.outbox.setOnline(true);
    void this.syncAll();
  }

  offline(): void {
    this.outbox.setOnline(false);
  }

  /** Disconnected on purpose: no gap syncs either. */
  stop(): void {
    for (const t of this.gapTimers.values()) clearTimeout(t);
    this.gapTimers.clear();
    this.offline();
  }

  /** The login is gone (logout, another user): pending sends fail, nothing is synced any more. */
  forget(error: ApiError): void {
    this.outbox.failAll(error);
    this.seqs.clear();
  }

  /** Hands a message to the UI unless it was already; a gap before it is synced if it lasts. */
  deliver(message: Message): void {
    const id = message.conversationId;
    if (!this.seqs.see(id, message.seq)) return;
    this.hooks.message(message);
    if (this.seqs.isTracked(id) && this.seqs.hasGap(id) && !this.gapTimers.has(id)) {
      this.gapTimers.set(
        id,
        setTimeout(() => {
          this.gapTimers.delete(id);
          if (this.seqs.hasGap(id)) void this.syncConversation(id);
        }, GAP_SYNC_DELAY_MS),
      );
    }
  }

  /** Queues a valid message (see ChatClient.send); an invalid one comes back failed at once. */
  send(conversationId: string, text: string): OutboxItem {
    const checked = checkMessageText(text);
    if (!checked.ok || !OBJECT_ID.pattern.test(conversationId)) {
      const issues = checked.ok ? [OBJECT_ID.rule] : checked.issues;
      return this.outbox.rejected(conversationId, text, {
        code: ErrorCode.invalidInput,
        message: checked.ok ? 'Unknown conversation.' : `The message ${issues[0]}.`,
        issues: issues.map((message) => ({ path: '(root)', message })),
      });
    }
    this.setTyping(conversationId, false);
    return this.outbox.enqueue(conversationId, checked.text);
  }

  retry(clientMsgId: string): OutboxItem | null {
    return this.outbox.retry(clientMsgId);
  }

  discard(clientMsgId: string): boolean {
    return this.outbox.discard(clientMsgId);
  }

  /** Throttled: `true` goes out at most every 2 s per conversation, `false` only after a `true`. */
  setTyping(conversationId: string, isTyping: boolean): void {
    const st = this.typingState.get(conversationId) ?? { lastTrueAt: Number.NEGATIVE_INFINITY, on: false };
    this.typingState.set(conversationId, st);
    const now = Date.now();
    if (isTyping) {
      if (now - st.lastTrueAt < TYPING_INTERVAL_MS) return;
      st.lastTrueAt = now;
      st.on = true;
    } else {
      if (!st.on) return;
      st.on = false;
      st.lastTrueAt = Number.NEGATIVE_INFINITY;
    }
    this.wire.tell(ClientEvent.typing, { conversationId, isTyping });
  }

  /** One page of messages with seq > afterSeq; new ones are also delivered. */
  async sync(conversationId: string, afterSeq: number, waitForConnection = true): Promise<Result<Message[]>> {
    const r = await this.wire.ask(
      ClientEvent.conversationSync,
      { conversationId, afterSeq },
      waitForConnection,
    );
    if (!r.ok) return r;
    if (!Array.isArray(r.data?.messages)) return { ok: false, error: badAnswer() };
    const page = r.data.messages.filter(isMessage);
    for (const m of page) this.deliver(m);
    return { ok: true, data: page };
  }

  /** See ChatClient.track: only the first call counts. */
  track(conversationId: string, highestSeq: number): void {
    if (this.seqs.isTracked(conversationId)) return;
    this.seqs.track(conversationId, highestSeq);
    if (this.wire.connected) void this.syncConversation(conversationId);
  }

  untrack(conversationId: string): void {
    this.seqs.untrack(conversationId);
  }

  private async transmit(item: OutboxItem): Promise<Result<Message>> {
    const r = await this.wire.ask(
      ClientEvent.messageSend,
      { conversationId: item.conversationId, clientMsgId: item.clientMsgId, text: item.text },
      false,
    );
    if (!r.ok) return r;
    return isMessage(r.data?.message)
      ? { ok: true, data: r.data.message }
      : { ok: false, error: badAnswer() };
  }

  /** Fetches every message after the held floor, page after page, and hands the new ones to the UI. */
  private syncConversation(conversationId: string): Promise<void> {
    const running = this.syncs.get(conversationId);
    if (running) {
      this.syncAgain.add(conversationId);
      return running;
    }
    const run = (async () => {
      let after = this.seqs.floor(conversationId);
      let failures = 0;
      while (this.wire.connected && this.seqs.isTracked(conversationId)) {
        const r = await this.sync(conversationId, after, false);
        if (!r.ok) {
          // Transient (database down, timeout): a few tries here; every reconnect syncs again anyway.
          if (decideRetry(r.error, ++failures).kind === 'fail' || failures > 5) return;
          await sleep(Math.min(5000, 250 * 2 ** failures));
          continue;
        }
        const page = r.data;
        if (page.length < MAX_SYNC_MESSAGES) return;
        after = page[page.length - 1]!.seq;
      }
    })().finally(() => {
      this.syncs.delete(conversationId);
      if (this.syncAgain.delete(conversationId)) void this.syncConversation(conversationId);
    });
    this.syncs.set(conversationId, run);
    return run;
  }

  private async syncAll(): Promise<void> {
    const queue = this.seqs.tracked();
    const worker = async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) await this.syncConversation(id);
    };
    await Promise.all(Array.from({ length: SYNC_CONCURRENCY }, worker));
  }
}
