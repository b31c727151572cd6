// The inbox as the agent scrolls it (SPEC §15): pages of the server's view, most recent activity first, kept live.
// The rows are conversation ids in order; their summaries live in the shared ConversationStore (pages are upserted
// into it, and live events keep them current). A live change places its conversation where it belongs among the
// rows loaded so far (a moved one leaves its old place), so nothing is reloaded, and the badge is the server's
// kept `counts.unread`, not a sum over what happens to be loaded.
import type { ConversationStore } from '@support-chat/client-ui';
import { ExternalStore } from '@support-chat/client-ui';
import type {
  ConversationRemovedEvent,
  ConversationSummary,
  InboxCounts,
  InboxPage,
  Message,
  Result,
  InboxQuery as WireQuery,
} from '@support-chat/protocol/core';
import { type InboxQuery, lastActivity, matchesQuery } from './inbox-model';

/** What the pager needs of the chat client. */
export interface InboxClient {
  inboxPage(query: WireQuery): Promise<Result<InboxPage>>;
  on(event: 'conversation', cb: (summary: ConversationSummary) => void): () => void;
  on(event: 'message', cb: (message: Message) => void): () => void;
  on(event: 'inboxCounts', cb: (counts: InboxCounts) => void): () => void;
  on(event: 'removed', cb: (event: ConversationRemovedEvent) => void): () => void;
}

export interface InboxPagerState {
  query: InboxQuery;
  /** The rows loaded so far, in order. */
  ids: readonly string[];
  nextCursor: string | null;
  status: 'loading' | 'ready' | 'error';
  error: string | null;
  loadingMore: boolean;
  counts: InboxCounts;
}

/** Rows per request. */
export const PAGE_SIZE = 50;

/** Server order: most recent activity first, then by id. */
const before = (a: ConversationSummary, b: ConversationSummary): boolean => {
  const x = lastActivity(a);
  const y = lastActivity(b);
  return x > y || (x === y && a.id < b.id);
};

export class InboxPager extends ExternalStore<InboxPagerState> {
  private generation = 0;
  private readonly offs: (() => void)[] = [];

  constructor(
    private readonly client: InboxClient,
    private readonly conversations: Pick<ConversationStore, 'upsertMany' | 'getSnapshot'>,
    private readonly agentId: string,
    query: InboxQuery,
  ) {
    super({
      query,
      ids: [],
      nextCursor: null,
      status: 'loading',
      error: null,
      loadingMore: false,
      counts: { mine: 0, waiting: 0, open: 0, unread: 0 },
    });
  }

  start(): void {
    this.offs.push(
      this.client.on('conversation', (s) => this.place(s.id)),
      this.client.on('message', (m) => this.place(m.conversationId)),
      this.client.on('inboxCounts', (counts) => this.update({ counts })),
      this.client.on('removed', (event) => this.drop(event.conversationId)),
    );
    void this.reload();
  }

  stop(): void {
    this.generation++;
    for (const off of this.offs.splice(0)) off();
  }

  setQuery(patch: Partial<InboxQuery>): void {
    this.update({ query: { ...this.state.query, ...patch } });
    void this.reload();
  }

  private wireQuery(cursor: string | null): WireQuery {
    const q = this.state.query;
    return {
      view: q.filter,
      limit: PAGE_SIZE,
      ...(q.department ? { department: q.department } : {}),
      ...(q.search ? { q: q.search } : {}),
      ...(cursor ? { cursor } : {}),
    };
  }

  /** The first page of the current query (also "Try again"). */
  async reload(): Promise<void> {
    const generation = ++this.generation;
    this.update({ status: 'loading', error: null, ids: [], nextCursor: null, loadingMore: false });
    const result = await this.client.inboxPage(this.wireQuery(null));
    if (generation !== this.generation) return;
    if (!result.ok) {
      this.update({ status: 'error', error: result.error.message });
      return;
    }
    this.take(result.data, []);
  }

  /** The next page, when there is one and none is loading. */
  async loadMore(): Promise<void> {
    const { nextCursor, loadingMore, status } = this.state;
    if (!nextCursor || loadingMore || status !== 'ready') return;
    const generation = this.generation;
    this.update({ loadingMore: true });
    const result = await this.client.inboxPage(this.wireQuery(nextCursor));
    if (generation !== this.generation) return;
    if (!result.ok) {
      this.update({ loadingMore: false, error: result.error.message });
      return;
    }
    this.take(result.data, this.state.ids);
  }

  private take(page: InboxPage, loaded: readonly string[]): void {
    this.conversations.upsertMany(page.conversations);
    const seen = new Set(loaded);
    // A conversation that moved up while pages loaded may come again: it keeps its first place.
    const ids = [...loaded, ...page.conversations.map((s) => s.id).filter((id) => !seen.has(id))];
    this.update({
      ids,
      nextCursor: page.nextCursor,
      counts: page.counts,
      status: 'ready',
      error: null,
      loadingMore: false,
    });
  }

  /** A conversation left the agent's reach (transferred to a department they are not in): its row goes. */
  drop(id: string): void {
    const ids = this.state.ids.filter((other) => other !== id);
    if (ids.length !== this.state.ids.length) this.update({ ids });
  }

  /**
   * A conversation changed (live): it leaves its old row, and comes back where its activity puts it among the loaded
   * rows if it still belongs to the view (a search only updates the rows it found).
   */
  private place(id: string): void {
    if (this.state.status !== 'ready') return;
    const summaries = this.conversations.getSnapshot().summaries;
    const summary = summaries.get(id);
    if (!summary) return;
    const { ids, nextCursor, query } = this.state;
    const at = ids.indexOf(id);
    if (query.search && at === -1) return;
    const rest = at === -1 ? ids : [...ids.slice(0, at), ...ids.slice(at + 1)];
    if (!matchesQuery(summary, query, this.agentId)) {
      if (at !== -1) this.update({ ids: rest });
      return;
    }
    let index = rest.findIndex((other) => {
      const s = summaries.get(other);
      return s ? before(summary, s) : false;
    });
    // Older than every loaded row: it belongs to a page not loaded yet (unless this is the last page).
    if (index === -1) {
      if (nextCursor !== null) {
        if (at !== -1) this.update({ ids: rest });
        return;
      }
      index = rest.length;
    }
    if (index === at) return;
    this.update({ ids: [...rest.slice(0, index), id, ...rest.slice(index)] });
  }
}
