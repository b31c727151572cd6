// What a ChatClient delivers, both ways: sends through the outbox (ordered, retried with one clientMsgId until
// acknowledged), and every message to the UI once, in seq order: live, after a gap, and by a sync after every
// (re)connect. Talks to the server through a Wire (the transport), so it is tested without one.
import { SeqTracker } from './client-seqs';
import { badAnswer, isMessage, isNote, newClientMsgId } from './client-util';
import { type ApiError, ErrorCode, type Result } from './errors';
import { type AckData, ClientEvent, type ClientEventName, type EventPayload } from './events';
import { MAX_SYNC_MESSAGES } from './limits';
import { decideRetry, Outbox, type OutboxItem } from './outbox';
import { checkMessageText, OBJECT_ID } from './text';
import type { Attachment, Message, Note } from './types';

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
  /** Live and synced internal notes (agents), each (conversationId, noteSeq) once. */
  note?: (note: Note) => void;
  /** Pending and failed notes changed. */
  noteOutbox?: (items: OutboxItem<Note>[]) => void;
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
  /** Internal notes (agents): their own outbox and noteSeq tracker, synced beside the messages. */
  private readonly notesOutbox: Outbox<Note>;
  private readonly seqs = new SeqTracker();
  private readonly noteSeqs = new SeqTracker();
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
    this.notesOutbox = new Outbox<Note>({
      newId: newClientMsgId,
      transmit: (item) => this.transmitNote(item),
      onSent: (note) => this.deliverNote(note),
      onChange: (items) => this.hooks.noteOutbox?.(items),
    });
  }

  /** Pending and failed notes, oldest first. */
  get noteOutboxItems(): OutboxItem<Note>[] {
    return this.notesOutbox.items;
  }

  /** Pending and failed sends, oldest first. */
  get outboxItems(): OutboxItem[] {
    return this.outbox.items;
  }

  /** Connected: first the sends waiting since the outage, then what others wrote meanwhile. */
  online(): void {
    this.outbox.setOnline(true);
    this.notesOutbox.setOnline(true);
    void this.syncAll();
  }

  offline(): void {
    this.outbox.setOnline(false);
    this.notesOutbox.setOnline(false);
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
    this.notesOutbox.failAll(error);
    this.seqs.clear();
    this.noteSeqs.clear();
  }

  /** Hands a message to the UI unless it was already; a gap before it is synced if it lasts. */
  deliver(message: Message): void {
    const id = message.conversationId;
    if (!this.seqs.see(id, message.seq)) return;
    this.hooks.message(message);
    if (this.seqs.isTracked(id) && this.seqs.hasGap(id)) this.scheduleGapSync(id);
  }

  /** Hands a note to the UI unless it was already; a gap before it is synced if it lasts. */
  deliverNote(note: Note): void {
    const id = note.conversationId;
    if (!this.noteSeqs.see(id, note.noteSeq)) return;
    this.hooks.note?.(note);
    if (this.noteSeqs.isTracked(id) && this.noteSeqs.hasGap(id)) this.scheduleGapSync(id);
  }

  private scheduleGapSync(id: string): void {
    if (this.gapTimers.has(id)) return;
    this.gapTimers.set(
      id,
      setTimeout(() => {
        this.gapTimers.delete(id);
        if (this.seqs.hasGap(id) || this.noteSeqs.hasGap(id)) void this.syncConversation(id);
      }, GAP_SYNC_DELAY_MS),
    );
  }

  /** Queues an internal note (agents), retried with one clientMsgId until acknowledged, like a message. */
  addNote(conversationId: string, text: string): OutboxItem<Note> {
    const checked = checkMessageText(text);
    if (!checked.ok || !OBJECT_ID.pattern.test(conversationId)) {
      const issues = checked.ok ? [OBJECT_ID.rule] : checked.issues;
      return this.notesOutbox.rejected(conversationId, text, {
        code: ErrorCode.invalidInput,
        message: checked.ok ? 'Unknown conversation.' : `The note ${issues[0]}.`,
        issues: issues.map((message) => ({ path: '(root)', message })),
      });
    }
    return this.notesOutbox.enqueue(conversationId, checked.text);
  }

  retryNote(clientMsgId: string): OutboxItem<Note> | null {
    return this.notesOutbox.retry(clientMsgId);
  }

  discardNote(clientMsgId: string): boolean {
    return this.notesOutbox.discard(clientMsgId);
  }

  /** The UI holds every note of this conversation up to `highestNoteSeq`: synced now and after every reconnect. */
  trackNotes(conversationId: string, highestNoteSeq: number): void {
    if (this.noteSeqs.isTracked(conversationId)) return;
    this.noteSeqs.track(conversationId, highestNoteSeq);
    if (this.wire.connected) void this.syncConversation(conversationId);
  }

  /** Stops syncing a conversation's notes (its messages stay tracked). */
  untrackNotes(conversationId: string): void {
    this.noteSeqs.untrack(conversationId);
  }

  private async transmitNote(item: OutboxItem<Note>): Promise<Result<Note>> {
    const r = await this.wire.ask(
      ClientEvent.noteAdd,
      { conversationId: item.conversationId, clientMsgId: item.clientMsgId, text: item.text },
      false,
    );
    if (!r.ok) return r;
    return isNote(r.data?.note) ? { ok: true, data: r.data.note } : { ok: false, error: badAnswer() };
  }

  /** Queues a valid message (see ChatClient.send); an invalid one comes back failed at once. */
  send(conversationId: string, text: string, attachments: Attachment[] = []): OutboxItem {
    const withFiles = attachments.length > 0 && text.trim() === '';
    const checked = withFiles ? { ok: true as const, text: '' } : checkMessageText(text);
    if (!checked.ok || !OBJECT_ID.pattern.test(conversationId)) {
      const issues = checked.ok ? [OBJECT_ID.rule] : checked.issues;
      return this.outbox.rejected(conversationId, text, {
        code: ErrorCode.invalidInput,
        message: checked.ok ? 'Unknown conversation.' : `The message ${issues[0]}.`,
        issues: issues.map((message) => ({ path: '(root)', message })),
      });
    }
    this.setTyping(conversationId, false);
    return this.outbox.enqueue(conversationId, checked.text, undefined, attachments);
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

  /** One page of messages (and of notes, when `afterNoteSeq` is given), each new one delivered. */
  private async syncPage(
    conversationId: string,
    afterSeq: number,
    afterNoteSeq: number | undefined,
  ): Promise<Result<{ messages: Message[]; notes: Note[] }>> {
    if (afterNoteSeq === undefined) {
      const r = await this.sync(conversationId, afterSeq, false);
      return r.ok ? { ok: true, data: { messages: r.data, notes: [] } } : r;
    }
    const r = await this.wire.ask(
      ClientEvent.conversationSync,
      { conversationId, afterSeq, afterNoteSeq },
      false,
    );
    if (!r.ok) return r;
    if (!Array.isArray(r.data?.messages) || !Array.isArray(r.data.notes))
      return { ok: false, error: badAnswer() };
    const messages = r.data.messages.filter(isMessage);
    const notes = r.data.notes.filter(isNote);
    for (const m of messages) this.deliver(m);
    for (const n of notes) this.deliverNote(n);
    return { ok: true, data: { messages, notes } };
  }

  /** See ChatClient.track: only the first call counts. */
  track(conversationId: string, highestSeq: number): void {
    if (this.seqs.isTracked(conversationId)) return;
    this.seqs.track(conversationId, highestSeq);
    if (this.wire.connected) void this.syncConversation(conversationId);
  }

  untrack(conversationId: string): void {
    this.seqs.untrack(conversationId);
    this.noteSeqs.untrack(conversationId);
  }

  private async transmit(item: OutboxItem): Promise<Result<Message>> {
    const r = await this.wire.ask(
      ClientEvent.messageSend,
      {
        conversationId: item.conversationId,
        clientMsgId: item.clientMsgId,
        text: item.text,
        ...(item.attachments?.length ? { attachmentIds: item.attachments.map((a) => a.id) } : {}),
      },
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
      // Notes tracked without the messages: ask for no messages (none lie after the largest seq).
      let after = this.seqs.isTracked(conversationId)
        ? this.seqs.floor(conversationId)
        : Number.MAX_SAFE_INTEGER;
      let afterNote = this.noteSeqs.isTracked(conversationId)
        ? this.noteSeqs.floor(conversationId)
        : undefined;
      let failures = 0;
      while (
        this.wire.connected &&
        (this.seqs.isTracked(conversationId) || this.noteSeqs.isTracked(conversationId))
      ) {
        const r = await this.syncPage(conversationId, after, afterNote);
        if (!r.ok) {
          // Transient (database down, timeout): a few tries here; every reconnect syncs again anyway.
          if (decideRetry(r.error, ++failures).kind === 'fail' || failures > 5) return;
          await sleep(Math.min(5000, 250 * 2 ** failures));
          continue;
        }
        const { messages: page, notes } = r.data;
        const moreNotes = afterNote !== undefined && notes.length >= MAX_SYNC_MESSAGES;
        if (page.length < MAX_SYNC_MESSAGES && !moreNotes) return;
        if (page.length) after = page[page.length - 1]!.seq;
        if (afterNote !== undefined && notes.length) afterNote = notes[notes.length - 1]!.noteSeq;
      }
    })().finally(() => {
      this.syncs.delete(conversationId);
      if (this.syncAgain.delete(conversationId)) void this.syncConversation(conversationId);
    });
    this.syncs.set(conversationId, run);
    return run;
  }

  private async syncAll(): Promise<void> {
    const queue = [...new Set([...this.seqs.tracked(), ...this.noteSeqs.tracked()])];
    const worker = async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) await this.syncConversation(id);
    };
    await Promise.all(Array.from({ length: SYNC_CONCURRENCY }, worker));
  }
}
