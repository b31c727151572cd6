import { describe, expect, it } from 'vitest';
import type { OutboxItem } from './outbox';
import { Timeline } from './timeline';
import type { Message } from './types';

const conversationId = 'c'.repeat(24);
const msg = (seq: number, over: Partial<Message> = {}): Message => ({
  id: `m${seq}`,
  conversationId,
  seq,
  sender: { id: 'u1', username: 'alice', role: 'customer' },
  text: `text ${seq}`,
  clientMsgId: `client-${seq}`,
  createdAt: new Date(1_700_000_000_000 + seq).toISOString(),
  ...over,
});
const pending = (clientMsgId: string, over: Partial<OutboxItem> = {}): OutboxItem => ({
  clientMsgId,
  conversationId,
  text: clientMsgId,
  status: 'pending',
  attempts: 0,
  createdAt: new Date().toISOString(),
  done: new Promise(() => {}),
  ...over,
});
const seqs = (t: Timeline) => t.items.map((m) => m.seq);

describe('Timeline', () => {
  it('keeps messages in seq order, each once, whatever order and duplication they arrive in', () => {
    const t = new Timeline(conversationId);
    expect(t.add([msg(3), msg(1)])).toBe(true);
    expect(t.add(msg(2))).toBe(true);
    expect(t.add([msg(2), msg(3), msg(1)])).toBe(false);
    t.add([msg(5), msg(4), msg(5)]);
    expect(seqs(t)).toEqual([1, 2, 3, 4, 5]);
    expect(t.highestSeq).toBe(5);
    expect(t.lowestSeq).toBe(1);
    expect(t.size).toBe(5);
  });

  it('keeps the first copy of a seq', () => {
    const t = new Timeline(conversationId, [msg(1, { text: 'first' })]);
    t.add(msg(1, { text: 'second' }));
    expect(t.items[0]?.text).toBe('first');
  });

  it('reports gaps, the missing seqs and the contiguous floor', () => {
    const t = new Timeline(conversationId, [msg(10), msg(11), msg(14), msg(16)]);
    expect(t.hasGap()).toBe(true);
    expect(t.missingSeqs()).toEqual([12, 13, 15]);
    expect(t.contiguousSeq).toBe(11);
    expect(t.hasOlder()).toBe(true);
    t.add([msg(12), msg(13), msg(15)]);
    expect(t.hasGap()).toBe(false);
    expect(t.contiguousSeq).toBe(16);
  });

  it('is empty-safe', () => {
    const t = new Timeline();
    expect(t.highestSeq).toBe(0);
    expect(t.lowestSeq).toBe(0);
    expect(t.contiguousSeq).toBe(0);
    expect(t.hasGap()).toBe(false);
    expect(t.hasOlder()).toBe(false);
    expect(t.entries).toEqual([]);
  });

  it('ignores messages of other conversations and invalid seqs when bound to a conversation', () => {
    const t = new Timeline(conversationId);
    t.add([msg(1, { conversationId: 'd'.repeat(24) }), msg(0), msg(1.5), msg(2)]);
    expect(seqs(t)).toEqual([2]);
  });

  it('merges an older history page in front without disturbing newer messages', () => {
    const t = new Timeline(conversationId, [msg(51), msg(52)]);
    const v = t.version;
    const before = t.items;
    t.add(Array.from({ length: 50 }, (_, i) => msg(i + 1)));
    expect(seqs(t)).toEqual(Array.from({ length: 52 }, (_, i) => i + 1));
    expect(t.version).toBeGreaterThan(v);
    expect(t.items).not.toBe(before);
  });

  it('returns the same items array while nothing changes', () => {
    const t = new Timeline(conversationId, [msg(1)]);
    const a = t.items;
    t.add(msg(1));
    expect(t.items).toBe(a);
  });

  it('shows pending sends after stored messages until their message is stored', () => {
    const t = new Timeline(conversationId, [msg(1)]);
    t.setPending([
      pending('a'),
      pending('b', { status: 'failed' }),
      pending('x', { conversationId: 'e'.repeat(24) }),
    ]);
    expect(t.pending.map((i) => i.clientMsgId)).toEqual(['a', 'b']);
    expect(t.entries.map((e) => `${e.kind}:${e.key}`)).toEqual([
      'message:client-1',
      'pending:a',
      'pending:b',
    ]);
    // The stored copy of "a" arrives (by its clientMsgId) before the outbox says it was sent.
    t.add(msg(2, { clientMsgId: 'a' }));
    expect(t.entries.map((e) => `${e.kind}:${e.key}`)).toEqual([
      'message:client-1',
      'message:a',
      'pending:b',
    ]);
    // A stale outbox snapshot still listing "a" does not bring the bubble back.
    t.setPending([pending('a'), pending('b', { status: 'failed' })]);
    expect(t.pending.map((i) => i.clientMsgId)).toEqual(['b']);
  });

  it('drops sent items and reports no change for an identical pending list', () => {
    const t = new Timeline(conversationId);
    const list = [pending('a')];
    expect(t.setPending(list)).toBe(true);
    expect(t.setPending([...list])).toBe(false);
    expect(t.setPending([pending('a', { status: 'sent' })])).toBe(true);
    expect(t.pending).toEqual([]);
  });
});
