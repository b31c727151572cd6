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

export interface Message {
  id: string;
  conversationId: string;
  seq: number;
  sender: UserRef;
  text: string;
  clientMsgId: string;
  /** ISO 8601 */
  createdAt: string;
}

export interface LastMessage {
  seq: number;
  text: string;
  senderRole: Role;
  createdAt: string;
}

export interface ConversationSummary {
  id: string;
  department: string;
  customer: { id: string; username: string };
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
export type TypingPayload = z.input<typeof s.TypingPayload>;
export type ConversationIdPayload = z.input<typeof s.ConversationIdPayload>;
export type ConversationAssignPayload = z.input<typeof s.ConversationAssignPayload>;
