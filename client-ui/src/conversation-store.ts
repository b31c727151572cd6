// The conversations one user sees, over one ChatClient, for every shell: summaries (merged, advanced by live
// messages), the timelines of opened conversations (stored messages, then queued sends), paging, typing,
// read marking and the connection. The ChatClient does delivery (retries, sync after reconnect); this shapes it.

import {
  type ChatClient,
  type ConnectionState,
  type OutboxItem,
  Timeline,
  type TimelineEntry,
} from '@support-chat/protocol/client';
import type {
  Attachment,
  ConversationReadEvent,
  ConversationSummary,
  Message,
  Side,
  TypingEvent,
  User,
} from '@support-chat/protocol/core';
import { ExternalStore } from './external-store';
import { friendlyError } from './friendly-error';
import { mergeSummary, sideOf, withMessage } from './summary';

export const PAGE_SIZE = 50;
/** The other side's typing indicator goes away on its own if "stopped" never comes: 3 of the client's 2 s re-sends. */
export const TYPING_TIMEOUT_MS = 6000;
/** Opened conversations kept loaded and re-synced after reconnects; the least recent beyond this reload on open. */
const KEEP_LOADED = 10;

/** What the store uses of ChatClient. */
export type ConversationClient = Pick<
  ChatClient,
  | 'on'
  | 'connect'
  | 'state'
  | 'outboxItems'
  | 'conversations'
  | 'history'
  | 'track'
  | 'untrack'
  | 'send'
  | 'retrySend'
  | 'discardSend'
  | 'markRead'
  | 'setTyping'
>;

export type LoadStatus = 'loading' | 'ready' | 'error';

export interface ConversationView {
  /** Stored messages in seq order, then this conversation's queued, sending and failed sends. */
  entries: readonly TimelineEntry[];
  messages: readonly Message[];
  history: LoadStatus;
  hasOlder: boolean;
  loadingOlder: boolean;
  olderError: boolean;
}

export interface ConversationsState {
  connection: ConnectionState;
  /** True once the socket connected at least once, so a later disconnect reads as "reconnecting". */
  everConnected: boolean;
  summaries: ReadonlyMap<string, ConversationSummary>;
  summariesStatus: LoadStatus;
  summariesError: string | null;
  /** The conversation on screen, or null. */
  activeId: string | null;
  /** Opened conversations by id. */
  views: Readonly<Record<string, ConversationView>>;
  /** conversationId → username of the other side typing right now. */
  typing: Readonly<Record<string, string>>;
  /** Set while the server holds our messages back for going too fast: until when, in epoch ms. */
  rateLimitedUntil: number | null;
  /** A short notice for a send refused at once, shown until the next conversation opens. */
  notice: string | null;
  sessionExpired: boolean;
  /** Why the server refuses to connect (`too_many_connections`), until a connection is made. */
  refused: string | null;
}

export interface ConversationStoreOptions {
  /** Whether the user can see the active conversation now (page visible, window focused): only then it is read. */
  isVisible?: () => boolean;
  /**
   * Whether start() loads the user's list of conversations (default). Agents' consoles page the inbox themselves
   * (SPEC §15) and feed the summaries in with upsert.
   */
  loadList?: boolean;
}

export class ConversationStore extends ExternalStore<ConversationsState> {
  /** Whose read cursor and unread count are the user's. */
  readonly side: Side;
  private readonly timelines = new Map<string, Timeline>();
  /** Opened conversation ids, least recent first. */
  private readonly loaded: string[] = [];
  private readonly loadingLatest = new Set<string>();
  private readonly typingTimers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Highest seq we told the server we read, per conversation, so the same read is never sent twice. */
  private readonly markedRead = new Map<string, number>();
  /** Rate-limit errors already turned into a countdown (by clientMsgId and attempt). */
  private readonly seenRateLimits = new Set<string>();
  private readonly offs: (() => void)[] = [];
  private outbox: readonly OutboxItem[] = [];
  private stopped = false;
  private reloading: Promise<void> | null = null;
  private reloadAgain = false;
  /** Settles once the first list of summaries came back (or failed). */
  summariesLoaded: Promise<void> = Promise.resolve();

