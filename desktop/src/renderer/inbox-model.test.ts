import type { ConversationSummary } from '@support-chat/protocol/core';
import { describe, expect, it } from 'vitest';
import { matchesQuery, neighbourId } from './inbox-model';

const ME = 'a00000000000000000000001';
const OTHER = 'a00000000000000000000002';

let n = 0;
const conversation = (over: Partial<ConversationSummary> = {}): ConversationSummary => {
  n++;
  const id = `c${String(n).padStart(23, '0')}`;
  return {
    id,
    department: 'billing',
    customer: { id: `u${String(n).padStart(23, '0')}`, username: `customer${n}` },
    status: 'open',
    assigneeId: null,
    lastSeq: 1,
    lastMessage: {
      seq: 1,
      text: 'hi',
      senderRole: 'customer',
      createdAt: `2026-01-01T10:0${n % 10}:00.000Z`,
    },
    unread: 1,
    readSeq: { customer: 1, agents: 0 },
    createdAt: '2026-01-01T09:00:00.000Z',
    updatedAt: '2026-01-01T09:00:00.000Z',
    ...over,
  };
};

describe('inbox model', () => {
  const waiting = conversation({ lastMessage: null, updatedAt: '2026-01-01T12:00:00.000Z' });
  const mine = conversation({ assigneeId: ME, department: 'technical' });
  const theirs = conversation({ assigneeId: OTHER });
  const resolved = conversation({ status: 'resolved', unread: 0 });
  const all = [mine, theirs, resolved, waiting];

  it('tells which view a conversation belongs to (mine / waiting / all, department)', () => {
    const rows = (filter: 'mine' | 'waiting' | 'all', department: string | null = null) =>
      all.filter((c) => matchesQuery(c, { filter, department }, ME));
    expect(rows('mine')).toEqual([mine]);
    expect(rows('waiting')).toEqual([waiting]);
    expect(rows('all', 'technical')).toEqual([mine]);
    expect(rows('all', 'billing')).toEqual([theirs, resolved, waiting]);
  });

  it('moves between rows with wrap-around', () => {
    const rows = [mine, theirs, resolved];
    expect(neighbourId(rows, mine.id, 1)).toBe(theirs.id);
    expect(neighbourId(rows, mine.id, -1)).toBe(resolved.id);
    expect(neighbourId(rows, null, 1)).toBe(mine.id);
    expect(neighbourId([], null, 1)).toBeNull();
  });
});
