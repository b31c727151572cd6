// The inbox as pure functions: filter, sort, totals and labels. No React, no client, so it is unit-tested.
import type { ConversationSummary } from '@support-chat/protocol/core';

export const InboxFilter = { mine: 'mine', waiting: 'waiting', all: 'all' } as const;
export type InboxFilter = (typeof InboxFilter)[keyof typeof InboxFilter];

export interface InboxQuery {
  filter: InboxFilter;
  /** A department id, or null for every department of the agent. */
  department: string | null;
}

/** When the conversation last changed: its last message, else its last update. */
export const lastActivity = (c: ConversationSummary): string => c.lastMessage?.createdAt ?? c.updatedAt;

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

/** The conversations to show, most recent activity first (ties: newest conversation first). */
export const inboxRows = (
  conversations: Iterable<ConversationSummary>,
  query: InboxQuery,
  agentId: string,
): ConversationSummary[] =>
  [...conversations]
    .filter((c) => matchesQuery(c, query, agentId))
    .sort((a, b) => lastActivity(b).localeCompare(lastActivity(a)) || b.createdAt.localeCompare(a.createdAt));

/** Unread customer messages over every conversation of the agent's departments: the badge number. */
export const unreadTotal = (conversations: Iterable<ConversationSummary>): number => {
  let total = 0;
  for (const c of conversations) total += Math.max(0, c.unread);
  return total;
};

export const filterCounts = (
  conversations: Iterable<ConversationSummary>,
  department: string | null,
  agentId: string,
): Record<InboxFilter, number> => {
  const counts = { mine: 0, waiting: 0, all: 0 };
  for (const c of conversations) {
    for (const filter of ['mine', 'waiting', 'all'] as const) {
      if (matchesQuery(c, { filter, department }, agentId)) counts[filter]++;
    }
  }
  return counts;
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

/** Relative time for the inbox: "now", "5 min", "14:03", "Mar 3". */
export const shortTime = (iso: string, now: Date = new Date()): string => {
  const then = new Date(iso);
  const seconds = (now.getTime() - then.getTime()) / 1000;
  if (seconds < 60) return 'now';
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (then.toDateString() === now.toDateString()) {
    return then.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }
  return then.toLocaleDateString([], { month: 'short', day: 'numeric' });
};
