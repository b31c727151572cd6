// The agent tools' store over a fake client: placeholders, notes kept only for the conversations shown (the latest
// 20), each note once and in noteSeq order.
import type { Note } from '@support-chat/protocol/core';
import { describe, expect, it } from 'vitest';
import { AgentToolsStore, fillPlaceholders } from './agent-tools-store';

const note = (conversationId: string, noteSeq: number): Note => ({
  id: `n${noteSeq}`,
  conversationId,
  noteSeq,
  author: { id: 'a', username: 'ann' },
  text: `note ${noteSeq}`,
  clientMsgId: `c-${conversationId}-${noteSeq}`,
  createdAt: new Date(0).toISOString(),
});

function fakeClient() {
  const listeners = new Map<string, (p: unknown) => void>();
  const calls: string[] = [];
  const client = {
    on: (event: string, cb: (p: unknown) => void) => {
      listeners.set(event, cb);
      return () => listeners.delete(event);
    },
    noteOutboxItems: [],
    trackNotes: (id: string, from: number) => calls.push(`track ${id} ${from}`),
    untrackNotes: (id: string) => calls.push(`untrack ${id}`),
    rating: async () => ({ ok: true as const, data: { rating: null, canRate: false } }),
    cannedReplies: async () => ({ ok: true as const, data: [] }),
  };
  const emit = (event: string, payload: unknown) => listeners.get(event)?.(payload);
  return { client, calls, emit };
}

describe('fillPlaceholders', () => {
  it('fills {customer.name} and {agent.name}, leaves anything else', () => {
    expect(
      fillPlaceholders('Hi {customer.name}, {agent.name} here. {other} {customer.name}', {
        customer: 'Ann',
        agent: 'bob',
      }),
    ).toBe('Hi Ann, bob here. {other} Ann');
  });
});

describe('AgentToolsStore', () => {
  it('keeps the notes of shown conversations once, in order; forgets the least recent beyond 20', () => {
    const { client, calls, emit } = fakeClient();
    const store = new AgentToolsStore(client as never);
    store.start();
    emit('note', note('x', 1));
    expect(store.getSnapshot().notes.x).toBeUndefined();
    store.open('a');
    expect(calls).toEqual(['untrack a', 'track a 0']);
    emit('note', note('a', 2));
    emit('note', note('a', 1));
    emit('note', note('a', 2));
    expect(store.getSnapshot().notes.a?.map((n) => n.noteSeq)).toEqual([1, 2]);
    expect(store.entriesFor('a').map((e) => e.key)).toEqual(['note-c-a-1', 'note-c-a-2']);
    for (let i = 0; i < 20; i++) store.open(`c${i}`);
    expect(calls).toContain('untrack a');
    expect(store.getSnapshot().notes.a).toBeUndefined();
    calls.length = 0;
    store.open('c19');
    expect(calls).toEqual([]);
  });
});
