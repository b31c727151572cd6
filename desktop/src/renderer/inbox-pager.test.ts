// The pager's logic with a fake client (the real server's paging is tested in server/.../inbox.int.test.ts and the
// whole console in e2e/tests/desktop-console.spec.ts).
import { ConversationStore } from '@support-chat/client-ui';
import type {
  ConversationRemovedEvent,
  ConversationSummary,
  InboxCounts,
  InboxPage,
  InboxQuery,
  Message,
  Result,
  User,
} from '@support-chat/protocol/core';
import { describe, expect, it } from 'vitest';
import { type InboxClient, InboxPager } from './inbox-pager';

const ME = 'a00000000000000000000001';
const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 10, minute)).toISOString();
const summary = (n: number, over: Partial<ConversationSummary> = {}): ConversationSummary => ({
  id: `c${String(n).padStart(23, '0')}`,
  department: 'billing',
  customer: { id: `u${String(n).padStart(23, '0')}`, username: `customer${n}` },
  status: 'open',
  assigneeId: null,
  lastSeq: 1,
  lastMessage: null,
  unread: 0,
  readSeq: { customer: 0, agents: 0 },
  createdAt: at(n),
  updatedAt: at(n),
  ...over,
});

/** A server of `count` conversations paged newest first; live events are pushed with `emit`. */
function fakeServer(count: number) {
  const all = Array.from({ length: count }, (_, i) => summary(i + 1));
  const listeners: Record<string, ((p: unknown) => void)[]> = {};
  const requests: InboxQuery[] = [];
  const counts: InboxCounts = { mine: 0, waiting: count, open: count, unread: 7 };
  const client = {
    async inboxPage(query: InboxQuery): Promise<Result<InboxPage>> {
      requests.push(query);
      const sorted = all
        .filter((s) => query.view !== 'mine' || s.assigneeId === ME)
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
      const start = query.cursor ? Number(query.cursor) : 0;
      const limit = Number(query.limit ?? 50);
      const page = sorted.slice(start, start + limit);
      const next = start + limit < sorted.length ? String(start + limit) : null;
      return { ok: true, data: { conversations: page, nextCursor: next, counts } };
    },
    on(event: string, cb: (p: never) => void) {
      const list = listeners[event] ?? [];
      listeners[event] = list;
      list.push(cb as (p: unknown) => void);
      return () => {};
    },
    emit(
      event: 'conversation' | 'message' | 'inboxCounts' | 'removed',
      payload: ConversationSummary | Message | InboxCounts | ConversationRemovedEvent,
    ) {
      for (const cb of listeners[event] ?? []) cb(payload);
    },
  };
  return { all, client, requests };
}

/** The summary after a customer message at `minute` (the activity the inbox orders by). */
const wrote = (
  s: ConversationSummary,
  minute: number,
  over: Partial<ConversationSummary> = {},
): ConversationSummary => ({
  ...s,
  lastSeq: s.lastSeq + 1,
  lastMessage: { seq: s.lastSeq + 1, text: 'hi', senderRole: 'customer', createdAt: at(minute) },
  updatedAt: at(minute),
  ...over,
});

const me: User = { id: ME, username: 'me', role: 'agent', departments: ['billing'] };

function setup(count: number) {
  const server = fakeServer(count);
  const conversations = new ConversationStore(
    server.client as unknown as ConstructorParameters<typeof ConversationStore>[0],
    me,
  );
  // The summary store hears live conversations first (as in the console), then the pager.
  server.client.on('conversation', (s: ConversationSummary) => conversations.upsert(s));
  server.client.on('removed', (e: ConversationRemovedEvent) => conversations.remove(e.conversationId));
  const pager = new InboxPager(server.client as InboxClient, conversations, ME, {
    filter: 'all',
    department: null,
  });
  pager.start();
  return { ...server, pager, conversations };
}

const settled = () => new Promise((r) => setTimeout(r, 0));

