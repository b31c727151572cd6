// One handler per client event (SPEC §4), typed against the protocol's ClientToServerEvents: each one validates
// the payload with the protocol's strict schema, acts as the socket's user (never a payload field), answers
// through the acknowledgement with a Result of the event's ack type, and lets the services broadcast only after
// their durable write. Nothing thrown ever reaches the client.
import {
  type AckData,
  type AgentStatus,
  type ClientEventName,
  describeIssues,
  ErrorCode,
  type EventPayload,
  fail,
  ok,
  type Result,
  rooms,
  schemas,
} from '@support-chat/protocol';
import type { z } from 'zod';
import type { Lifecycle } from '../lifecycle';
import { createLogger } from '../log';
import { ackLatency, errorsTotal } from '../metrics';
import { otherSide, sideOf } from '../services/actor';
import type { AuthUser } from '../services/auth';
import type { Services } from '../services/index';
import type { ChatLimits } from '../services/ratelimit';
import type { ConversationDoc } from '../store/conversations';
import { StoreUnavailableError } from '../store/errors';
import type { ChatSocket } from './auth';
import { presenceRoom } from './notifier';

const log = createLogger('realtime');

export interface SocketHandler<E extends ClientEventName> {
  /** The protocol's schema of the event; what it outputs is the event's payload type. */
  schema: z.ZodType<EventPayload<E>>;
  /** The bucket charged before doing anything (none: the general per-user guard). */
  limit?: keyof ChatLimits;
  /** Changes data: shutdown waits for it. */
  writes?: boolean;
  /** Handled one after another per socket, in arrival order (a client's messages keep their order). */
  inOrder?: boolean;
  /** `acked`: the client asked for an acknowledgement (what it sent comes back in it, not as an event too). */
  run(
    input: EventPayload<E>,
    actor: AuthUser,
    socket: ChatSocket,
    acked: boolean,
  ): Promise<Result<AckData<E>>>;
}

/** Every client event has exactly one handler. */
export type HandlerTable = { [E in ClientEventName]: SocketHandler<E> };

type ChatServices = Pick<
  Services,
  | 'conversations'
  | 'messages'
  | 'assignment'
  | 'presence'
  | 'notes'
  | 'ratings'
  | 'cannedReplies'
  | 'transfer'
>;

/** What the transport does when a connection's availability changes (presence, announcements, the queue). */
export type StatusChange = (socket: ChatSocket, status: AgentStatus) => Promise<void>;

