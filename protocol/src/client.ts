// The typed chat client shared by the web page, the desktop renderer, tests and benchmarks. Runs in browsers and
// Node 20 (fetch, timers, crypto only). A facade over three layers: the login (./client-session), the socket
// (./client-transport) and delivery (./client-delivery: at-least-once sends with one clientMsgId per message, and
// a sync by seq after every (re)connect, so the UI sees every message exactly once and in order).
// Zod-free on purpose: the customer page loads this first (see client-imports.test.ts).
import { Delivery } from './client-delivery';
import { Session, type SessionOptions } from './client-session';
import { type ConnectionState, Transport, type TransportOptions } from './client-transport';
import { badAnswer, Emitter, isMessage, isNote } from './client-util';
import { ErrorCode, type Result } from './errors';
import {
  type AckData,
  ClientEvent,
  type ClientEventName,
  type ConversationReadEvent,
  type ConversationRemovedEvent,
  type EventPayload,
  type PresenceEvent,
  ServerEvent,
  type TypingEvent,
} from './events';
import type { OutboxItem } from './outbox';
import type {
  AgentCannedReply,
  AgentStatus,
  Attachment,
  AuthResponse,
  ConversationSummary,
  Department,
  DepartmentAgent,
  InboxCounts,
  InboxPage,
  InboxQuery,
  LoginBody,
  Message,
  Note,
  Rating,
  RegisterBody,
  User,
} from './types';
import type { SiteCustomerProfile } from './widget';

export { type ConnectionState, RECONNECT_BACKOFF } from './client-transport';

/** The client events whose acknowledgement is a conversation summary. */
type ConversationEvent = {
  [E in ClientEventName]: AckData<E> extends { conversation: ConversationSummary } ? E : never;
}[ClientEventName];

export { newClientMsgId } from './client-util';
export type { OutboxItem, OutboxStatus } from './outbox';
export { Timeline, type TimelineEntry } from './timeline';

export interface ChatClientOptions extends SessionOptions, TransportOptions {}

export interface ClientEventMap {
  state: ConnectionState;
  /** Live and synced messages, each (conversationId, seq) once. */
  message: Message;
  conversation: ConversationSummary;
  read: ConversationReadEvent;
  typing: TypingEvent;
  presence: PresenceEvent;
  /** Agents: their inbox counts changed (SPEC §15). */
  inboxCounts: InboxCounts;
  /** The login is over (refresh refused): show the login form. */
  sessionExpired: undefined;
  /** Pending and failed sends changed (snapshots, oldest first). */
  outbox: OutboxItem[];
  /** The logged-in user changed (login, resume, logout, expiry). */
  user: User | null;
  /** Why the server refuses to connect (`too_many_connections`: other tabs or windows); null once connected. */
  refused: string | null;
  /** Internal notes (agents), live and synced, each (conversationId, noteSeq) once. */
  note: Note;
  /** Pending and failed notes changed (snapshots, oldest first). */
  noteOutbox: OutboxItem<Note>[];
  /** A customer rated a conversation (their own sockets, and the department's agents). */
  rated: Rating;
  /** Agents: a conversation left their reach (transferred to a department they are not in). */
  removed: ConversationRemovedEvent;
}

/** The list under `key` of an answer, or bad_answer. */
function listOf<T>(r: Result<Record<string, unknown>>, key: string): Result<T[]> {
  if (!r.ok) return r;
  const list = r.data?.[key];
  return Array.isArray(list) ? { ok: true, data: list as T[] } : { ok: false, error: badAnswer() };
}

export class ChatClient {
  private readonly events = new Emitter<ClientEventMap>();
  private readonly session: Session;
  private readonly transport: Transport;
  private readonly delivery: Delivery;
  /** Agents: the availability asked for last; every handshake carries it, so a reconnect keeps it. */
  private agentStatus: AgentStatus | null = null;

