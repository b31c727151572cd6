// The customer's page follows a transfer (SPEC §12): to the conversation's new department when it moved, to the
// department that now holds the customer when a transfer line points at another conversation; once per line.
import type { ClientEventMap } from '@support-chat/protocol/client';
import type { ConversationSummary, Message, Result, User } from '@support-chat/protocol/core';
import { describe, expect, it } from 'vitest';
import { ChatStore, startedWith } from './chat-store';

const me: User = { id: 'u00000000000000000000001', username: 'carla', role: 'customer', departments: [] };
const agent = { id: 'a00000000000000000000001', username: 'alex', role: 'agent' as const };
const BILLING = 'c00000000000000000000001';
const TECHNICAL = 'c00000000000000000000002';

const conversation = (id: string, department: string, over: Partial<ConversationSummary> = {}) =>
  ({
    id,
    department,
    customer: { id: me.id, username: me.username },
    status: 'open',
    assigneeId: null,
    lastSeq: 1,
    lastMessage: null,
    unread: 0,
    readSeq: { customer: 1, agents: 1 },
    createdAt: '2026-01-01T09:00:00.000Z',
    updatedAt: '2026-01-01T09:00:00.000Z',
    ...over,
  }) satisfies ConversationSummary;

const line = (conversationId: string, seq: number, toConversationId: string): Message => ({
  id: `m-${conversationId}-${seq}`,
  conversationId,
  seq,
  sender: agent,
  text: 'Transferred to Technical Support',
  clientMsgId: `system-${conversationId}-${seq}`,
  createdAt: new Date(Date.UTC(2026, 0, 1, 10, seq)).toISOString(),
  kind: 'system',
  system: {
    type: 'transfer',
    from: { department: 'billing', name: 'Billing Support', conversationId },
    to: { department: 'technical', name: 'Technical Support', conversationId: toConversationId },
  },
});

const said = (conversationId: string, seq: number): Message => ({
  id: `m-${conversationId}-${seq}`,
  conversationId,
  seq,
  sender: { id: me.id, username: me.username, role: 'customer' },
  text: `message ${seq}`,
  clientMsgId: `c-${conversationId}-${seq}`,
  createdAt: new Date(Date.UTC(2026, 0, 1, 10, seq)).toISOString(),
});

const ok = <T>(data: T): Promise<Result<T>> => Promise.resolve({ ok: true, data });

/** The ChatClient surface the page's stores use, over in-memory conversations and messages. */
function fakeClient(summaries: ConversationSummary[], messages: Message[]) {
  const listeners = new Map<string, Set<(p: never) => void>>();
  const client = {
    state: 'connected',
    outboxItems: [],
    summaries,
    messages,
    on<K extends keyof ClientEventMap>(event: K, cb: (p: ClientEventMap[K]) => void) {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      set.add(cb as (p: never) => void);
      return () => set.delete(cb as (p: never) => void);
    },
    emit<K extends keyof ClientEventMap>(event: K, payload: ClientEventMap[K]) {
      for (const cb of listeners.get(event) ?? []) (cb as (p: ClientEventMap[K]) => void)(payload);
    },
    connect() {},
    conversations: () => ok(client.summaries),
    departments: () =>
      ok([
        { id: 'billing', name: 'Billing Support', agentsOnline: 1 },
        { id: 'technical', name: 'Technical Support', agentsOnline: 1 },
      ]),
    openConversation: (department: string) =>
      ok(client.summaries.find((s) => s.department === department) ?? conversation('c-new', department)),
    history: (id: string) => ok(client.messages.filter((m) => m.conversationId === id)),
    track() {},
    untrack() {},
    markRead: (id: string) => ok(client.summaries.find((s) => s.id === id)!),
    setTyping() {},
  };
  return client;
}