export function handlerTable(
  { conversations, messages, assignment, presence, notes, ratings, cannedReplies, transfer }: ChatServices,
  statusChanged: StatusChange,
): HandlerTable {
  const summary = async (actor: AuthUser, result: Promise<Result<ConversationDoc>>) => {
    const r = await result;
    return r.ok ? ok({ conversation: conversations.summaryFor(actor, r.data) }) : r;
  };

  return {
    'conversation:open': {
      schema: schemas.ConversationOpenPayload,
      limit: 'open',
      writes: true,
      run: async ({ department }, actor, socket) => {
        const result = await conversations.open(actor, department);
        if (!result.ok) return result;
        // This socket now follows the department's presence; tell it the current count right away.
        socket.join(presenceRoom(department));
        const counts = await presence.agentsOnline([department]);
        setImmediate(() => socket.emit('presence', { department, agentsOnline: counts[department] ?? 0 }));
        return ok({ conversation: conversations.summaryFor(actor, result.data.conversation) });
      },
    },

    'message:send': {
      schema: schemas.MessageSendPayload,
      limit: 'message',
      writes: true,
      inOrder: true,
      run: async (input, actor, socket, acked) => {
        const result = await messages.send(actor, input, acked ? socket.id : undefined);
        return result.ok ? ok({ message: result.data.message }) : result;
      },
    },

    'conversation:read': {
      schema: schemas.ConversationReadPayload,
      writes: true,
      run: async ({ conversationId, seq }, actor) => {
        const result = await conversations.read(actor, conversationId, seq);
        return result.ok
          ? ok({ conversation: conversations.summaryFor(actor, result.data.conversation) })
          : result;
      },
    },

    'conversation:sync': {
      schema: schemas.ConversationSyncPayload,
      run: async ({ conversationId, afterSeq, afterNoteSeq }, actor) => {
        if (afterNoteSeq === undefined) return messages.sync(actor, conversationId, afterSeq);
        if (actor.role !== 'agent') return fail(ErrorCode.forbidden, 'Only agents see internal notes');
        const [m, n] = await Promise.all([
          messages.sync(actor, conversationId, afterSeq),
          notes.sync(actor, conversationId, afterNoteSeq),
        ]);
        if (!m.ok) return m;
        if (!n.ok) return n;
        return ok({ messages: m.data.messages, notes: n.data.notes });
      },
    },

    typing: {
      schema: schemas.TypingPayload,
      limit: 'typing',
      run: async ({ conversationId, isTyping }, actor, socket) => {
        const got = await conversations.get(actor, conversationId);
        if (!got.ok) return got;
        const conv = got.data;
        // Only the other side sees it: the customer's typing goes to the department, an agent's to the customer.
        const target =
          otherSide(sideOf(actor)) === 'agents'
            ? rooms.department(conv.department)
            : rooms.user(conv.customerId);
        socket.to(target).emit('typing', {
          conversationId,
          user: { id: actor.id, username: actor.username, role: actor.role },
          isTyping,
        });
        return ok({});
      },
    },

    'conversation:claim': {
      schema: schemas.ConversationIdPayload,
      writes: true,
      run: ({ conversationId }, actor) => summary(actor, assignment.claim(actor, conversationId)),
    },

    'conversation:assign': {
      schema: schemas.ConversationAssignPayload,
      writes: true,
      run: ({ conversationId, agentId }, actor) =>
        summary(actor, assignment.assign(actor, conversationId, agentId)),
    },

    'conversation:resolve': {
      schema: schemas.ConversationIdPayload,
      writes: true,
      run: ({ conversationId }, actor) => summary(actor, assignment.resolve(actor, conversationId)),
    },

    'conversation:reopen': {
      schema: schemas.ConversationIdPayload,
      writes: true,
      run: ({ conversationId }, actor) => summary(actor, assignment.reopen(actor, conversationId)),
    },

    'conversation:transfer': {
      schema: schemas.ConversationTransferPayload,
      writes: true,
      run: (input, actor) => summary(actor, transfer.transfer(actor, input)),
    },

    'note:add': {
      schema: schemas.NoteAddPayload,
      limit: 'message',
      writes: true,
      inOrder: true,
      run: async (input, actor, socket, acked) => {
        const result = await notes.add(actor, input, acked ? socket.id : undefined);
        return result.ok ? ok({ note: result.data.note }) : result;
      },
    },

    'conversation:rate': {
      schema: schemas.ConversationRatePayload,
      writes: true,
      run: (input, actor) => ratings.rate(actor, input),
    },

    'conversation:rating': {
      schema: schemas.ConversationIdPayload,
      run: ({ conversationId }, actor) => ratings.current(actor, conversationId),
    },

    'cannedReply:list': {
      schema: schemas.EmptyPayload,
      run: (_input, actor) => cannedReplies.list(actor),
    },

    'cannedReply:create': {
      schema: schemas.CannedReplyCreatePayload,
      writes: true,
      run: (input, actor) => cannedReplies.create(actor, input),
    },

    'cannedReply:delete': {
      schema: schemas.CannedReplyDeletePayload,
      writes: true,
      run: ({ id }, actor) => cannedReplies.delete(actor, id),
    },

    'agent:status': {
      schema: schemas.AgentStatusPayload,
      inOrder: true,
      // Answered once presence counts it (or not) and, when available, the waiting queue was offered to them.
      run: async ({ status }, actor, socket) => {
        if (actor.role !== 'agent') return fail(ErrorCode.forbidden, 'Only agents have an availability');
        if (socket.data.status !== status) await statusChanged(socket, status);
        return ok({ status });
      },
    },
  };
}

