// The customer's page around the shared conversation store: departments with their presence, one conversation
// per department (opened on first visit), which department is on screen, and following the conversation when an
// agent transfers it to another department (SPEC §12).
import {
  ConversationStore,
  type ConversationsState,
  ExternalStore,
  friendlyError,
  isSystemMessage,
  type LoadStatus,
} from '@support-chat/client-ui';
import type { ChatClient } from '@support-chat/protocol/client';
import type { ConversationSummary, Department, Message, User } from '@support-chat/protocol/core';

export interface PageState {
  departments: readonly Department[];
  departmentsStatus: LoadStatus;
  /** Department ids whose conversation is being opened, or failed to open. */
  opening: Readonly<Record<string, LoadStatus>>;
  activeDepartment: string | null;
  /** A short notice for a conversation that could not be opened, shown until replaced. */
  notice: string | null;
}

export const isPageVisible = () => document.visibilityState === 'visible';

/** The customer has one conversation per department. */
export const conversationOf = (
  chat: ConversationsState,
  department: string,
): ConversationSummary | undefined => {
  for (const summary of chat.summaries.values()) if (summary.department === department) return summary;
  return undefined;
};

/** Unread count as the page shows it: the conversation open on a visible page counts as read. */
export function displayedUnread(
  page: PageState,
  chat: ConversationsState,
  department: string,
  pageVisible: boolean,
): number {
  const summary = conversationOf(chat, department);
  if (!summary) return 0;
  const shown = page.activeDepartment === department && chat.views[summary.id]?.history === 'ready';
  return pageVisible && shown ? 0 : summary.unread;
}

export function totalUnread(page: PageState, chat: ConversationsState, pageVisible: boolean): number {
  let total = 0;
  for (const { department } of chat.summaries.values())
    total += displayedUnread(page, chat, department, pageVisible);
  return total;
}

/**
 * The department a conversation was started with: the first department it was transferred from, when it moved
 * (a transfer line naming itself at both ends); else the one it is with now.
 */
export function startedWith(messages: readonly Message[] | undefined, current: string): string {
  const moved = messages?.find(
    (m) =>
      isSystemMessage(m) &&
      m.system?.type === 'transfer' &&
      m.system.from.conversationId === m.conversationId,
  );
  return moved?.system?.from.name ?? current;
}

/** The conversation on screen and its department, as last seen. */
export interface Shown {
  id: string;
  department: string;
}

/**
 * Where the customer's conversation went, if the one on screen was transferred: its new department (it moved while
 * shown), or the department of the conversation that now holds the customer (a transfer line pointing elsewhere,
 * live or at the end of the history just loaded). `followed` holds the transfer lines already acted on, so going
 * back to the old department on purpose stays there.
 */
export function transferTarget(
  chat: ConversationsState,
  activeDepartment: string | null,
  shownBefore: Shown | null,
  followed: ReadonlySet<string>,
): { department: string; messageId: string | null } | null {
  const id = chat.activeId;
  const summary = id ? chat.summaries.get(id) : undefined;
  if (!id || !summary || !activeDepartment) return null;
  if (shownBefore?.id === id && shownBefore.department === activeDepartment) {
    if (summary.department !== activeDepartment) return { department: summary.department, messageId: null };
  }
  // Only the conversation of the department on screen (right after a click, the previous one is still active).
  if (summary.department !== activeDepartment) return null;
  const last = chat.views[id]?.messages.at(-1);
  const to = last && isSystemMessage(last) && last.system?.type === 'transfer' ? last.system.to : undefined;
  if (!last || !to || to.conversationId === id || followed.has(last.id)) return null;
  return { department: to.department, messageId: last.id };
}

export class ChatStore extends ExternalStore<PageState> {
  readonly conversations: ConversationStore;
  private readonly offs: (() => void)[] = [];
  private connectedBefore = false;
  /** Transfer lines already followed (by message id). */
  private readonly followed = new Set<string>();
  private shown: Shown | null = null;

