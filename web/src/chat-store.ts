// The customer's chat state, kept outside React and read with useSyncExternalStore: departments,
// one conversation per department, its timeline (stored messages, then queued sends), typing, read
// receipts and the connection. The ChatClient does delivery (retries, sync after reconnect); this shapes it.
import type {
  ApiError,
  ConversationReadEvent,
  ConversationSummary,
  Department,
  Message,
  PresenceEvent,
  TypingEvent,
} from '@support-chat/protocol';
import {
  type ChatClient,
  type ConnectionState,
  type OutboxItem,
  Timeline,
  type TimelineEntry,
} from '@support-chat/protocol/client';

export const PAGE_SIZE = 50;
/** An agent's typing indicator goes away on its own if the "stopped" event never comes. */
const TYPING_TIMEOUT_MS = 8000;

export type LoadStatus = 'loading' | 'ready' | 'error';

export interface ConversationState {
  summary: ConversationSummary;
  /** Stored messages in seq order, then this conversation's queued, sending and failed messages. */
  entries: readonly TimelineEntry[];
  messages: readonly Message[];
  history: LoadStatus;
  hasOlder: boolean;
  loadingOlder: boolean;
  olderError: boolean;
  /** Username of the agent typing right now, or null. */
  agentTyping: string | null;
}

export interface ChatState {
  connection: ConnectionState;
  /** True once the socket connected at least once, so a later disconnect reads as "reconnecting". */
  everConnected: boolean;
  departments: readonly Department[];
  departmentsStatus: LoadStatus;
  /** Conversations by department id. */
  conversations: Readonly<Record<string, ConversationState>>;
  /** Department ids whose conversation is being opened, or failed to open. */
  opening: Readonly<Record<string, LoadStatus>>;
  activeDepartment: string | null;
  /** Set while the server holds our messages back for going too fast: until when, in epoch ms. */
  rateLimitedUntil: number | null;
  /** A short notice for a failed action, shown until replaced. */
  notice: string | null;
  sessionExpired: boolean;
}

const initialState = (connection: ConnectionState): ChatState => ({
  connection,
  everConnected: false,
  departments: [],
  departmentsStatus: 'loading',
  conversations: {},
  opening: {},
  activeDepartment: null,
  rateLimitedUntil: null,
  notice: null,
  sessionExpired: false,
});

/** Unread count as the page shows it: the conversation open on a visible page counts as read. */
export function displayedUnread(state: ChatState, department: string, pageVisible: boolean): number {
  const c = state.conversations[department];
  if (!c) return 0;
  if (pageVisible && state.activeDepartment === department && c.history === 'ready') return 0;
  return c.summary.unread;
}

export function totalUnread(state: ChatState, pageVisible: boolean): number {
  let total = 0;
  for (const department of Object.keys(state.conversations))
    total += displayedUnread(state, department, pageVisible);
  return total;
}

export const waitSeconds = (ms: number | undefined): number => Math.max(1, Math.ceil((ms ?? 1000) / 1000));

export function friendlyError(error: ApiError): string {
  switch (error.code) {
    case 'rate_limited':
      return `You're sending messages too fast, wait ${waitSeconds(error.retryAfterMs)} s.`;
    case 'unavailable':
      return "We can't reach the support server right now. Please try again in a moment.";
    case 'unauthorized':
      return 'Your session has ended. Please log in again.';
    case 'not_found':
      return 'That conversation could not be found.';
    case 'payload_too_large':
      return 'That message is too long.';
    case 'invalid_input':
      return error.message;
    default:
      return 'Something went wrong. Please try again.';
  }
}

export class ChatStore {
  private state: ChatState;
  private readonly listeners = new Set<() => void>();
  private readonly timelines = new Map<string, Timeline>();
  private readonly typingTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly unsubscribers: (() => void)[] = [];
  /** Highest seq we told the server we read, per conversation, so the same read is never sent twice. */
  private readonly markedRead = new Map<string, number>();
  /** Rate-limit errors already turned into a countdown (by clientMsgId and attempt). */
  private readonly seenRateLimits = new Set<string>();
  private readonly loadingLatest = new Set<string>();
  private outbox: readonly OutboxItem[] = [];
  private pageVisible = true;
  private stopped = false;
  /** Settles once the first list of conversations came back (or failed), so a known one skips the socket. */
  private conversationsLoaded: Promise<void> = Promise.resolve();