const rateLimitedError = (retryAfterMs: number): Result<never> =>
  fail(ErrorCode.rateLimited, 'Too many requests, slow down', { retryAfterMs });

/** Beyond this many events waiting in a socket's ordered queue, new ones are refused at once. */
const MAX_QUEUED = 200;

/** A socket's ordered queue (message:send keeps arrival order). A class, so each socket holds two fields only. */
class OrderedQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private queued = 0;

  run<T>(work: () => Promise<Result<T>>): Promise<Result<T>> {
    if (this.queued >= MAX_QUEUED) return Promise.resolve(rateLimitedError(1000));
    this.queued++;
    const run = this.tail.then(work).finally(() => {
      this.queued--;
    });
    this.tail = run.catch(() => {});
    return run;
  }
}

/**
 * Routes every client event of a socket to its handler. The table is built once per server and shared by every
 * socket (closures made per connection cost memory on each of them); a socket holds one listener and its queue.
 */
export function createDispatcher(table: HandlerTable, limits: ChatLimits, lifecycle: Lifecycle) {
  const isClientEvent = (event: string): event is ClientEventName => Object.hasOwn(table, event);

  async function handle<E extends ClientEventName>(
    socket: ChatSocket,
    event: E,
    payload: unknown,
    acked: boolean,
  ): Promise<Result<AckData<E>>> {
    const handler: SocketHandler<E> = table[event];
    const user = socket.data.user;
    try {
      if (lifecycle.closing) return fail(ErrorCode.unavailable, 'The server is restarting, try again');
      const parsed = handler.schema.safeParse(payload);
      if (!parsed.success) {
        return fail(ErrorCode.invalidInput, 'Invalid input', { issues: describeIssues(parsed.error) });
      }
      const guard = await limits[handler.limit ?? 'events'].take(user.id);
      if (!guard.ok) return rateLimitedError(guard.retryAfterMs);
      return await handler.run(parsed.data, user, socket, acked);
    } catch (err) {
      if (err instanceof StoreUnavailableError) {
        log.warn({ err: err.message, event, userId: user.id }, 'database unavailable');
        return fail(ErrorCode.unavailable, 'The database is not available, try again');
      }
      log.error({ err, event, userId: user.id }, 'handler failed');
      return fail(ErrorCode.internal, 'Internal error');
    }
  }

  function dispatch(socket: ChatSocket, queue: OrderedQueue, event: ClientEventName, args: unknown[]): void {
    const handler = table[event];
    const last = args[args.length - 1];
    const acked = typeof last === 'function';
    const ack = acked ? (last as (result: Result<unknown>) => void) : () => {};
    const payload = typeof args[0] === 'function' ? undefined : args[0];
    const started = process.hrtime.bigint();
    const work = handler.inOrder
      ? queue.run(() => handle(socket, event, payload, acked))
      : handle(socket, event, payload, acked);
    const tracked = handler.writes ? lifecycle.trackWrite(work) : work;
    void tracked.then((result) => {
      ackLatency.observe({ event, ok: String(result.ok) }, Number(process.hrtime.bigint() - started) / 1e9);
      if (!result.ok) errorsTotal.inc({ source: 'socket', code: result.error.code });
      try {
        ack(result);
      } catch (err) {
        log.warn({ err: (err as Error).message, event }, 'ack callback failed');
      }
    });
  }

  return (socket: ChatSocket): void => {
    const queue = new OrderedQueue();
    // A client may send anything (unknown events, no payload, no ack, extra arguments): checked in dispatch.
    socket.onAny((event: string, ...args: unknown[]) => {
      if (isClientEvent(event)) dispatch(socket, queue, event, args);
    });
  };
}
