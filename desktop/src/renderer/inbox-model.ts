// The inbox as pure functions: which view a conversation belongs to, labels, keyboard steps. No React, no client, so
// it is unit-tested. The rows themselves come page by page from the server (inbox-pager.ts).
import type { ConversationSummary } from '@support-chat/protocol/core';

export const InboxFilter = { mine: 'mine', waiting: 'waiting', all: 'all' } as const;
export type InboxFilter = (typeof InboxFilter)[keyof typeof InboxFilter];

export interface InboxQuery {
  filter: InboxFilter;
  /** A department id, or null for every department of the agent. */
  department: string | null;
  /** A customer's name or email prefix ('' for none). */
  search?: string;
}

/** The conversation's last activity, as the server orders the inbox: its newest message, else its start. */
export const lastActivity = (c: Pick<ConversationSummary, 'lastMessage' | 'createdAt'>): string =>
  c.lastMessage?.createdAt ?? c.createdAt;

export const matchesQuery = (c: ConversationSummary, query: InboxQuery, agentId: string): boolean => {
  if (query.department && c.department !== query.department) return false;
  switch (query.filter) {
    case 'mine':
      return c.assigneeId === agentId;
    case 'waiting':
      return c.assigneeId === null && c.status === 'open';
    default:
      return true;
  }
};

/** "Waiting", "You", the colleague's name when known, else "Another agent". */
export const assigneeLabel = (
  c: Pick<ConversationSummary, 'assigneeId'>,
  agentId: string,
  nameOf: (id: string) => string | null = () => null,
): string =>
  c.assigneeId === null
    ? 'Waiting'
    : c.assigneeId === agentId
      ? 'You'
      : (nameOf(c.assigneeId) ?? 'Another agent');

/** The id of the conversation `step` rows away from `current` (wrapping), for keyboard navigation. */
export const neighbourId = (
  rows: readonly ConversationSummary[],
  current: string | null,
  step: 1 | -1,
): string | null => {
  if (rows.length === 0) return null;
  const index = current ? rows.findIndex((r) => r.id === current) : -1;
  if (index === -1) return (step === 1 ? rows[0] : rows[rows.length - 1])!.id;
  return rows[(index + step + rows.length) % rows.length]!.id;
};

// Made once: each toLocale…String call with options builds a new formatter (the inbox formats every row it renders).
const clockFormat = new Intl.DateTimeFormat([], { hour: '2-digit', minute: '2-digit' });
const dayFormat = new Intl.DateTimeFormat([], { month: 'short', day: 'numeric' });

/** Relative time for the inbox: "now", "5 min", "14:03", "Mar 3". */
export const shortTime = (iso: string, now: Date = new Date()): string => {
  const then = new Date(iso);
  const seconds = (now.getTime() - then.getTime()) / 1000;
  if (seconds < 60) return 'now';
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (then.toDateString() === now.toDateString()) {
    return clockFormat.format(then);
  }
  return dayFormat.format(then);
};
