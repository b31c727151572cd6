// Delivery over a stand-in wire whose answers the test gives: sends checked before queueing, each message to
// the UI once, gaps and reconnects filled by sync page after page, typing throttled.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Delivery, type Wire } from './client-delivery';
import type { Result } from './errors';
import { type AckData, ClientEvent, type ClientEventName, type EventPayload } from './events';
import { MAX_MESSAGE_CHARS, MAX_SYNC_MESSAGES } from './limits';
import type { Message } from './types';

const conversationId = 'c'.repeat(24);
const message = (seq: number, id = conversationId): Message => ({
  id: `m${seq}`,
  conversationId: id,
  seq,
  sender: { id: 'u', username: 'ann', role: 'agent' },
  text: `text ${seq}`,
  clientMsgId: `cm-${seq}`,
  createdAt: new Date(0).toISOString(),
});

/** A wire that records every request; `sync` answers conversation:sync from a list of stored messages. */
function harness(stored: Message[] = []) {
  const asked: { event: string; payload: Record<string, unknown> }[] = [];
  const told: unknown[] = [];
  const wire: Wire & { connected: boolean } = {
    connected: true,
    async ask<E extends ClientEventName>(event: E, payload: EventPayload<E>): Promise<Result<AckData<E>>> {
      const p = payload as Record<string, unknown>;
      asked.push({ event, payload: p });
      if (event === ClientEvent.conversationSync) {
        const page = stored.filter((m) => m.seq > (p.afterSeq as number)).slice(0, MAX_SYNC_MESSAGES);
        return { ok: true, data: { messages: page } as AckData<E> };
      }
      return { ok: false, error: { code: 'unavailable', message: 'no server here' } };
    },
    tell: (_event, payload) => told.push(payload),
  };
  const seen: number[] = [];
  const delivery = new Delivery(wire, { message: (m) => seen.push(m.seq), outbox: () => {} });
  const syncs = () =>
    asked.filter((a) => a.event === ClientEvent.conversationSync).map((a) => a.payload.afterSeq);
  return { wire, delivery, seen, told, syncs };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('Delivery', () => {
  it('refuses a text or a conversation id the server would refuse, before queueing (no zod)', async () => {
    const { delivery } = harness();
    const empty = delivery.send(conversationId, ' \n ');
    expect(empty.error).toEqual({
      code: 'invalid_input',
      message: 'The message must not be empty.',
      issues: [{ path: '(root)', message: 'must not be empty' }],
    });
    expect(delivery.send(conversationId, 'x'.repeat(MAX_MESSAGE_CHARS + 1)).error?.message).toBe(
      `The message must be at most ${MAX_MESSAGE_CHARS} characters.`,
    );
    // Four thousand emoji are 8000 UTF-16 units but 4000 characters: allowed.
    expect(delivery.send(conversationId, '😀'.repeat(MAX_MESSAGE_CHARS)).status).toBe('pending');
    expect(delivery.send(conversationId, 'a\u0000b').error?.issues).toEqual([
      { path: '(root)', message: 'must not contain NUL characters' },
    ]);
    const badId = delivery.send('nope', 'hello');
    expect([badId.error?.message, badId.error?.issues?.[0]?.message]).toEqual([
      'Unknown conversation.',
      'must be a 24-character hex id',
    ]);
    expect((await badId.done).ok).toBe(false);
    expect(delivery.send(conversationId, '  cafe\u0301 ').text).toBe('café');
    expect(delivery.outboxItems.map((i) => i.status)).toEqual(['pending', 'pending']);
  });

  it('hands each message to the UI once, live or synced', () => {
    const { delivery, seen } = harness();
    for (const seq of [1, 2, 2, 1, 3]) delivery.deliver(message(seq));
    expect(seen).toEqual([1, 2, 3]);
  });

  it('syncs a tracked conversation from the seq it holds, page after page, when it comes online', async () => {
    const stored = Array.from({ length: MAX_SYNC_MESSAGES + 20 }, (_, i) => message(i + 1));
    const { delivery, seen, syncs } = harness(stored);
    const other = 'd'.repeat(24);
    delivery.track(conversationId, 10);
    await vi.waitFor(() => expect(seen).toHaveLength(stored.length - 10));
    expect(syncs()).toEqual([10, 10 + MAX_SYNC_MESSAGES]);
    expect(seen[0]).toBe(11);
    // A reconnect: synced again from what was delivered, the untracked conversation not at all.
    delivery.deliver(message(1, other));
    delivery.online();
    await vi.waitFor(() => expect(syncs()).toHaveLength(3));
    expect(syncs()[2]).toBe(stored.length);
  });

  it('fills a gap in live messages with a sync once it has lasted a moment', async () => {
    vi.useFakeTimers();
    const { wire, delivery, seen, syncs } = harness([1, 2, 3, 4, 5].map((seq) => message(seq)));
    wire.connected = false;
    delivery.track(conversationId, 1);
    wire.connected = true;
    // A racing broadcast closes the gap in time: no sync.
    delivery.deliver(message(3));
    delivery.deliver(message(2));
    await vi.advanceTimersByTimeAsync(300);
    expect(syncs()).toEqual([]);
    delivery.deliver(message(5));
    await vi.advanceTimersByTimeAsync(299);
    expect(syncs()).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(syncs()).toEqual([3]);
    expect(seen).toEqual([3, 2, 5, 4]);
  });

  it('sends typing true at most every 2 s, and false only after a true', () => {
    vi.useFakeTimers();
    const { delivery, told } = harness();
    delivery.setTyping(conversationId, false);
    delivery.setTyping(conversationId, true);
    delivery.setTyping(conversationId, true);
    vi.advanceTimersByTime(2000);
    delivery.setTyping(conversationId, true);
    delivery.setTyping(conversationId, false);
    delivery.setTyping(conversationId, false);
    expect(told.map((t) => (t as { isTyping: boolean }).isTyping)).toEqual([true, true, false]);
  });
});