  constructor(opts: ChatClientOptions) {
    this.session = new Session(opts, {
      user: (user) => this.events.emit('user', user),
      switched: () => this.delivery.forget({ code: ErrorCode.forbidden, message: 'Another user logged in.' }),
      // A socket of another user must not carry on; the same user's socket picks up the new token on reconnect.
      started: (sameUser) => {
        if (!sameUser) this.transport.renew();
      },
      expired: (announce, hadSession) => {
        this.delivery.offline();
        this.transport.halt(hadSession || this.transport.state !== 'idle' ? 'offline' : 'idle');
        if (announce && hadSession) this.events.emit('sessionExpired', undefined);
      },
      keepFresh: () => this.transport.wanted,
    });
    this.transport = new Transport(opts, {
      token: () => this.session.handshakeToken(),
      tokenRefused: () => this.session.markStale(),
      loginRefused: () => this.session.expire(true),
      connected: (reconnect) => {
        this.delivery.online();
        if (reconnect && this.events.has('conversation')) void this.refreshSummaries();
      },
      offline: () => this.delivery.offline(),
      state: (state) => this.events.emit('state', state),
      refused: (reason) => this.events.emit('refused', reason),
      handshake: (): Record<string, string> => (this.agentStatus ? { status: this.agentStatus } : {}),
      events: {
        [ServerEvent.messageCreated]: (p: { message?: unknown }) => {
          if (isMessage(p?.message)) this.delivery.deliver(p.message);
        },
        [ServerEvent.conversationUpdated]: (p: { conversation?: ConversationSummary }) => {
          if (p?.conversation) this.events.emit('conversation', p.conversation);
        },
        [ServerEvent.conversationRead]: (p: ConversationReadEvent) => this.events.emit('read', p),
        [ServerEvent.typing]: (p: TypingEvent) => this.events.emit('typing', p),
        [ServerEvent.presence]: (p: PresenceEvent) => this.events.emit('presence', p),
        [ServerEvent.noteCreated]: (p: { note?: unknown }) => {
          if (isNote(p?.note)) this.delivery.deliverNote(p.note);
        },
        [ServerEvent.conversationRated]: (p: { rating?: Rating }) => {
          if (p?.rating && typeof p.rating.conversationId === 'string') this.events.emit('rated', p.rating);
        },
        [ServerEvent.inboxCounts]: (p: { counts?: InboxCounts }) => {
          if (p?.counts) this.events.emit('inboxCounts', p.counts);
        },
        [ServerEvent.conversationRemoved]: (p: ConversationRemovedEvent) => {
          if (typeof p?.conversationId === 'string') {
            this.delivery.untrackNotes(p.conversationId);
            this.events.emit('removed', p);
          }
        },
      },
    });
    this.delivery = new Delivery(this.transport, {
      message: (message) => this.events.emit('message', message),
      outbox: (items) => this.events.emit('outbox', items),
      note: (note) => this.events.emit('note', note),
      noteOutbox: (items) => this.events.emit('noteOutbox', items),
    });
  }

  get user(): User | null {
    return this.session.user;
  }

  get state(): ConnectionState {
    return this.transport.state;
  }

  get accessToken(): string | null {
    return this.session.accessToken;
  }

  /** Pending and failed sends, oldest first. */
  get outboxItems(): OutboxItem[] {
    return this.delivery.outboxItems;
  }

  on<K extends keyof ClientEventMap>(event: K, cb: (payload: ClientEventMap[K]) => void): () => void {
    return this.events.on(event, cb);
  }

  /** Resolves true once connected, false after `timeoutMs` or when the client stops trying. */
  whenConnected(timeoutMs = 10_000): Promise<boolean> {
    return this.transport.whenConnected(timeoutMs);
  }

  // ---------------------------------------------------------------- session

  register(body: RegisterBody): Promise<Result<AuthResponse>> {
    return this.session.register(body);
  }

  login(body: LoginBody): Promise<Result<AuthResponse>> {
    return this.session.login(body);
  }

  /** Picks up a login from before (cookie, or the refresh token given in the options), then loads the user. */
  resume(): Promise<Result<{ user: User }>> {
    return this.session.resume();
  }

  /** Revokes the login on the server, disconnects, and forgets the tokens (locally even when the server is unreachable). */
  async logout(): Promise<Result<null>> {
    const result = await this.session.logout();
    this.delivery.forget({
      code: ErrorCode.unauthorized,
      message: 'Logged out before the message was sent.',
    });
    this.disconnect();
    return result;
  }

  // ---------------------------------------------------------------- connection

  /** Connects (and keeps reconnecting) the real-time socket; needs a login or a resumable one. */
  connect(): void {
    if (this.transport.wanted) return;
    this.transport.connect();
    this.session.scheduleRefresh();
  }

  disconnect(): void {
    this.session.cancelRefresh();
    this.delivery.stop();
    this.transport.halt('idle');
  }

  private async refreshSummaries(): Promise<void> {
    const r = await this.conversations();
    if (r.ok) for (const c of r.data) this.events.emit('conversation', c);
  }

  // ---------------------------------------------------------------- HTTP

  async departments(): Promise<Result<Department[]>> {
    return listOf(await this.session.request('GET', '/api/departments', { auth: true }), 'departments');
  }

  async conversations(): Promise<Result<ConversationSummary[]>> {
    return listOf(await this.session.authed('GET', '/api/conversations'), 'conversations');
  }

