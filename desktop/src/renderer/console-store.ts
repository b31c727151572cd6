// The console's state over one ChatClient: conversations, the open conversation's timeline, typing, receipts.
// Also where unread totals go to the badge and new customer messages become notification requests.
import type { ConversationSummary, DepartmentAgent, Message, User } from '@support-chat/protocol';
import { ChatClient, type ConnectionState, type OutboxItem, Timeline } from '@support-chat/protocol/client';
import { shouldNotify } from '../common/notification-policy';
import type { DesktopApi } from './desktop-api';
import { type InboxQuery, mergeSummary, unreadTotal } from './inbox-model';

const HISTORY_PAGE = 50;
/** A customer's "typing" ends by itself if the stop event never comes. */
const TYPING_TIMEOUT_MS = 6000;

export type LoadState = 'loading' | 'ready' | 'error';

export interface OpenConversation {
  id: string;
  timeline: Timeline;
  /** Bumped on every change of the timeline. */
  version: number;
  history: LoadState;
  hasOlder: boolean;
  loadingOlder: boolean;
}

export interface ConsoleSnapshot {
  user: User;
  connection: ConnectionState;
  departments: Record<string, string>;
  conversations: ReadonlyMap<string, ConversationSummary>;
  inbox: LoadState;
  inboxError: string | null;
  query: InboxQuery;
  open: OpenConversation | null;
  /** department → its agents (loaded when a conversation of it opens): names for assignees, the assign list. */
  agents: Readonly<Record<string, readonly DepartmentAgent[]>>;
  /** conversationId → customer username currently typing. */
  typing: Readonly<Record<string, string>>;
  outbox: readonly OutboxItem[];
  /** The last failed action, shown until the next one. */
  actionError: string | null;
  busy: string | null;
}

export class ConsoleStore {
  readonly client: ChatClient;
  private snapshot: ConsoleSnapshot;
  private readonly listeners = new Set<() => void>();
  private readonly offs: Array<() => void> = [];
  private readonly typingTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private lastBadge = -1;

  constructor(
    private readonly desktop: DesktopApi,
    serverUrl: string,
    user: User,
    onSessionExpired: () => void,
  ) {
    this.client = new ChatClient({
      baseUrl: serverUrl,
      tokenTransport: 'body',
      // The refresh token lives in main and the keychain; the renderer only ever holds access tokens.
      getAccessToken: async (forceRefresh) => {
        const result = await desktop.getAccessToken(forceRefresh);
        if (result.ok) return result.data.accessToken;
        if (result.error.code === 'unauthorized') return null;
        throw new Error(result.error.code);
      },
    });
    this.snapshot = {
      user,
      connection: 'idle',
      departments: {},
      conversations: new Map(),
      inbox: 'loading',
      inboxError: null,
      query: { filter: 'all', department: null },
      open: null,
      agents: {},
      typing: {},
      outbox: [],
      actionError: null,
      busy: null,
    };
    this.offs.push(
      this.client.on('state', (connection) => {
        this.set({ connection });
        // After an outage the summaries may be stale: the client refreshes them on reconnect.
      }),
      this.client.on('message', (message) => this.onMessage(message)),
      this.client.on('conversation', (summary) => this.upsert(summary)),
      this.client.on('read', (read) => {
        const c = this.snapshot.conversations.get(read.conversationId);
        if (!c) return;
        this.upsert({ ...c, readSeq: { ...c.readSeq, [read.by]: read.seq } }, true);
      }),
      this.client.on('typing', (event) => {
        if (event.user.role !== 'customer') return;
        this.setTyping(event.conversationId, event.isTyping ? event.user.username : null);
      }),
      this.client.on('outbox', (outbox) => this.set({ outbox })),
      this.client.on('sessionExpired', () => onSessionExpired()),
    );
  }