  constructor(private readonly client: ChatClient) {
    this.state = initialState(client.state);
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): ChatState => this.state;

  private update(patch: Partial<ChatState>): void {
    if (this.stopped) return;
    this.state = { ...this.state, ...patch };
    for (const listener of this.listeners) listener();
  }

  private departmentOf(conversationId: string): string | null {
    for (const [department, c] of Object.entries(this.state.conversations))
      if (c.summary.id === conversationId) return department;
    return null;
  }

  private updateConversation(
    department: string,
    fn: (c: ConversationState) => Partial<ConversationState>,
  ): void {
    const current = this.state.conversations[department];
    if (!current) return;
    this.update({
      conversations: { ...this.state.conversations, [department]: { ...current, ...fn(current) } },
    });
  }

  private timeline(conversationId: string): Timeline {
    let t = this.timelines.get(conversationId);
    if (!t) {
      t = new Timeline(conversationId);
      t.setPending(this.outbox);
      this.timelines.set(conversationId, t);
    }
    return t;
  }

  private fromAgent(m: Message): boolean {
    return m.sender.id !== this.client.user?.id;
  }

  /** Adds messages to a conversation's timeline; live agent messages above the summary count as unread. */
  private addMessages(conversationId: string, messages: readonly Message[]): void {
    const timeline = this.timeline(conversationId);
    if (!timeline.add(messages)) return;
    const department = this.departmentOf(conversationId);
    if (!department) return;
    this.updateConversation(department, (c) => {
      const newest = timeline.items.at(-1);
      let summary = c.summary;
      if (newest && newest.seq > c.summary.lastSeq) {
        const fresh = messages.filter((m) => m.seq > c.summary.lastSeq && this.fromAgent(m)).length;
        summary = {
          ...c.summary,
          lastSeq: newest.seq,
          lastMessage: {
            seq: newest.seq,
            text: newest.text,
            senderRole: newest.sender.role,
            createdAt: newest.createdAt,
          },
          unread: c.summary.unread + fresh,
        };
      }
      // The agent's message ends their typing indicator.
      const typerSpoke = messages.some((m) => this.fromAgent(m) && m.sender.username === c.agentTyping);
      return {
        summary,
        entries: timeline.entries,
        messages: timeline.items,
        agentTyping: typerSpoke ? null : c.agentTyping,
      };
    });
    this.markActiveRead();
  }

  private newConversationState(summary: ConversationSummary): ConversationState {
    const timeline = this.timeline(summary.id);
    return {
      summary,
      entries: timeline.entries,
      messages: timeline.items,
      history: 'loading',
      hasOlder: false,
      loadingOlder: false,
      olderError: false,
      agentTyping: null,
    };
  }

  /** Takes a summary from the server, keeping the newer message count and both read cursors at their highest. */
  private mergeSummary(summary: ConversationSummary): void {
    const current = this.state.conversations[summary.department];
    if (!current) {
      this.update({
        conversations: {
          ...this.state.conversations,
          [summary.department]: this.newConversationState(summary),
        },
      });
      return;
    }
    this.updateConversation(summary.department, (c) => {
      const readSeq = {
        customer: Math.max(c.summary.readSeq.customer, summary.readSeq.customer),
        agents: Math.max(c.summary.readSeq.agents, summary.readSeq.agents),
      };
      // Events can overtake each other: an older snapshot only brings read cursors.
      if (summary.lastSeq < c.summary.lastSeq) return { summary: { ...c.summary, readSeq } };
      return { summary: { ...summary, readSeq } };
    });
  }