  constructor(
    private readonly client: ChatClient,
    user: User,
    /** Whether the conversation on screen is seen now (the widget: its panel is open too). */
    isVisible: () => boolean = isPageVisible,
    /**
     * Shows another department when the conversation follows a transfer (the page: through the URL hash, which
     * calls select); select by default.
     */
    private readonly navigate?: (department: string) => void,
  ) {
    super({
      departments: [],
      departmentsStatus: 'loading',
      opening: {},
      activeDepartment: null,
      notice: null,
    });
    this.conversations = new ConversationStore(client, user, { isVisible });
  }

  start(): void {
    this.offs.push(
      this.client.on('state', (connection) => {
        if (connection !== 'connected') return;
        // Presence changes missed while away; the client itself re-syncs messages and summaries.
        if (this.connectedBefore) void this.loadDepartments();
        this.connectedBefore = true;
        const active = this.state.activeDepartment;
        if (active && this.state.opening[active] === 'error') void this.open(active);
      }),
      this.client.on('presence', (event) =>
        this.update({
          departments: this.state.departments.map((d) =>
            d.id === event.department ? { ...d, agentsOnline: event.agentsOnline } : d,
          ),
        }),
      ),
    );
    this.offs.push(this.conversations.subscribe(() => this.followTransfer()));
    this.conversations.start();
    void this.loadDepartments();
  }

  /** The conversation on screen was transferred: show the department that now holds the customer. */
  private followTransfer(): void {
    const chat = this.conversations.getSnapshot();
    const target = transferTarget(chat, this.state.activeDepartment, this.shown, this.followed);
    const summary = chat.activeId ? chat.summaries.get(chat.activeId) : undefined;
    this.shown = summary ? { id: summary.id, department: summary.department } : null;
    if (!target) return;
    if (target.messageId) this.followed.add(target.messageId);
    // A department this page did not list yet (a new one, or not offered before): its name comes with the list.
    if (!this.state.departments.some((d) => d.id === target.department)) void this.loadDepartments();
    if (this.navigate) this.navigate(target.department);
    else this.select(target.department);
  }

  stop(): void {
    for (const off of this.offs.splice(0)) off();
    this.conversations.stop();
  }

  private async loadDepartments(): Promise<void> {
    const departments = await this.client.departments();
    if (departments.ok) this.update({ departments: departments.data, departmentsStatus: 'ready' });
    else if (this.state.departmentsStatus !== 'ready') this.update({ departmentsStatus: 'error' });
  }

  /** "Try again" after the departments failed to load. */
  async refresh(): Promise<void> {
    this.update({ departmentsStatus: 'loading' });
    await Promise.all([this.loadDepartments(), this.conversations.loadSummaries()]);
    const active = this.state.activeDepartment;
    if (active) this.show(active);
  }

  select(department: string | null): void {
    if (department === this.state.activeDepartment) return;
    this.update({ activeDepartment: department, notice: null });
    if (!department) this.conversations.open(null);
    // A known conversation loads its history over HTTP right away; only a new one waits for the socket.
    else void this.conversations.summariesLoaded.then(() => this.show(department));
  }

  private show(department: string): void {
    if (this.state.activeDepartment !== department) return;
    const summary = conversationOf(this.conversations.getSnapshot(), department);
    if (summary) this.conversations.open(summary.id);
    else void this.open(department);
  }

  /** Opens (or finds) the conversation with a department: the server returns the same one every time. */
  private async open(department: string): Promise<void> {
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
    this.conversations.upsert(result.data);
    const { [department]: _, ...opening } = this.state.opening;
    this.update({ opening });
    this.show(department);
  }

  retry(department: string): void {
    const summary = conversationOf(this.conversations.getSnapshot(), department);
    if (summary) this.conversations.retryHistory(summary.id);
    else void this.open(department);
  }
}