  /** Agents: one page of their inbox (SPEC §15), with the cursor of the next page and their counts. */
  async inboxPage(query: InboxQuery = {}): Promise<Result<InboxPage>> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
    const qs = params.toString();
    const r = await this.session.authed<InboxPage>('GET', `/api/conversations${qs ? `?${qs}` : ''}`);
    if (!r.ok) return r;
    return Array.isArray(r.data?.conversations) && r.data.counts
      ? { ok: true, data: r.data }
      : { ok: false, error: badAnswer() };
  }

  /** The agents of one of the caller's departments (agents only): whom a conversation can be assigned to. */
  async departmentAgents(department: string): Promise<Result<DepartmentAgent[]>> {
    const path = `/api/departments/${encodeURIComponent(department)}/agents`;
    return listOf(await this.session.authed('GET', path), 'agents');
  }

  /** Agents: who the customer of a conversation is when they came through a site's widget (null otherwise). */
  async visitor(conversationId: string): Promise<Result<SiteCustomerProfile | null>> {
    const path = `/api/conversations/${encodeURIComponent(conversationId)}/visitor`;
    const r = await this.session.authed<{ visitor?: SiteCustomerProfile | null }>('GET', path);
    if (!r.ok) return r;
    return r.data && 'visitor' in r.data
      ? { ok: true, data: r.data.visitor ?? null }
      : { ok: false, error: badAnswer() };
  }

  /** A page of stored messages, oldest first, all with seq < before (the newest page without before). */
  async history(
    conversationId: string,
    opts: { before?: number; limit?: number } = {},
  ): Promise<Result<Message[]>> {
    const query = new URLSearchParams();
    if (opts.before !== undefined) query.set('before', String(opts.before));
    if (opts.limit !== undefined) query.set('limit', String(opts.limit));
    const qs = query.toString();
    const path = `/api/conversations/${encodeURIComponent(conversationId)}/messages${qs ? `?${qs}` : ''}`;
    return listOf(await this.session.authed('GET', path), 'messages');
  }

  // ---------------------------------------------------------------- conversations

  private async askConversation<E extends ConversationEvent>(
    event: E,
    payload: EventPayload<E>,
  ): Promise<Result<ConversationSummary>> {
    const r = await this.transport.ask<ConversationEvent>(event, payload);
    if (!r.ok) return r;
    return r.data?.conversation ? { ok: true, data: r.data.conversation } : { ok: false, error: badAnswer() };
  }

  openConversation(department: string): Promise<Result<ConversationSummary>> {
    return this.askConversation(ClientEvent.conversationOpen, { department });
  }

  markRead(conversationId: string, seq: number): Promise<Result<ConversationSummary>> {
    return this.askConversation(ClientEvent.conversationRead, { conversationId, seq });
  }

  claim(conversationId: string): Promise<Result<ConversationSummary>> {
    return this.askConversation(ClientEvent.conversationClaim, { conversationId });
  }

  release(conversationId: string): Promise<Result<ConversationSummary>> {
    return this.assign(conversationId, null);
  }

  assign(conversationId: string, agentId: string | null): Promise<Result<ConversationSummary>> {
    return this.askConversation(ClientEvent.conversationAssign, { conversationId, agentId });
  }

  resolve(conversationId: string): Promise<Result<ConversationSummary>> {
    return this.askConversation(ClientEvent.conversationResolve, { conversationId });
  }

  reopen(conversationId: string): Promise<Result<ConversationSummary>> {
    return this.askConversation(ClientEvent.conversationReopen, { conversationId });
  }

  /**
   * Agents: hands the conversation to another department, with an optional note for its agents. Answers the
   * conversation that now holds the customer (SPEC §12).
   */
  transfer(conversationId: string, department: string, note?: string): Promise<Result<ConversationSummary>> {
    const payload = note?.trim() ? { conversationId, department, note } : { conversationId, department };
    return this.askConversation(ClientEvent.conversationTransfer, payload);
  }

  // ---------------------------------------------------------------- messages

  /**
   * Queues a message. It is sent when connected, in order per conversation, retried with the same clientMsgId
   * until acknowledged; `done` settles with the stored message or the error that failed it.
   */
  send(conversationId: string, text: string, attachments?: Attachment[]): OutboxItem {
    return this.delivery.send(conversationId, text, attachments);
  }

  /** The server's address ('' for the page's own origin): where uploads and downloads go. */
  get serverUrl(): string {
    return this.session.baseUrl;
  }

  /** A current access token for an HTTP call made outside this client (uploads with progress, file downloads). */
  async freshAccessToken(): Promise<string | null> {
    const r = await this.session.ensureFresh(30_000);
    return r.ok ? this.session.accessToken : null;
  }

  /** Sends a failed item again (same clientMsgId). */
  retrySend(clientMsgId: string): OutboxItem | null {
    return this.delivery.retry(clientMsgId);
  }

  /** Drops a failed item from the outbox. */
  discardSend(clientMsgId: string): boolean {
    return this.delivery.discard(clientMsgId);
  }

  /** Throttled: `true` goes out at most every 2 s per conversation, `false` only after a `true`. */
  setTyping(conversationId: string, isTyping: boolean): void {
    this.delivery.setTyping(conversationId, isTyping);
  }

  /** One page of messages with seq > afterSeq (max 500); new ones are also emitted as 'message'. */
  sync(conversationId: string, afterSeq: number): Promise<Result<Message[]>> {
    return this.delivery.sync(conversationId, afterSeq);
  }

  /**
   * The UI holds every message of this conversation up to `highestSeq` (best: Timeline.contiguousSeq): it is
   * synced now and after every reconnect. Only the first call counts; the client then advances the seq itself
   * as it emits messages, so calling it again on every update is harmless.
   */
  track(conversationId: string, highestSeq: number): void {
    this.delivery.track(conversationId, highestSeq);
  }

  /** Stops syncing a conversation the UI no longer shows. */
  untrack(conversationId: string): void {
    this.delivery.untrack(conversationId);
  }

  // ---------------------------------------------------------------- agent tools (SPEC §12)

  /** Pending and failed notes, oldest first. */
  get noteOutboxItems(): OutboxItem<Note>[] {
    return this.delivery.noteOutboxItems;
  }

  /** Agents: queues an internal note, sent and retried like a message (one clientMsgId until acknowledged). */
  addNote(conversationId: string, text: string): OutboxItem<Note> {
    return this.delivery.addNote(conversationId, text);
  }

  retryNote(clientMsgId: string): OutboxItem<Note> | null {
    return this.delivery.retryNote(clientMsgId);
  }

  discardNote(clientMsgId: string): boolean {
    return this.delivery.discardNote(clientMsgId);
  }

  /**
   * Agents: the UI holds every note of this conversation up to `highestNoteSeq` (0: none yet); they are synced now
   * and after every reconnect, and emitted as 'note'. Only the first call counts (as with track).
   */
  trackNotes(conversationId: string, highestNoteSeq: number): void {
    this.delivery.trackNotes(conversationId, highestNoteSeq);
  }

  /** Stops syncing a conversation's notes the UI no longer shows (its messages stay tracked). */
  untrackNotes(conversationId: string): void {
    this.delivery.untrackNotes(conversationId);
  }

  /**
   * Agents: available (assigned automatically, counted online) or away. Kept for every later handshake, so it
   * holds across reconnects; while offline it is only kept (the answer is then `unavailable`).
   */
  async setStatus(status: AgentStatus): Promise<Result<AgentStatus>> {
    this.agentStatus = status;
    const r = await this.transport.ask(ClientEvent.agentStatus, { status });
    if (!r.ok) return r;
    return r.data?.status ? { ok: true, data: r.data.status } : { ok: false, error: badAnswer() };
  }

  /** Customers: rates the conversation's resolved episode (1..5), once. */
  async rate(conversationId: string, rating: number, comment?: string): Promise<Result<Rating>> {
    const payload = comment?.trim() ? { conversationId, rating, comment } : { conversationId, rating };
    const r = await this.transport.ask(ClientEvent.conversationRate, payload);
    if (!r.ok) return r;
    return r.data?.rating ? { ok: true, data: r.data.rating } : { ok: false, error: badAnswer() };
  }

  /** The rating of the conversation's latest episode, and whether this user may rate it now. */
  async rating(conversationId: string): Promise<Result<{ rating: Rating | null; canRate: boolean }>> {
    const r = await this.transport.ask(ClientEvent.conversationRating, { conversationId });
    if (!r.ok) return r;
    return r.data && typeof r.data.canRate === 'boolean'
      ? { ok: true, data: { rating: r.data.rating ?? null, canRate: r.data.canRate } }
      : { ok: false, error: badAnswer() };
  }

  /** Agents: their own canned replies and their departments'. */
  async cannedReplies(): Promise<Result<AgentCannedReply[]>> {
    return listOf(await this.transport.ask(ClientEvent.cannedReplyList, {}), 'replies');
  }

  async createCannedReply(input: {
    shortcut: string;
    title: string;
    text: string;
  }): Promise<Result<AgentCannedReply>> {
    const r = await this.transport.ask(ClientEvent.cannedReplyCreate, input);
    if (!r.ok) return r;
    return r.data?.reply ? { ok: true, data: r.data.reply } : { ok: false, error: badAnswer() };
  }

  async deleteCannedReply(id: string): Promise<Result<AgentCannedReply>> {
    const r = await this.transport.ask(ClientEvent.cannedReplyDelete, { id });
    if (!r.ok) return r;
    return r.data?.reply ? { ok: true, data: r.data.reply } : { ok: false, error: badAnswer() };
  }
}