  start(): void {
    const c = this.client;
    this.stopped = false;
    this.unsubscribers.push(
      c.on('state', (connection) => {
        const connected = connection === 'connected';
        const reconnected = connected && this.state.everConnected && this.state.connection !== 'connected';
        this.update({ connection, everConnected: this.state.everConnected || connected });
        // Presence changes missed while away; the client itself re-syncs messages and summaries.
        if (reconnected) void this.loadDepartments();
        if (connected) {
          this.markActiveRead();
          const active = this.state.activeDepartment;
          if (active && this.state.opening[active] === 'error') void this.open(active);
        }
      }),
      c.on('message', (message) => this.addMessages(message.conversationId, [message])),
      c.on('conversation', (summary) => this.mergeSummary(summary)),
      c.on('read', (event) => this.onRead(event)),
      c.on('typing', (event) => this.onTyping(event)),
      c.on('presence', (event) => this.onPresence(event)),
      c.on('sessionExpired', () => this.update({ sessionExpired: true })),
      c.on('outbox', (items) => this.onOutbox(items)),
    );
    this.update({ connection: c.state });
    this.onOutbox(c.outboxItems);
    c.connect();
    this.conversationsLoaded = this.refresh();
  }

  stop(): void {
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
    for (const timer of this.typingTimers.values()) clearTimeout(timer);
    this.typingTimers.clear();
    this.stopped = true;
  }

  private async loadDepartments(): Promise<void> {
    const departments = await this.client.departments();
    if (departments.ok) this.update({ departments: departments.data, departmentsStatus: 'ready' });
    else if (this.state.departmentsStatus !== 'ready') this.update({ departmentsStatus: 'error' });
  }

  /** Loads departments and this customer's conversations (at start, and on "Try again"). */
  async refresh(): Promise<void> {
    if (this.state.departmentsStatus === 'error') this.update({ departmentsStatus: 'loading' });
    const [, conversations] = await Promise.all([this.loadDepartments(), this.client.conversations()]);
    if (conversations.ok) for (const summary of conversations.data) this.mergeSummary(summary);
    const active = this.state.activeDepartment;
    if (active) this.ensureLoaded(active);
  }

  /** An existing conversation loads its history over HTTP right away; only a new one waits for the socket. */
  private ensureLoaded(department: string): void {
    const c = this.state.conversations[department];
    if (!c) void this.open(department);
    else if (c.history !== 'ready') void this.loadLatest(department);
    else this.markActiveRead();
  }

  setPageVisible(visible: boolean): void {
    this.pageVisible = visible;
    this.markActiveRead();
  }

  select(department: string | null): void {
    if (department === this.state.activeDepartment) return;
    this.update({ activeDepartment: department, notice: null });
    if (!department) return;
    void this.conversationsLoaded.then(() => this.ensureLoaded(department));
  }

  /** Opens (or finds) the conversation with a department: the server returns the same one every time. */
  async open(department: string): Promise<void> {
    if (this.state.opening[department] === 'loading') return;
    this.update({ opening: { ...this.state.opening, [department]: 'loading' }, notice: null });
    const result = await this.client.openConversation(department);
    if (!result.ok) {
      this.update({
        opening: { ...this.state.opening, [department]: 'error' },
        notice: result.error.code === 'rate_limited' ? friendlyError(result.error) : null,
      });
      return;
    }
    this.mergeSummary(result.data);
    const { [department]: _, ...opening } = this.state.opening;
    this.update({ opening });
    await this.loadLatest(department);
  }

  private async loadLatest(department: string): Promise<void> {
    const c = this.state.conversations[department];
    if (!c || this.loadingLatest.has(department)) return;
    this.loadingLatest.add(department);
    this.updateConversation(department, () => ({ history: 'loading' }));
    const result = await this.client.history(c.summary.id, { limit: PAGE_SIZE });
    this.loadingLatest.delete(department);
    if (!result.ok) {
      this.updateConversation(department, () => ({ history: 'error' }));
      return;
    }
    const timeline = this.timeline(c.summary.id);
    this.addMessages(c.summary.id, result.data);
    // From here on the client re-syncs this conversation after every reconnect.
    this.client.track(c.summary.id, timeline.contiguousSeq);
    this.updateConversation(department, () => ({
      history: 'ready',
      hasOlder: timeline.hasOlder(),
      entries: timeline.entries,
      messages: timeline.items,
    }));
    this.markActiveRead();
  }