  // ---- external store protocol for useSyncExternalStore

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): ConsoleSnapshot => this.snapshot;

  private set(patch: Partial<ConsoleSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...patch };
    for (const listener of this.listeners) listener();
  }

  // ---- lifecycle

  async start(): Promise<void> {
    const resumed = await this.client.resume();
    if (!resumed.ok) {
      this.set({ inbox: 'error', inboxError: resumed.error.message });
      return;
    }
    this.client.connect();
    await Promise.all([this.loadDepartments(), this.loadInbox()]);
  }

  stop(): void {
    for (const off of this.offs.splice(0)) off();
    for (const timer of this.typingTimers.values()) clearTimeout(timer);
    this.client.disconnect();
  }

  async loadDepartments(): Promise<void> {
    const result = await this.client.departments();
    if (result.ok) this.set({ departments: Object.fromEntries(result.data.map((d) => [d.id, d.name])) });
  }

  /** `visible`: show the loading and error states (a background reload keeps what is shown). */
  async loadInbox(visible = true): Promise<void> {
    if (visible) this.set({ inbox: 'loading', inboxError: null });
    const result = await this.client.conversations();
    if (!result.ok) {
      if (visible) this.set({ inbox: 'error', inboxError: result.error.message });
      return;
    }
    const conversations = new Map(this.snapshot.conversations);
    for (const c of result.data) conversations.set(c.id, mergeSummary(conversations.get(c.id), c));
    this.set({ conversations, inbox: 'ready' });
    this.publishUnread();
  }

  private reloading: Promise<void> | null = null;
  private reloadAgain = false;

  /** Coalesces reloads: a burst of messages of an unknown conversation costs at most two requests. */
  private reloadInboxSoon(): void {
    if (this.reloading) {
      this.reloadAgain = true;
      return;
    }
    this.reloading = this.loadInbox(false).finally(() => {
      this.reloading = null;
      if (this.reloadAgain) {
        this.reloadAgain = false;
        this.reloadInboxSoon();
      }
    });
  }

  departmentName(id: string): string {
    return this.snapshot.departments[id] ?? id;
  }

  setQuery(query: Partial<InboxQuery>): void {
    this.set({ query: { ...this.snapshot.query, ...query } });
  }

  // ---- conversations

  private upsert(summary: ConversationSummary, force = false): void {
    const previous = this.snapshot.conversations.get(summary.id);
    const next = mergeSummary(previous, summary, force);
    if (next === previous) return;
    const conversations = new Map(this.snapshot.conversations);
    conversations.set(summary.id, next);
    this.set({ conversations });
    this.publishUnread();
  }

  private publishUnread(): void {
    const total = unreadTotal(this.snapshot.conversations.values());
    if (total === this.lastBadge) return;
    this.lastBadge = total;
    void this.desktop.setUnreadCount(total);
  }

  private onMessage(message: Message): void {
    const open = this.snapshot.open;
    if (open && open.id === message.conversationId && open.timeline.add(message)) {
      this.set({ open: { ...open, version: open.timeline.version } });
    }
    if (message.sender.role === 'customer') this.setTyping(message.conversationId, null);
    const summary = this.snapshot.conversations.get(message.conversationId);
    if (summary && message.seq > summary.lastSeq) {
      // Keep the row fresh even before the server's conversation:updated arrives.
      this.upsert({
        ...summary,
        lastSeq: message.seq,
        lastMessage: {
          seq: message.seq,
          text: message.text,
          senderRole: message.sender.role,
          createdAt: message.createdAt,
        },
        unread: message.sender.role === 'customer' ? summary.unread + 1 : summary.unread,
        updatedAt: [message.createdAt, summary.updatedAt].sort().at(-1)!,
      });
    } else if (!summary) {
      // A conversation we have not seen yet (new customer): fetch the summaries again, once at a time.
      this.reloadInboxSoon();
    }
    this.maybeNotify(message, summary);
    if (open?.id === message.conversationId && this.windowFocused()) this.markOpenRead();
  }

  private windowFocused(): boolean {
    return document.hasFocus() && document.visibilityState === 'visible';
  }

  private maybeNotify(message: Message, summary: ConversationSummary | undefined): void {
    if (summary && message.seq <= summary.readSeq.agents) return;
    const openConversationId = this.snapshot.open?.id ?? null;
    // The renderer knows what is open; main re-checks with the real window focus before showing anything.
    if (
      !shouldNotify(
        { conversationId: message.conversationId, senderRole: message.sender.role },
        { windowFocused: this.windowFocused(), openConversationId },
      )
    )
      return;
    void this.desktop.notify({
      conversationId: message.conversationId,
      customerName: summary?.customer.username ?? message.sender.username,
      departmentName: summary ? this.departmentName(summary.department) : 'Support',
      text: message.text,
      senderRole: message.sender.role,
      openConversationId,
    });
  }

  private setTyping(conversationId: string, username: string | null): void {
    clearTimeout(this.typingTimers.get(conversationId));
    this.typingTimers.delete(conversationId);
    const typing = { ...this.snapshot.typing };
    if (username) {
      typing[conversationId] = username;
      this.typingTimers.set(
        conversationId,
        setTimeout(() => this.setTyping(conversationId, null), TYPING_TIMEOUT_MS),
      );
    } else {
      if (!(conversationId in typing)) return;
      delete typing[conversationId];
    }
    this.set({ typing });
  }

  async openConversation(id: string): Promise<void> {
    if (this.snapshot.open?.id === id) {
      this.markOpenRead();
      return;
    }
    const previous = this.snapshot.open;
    if (previous) this.client.untrack(previous.id);
    const timeline = new Timeline(id);
    this.set({
      open: { id, timeline, version: 0, history: 'loading', hasOlder: false, loadingOlder: false },
      actionError: null,
    });
    const department = this.snapshot.conversations.get(id)?.department;
    if (department) void this.loadAgents(department);
    const page = await this.client.history(id, { limit: HISTORY_PAGE });
    if (this.snapshot.open?.timeline !== timeline) return;
    if (!page.ok) {
      this.set({ open: { ...this.snapshot.open, history: 'error' } });
      return;
    }
    timeline.add(page.data);
    this.client.track(id, timeline.contiguousSeq);
    this.set({
      open: {
        ...this.snapshot.open,
        history: 'ready',
        version: timeline.version,
        hasOlder: timeline.lowestSeq > 1,
      },
    });
    if (this.windowFocused()) this.markOpenRead();
  }

  async loadOlder(): Promise<void> {
    const open = this.snapshot.open;
    if (!open || open.loadingOlder || !open.hasOlder) return;
    this.set({ open: { ...open, loadingOlder: true } });
    const page = await this.client.history(open.id, { before: open.timeline.lowestSeq, limit: HISTORY_PAGE });
    const current = this.snapshot.open;
    if (current?.timeline !== open.timeline) return;
    if (!page.ok) {
      this.set({ open: { ...current, loadingOlder: false }, actionError: page.error.message });
      return;
    }
    open.timeline.add(page.data);
    this.set({
      open: {
        ...current,
        loadingOlder: false,
        version: open.timeline.version,
        hasOlder: page.data.length > 0 && open.timeline.lowestSeq > 1,
      },
    });
  }

  closeConversation(): void {
    const open = this.snapshot.open;
    if (open) this.client.untrack(open.id);
    this.set({ open: null });
  }

  /** Marks the open conversation read up to its newest message (when the agent can actually see it). */
  markOpenRead(): void {
    const open = this.snapshot.open;
    if (!open) return;
    const summary = this.snapshot.conversations.get(open.id);
    const seq = Math.max(open.timeline.highestSeq, summary?.lastSeq ?? 0);
    if (!summary || (summary.unread === 0 && summary.readSeq.agents >= seq) || seq === 0) return;
    // Optimistic: the badge drops at once; the server's answer replaces the summary.
    this.upsert({ ...summary, unread: 0, readSeq: { ...summary.readSeq, agents: seq } }, true);
    void this.client.markRead(open.id, seq).then((r) => {
      if (r.ok) this.upsert(r.data, true);
    });
  }

  send(text: string): OutboxItem | null {
    const open = this.snapshot.open;
    if (!open) return null;
    const item = this.client.send(open.id, text);
    void item.done.then((r) => {
      if (!r.ok) this.set({ actionError: `Not sent: ${r.error.message}` });
    });
    return item;
  }

  retry(clientMsgId: string): void {
    this.client.retrySend(clientMsgId);
  }

  setTypingOwn(isTyping: boolean): void {
    const open = this.snapshot.open;
    if (open) this.client.setTyping(open.id, isTyping);
  }

  /** claim / release / resolve / reopen with one busy flag and one error line. */
  async act(action: 'claim' | 'release' | 'resolve' | 'reopen', conversationId: string): Promise<void> {
    this.set({ busy: action, actionError: null });
    const result = await this.client[action](conversationId);
    if (result.ok) this.upsert(result.data, true);
    this.set({ busy: null, actionError: result.ok ? null : result.error.message });
  }

  /** Hands a conversation to a colleague of its department (or back to the queue with null). */
  async assign(conversationId: string, agentId: string | null): Promise<void> {
    this.set({ busy: 'assign', actionError: null });
    const result = await this.client.assign(conversationId, agentId);
    if (result.ok) this.upsert(result.data, true);
    this.set({ busy: null, actionError: result.ok ? null : result.error.message });
  }

  /** Refreshed on every open: who is online changes, and so do the department's agents. */
  private async loadAgents(department: string): Promise<void> {
    const result = await this.client.departmentAgents(department);
    if (result.ok) this.set({ agents: { ...this.snapshot.agents, [department]: result.data } });
  }

  agentName(department: string, agentId: string): string | null {
    return this.snapshot.agents[department]?.find((a) => a.id === agentId)?.username ?? null;
  }

  dismissError(): void {
    this.set({ actionError: null });
  }
}
