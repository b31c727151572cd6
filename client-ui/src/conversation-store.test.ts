import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConversationStore, PAGE_SIZE, TYPING_TIMEOUT_MS } from './conversation-store';
import { agent, customer, FakeClient, message, pending, summary, transferLine } from './test/factories';

/** Resolves once the store has notified a state that passes `check`. */
const until = (
  store: ConversationStore,
  check: (s: ReturnType<ConversationStore['getSnapshot']>) => boolean,
) =>
  new Promise<void>((resolve) => {
    if (check(store.getSnapshot())) return resolve();
    const off = store.subscribe(() => {
      if (!check(store.getSnapshot())) return;
      off();
      resolve();
    });
  });

const setup = (visible = true) => {
  const client = new FakeClient();
  const conversation = summary({ lastSeq: 3, unread: 1, readSeq: { customer: 2, agents: 3 } });
  client.summaries = [conversation];
  client.history_ = [
    message(conversation.id, 1, customer),
    message(conversation.id, 2, agent),
    message(conversation.id, 3, agent),
  ];
  const store = new ConversationStore(client, customer, { isVisible: () => visible });
  return { client, conversation, store };
};

afterEach(() => {
  vi.useRealTimers();
});

describe('ConversationStore', () => {
  it('opens a conversation: latest page, tracked for sync, marked read once while seen', async () => {
    const { client, conversation, store } = setup();
    store.start();
    await store.summariesLoaded;
    store.open(conversation.id);
    await until(store, (s) => s.summaries.get(conversation.id)?.readSeq.customer === 3);
    const view = store.getSnapshot().views[conversation.id]!;
    expect(view.messages.map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(view).toMatchObject({ history: 'ready', hasOlder: false });
    expect(store.getSnapshot().summaries.get(conversation.id)!.unread).toBe(0);
    expect(client.calls).toEqual(['connect', 'history latest', `track ${conversation.id} 3`, 'read 3']);
    store.open(conversation.id);
    expect(client.calls.filter((c) => c.startsWith('read'))).toEqual(['read 3']);
  });

  it('does not mark read while the user cannot see it', async () => {
    const { client, conversation, store } = setup(false);
    store.start();
    await store.summariesLoaded;
    store.open(conversation.id);
    await until(store, (s) => s.views[conversation.id]?.history === 'ready');
    expect(client.calls).not.toContain('read 3');
    expect(store.getSnapshot().summaries.get(conversation.id)!.unread).toBe(1);
  });

  it('advances the summary with live messages: the other side adds unread, their message ends typing', async () => {
    vi.useFakeTimers();
    const { client, conversation, store } = setup(false);
    store.start();
    await store.summariesLoaded;
    client.emit('typing', { conversationId: conversation.id, user: agent, isTyping: true });
    client.emit('typing', { conversationId: conversation.id, user: customer, isTyping: true });
    expect(store.getSnapshot().typing).toEqual({ [conversation.id]: agent.username });
    client.emit('message', message(conversation.id, 4, agent));
    expect(store.getSnapshot().typing).toEqual({});
    expect(store.getSnapshot().summaries.get(conversation.id)).toMatchObject({ lastSeq: 4, unread: 2 });
    client.emit('message', message(conversation.id, 5, customer));
    expect(store.getSnapshot().summaries.get(conversation.id)).toMatchObject({ lastSeq: 5, unread: 2 });
    // A stale broadcast does not undo it; a read by the customer elsewhere clears it.
    client.emit('conversation', { ...conversation, lastSeq: 3, unread: 1 });
    expect(store.getSnapshot().summaries.get(conversation.id)!.lastSeq).toBe(5);
    client.emit('read', { conversationId: conversation.id, by: 'customer', seq: 5 });
    expect(store.getSnapshot().summaries.get(conversation.id)!.unread).toBe(0);
  });

  it(`ends the other side's typing after ${TYPING_TIMEOUT_MS} ms without news`, async () => {
    vi.useFakeTimers();
    const { client, conversation, store } = setup();
    store.start();
    client.emit('typing', { conversationId: conversation.id, user: agent, isTyping: true });
    vi.advanceTimersByTime(TYPING_TIMEOUT_MS - 1);
    expect(store.getSnapshot().typing[conversation.id]).toBe(agent.username);
    vi.advanceTimersByTime(1);
    expect(store.getSnapshot().typing).toEqual({});
  });

  it('pages back to the first message', async () => {
    const { client, conversation, store } = setup(false);
    client.history_ = Array.from({ length: PAGE_SIZE + 10 }, (_, i) =>
      message(conversation.id, i + 1, agent),
    );
    store.start();
    await store.summariesLoaded;
    store.open(conversation.id);
    await until(store, (s) => s.views[conversation.id]?.history === 'ready');
    expect(store.getSnapshot().views[conversation.id]).toMatchObject({ hasOlder: true });
    await store.loadOlder(conversation.id);
    const view = store.getSnapshot().views[conversation.id]!;
    expect(view.messages.length).toBe(PAGE_SIZE + 10);
    expect(view.hasOlder).toBe(false);
    expect(client.calls).toContain(`history ${11}`);
  });

  it('shows sends after the stored messages, retries and discards through the client', async () => {
    const { client, conversation, store } = setup();
    store.start();
    await store.summariesLoaded;
    store.open(conversation.id);
    await until(store, (s) => s.views[conversation.id]?.history === 'ready');
    store.send(conversation.id, 'hello');
    const entries = store.getSnapshot().views[conversation.id]!.entries;
    expect(entries.map((e) => e.kind)).toEqual(['message', 'message', 'message', 'pending']);
    store.retry('pending-hello');
    store.discard('pending-hello');
    expect(client.calls.slice(-2)).toEqual(['retry pending-hello', 'discard pending-hello']);
  });

  it('turns a rate-limited send into a countdown once per attempt', () => {
    const { client, conversation, store } = setup();
    store.start();
    const before = Date.now();
    client.emit('outbox', [
      pending(conversation.id, 'x', { error: { code: 'rate_limited', message: 'slow', retryAfterMs: 3000 } }),
    ]);
    expect(store.getSnapshot().rateLimitedUntil).toBeGreaterThanOrEqual(before + 3000);
    store.clearRateLimit();
    client.emit('outbox', [
      pending(conversation.id, 'x', { error: { code: 'rate_limited', message: 'slow', retryAfterMs: 3000 } }),
    ]);
    expect(store.getSnapshot().rateLimitedUntil).toBeNull();
  });

  it('fetches the summaries again for a message of a conversation it does not know', async () => {
    const { client, store } = setup();
    store.start();
    await store.summariesLoaded;
    const fresh = summary({ lastSeq: 1 });
    client.summaries = [...client.summaries, fresh];
    client.emit('message', message(fresh.id, 1, agent));
    await until(store, (s) => s.summaries.has(fresh.id));
  });

  it('keeps the ten most recently opened conversations loaded and lets the oldest go', async () => {
    const { client, store } = setup(false);
    const opened = Array.from({ length: 11 }, () => summary());
    client.summaries = opened;
    store.start();
    await store.summariesLoaded;
    for (const c of opened) {
      store.open(c.id);
      await until(store, (s) => s.views[c.id]?.history === 'ready');
    }
    expect(Object.keys(store.getSnapshot().views)).toHaveLength(10);
    expect(store.getSnapshot().views[opened[0]!.id]).toBeUndefined();
    expect(client.calls).toContain(`untrack ${opened[0]!.id}`);
  });

  it('shows a live transfer line in the timeline without counting it unread', async () => {
    const { client, conversation, store } = setup(false);
    store.start();
    await store.summariesLoaded;
    store.open(conversation.id);
    await until(store, (s) => s.views[conversation.id]?.history === 'ready');
    client.emit('message', transferLine(conversation.id, 4));
    const view = store.getSnapshot().views[conversation.id]!;
    expect(view.messages.at(-1)).toMatchObject({ seq: 4, kind: 'system' });
    expect(store.getSnapshot().summaries.get(conversation.id)).toMatchObject({ lastSeq: 4, unread: 1 });
  });

  it('forgets a conversation that left the user (conversation:removed): summary, timeline, sync, the screen', async () => {
    const client = new FakeClient();
    const kept = summary({ lastSeq: 1 });
    const gone = summary({ lastSeq: 2 });
    client.summaries = [kept, gone];
    client.history_ = [message(gone.id, 1, customer), message(gone.id, 2, customer)];
    const store = new ConversationStore(client, agent, { isVisible: () => false });
    store.start();
    await store.summariesLoaded;
    store.open(gone.id);
    await until(store, (s) => s.views[gone.id]?.history === 'ready');
    client.emit('typing', { conversationId: gone.id, user: customer, isTyping: true });
    client.emit('removed', { conversationId: gone.id, reason: 'transferred', department: 'technical' });
    const state = store.getSnapshot();
    expect(state.activeId).toBeNull();
    expect(state.summaries.has(gone.id)).toBe(false);
    expect(state.summaries.has(kept.id)).toBe(true);
    expect(state.views[gone.id]).toBeUndefined();
    expect(state.typing).toEqual({});
    expect(client.calls).toContain(`untrack ${gone.id}`);
    // Again (the transfer's own answer and the event both say it): nothing more happens.
    const before = store.getSnapshot();
    store.remove(gone.id);
    expect(store.getSnapshot()).toBe(before);
  });
});