  async loadOlder(department: string): Promise<void> {
    const c = this.state.conversations[department];
    if (!c || c.loadingOlder || !c.hasOlder || c.history !== 'ready') return;
    const timeline = this.timeline(c.summary.id);
    this.updateConversation(department, () => ({ loadingOlder: true, olderError: false }));
    const result = await this.client.history(c.summary.id, { before: timeline.lowestSeq, limit: PAGE_SIZE });
    if (!result.ok) {
      this.updateConversation(department, () => ({ loadingOlder: false, olderError: true }));
      return;
    }
    this.addMessages(c.summary.id, result.data);
    this.updateConversation(department, () => ({
      loadingOlder: false,
      hasOlder: result.data.length > 0 && timeline.hasOlder(),
    }));
  }

  retryHistory(department: string): void {
    if (this.state.conversations[department]) void this.loadLatest(department);
    else void this.open(department);
  }

  /** Queues a message; the client sends it when connected, retrying until the server stores it. */
  send(department: string, text: string): void {
    const c = this.state.conversations[department];
    if (!c) return;
    const item = this.client.send(c.summary.id, text);
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

  clearRateLimit(): void {
    this.update({ rateLimitedUntil: null });
  }

  setTyping(department: string, isTyping: boolean): void {
    const c = this.state.conversations[department];
    if (c) this.client.setTyping(c.summary.id, isTyping);
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
    const conversations: Record<string, ConversationState> = { ...this.state.conversations };
    let changed = false;
    for (const [department, c] of Object.entries(conversations)) {
      const timeline = this.timeline(c.summary.id);
      if (timeline.setPending(items)) {
        conversations[department] = { ...c, entries: timeline.entries };
        changed = true;
      }
    }
    if (changed || rateLimitedUntil !== this.state.rateLimitedUntil) {
      this.update({ conversations, rateLimitedUntil });
    }
  }

  private onRead(event: ConversationReadEvent): void {
    const department = this.departmentOf(event.conversationId);
    if (!department) return;
    this.updateConversation(department, (c) => ({
      summary: {
        ...c.summary,
        readSeq: { ...c.summary.readSeq, [event.by]: Math.max(c.summary.readSeq[event.by], event.seq) },
        unread: event.by === 'customer' && event.seq >= c.summary.lastSeq ? 0 : c.summary.unread,
      },
    }));
  }

  private onTyping(event: TypingEvent): void {
    if (event.user.id === this.client.user?.id) return;
    const department = this.departmentOf(event.conversationId);
    if (!department) return;
    const previous = this.typingTimers.get(event.conversationId);
    if (previous) clearTimeout(previous);
    this.typingTimers.delete(event.conversationId);
    if (event.isTyping) {
      this.typingTimers.set(
        event.conversationId,
        setTimeout(
          () => this.updateConversation(department, () => ({ agentTyping: null })),
          TYPING_TIMEOUT_MS,
        ),
      );
    }
    this.updateConversation(department, () => ({ agentTyping: event.isTyping ? event.user.username : null }));
  }

  private onPresence(event: PresenceEvent): void {
    this.update({
      departments: this.state.departments.map((d) =>
        d.id === event.department ? { ...d, agentsOnline: event.agentsOnline } : d,
      ),
    });
  }

  /** Marks the open conversation read up to its newest message while the customer can see it. */
  markActiveRead(): void {
    const department = this.state.activeDepartment;
    if (!department || !this.pageVisible) return;
    const c = this.state.conversations[department];
    if (c?.history !== 'ready') return;
    const seq = this.timelines.get(c.summary.id)?.highestSeq ?? 0;
    const alreadyRead = Math.max(this.markedRead.get(c.summary.id) ?? 0, c.summary.readSeq.customer);
    if (seq > alreadyRead && this.state.connection === 'connected') {
      this.markedRead.set(c.summary.id, seq);
      const conversationId = c.summary.id;
      void this.client.markRead(conversationId, seq).then((result) => {
        if (result.ok) this.mergeSummary(result.data);
        // Not stored (connection lost meanwhile): try again on the next chance.
        else if (this.markedRead.get(conversationId) === seq) this.markedRead.delete(conversationId);
      });
    }
    if (seq >= c.summary.lastSeq && c.summary.unread > 0) {
      this.updateConversation(department, (cur) => ({ summary: { ...cur.summary, unread: 0 } }));
    }
  }
}