  constructor(
    readonly client: ConversationClient,
    readonly me: User,
    private readonly options: ConversationStoreOptions = {},
  ) {
    super({
      connection: client.state,
      everConnected: false,
      summaries: new Map(),
      summariesStatus: 'loading',
      summariesError: null,
      activeId: null,
      views: {},
      typing: {},
      rateLimitedUntil: null,
      notice: null,
      sessionExpired: false,
      refused: null,
    });
    this.side = sideOf(me.role);
  }

  // Answers that arrive after stop() (an unmounted screen) change nothing.
  protected override update(patch: Partial<ConversationsState>): void {
    if (!this.stopped) super.update(patch);
  }

  start(): void {
    const c = this.client;
    this.stopped = false;
    this.offs.push(
      c.on('state', (connection) => this.onConnection(connection)),
      c.on('message', (message) => this.onMessage(message)),
      c.on('conversation', (summary) => this.upsert(summary)),
      c.on('read', (event) => this.onRead(event)),
      c.on('typing', (event) => this.onTyping(event)),
      c.on('outbox', (items) => this.onOutbox(items)),
      c.on('sessionExpired', () => this.update({ sessionExpired: true })),
      c.on('refused', (refused) => this.update({ refused })),
      // Agents: transferred to a department they are not in (SPEC §12).
      c.on('removed', (event) => this.remove(event.conversationId)),
    );
    this.update({ connection: c.state });
    this.onOutbox(c.outboxItems);
    c.connect();
    if (this.options.loadList === false) this.update({ summariesStatus: 'ready' });
    else this.summariesLoaded = this.loadSummaries();
  }

  stop(): void {
    for (const off of this.offs.splice(0)) off();
    for (const timer of this.typingTimers.values()) clearTimeout(timer);
    this.typingTimers.clear();
    this.stopped = true;
  }

  /** Loads every conversation the user can see; `quiet` keeps what is shown while it loads or if it fails. */
  async loadSummaries(quiet = false): Promise<void> {
    if (!quiet) this.update({ summariesStatus: 'loading', summariesError: null });
    const result = await this.client.conversations();
    if (!result.ok) {
      if (!quiet) this.update({ summariesStatus: 'error', summariesError: result.error.message });
      return;
    }
    const summaries = new Map(this.state.summaries);
    for (const s of result.data) summaries.set(s.id, mergeSummary(summaries.get(s.id), s, this.side));
    this.update({ summaries, summariesStatus: 'ready' });
  }

  /** Coalesces reloads: a burst of messages of an unknown conversation costs at most two requests. */
  private reloadSummariesSoon(): void {
    if (this.reloading) {
      this.reloadAgain = true;
      return;
    }
    this.reloading = this.loadSummaries(true).finally(() => {
      this.reloading = null;
      if (this.reloadAgain) {
        this.reloadAgain = false;
        this.reloadSummariesSoon();
      }
    });
  }

  /** Takes many summaries at once (a page of the inbox): one new map, one update. */
  upsertMany(list: readonly ConversationSummary[]): void {
    let summaries: Map<string, ConversationSummary> | null = null;
    for (const summary of list) {
      const previous = (summaries ?? this.state.summaries).get(summary.id);
      const next = mergeSummary(previous, summary, this.side);
      if (next === previous) continue;
      summaries ??= new Map(this.state.summaries);
      summaries.set(summary.id, next);
    }
    if (summaries) this.update({ summaries });
  }

  /** Takes a summary from the server; `force` for an action's own answer, which wins even if it looks older. */
  upsert(summary: ConversationSummary, force = false): void {
    const previous = this.state.summaries.get(summary.id);
    const next = mergeSummary(previous, summary, this.side, force);
    if (next !== previous) this.update({ summaries: new Map(this.state.summaries).set(summary.id, next) });
  }

  /**
   * Forgets a conversation the user can no longer see (agents: transferred to a department they are not in): its
   * summary, its timeline and sync, and the screen if it was open.
   */
  remove(id: string): void {
    const at = this.loaded.indexOf(id);
    if (at >= 0) {
      this.loaded.splice(at, 1);
      this.client.untrack(id);
    }
    this.timelines.delete(id);
    this.markedRead.delete(id);
    const patch: Partial<ConversationsState> = {};
    if (this.state.summaries.has(id)) {
      const summaries = new Map(this.state.summaries);
      summaries.delete(id);
      patch.summaries = summaries;
    }
    if (id in this.state.views) {
      const { [id]: _, ...views } = this.state.views;
      patch.views = views;
    }
    if (id in this.state.typing) {
      clearTimeout(this.typingTimers.get(id));
      this.typingTimers.delete(id);
      const { [id]: _, ...typing } = this.state.typing;
      patch.typing = typing;
    }
    if (this.state.activeId === id) patch.activeId = null;
    if (Object.keys(patch).length > 0) this.update(patch);
  }

