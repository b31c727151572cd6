import type { z } from 'zod';
import type * as s from './schemas';

export const Role = { customer: 'customer', agent: 'agent', owner: 'owner' } as const;
export type Role = (typeof Role)[keyof typeof Role];

export const ConversationStatus = { open: 'open', resolved: 'resolved' } as const;
export type ConversationStatus = (typeof ConversationStatus)[keyof typeof ConversationStatus];

/** Which side of a conversation read or wrote: the customer, or the department's agents as one. */
export type Side = 'customer' | 'agents';

export interface User {
  id: string;
  username: string;
  role: Role;
  departments: string[];
}

export interface UserRef {
  id: string;
  username: string;
  role: Role;
}

export interface Department {
  id: string;
  name: string;
  agentsOnline: number;
}

/** An agent of a department, as other agents of it see them (GET /api/departments/:id/agents). */
export interface DepartmentAgent {
  id: string;
  username: string;
  online: boolean;
}

/** A stored file (SPEC §11): what the upload answers and what messages carry. */
export interface Attachment {
  id: string;
  /** The file name as given (shown as text, never used as a path). */
  name: string;
  /** Bytes as stored (images: after re-encoding). */
  size: number;
  /** Decided from the content's magic bytes. */
  contentType: string;
  /** Images only. */
  width?: number;
  height?: number;
}

export interface Message {
  id: string;
  conversationId: string;
  seq: number;
  sender: UserRef;
  /** May be empty when the message has attachments. */
  text: string;
  clientMsgId: string;
  /** ISO 8601 */
  createdAt: string;
  /** Present (non-empty) when files were sent with the message. */
  attachments?: Attachment[];
  /**
   * `system`: a line of the timeline written by the server (SPEC §12), shown to both sides, counted as unread by
   * neither; `system` says what happened. Absent on messages people wrote.
   */
  kind?: 'system';
  system?: SystemEvent;
}

/** One end of a transfer: a department and the customer's conversation with it. */
export interface TransferEnd {
  department: string;
  /** The department's name when the transfer happened. */
  name: string;
  conversationId: string;
}

/**
 * What a system message records. `transfer`: the conversation went from one department to another. When the
 * customer already had a conversation with the target, `to.conversationId` is that one (the customer's page and
 * widget switch to it); otherwise both ends name the same conversation, which changed department.
 */
export interface SystemEvent {
  type: 'transfer';
  from: TransferEnd;
  to: TransferEnd;
}

/** An internal note (SPEC §12): agents only, never delivered to the customer in any form. */
export interface Note {
  id: string;
  conversationId: string;
  /** 1, 2, 3 … per conversation, separate from the messages' `seq`. */
  noteSeq: number;
  author: { id: string; username: string };
  text: string;
  clientMsgId: string;
  /** ISO 8601 */
  createdAt: string;
}

/** A customer's satisfaction rating of one resolved episode of a conversation (SPEC §12). */
export interface Rating {
  conversationId: string;
  /** The episode rated: the seq of its first customer message. */
  episodeSeq: number;
  /** 1 (bad) … 5 (great) */
  rating: number;
  comment: string | null;
  /** The agent who held the conversation when it was rated (null: nobody). */
  agentId: string | null;
  /** ISO 8601 */
  createdAt: string;
}

/** A canned reply (SPEC §12): a department's (managed by the owner) or an agent's own (`personal`). */
export interface AgentCannedReply {
  id: string;
  scope: 'department' | 'personal';
  /** The department of a department reply; null for a personal one. */
  department: string | null;
  shortcut: string;
  title: string;
  /** May hold the placeholders `{customer.name}` and `{agent.name}`. */
  text: string;
}

export interface LastMessage {
  seq: number;
  text: string;
  senderRole: Role;
  createdAt: string;
  /** `system`: a line written by the server (a transfer), not by the sender's side (SPEC §12). */
  kind?: 'system';
}

/** Who a conversation is with. */
export interface ConversationCustomer {
  id: string;
  /** The account's username (generated for the website widget's customers: `<site>-<10 hex>`). */
  username: string;
  /**
   * The website widget's customers (SPEC §10): the name and email the visitor gave, or the shop's identity token
   * carried; null when none was given, and for customers of the chat page (their username is their name). This
   * server always sends these three; a client may meet a server from before them (absent).
   */
  name?: string | null;
  email?: string | null;
  /** The widget's customers: verified by the shop (true) or an anonymous visitor (false); null: the chat page's. */
  verified?: boolean | null;
}

export interface ConversationSummary {
  id: string;
  department: string;
  customer: ConversationCustomer;
  status: ConversationStatus;
  assigneeId: string | null;
  lastSeq: number;
  lastMessage: LastMessage | null;
  /** Unread count for whoever receives this summary. */
  unread: number;
  readSeq: { customer: number; agents: number };
  createdAt: string;
  updatedAt: string;
}

/** An agent's inbox counts over all their departments (SPEC §15); `unread` is the tray badge. */
export interface InboxCounts {
  /** Open conversations assigned to the agent. */
  mine: number;
  /** Open conversations nobody holds. */
  waiting: number;
  /** Every open conversation. */
  open: number;
  /** Customer messages unread in the agent's own and the waiting conversations. */
  unread: number;
}

export const InboxView = { mine: 'mine', waiting: 'waiting', all: 'all' } as const;
export type InboxView = (typeof InboxView)[keyof typeof InboxView];

/** `GET /api/conversations` for agents: one page, the cursor of the next (null at the end), and the counts. */
export interface InboxPage {
  conversations: ConversationSummary[];
  nextCursor: string | null;
  counts: InboxCounts;
}

export type InboxQuery = z.input<typeof s.InboxQuery>;

export interface AuthTokens {
  accessToken: string;
  refreshToken: string;
}

export interface AuthResponse extends AuthTokens {
  user: User;
}

export type RegisterBody = z.input<typeof s.RegisterBody>;
export type LoginBody = z.input<typeof s.LoginBody>;
export type ConversationOpenPayload = z.input<typeof s.ConversationOpenPayload>;
export type MessageSendPayload = z.input<typeof s.MessageSendPayload>;
export type ConversationReadPayload = z.input<typeof s.ConversationReadPayload>;
export type ConversationSyncPayload = z.input<typeof s.ConversationSyncPayload>;
export type ConversationTransferPayload = z.input<typeof s.ConversationTransferPayload>;
export type TypingPayload = z.input<typeof s.TypingPayload>;
export type ConversationIdPayload = z.input<typeof s.ConversationIdPayload>;
export type ConversationAssignPayload = z.input<typeof s.ConversationAssignPayload>;
export type NoteAddPayload = z.input<typeof s.NoteAddPayload>;
export type AgentStatus = z.output<typeof s.agentStatus>;
export type AgentStatusPayload = z.input<typeof s.AgentStatusPayload>;
export type ConversationRatePayload = z.input<typeof s.ConversationRatePayload>;
export type CannedReplyCreatePayload = z.input<typeof s.CannedReplyCreatePayload>;
export type CannedReplyDeletePayload = z.input<typeof s.CannedReplyDeletePayload>;
export type EmptyPayload = z.input<typeof s.EmptyPayload>;
