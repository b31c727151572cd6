// The customer's page around the shared conversation store: departments with their presence, one conversation
// per department (opened on first visit), and which department is on screen.
import {
  ConversationStore,
  type ConversationsState,
  ExternalStore,
  friendlyError,
  type LoadStatus,
} from '@support-chat/client-ui';
import type { ChatClient } from '@support-chat/protocol/client';
import type { ConversationSummary, Department, User } from '@support-chat/protocol/core';

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

export class ChatStore extends ExternalStore<PageState> {
  readonly conversations: ConversationStore;
  private readonly offs: (() => void)[] = [];
  private connectedBefore = false;

  constructor(
    private readonly client: ChatClient,
    user: User,
    /** Whether the conversation on screen is seen now (the widget: its panel is open too). */
    isVisible: () => boolean = isPageVisible,
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
    this.conversations.start();
    void this.loadDepartments();
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
