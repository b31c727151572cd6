import { describe, expect, it, vi } from 'vitest';
import type { ApiError, Result } from './errors';
import { decideRetry, Outbox, type OutboxItem } from './outbox';
import type { Message } from './types';

interface Call {
  item: OutboxItem;
  clientMsgId: string;
  answer: (r: Result<Message>) => void;
}

/** An outbox whose transmit answers only when the test says so: ordering is then fully visible. */
function harness(opts: { retryDelayMs?: number } = {}) {
  const calls: Call[] = [];
  const sent: Message[] = [];
  const changes: OutboxItem[][] = [];
  let waiter: (() => void) | null = null;
  let n = 0;
  const outbox = new Outbox({
    newId: () => `id-${++n}`,
    retryDelayMs: opts.retryDelayMs ?? 1,
    retryDelayMaxMs: 4,
    transmit: (item) =>
      new Promise((answer) => {
        calls.push({ item, clientMsgId: item.clientMsgId, answer });
        waiter?.();
      }),
    onSent: (m) => sent.push(m),
    onChange: (items) => changes.push(items),
  });
  let seq = 0;
  const stored = (c: Call): Message => ({
    id: `m-${c.clientMsgId}`,
    conversationId: c.item.conversationId,
    seq: ++seq,
    sender: { id: 'u', username: 'u', role: 'customer' },
    text: c.item.text,
    clientMsgId: c.clientMsgId,
    createdAt: new Date().toISOString(),
  });
  /** Waits until `count` transmits happened in total. */
  const untilCalls = (count: number) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${calls.length} of ${count} transmits`)), 2000);
      const check = () => {
        if (calls.length >= count) {
          clearTimeout(timer);
          waiter = null;
          resolve();
        }
      };
      waiter = check;
      check();
    });
  const ack = (c: Call) => c.answer({ ok: true, data: stored(c) });
  const nack = (c: Call, error: ApiError) => c.answer({ ok: false, error });
  return { outbox, calls, sent, changes, untilCalls, ack, nack };
}

const unavailable: ApiError = { code: 'unavailable', message: 'down' };

describe('Outbox', () => {
  it('holds sends while offline and then sends them in order, one in flight per conversation', async () => {
    const h = harness();
    const a1 = h.outbox.enqueue('A', 'a1');
    const a2 = h.outbox.enqueue('A', 'a2');
    const b1 = h.outbox.enqueue('B', 'b1');
    expect(h.calls).toHaveLength(0);
    expect(h.outbox.items.map((i) => i.text)).toEqual(['a1', 'a2', 'b1']);

    h.outbox.setOnline(true);
    await h.untilCalls(2);
    // A's second message waits for the first one's ack; B goes in parallel.
    expect(h.calls.map((c) => c.item.text)).toEqual(['a1', 'b1']);
    h.ack(h.calls[0]!);
    await h.untilCalls(3);
    expect(h.calls[2]!.item.text).toBe('a2');
    h.ack(h.calls[1]!);
    h.ack(h.calls[2]!);

    const results = await Promise.all([a1.done, a2.done, b1.done]);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(h.sent.map((m) => m.text)).toEqual(['a1', 'b1', 'a2']);
    expect([a1.status, a2.status, b1.status]).toEqual(['sent', 'sent', 'sent']);
    expect(h.outbox.items).toEqual([]);
    expect(h.changes.at(-1)).toEqual([]);
  });

  it('retries a transient failure with the same clientMsgId and keeps the order behind it', async () => {
    const h = harness();
    h.outbox.setOnline(true);
    const first = h.outbox.enqueue('A', 'first');
    const second = h.outbox.enqueue('A', 'second');
    await h.untilCalls(1);
    h.nack(h.calls[0]!, unavailable);
    await h.untilCalls(2);
    expect(h.calls[1]!.clientMsgId).toBe(first.clientMsgId);
    expect(first.error?.code).toBe('unavailable');
    expect(first.status).toBe('pending');
    h.nack(h.calls[1]!, { code: 'internal_error', message: 'oops' });
    await h.untilCalls(3);
    expect(h.calls[2]!.clientMsgId).toBe(first.clientMsgId);
    h.ack(h.calls[2]!);
    await h.untilCalls(4);
    expect(h.calls[3]!.clientMsgId).toBe(second.clientMsgId);
    h.ack(h.calls[3]!);
    expect((await second.done).ok).toBe(true);
    expect(first.attempts).toBe(3);
    expect(first.error).toBeUndefined();
  });

  it('fails an item on a permanent error and moves on to the next', async () => {
    const h = harness();
    h.outbox.setOnline(true);
    const bad = h.outbox.enqueue('A', 'bad');
    const good = h.outbox.enqueue('A', 'good');
    await h.untilCalls(1);
    h.nack(h.calls[0]!, { code: 'forbidden', message: 'not yours' });
    const r = await bad.done;
    expect(r).toEqual({ ok: false, error: { code: 'forbidden', message: 'not yours' } });
    expect(bad.status).toBe('failed');
    await h.untilCalls(2);
    h.ack(h.calls[1]!);
    expect((await good.done).ok).toBe(true);
    // Failed items stay visible until retried or discarded.
    expect(h.outbox.items.map((i) => [i.text, i.status])).toEqual([['bad', 'failed']]);
  });

  it('retries a failed item on request with the same clientMsgId, and discards one on request', async () => {
    const h = harness();
    h.outbox.setOnline(true);
    const item = h.outbox.enqueue('A', 'x');
    await h.untilCalls(1);
    h.nack(h.calls[0]!, { code: 'not_found', message: 'gone' });
    await item.done;
    const again = h.outbox.retry(item.clientMsgId);
    expect(again?.clientMsgId).toBe(item.clientMsgId);
    expect(again?.status).toBe('pending');
    await h.untilCalls(2);
    h.nack(h.calls[1]!, { code: 'not_found', message: 'gone' });
    await again?.done;
    expect(h.outbox.discard(item.clientMsgId)).toBe(true);
    expect(h.outbox.discard(item.clientMsgId)).toBe(false);
    expect(h.outbox.items).toEqual([]);
    expect(h.outbox.retry('nope')).toBeNull();
  });

  it('waits retryAfterMs after rate_limited (also across a reconnect), then succeeds', async () => {
    vi.useFakeTimers();
    try {
      const h = harness();
      h.outbox.setOnline(true);
      const item = h.outbox.enqueue('A', 'x');
      await vi.advanceTimersByTimeAsync(0);
      expect(h.calls).toHaveLength(1);
      h.nack(h.calls[0]!, { code: 'rate_limited', message: 'slow down', retryAfterMs: 5000 });
      await vi.advanceTimersByTimeAsync(4990);
      h.outbox.setOnline(false);
      h.outbox.setOnline(true);
      expect(h.calls).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(10);
      expect(h.calls).toHaveLength(2);
      h.ack(h.calls[1]!);
      expect((await item.done).ok).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('stops while offline and resends at once (no backoff wait) when back online', async () => {
    const h = harness({ retryDelayMs: 60_000 });
    h.outbox.setOnline(true);
    const item = h.outbox.enqueue('A', 'x');
    await h.untilCalls(1);
    h.outbox.setOnline(false);
    h.nack(h.calls[0]!, { code: 'unavailable', message: 'socket has been disconnected' });
    // A minute of backoff is pending; coming back online skips it.
    await vi.waitFor(() => expect(item.error?.code).toBe('unavailable'));
    h.outbox.setOnline(true);
    await h.untilCalls(2);
    expect(h.calls[1]!.clientMsgId).toBe(item.clientMsgId);
    h.ack(h.calls[1]!);
    expect((await item.done).ok).toBe(true);
  });

  it('accepts an ack that arrives after going offline (acknowledged means stored)', async () => {
    const h = harness();
    h.outbox.setOnline(true);
    const item = h.outbox.enqueue('A', 'x');
    await h.untilCalls(1);
    h.outbox.setOnline(false);
    h.ack(h.calls[0]!);
    expect((await item.done).ok).toBe(true);
    expect(h.sent).toHaveLength(1);
  });

  it('fails everything pending on failAll (logout) and ignores late answers', async () => {
    const h = harness();
    h.outbox.setOnline(true);
    const a = h.outbox.enqueue('A', 'a');
    const b = h.outbox.enqueue('A', 'b');
    await h.untilCalls(1);
    h.outbox.failAll({ code: 'unauthorized', message: 'logged out' });
    expect((await a.done).ok).toBe(false);
    expect((await b.done).ok).toBe(false);
    h.ack(h.calls[0]!);
    expect(h.sent).toHaveLength(0);
    expect(h.outbox.items).toEqual([]);
  });

  it('emits snapshots, not the live objects', async () => {
    const h = harness();
    const item = h.outbox.enqueue('A', 'x');
    const snapshot = h.changes.at(-1)?.[0];
    expect(snapshot).toEqual(item);
    expect(snapshot).not.toBe(item);
  });
});

describe('decideRetry', () => {
  it('classifies error codes', () => {
    expect(decideRetry({ code: 'invalid_input', message: '' }, 1).kind).toBe('fail');
    expect(decideRetry({ code: 'not_found', message: '' }, 1).kind).toBe('fail');
    expect(decideRetry({ code: 'forbidden', message: '' }, 1).kind).toBe('fail');
    expect(decideRetry({ code: 'payload_too_large', message: '' }, 1).kind).toBe('fail');
    expect(decideRetry({ code: 'unavailable', message: '' }, 100).kind).toBe('retry');
    expect(decideRetry({ code: 'unauthorized', message: '' }, 1).kind).toBe('retry');
    expect(decideRetry({ code: 'internal_error', message: '' }, 1).kind).toBe('retry');
    expect(decideRetry({ code: 'internal_error', message: '' }, 5).kind).toBe('fail');
    expect(decideRetry({ code: 'rate_limited', message: '', retryAfterMs: 7 }, 1)).toEqual({
      kind: 'retry',
      afterMs: 7,
    });
  });
});
