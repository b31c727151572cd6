// Builds the chat services once per server (shared by the socket handlers and the HTTP router), and the
// notifier that turns what the services durably changed into room emits.
import { rooms } from '@support-chat/protocol';
import type { AppDeps } from '../app';
import { AssignmentService } from '../services/assignment';
import { type ChatNotifier, ConversationService } from '../services/conversations';
import { MessageCipher } from '../services/crypto';
import { MessageService } from '../services/messages';
import { DirectoryPresence, type Presence } from '../services/presence';
import { type BucketOptions, MemoryRateLimiter, type RateLimiter } from '../services/ratelimit';
import { ConversationStore } from '../store/conversations';
import { MessageStore } from '../store/messages';
import type { ChatIo } from './auth';

/** Room of the customer sockets that opened a conversation with a department (they get its presence). */
export const presenceRoom = (department: string) => `presence:${department}`;

/**
 * What a deployment may swap in (app.ts sets `deps.chat`): shared presence and rate limits through Redis when
 * several processes serve one site. Without it, presence is counted from the sockets (through the Socket.IO
 * adapter) and rate limits are per process.
 */
export interface ChatOverrides {
  presence?: Presence;
  rateLimiter?: (name: string, opts: BucketOptions) => RateLimiter;
}

export interface ChatLimits {
  message: RateLimiter;
  typing: RateLimiter;
  open: RateLimiter;
  /** Every other client event, a wide guard against one user flooding the database with reads. */
  events: RateLimiter;
}

export interface Chat {
  conversations: ConversationService;
  messages: MessageService;
  assignment: AssignmentService;
  presence: Presence;
  limits: ChatLimits;
}

const built = new WeakMap<object, Chat>();

/** Counted from the sockets in each department room, on every node (fetchSockets goes through the adapter). */
const socketDirectory = (io: ChatIo) => async (department: string) => {
  const sockets = await io.in(rooms.department(department)).fetchSockets();
  return sockets.flatMap((s) => (s.data.user ? [{ id: s.data.user.id, role: s.data.user.role }] : []));
};

function roomNotifier(io: ChatIo): ChatNotifier {
  return {
    conversationUpdated(view) {
      io.to(rooms.user(view.doc.customerId)).emit('conversation:updated', { conversation: view.forCustomer });
      io.to(rooms.department(view.doc.department)).emit('conversation:updated', {
        conversation: view.forAgents,
      });
    },
    messageCreated(conversation, message) {
      io.to([rooms.user(conversation.customerId), rooms.department(conversation.department)]).emit(
        'message:created',
        { message },
      );
    },
    conversationRead(conversation, by, seq) {
      io.to([rooms.user(conversation.customerId), rooms.department(conversation.department)]).emit(
        'conversation:read',
        { conversationId: conversation._id, by, seq },
      );
    },
  };
}

export function chatFor(deps: AppDeps): Chat {
  const existing = built.get(deps);
  if (existing) return existing;
  const { config, store, io } = deps;
  const overrides = (deps as AppDeps & { chat?: ChatOverrides }).chat ?? {};
  const cipher = new MessageCipher(config.messageKeys);
  const messageStore = new MessageStore(store.db);
  const conversations = new ConversationService(new ConversationStore(store.db), messageStore, cipher);
  conversations.notifier = roomNotifier(io);
  const presence = overrides.presence ?? new DirectoryPresence(socketDirectory(io));
  const assignment = new AssignmentService(conversations, presence);
  const messages = new MessageService(conversations, messageStore, cipher);
  const limiter =
    overrides.rateLimiter ?? ((_name: string, opts: BucketOptions) => new MemoryRateLimiter(opts));
  const limits: ChatLimits = {
    message: limiter('message', { ratePerSecond: config.messageRatePerSecond, burst: config.messageBurst }),
    typing: limiter('typing', {
      ratePerSecond: config.typingRatePerSecond,
      burst: Math.max(3, Math.ceil(config.typingRatePerSecond * 2)),
    }),
    open: limiter('open', {
      ratePerSecond: config.openRatePerMinute / 60,
      burst: Math.max(5, Math.ceil(config.openRatePerMinute / 3)),
    }),
    events: limiter('events', {
      ratePerSecond: Math.max(50, config.messageRatePerSecond * 5),
      burst: Math.max(100, config.messageBurst * 5),
    }),
  };
  const chat: Chat = { conversations, messages, assignment, presence, limits };
  built.set(deps, chat);
  return chat;
}