describe('InboxPager', () => {
  it('loads pages as asked, newest first, until the last', async () => {
    const { pager, all } = setup(120);
    await settled();
    expect(pager.getSnapshot().ids.length).toBe(50);
    expect(pager.getSnapshot().ids[0]).toBe(all[119]?.id);
    expect(pager.getSnapshot().counts.unread).toBe(7);
    await pager.loadMore();
    await pager.loadMore();
    expect(pager.getSnapshot().ids.length).toBe(120);
    expect(pager.getSnapshot().nextCursor).toBeNull();
    expect(new Set(pager.getSnapshot().ids).size).toBe(120);
  });

  it('puts a live change in place: a moved conversation leaves its old row, a new one comes on top', async () => {
    const { pager, client, all } = setup(120);
    await settled();
    const old = all[10] as ConversationSummary; // not loaded yet (page 3)
    client.emit('conversation', wrote(old, 500));
    expect(pager.getSnapshot().ids[0]).toBe(old.id);
    const loaded = all[100] as ConversationSummary; // on the first page
    const moved = wrote(loaded, 501);
    client.emit('conversation', moved);
    const ids = pager.getSnapshot().ids;
    expect(ids.slice(0, 2)).toEqual([loaded.id, old.id]);
    expect(ids.filter((id) => id === loaded.id).length).toBe(1);
    // Resolved by someone while the view is "mine": leaves the view.
    pager.setQuery({ filter: 'mine' });
    await settled();
    expect(pager.getSnapshot().ids).toEqual([]);
    client.emit('conversation', wrote(moved, 502, { assigneeId: ME }));
    expect(pager.getSnapshot().ids).toEqual([loaded.id]);
    client.emit('conversation', wrote(moved, 503, { assigneeId: null }));
    expect(pager.getSnapshot().ids).toEqual([]);
  });

  it('drops the row of a conversation transferred out of the agent’s reach, and keeps paging in step', async () => {
    const { pager, client, all, conversations } = setup(120);
    await settled();
    const gone = all[110] as ConversationSummary; // on the first page
    client.emit('removed', { conversationId: gone.id, reason: 'transferred', department: 'technical' });
    expect(pager.getSnapshot().ids).not.toContain(gone.id);
    expect(pager.getSnapshot().ids.length).toBe(49);
    expect(conversations.getSnapshot().summaries.has(gone.id)).toBe(false);
    // A late event of it places nothing (its summary is gone), and the next pages still come once each.
    client.emit('message', {
      id: 'm1',
      conversationId: gone.id,
      seq: 2,
      sender: { id: gone.customer.id, username: gone.customer.username, role: 'customer' },
      text: 'hi',
      clientMsgId: 'x',
      createdAt: at(600),
    });
    expect(pager.getSnapshot().ids).not.toContain(gone.id);
    await pager.loadMore();
    await pager.loadMore();
    expect(new Set(pager.getSnapshot().ids).size).toBe(pager.getSnapshot().ids.length);
    // The transfer's own answer drops it as well: once is enough.
    pager.drop(gone.id);
    pager.drop(all[0]!.id);
    expect(pager.getSnapshot().ids).not.toContain(all[0]!.id);
  });

  it('takes the badge from the server’s counts, live', async () => {
    const { pager, client } = setup(3);
    await settled();
    client.emit('inboxCounts', { mine: 1, waiting: 2, open: 3, unread: 42 });
    expect(pager.getSnapshot().counts.unread).toBe(42);
  });

  it('drops an answer for a query that changed meanwhile', async () => {
    const { pager, requests } = setup(60);
    pager.setQuery({ filter: 'mine' });
    await settled();
    expect(requests.map((r) => r.view)).toEqual(['all', 'mine']);
    expect(pager.getSnapshot().ids).toEqual([]);
    expect(pager.getSnapshot().query.filter).toBe('mine');
  });
});
