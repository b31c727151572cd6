import type { Result } from './errors';
import type {
  AgentCannedReply,
  AgentStatus,
  AgentStatusPayload,
  CannedReplyCreatePayload,
  CannedReplyDeletePayload,
  ConversationAssignPayload,
  ConversationIdPayload,
  ConversationOpenPayload,
  ConversationRatePayload,
  ConversationReadPayload,
  ConversationSummary,
  ConversationSyncPayload,
  ConversationTransferPayload,
  EmptyPayload,
  InboxCounts,
  Message,
  MessageSendPayload,
  Note,
  NoteAddPayload,
  Rating,
  Side,
  TypingPayload,
  UserRef,
} from './types';

/** Client → server events: imperative `noun:verb`, each answered through an acknowledgement. */
export const ClientEvent = {
  conversationOpen: 'conversation:open',
  messageSend: 'message:send',
  conversationRead: 'conversation:read',
  conversationSync: 'conversation:sync',
  typing: 'typing',
  conversationClaim: 'conversation:claim',
  conversationAssign: 'conversation:assign',
  conversationResolve: 'conversation:resolve',
  conversationReopen: 'conversation:reopen',
  conversationTransfer: 'conversation:transfer',
  noteAdd: 'note:add',
  conversationRate: 'conversation:rate',
  conversationRating: 'conversation:rating',
  cannedReplyList: 'cannedReply:list',
  cannedReplyCreate: 'cannedReply:create',
  cannedReplyDelete: 'cannedReply:delete',
  agentStatus: 'agent:status',
} as const;

/** Server → client events: past tense `noun:verb`. */
export const ServerEvent = {
  messageCreated: 'message:created',
  conversationUpdated: 'conversation:updated',
  conversationRead: 'conversation:read',
  typing: 'typing',
  presence: 'presence',
  noteCreated: 'note:created',
  conversationRated: 'conversation:rated',
  inboxCounts: 'inbox:counts',
  conversationRemoved: 'conversation:removed',
} as const;

type Ack<T> = (result: Result<T>) => void;

export interface ClientToServerEvents {
  'conversation:open': (
    payload: ConversationOpenPayload,
    ack: Ack<{ conversation: ConversationSummary }>,
  ) => void;
  'message:send': (payload: MessageSendPayload, ack: Ack<{ message: Message }>) => void;
  'conversation:read': (
    payload: ConversationReadPayload,
    ack: Ack<{ conversation: ConversationSummary }>,
  ) => void;
  /** `notes` only when an agent gave `afterNoteSeq`. */
  'conversation:sync': (
    payload: ConversationSyncPayload,
    ack: Ack<{ messages: Message[]; notes?: Note[] }>,
  ) => void;
  typing: (payload: TypingPayload, ack: Ack<Record<string, never>>) => void;
  'conversation:claim': (
    payload: ConversationIdPayload,
    ack: Ack<{ conversation: ConversationSummary }>,
  ) => void;
  'conversation:assign': (
    payload: ConversationAssignPayload,
    ack: Ack<{ conversation: ConversationSummary }>,
  ) => void;
  'conversation:resolve': (
    payload: ConversationIdPayload,
    ack: Ack<{ conversation: ConversationSummary }>,
  ) => void;
  'conversation:reopen': (
    payload: ConversationIdPayload,
    ack: Ack<{ conversation: ConversationSummary }>,
  ) => void;
  /**
   * Agents of the conversation's department: hands it to another department (SPEC §12). Answers the conversation
   * that now holds the customer (the same one moved, or the customer's conversation with the target, reopened);
   * acknowledged once every server applied it.
   */
  'conversation:transfer': (
    payload: ConversationTransferPayload,
    ack: Ack<{ conversation: ConversationSummary }>,
  ) => void;
  /** Agents of the conversation's department: an internal note (same clientMsgId again: the stored note). */
  'note:add': (payload: NoteAddPayload, ack: Ack<{ note: Note }>) => void;
  /** The customer, once per resolved episode. */
  'conversation:rate': (payload: ConversationRatePayload, ack: Ack<{ rating: Rating }>) => void;
  /** The rating of the conversation's latest episode, and whether the asker may rate it now. */
  'conversation:rating': (
    payload: ConversationIdPayload,
    ack: Ack<{ rating: Rating | null; canRate: boolean }>,
  ) => void;
  /** Agents: the canned replies of their departments and their own. */
  'cannedReply:list': (payload: EmptyPayload, ack: Ack<{ replies: AgentCannedReply[] }>) => void;
  /** Agents: a personal canned reply. */
  'cannedReply:create': (payload: CannedReplyCreatePayload, ack: Ack<{ reply: AgentCannedReply }>) => void;
  /** Agents: deletes one of their personal canned replies. */
  'cannedReply:delete': (payload: CannedReplyDeletePayload, ack: Ack<{ reply: AgentCannedReply }>) => void;
  /**
   * Agents: this connection's availability (a new connection starts with the handshake's `auth.status`, default
   * available). An agent counts as online, and is assigned automatically, while one of their connections is available.
   */
  'agent:status': (payload: AgentStatusPayload, ack: Ack<{ status: AgentStatus }>) => void;
}

export type ClientEventName = keyof ClientToServerEvents;
/** The payload a client event carries. */
export type EventPayload<E extends ClientEventName> = Parameters<ClientToServerEvents[E]>[0];
/** What the acknowledgement of a client event carries on success. */
export type AckData<E extends ClientEventName> =
  Parameters<ClientToServerEvents[E]>[1] extends Ack<infer T> ? T : never;

export interface ConversationReadEvent {
  conversationId: string;
  by: Side;
  seq: number;
}

export interface TypingEvent {
  conversationId: string;
  user: UserRef;
  isTyping: boolean;
}

export interface PresenceEvent {
  department: string;
  agentsOnline: number;
}

export interface ServerToClientEvents {
  'message:created': (payload: { message: Message }) => void;
  'conversation:updated': (payload: { conversation: ConversationSummary }) => void;
  /** An agent's inbox counts changed (SPEC §15): sent to that agent's sockets only. */
  'inbox:counts': (payload: { counts: InboxCounts }) => void;
  'conversation:read': (payload: ConversationReadEvent) => void;
  typing: (payload: TypingEvent) => void;
  presence: (payload: PresenceEvent) => void;
  'note:created': (payload: { note: Note }) => void;
  'conversation:rated': (payload: { rating: Rating }) => void;
  /**
   * Agents: a conversation left their reach (transferred to a department they are not in): drop it from the inbox
   * and close it; its events stop.
   */
  'conversation:removed': (payload: ConversationRemovedEvent) => void;
}

export interface ConversationRemovedEvent {
  conversationId: string;
  reason: 'transferred';
  /** The department it went to. */
  department: string;
}

/** Handshake `connect_error` message for a missing, bad or expired token. */
export const UNAUTHORIZED = 'unauthorized' as const;
/** Handshake `connect_error` message when the login or the user already holds the most sockets allowed. */
export const TOO_MANY_CONNECTIONS = 'too_many_connections' as const;

/** Rooms the server joins sockets to (never the client). */
export const rooms = {
  user: (userId: string) => `user:${userId}`,
  department: (departmentId: string) => `department:${departmentId}`,
} as const;