/** A page showing billing, whose navigation goes through `navigate` (the hash, on the real page). */
async function showing(summaries: ConversationSummary[], messages: Message[], department = 'billing') {
  const client = fakeClient(summaries, messages);
  const went: string[] = [];
  const store: ChatStore = new ChatStore(
    client as never,
    me,
    () => true,
    (d) => {
      went.push(d);
      store.select(d);
    },
  );
  store.start();
  store.select(department);
  await store.conversations.summariesLoaded;
  await settled(store, (s) => {
    const id = s.activeId;
    return id !== null && s.views[id]?.history === 'ready';
  });
  return { client, store, went };
}

const settled = (
  store: ChatStore,
  check: (s: ReturnType<ChatStore['conversations']['getSnapshot']>) => boolean,
) =>
  new Promise<void>((resolve) => {
    if (check(store.conversations.getSnapshot())) return resolve();
    const off = store.conversations.subscribe(() => {
      if (check(store.conversations.getSnapshot())) {
        off();
        resolve();
      }
    });
  });

describe('ChatStore following a transfer', () => {
  it('moved (same conversation, new department): shows the new department, same thread', async () => {
    const billing = conversation(BILLING, 'billing');
    const { client, store, went } = await showing([billing], [said(BILLING, 1)]);
    client.emit('message', line(BILLING, 2, BILLING));
    expect(went).toEqual([]);
    client.emit(
      'conversation',
      conversation(BILLING, 'technical', { lastSeq: 2, updatedAt: '2026-01-01T10:02:00Z' }),
    );
    expect(went).toEqual(['technical']);
    expect(store.getSnapshot().activeDepartment).toBe('technical');
    expect(store.conversations.getSnapshot().activeId).toBe(BILLING);
    expect(store.conversations.getSnapshot().views[BILLING]?.messages.map((m) => m.seq)).toEqual([1, 2]);
    // It started with Billing Support, and says so at its start.
    expect(startedWith(store.conversations.getSnapshot().views[BILLING]?.messages, 'Technical Support')).toBe(
      'Billing Support',
    );
    // The target of a transfer that moved nothing ("Transferred from", the source at its from end) started there.
    const from = line(TECHNICAL, 2, TECHNICAL);
    const fromLine = {
      ...from,
      system: { ...from.system!, from: { ...from.system!.from, conversationId: BILLING } },
    };
    expect(startedWith([said(TECHNICAL, 1), fromLine], 'Technical Support')).toBe('Technical Support');
  });

  it('to the customer’s other conversation: switches to it live, and once only', async () => {
    const billing = conversation(BILLING, 'billing');
    const technical = conversation(TECHNICAL, 'technical', { status: 'resolved' });
    const { client, store, went } = await showing([billing, technical], [said(BILLING, 1)]);
    client.emit('message', line(BILLING, 2, TECHNICAL));
    expect(went).toEqual(['technical']);
    await settled(store, (s) => s.activeId === TECHNICAL);
    // Back to billing on purpose: the line was followed already, the page stays.
    store.select('billing');
    await settled(store, (s) => s.activeId === BILLING);
    expect(went).toEqual(['technical']);
    expect(store.getSnapshot().activeDepartment).toBe('billing');
  });

  it('a transfer line at the end of the history loaded (missed while away) is followed too', async () => {
    const billing = conversation(BILLING, 'billing', { lastSeq: 2, status: 'resolved' });
    const technical = conversation(TECHNICAL, 'technical');
    const { store, went } = await showing(
      [billing, technical],
      [said(BILLING, 1), line(BILLING, 2, TECHNICAL)],
    );
    expect(went).toEqual(['technical']);
    await settled(store, (s) => s.activeId === TECHNICAL);
  });

  it('a click to another department is not a transfer; the target’s own line does not bounce', async () => {
    const billing = conversation(BILLING, 'billing');
    const technical = conversation(TECHNICAL, 'technical', { lastSeq: 1 });
    const { store, went } = await showing(
      [billing, technical],
      [said(BILLING, 1), { ...line(TECHNICAL, 1, TECHNICAL), text: 'Transferred from Billing Support' }],
    );
    store.select('technical');
    await settled(store, (s) => s.activeId === TECHNICAL && s.views[TECHNICAL]?.history === 'ready');
    store.select('billing');
    await settled(store, (s) => s.activeId === BILLING);
    expect(went).toEqual([]);
  });
});
