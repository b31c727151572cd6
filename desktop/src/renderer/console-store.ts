// The console around the shared conversation store: department names, the inbox query, each department's agents
// (assignee names, the assign list), claim / assign / resolve with one busy flag and one error line, transfers, the
// unread badge, and OS notifications for new customer messages.
import { ConversationStore, ExternalStore, isSystemMessage } from '@support-chat/client-ui';
import { ChatClient } from '@support-chat/protocol/client';
import {
  type DepartmentAgent,
  type Message,
  messagePreview,
  type Result,
  type SiteCustomerProfile,
  type User,
} from '@support-chat/protocol/core';
import { shouldNotify } from '../common/notification-policy';
import type { DesktopApi } from './desktop-api';
import type { InboxQuery } from './inbox-model';
import { InboxPager } from './inbox-pager';

export interface ConsoleState {
  user: User;
  departments: Record<string, string>;
  /** department → its agents (loaded when a conversation of it opens): names for assignees, the assign list. */
  agents: Readonly<Record<string, readonly DepartmentAgent[]>>;
  /** conversation → its customer's site profile (widget visitors and shop customers; null: the chat page's). */
  visitors: Readonly<Record<string, SiteCustomerProfile | null>>;
  /** Why the console could not start (the saved login was refused). */
  startError: string | null;
  /** The last failed action, shown until the next one. */
  actionError: string | null;
  busy: string | null;
  /** Said where the open conversation was, once it left the agent's reach (transferred away). */
  paneNotice: string | null;
}

/** Only a focused, visible window counts as the agent seeing the open conversation. */
const windowFocused = (): boolean => document.hasFocus() && document.visibilityState === 'visible';

export class ConsoleStore extends ExternalStore<ConsoleState> {
  readonly client: ChatClient;
  readonly conversations: ConversationStore;
  /** The inbox rows, page by page, and the counts (the badge). */
  readonly inbox: InboxPager;
  private readonly offs: Array<() => void> = [];
  private runs = 0;
  private lastBadge = -1;

  constructor(
    private readonly desktop: DesktopApi,
    serverUrl: string,
    user: User,
  ) {
    super({
      user,
      departments: {},
      agents: {},
      visitors: {},
      startError: null,
      actionError: null,
      busy: null,
      paneNotice: null,
    });
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
    this.conversations = new ConversationStore(this.client, user, {
      isVisible: windowFocused,
      loadList: false,
    });
    this.inbox = new InboxPager(this.client, this.conversations, user.id, {
      filter: 'all',
      department: null,
    });
  }

  async start(): Promise<void> {
    const run = ++this.runs;
    const resumed = await this.client.resume();
    if (run !== this.runs) return;
    if (!resumed.ok) {
      this.update({ startError: resumed.error.message });
      return;
    }
    // Before the conversation store's own listener, so a notification sees the summary as it was.
    this.offs.push(
      this.client.on('message', (message) => this.maybeNotify(message)),
      this.inbox.subscribe(() => this.publishUnread()),
      // Before the conversation store forgets it: whether it was the one on screen.
      this.client.on('removed', (event) => this.noteRemoved(event.conversationId, event.department)),
    );
    this.conversations.start();
    // After the conversation store, so that a live summary is merged before the pager places its row.
    this.inbox.start();
    await this.loadDepartments();
  }

  stop(): void {
    this.runs++;
    for (const off of this.offs.splice(0)) off();
    this.inbox.stop();
    this.conversations.stop();
    this.client.disconnect();
  }

  private async loadDepartments(): Promise<void> {
    const result = await this.client.departments();
    if (result.ok) this.update({ departments: Object.fromEntries(result.data.map((d) => [d.id, d.name])) });
  }

  departmentName(id: string): string {
    return this.state.departments[id] ?? id;
  }

  setQuery(query: Partial<InboxQuery>): void {
    this.inbox.setQuery(query);
  }

  /** The badge: customer messages unread in the agent's and the waiting conversations, as the server counts them. */
  private publishUnread(): void {
    const total = this.inbox.getSnapshot().counts.unread;
    if (total === this.lastBadge) return;
    this.lastBadge = total;
    void this.desktop.setUnreadCount(total);
  }

