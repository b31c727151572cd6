// Conversation summaries as every shell keeps them: merged so that events overtaking each other never undo a
// newer state, and advanced by live messages before the server's own update arrives.
import {
  type ConversationSummary,
  type LastMessage,
  type Message,
  messagePreview,
  type Role,
  type Side,
} from '@support-chat/protocol/core';

/** The read cursor and unread count that are the viewer's: customers read as 'customer', agents as 'agents'. */
export const sideOf = (role: Role): Side => (role === 'customer' ? 'customer' : 'agents');

export const otherSide = (side: Side): Side => (side === 'customer' ? 'agents' : 'customer');

/**
 * Merges a summary into the one held: an older one (lower lastSeq, earlier update) never overwrites a newer one
 * unless forced (an action's own answer), and read cursors only move forward, so a broadcast that raced a
 * read never brings back unread messages that were already read.
 */
export const mergeSummary = (
  previous: ConversationSummary | undefined,
  next: ConversationSummary,
  reader: Side,
  force = false,
): ConversationSummary => {
  if (!previous) return next;
  const older =
    next.lastSeq < previous.lastSeq ||
    (next.lastSeq === previous.lastSeq && next.updatedAt < previous.updatedAt);
  const base = older && !force ? previous : next;
  const readSeq = {
    customer: Math.max(previous.readSeq.customer, next.readSeq.customer),
    agents: Math.max(previous.readSeq.agents, next.readSeq.agents),
  };
  const unread = readSeq[reader] >= base.lastSeq ? 0 : base.unread;
  if (
    base === previous &&
    readSeq.customer === previous.readSeq.customer &&
    readSeq.agents === previous.readSeq.agents
  ) {
    return previous;
  }
  return { ...base, readSeq, unread };
};

/** A line of the timeline written by the server (a transfer, SPEC §12): no sender shown, never unread. */
export const isSystemMessage = (m: Pick<Message, 'kind'>): boolean => m.kind === 'system';

/** Whether a summary's last message is a system line, so previews show its text alone (no "You: "). */
export const isSystemPreview = (last: LastMessage | null | undefined): boolean => last?.kind === 'system';

/** The summary after a live message: its last message and activity, one more unread if the other side wrote. */
export const withMessage = (summary: ConversationSummary, m: Message, reader: Side): ConversationSummary =>
  m.seq <= summary.lastSeq
    ? summary
    : {
        ...summary,
        lastSeq: m.seq,
        lastMessage: {
          seq: m.seq,
          text: messagePreview(m),
          senderRole: m.sender.role,
          createdAt: m.createdAt,
          ...(isSystemMessage(m) ? { kind: 'system' } : {}),
        },
        // System lines count as unread for neither side (the server's counts agree).
        unread: isSystemMessage(m) || sideOf(m.sender.role) === reader ? summary.unread : summary.unread + 1,
        // biome-ignore lint/complexity/useMathMinMax: ISO-8601 strings, compared as strings (not numbers)
        updatedAt: m.createdAt > summary.updatedAt ? m.createdAt : summary.updatedAt,
      };