  /** Shows a conversation (null: none): loads its latest page once, keeps it synced, marks it read when seen. */
  open(id: string | null): void {
    if (id === this.state.activeId) {
      this.markActiveRead();
      return;
    }
    this.update({ activeId: id, notice: null });
    if (!id) return;
    this.keepLoaded(id);
    if (this.state.views[id]?.history === 'ready') this.markActiveRead();
    else void this.loadLatest(id);
  }

  private keepLoaded(id: string): void {
    const at = this.loaded.indexOf(id);
    if (at >= 0) this.loaded.splice(at, 1);
    this.loaded.push(id);
    for (const dropped of this.loaded.splice(0, Math.max(0, this.loaded.length - KEEP_LOADED))) {
      this.client.untrack(dropped);
      this.timelines.delete(dropped);
      const { [dropped]: _, ...views } = this.state.views;
      this.update({ views });
    }
  }

  private patchView(id: string, patch: Partial<ConversationView>): void {
    const current = this.state.views[id];
    if (current) this.update({ views: { ...this.state.views, [id]: { ...current, ...patch } } });
  }

  private showTimeline(id: string, patch: Partial<ConversationView> = {}): void {
    const timeline = this.timelines.get(id);
    if (timeline) this.patchView(id, { entries: timeline.entries, messages: timeline.items, ...patch });
  }

  private async loadLatest(id: string): Promise<void> {
    if (this.loadingLatest.has(id)) return;
    this.loadingLatest.add(id);
    let timeline = this.timelines.get(id);
    if (!timeline) {
      timeline = new Timeline(id);
      timeline.setPending(this.outbox);
      this.timelines.set(id, timeline);
    }
    const empty = { hasOlder: false, loadingOlder: false, olderError: false };
    const view = { ...empty, ...this.state.views[id], entries: timeline.entries, messages: timeline.items };
    this.update({ views: { ...this.state.views, [id]: { ...view, history: 'loading' } } });
    const result = await this.client.history(id, { limit: PAGE_SIZE });
    this.loadingLatest.delete(id);
    if (this.timelines.get(id) !== timeline) return;
    if (!result.ok) {
      this.patchView(id, { history: 'error' });
      return;
    }
    timeline.add(result.data);
    // From here on the client re-syncs this conversation after every reconnect.
    this.client.track(id, timeline.contiguousSeq);
    this.showTimeline(id, { history: 'ready', hasOlder: timeline.hasOlder() });
    this.markActiveRead();
  }

  retryHistory(id: string): void {
    void this.loadLatest(id);
  }

  async loadOlder(id: string): Promise<void> {
    const view = this.state.views[id];
    const timeline = this.timelines.get(id);
    if (!view || !timeline || view.loadingOlder || !view.hasOlder || view.history !== 'ready') return;
    this.patchView(id, { loadingOlder: true, olderError: false });
    const result = await this.client.history(id, { before: timeline.lowestSeq, limit: PAGE_SIZE });
    if (this.timelines.get(id) !== timeline) return;
    if (!result.ok) {
      this.patchView(id, { loadingOlder: false, olderError: true });
      return;
    }
    timeline.add(result.data);
    this.showTimeline(id, { loadingOlder: false, hasOlder: result.data.length > 0 && timeline.hasOlder() });
  }

  /** Queues a message; the client sends it when connected, retrying until the server stores it. */
  send(id: string, text: string, attachments?: Attachment[]): void {
    const item = this.client.send(id, text, attachments);
    if (item.status === 'failed') {
      this.update({ notice: item.error ? friendlyError(item.error) : 'That message could not be sent.' });
    }
  }

  /** Sends a failed message again with the same clientMsgId, so it can never be stored twice. */
  retry(clientMsgId: string): void {
    this.client.retrySend(clientMsgId);
  }