  private maybeNotify(message: Message): void {
    if (isSystemMessage(message)) return;
    const chat = this.conversations.getSnapshot();
    const summary = chat.summaries.get(message.conversationId);
    if (summary && message.seq <= summary.readSeq.agents) return;
    const openConversationId = chat.activeId;
    // The renderer knows what is open; main re-checks with the real window focus before showing anything.
    if (
      !shouldNotify(
        { conversationId: message.conversationId, senderRole: message.sender.role },
        { windowFocused: windowFocused(), openConversationId },
      )
    )
      return;
    void this.desktop.notify({
      conversationId: message.conversationId,
      customerName: summary?.customer.name ?? summary?.customer.username ?? message.sender.username,
      departmentName: summary ? this.departmentName(summary.department) : 'Support',
      text: messagePreview(message),
      senderRole: message.sender.role,
      openConversationId,
    });
  }

  open(id: string): void {
    const again = this.conversations.getSnapshot().activeId === id;
    this.conversations.open(id);
    // Every open: a visitor may have signed in on the shop since.
    void this.loadVisitor(id);
    if (again) return;
    this.update({ actionError: null, paneNotice: null });
    const department = this.conversations.getSnapshot().summaries.get(id)?.department;
    if (department) void this.loadAgents(department);
  }

  /** Site, verified or visitor, name, email and the page the chat started from (widget customers; SPEC §10). */
  private async loadVisitor(conversationId: string): Promise<void> {
    const result = await this.client.visitor(conversationId);
    if (result.ok) this.update({ visitors: { ...this.state.visitors, [conversationId]: result.data } });
  }

  /** claim / release / resolve / reopen with one busy flag and one error line. */
  async act(action: 'claim' | 'release' | 'resolve' | 'reopen', conversationId: string): Promise<void> {
    this.update({ busy: action, actionError: null });
    const result = await this.client[action](conversationId);
    if (result.ok) this.conversations.upsert(result.data, true);
    this.update({ busy: null, actionError: result.ok ? null : result.error.message });
  }

  /** Hands a conversation to a colleague of its department (or back to the queue with null). */
  async assign(conversationId: string, agentId: string | null): Promise<void> {
    this.update({ busy: 'assign', actionError: null });
    const result = await this.client.assign(conversationId, agentId);
    if (result.ok) this.conversations.upsert(result.data, true);
    this.update({ busy: null, actionError: result.ok ? null : result.error.message });
  }

  /**
   * Hands the conversation to another department (SPEC §12), with an optional note for its agents. The answer is the
   * conversation now holding the customer; when that is this one, moved to a department the agent is not in, it
   * leaves their inbox and the pane (the server's conversation:removed says the same, also to colleagues).
   */
  async transfer(conversationId: string, department: string, note?: string): Promise<Result<unknown>> {
    this.update({ busy: 'transfer', actionError: null });
    const result = await this.client.transfer(conversationId, department, note);
    this.update({ busy: null });
    if (!result.ok) return result;
    const holder = result.data;
    if (this.state.user.departments.includes(holder.department)) this.conversations.upsert(holder, true);
    // Moved to a department the agent is not in: it is gone from here. (When the customer had a conversation there,
    // this one stays in its department, resolved, with its transfer line.)
    else if (holder.id === conversationId) {
      this.noteRemoved(conversationId, holder.department);
      this.conversations.remove(conversationId);
      this.inbox.drop(conversationId);
    }
    return result;
  }

  private noteRemoved(conversationId: string, department: string): void {
    if (this.conversations.getSnapshot().activeId !== conversationId) return;
    this.update({
      paneNotice: `The conversation was transferred to ${this.departmentName(department)}.`,
      actionError: null,
    });
  }

  /** Refreshed on every open: who is online changes, and so do the department's agents. */
  private async loadAgents(department: string): Promise<void> {
    const result = await this.client.departmentAgents(department);
    if (result.ok) this.update({ agents: { ...this.state.agents, [department]: result.data } });
  }

  agentName(department: string, agentId: string): string | null {
    return this.state.agents[department]?.find((a) => a.id === agentId)?.username ?? null;
  }

  dismissError(): void {
    this.update({ actionError: null });
  }
}