  discard(clientMsgId: string): void {
    this.client.discardSend(clientMsgId);
  }

  setTyping(id: string, isTyping: boolean): void {
    this.client.setTyping(id, isTyping);
  }

  clearRateLimit(): void {
    this.update({ rateLimitedUntil: null });
  }

  /** Marks the active conversation read up to its newest message while the user can see it. */
  markActiveRead(): void {
    const id = this.state.activeId;
    if (!id || this.state.views[id]?.history !== 'ready' || !(this.options.isVisible?.() ?? true)) return;
    const summary = this.state.summaries.get(id);
    const seq = this.timelines.get(id)?.highestSeq ?? 0;
    if (!summary || seq === 0) return;
    const alreadyRead = Math.max(this.markedRead.get(id) ?? 0, summary.readSeq[this.side]);
    if (seq > alreadyRead && this.state.connection === 'connected') {
      this.markedRead.set(id, seq);
      void this.client.markRead(id, seq).then((result) => {
        if (result.ok) this.upsert(result.data);
        // Not stored (connection lost meanwhile): try again on the next chance.
        else if (this.markedRead.get(id) === seq) this.markedRead.delete(id);
      });
    }
    // Optimistic: the badge drops at once; the server's answer brings the read cursor.
    if (seq >= summary.lastSeq && summary.unread > 0) this.upsert({ ...summary, unread: 0 });
  }

  private onConnection(connection: ConnectionState): void {
    const connected = connection === 'connected';
    this.update({ connection, everConnected: this.state.everConnected || connected });
    if (!connected) return;
    const active = this.state.activeId;
    if (active && this.state.views[active]?.history === 'error') void this.loadLatest(active);
    this.markActiveRead();
  }

  private onMessage(message: Message): void {
    const id = message.conversationId;
    if (this.timelines.get(id)?.add(message)) this.showTimeline(id);
    const summary = this.state.summaries.get(id);
    // A conversation not seen yet (a new customer, another tab): fetch the summaries again (paged consoles hear it
    // as conversation:updated instead).
    if (summary) this.upsert(withMessage(summary, message, this.side));
    else if (this.options.loadList !== false) this.reloadSummariesSoon();
    // Their message ends their typing indicator.
    if (this.state.typing[id] === message.sender.username) this.setTypingName(id, null);
    this.markActiveRead();
  }

  private onRead(event: ConversationReadEvent): void {
    const s = this.state.summaries.get(event.conversationId);
    if (s) this.upsert({ ...s, readSeq: { ...s.readSeq, [event.by]: event.seq } });
  }

  private onTyping(event: TypingEvent): void {
    if (sideOf(event.user.role) === this.side) return;
    this.setTypingName(event.conversationId, event.isTyping ? event.user.username : null);
  }

  private setTypingName(id: string, username: string | null): void {
    clearTimeout(this.typingTimers.get(id));
    this.typingTimers.delete(id);
    if (username)
      this.typingTimers.set(
        id,
        setTimeout(() => this.setTypingName(id, null), TYPING_TIMEOUT_MS),
      );
    else if (!(id in this.state.typing)) return;
    const { [id]: _, ...typing } = this.state.typing;
    this.update({ typing: username ? { ...typing, [id]: username } : typing });
  }

  private onOutbox(items: readonly OutboxItem[]): void {
    this.outbox = items;
    // A message held back for going too fast carries the wait; the client sends it again by itself.
    let rateLimitedUntil = this.state.rateLimitedUntil;
    for (const item of items) {
      const key = `${item.clientMsgId}:${item.attempts}`;
      if (item.error?.code === 'rate_limited' && !this.seenRateLimits.has(key)) {
        this.seenRateLimits.add(key);
        rateLimitedUntil = Math.max(rateLimitedUntil ?? 0, Date.now() + (item.error.retryAfterMs ?? 1000));
      }
    }
    const views = { ...this.state.views };
    let changed = rateLimitedUntil !== this.state.rateLimitedUntil;
    for (const [id, timeline] of this.timelines) {
      const view = views[id];
      if (timeline.setPending(items) && view) {
        views[id] = { ...view, entries: timeline.entries };
        changed = true;
      }
    }
    if (changed) this.update({ views, rateLimitedUntil });
  }
}
