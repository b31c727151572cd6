// One handler per client event (SPEC §4). Each one: validates the payload with the protocol's strict schema,
// acts as the socket's user (never a payload field), answers through the acknowledgement with a Result, and
// lets the services broadcast only after their durable write. Nothing thrown ever reaches the client.
import {
  type ApiError,
  ClientEvent,
  describeIssues,
  ErrorCode,
  fail,
  ok,
  type Result,
  rooms,
  schemas,
} from '@support-chat/protocol';
import type { z } from 'zod';
import type { AppDeps } from '../app';
import { createLogger } from '../log';
import { ackLatency, errorsTotal } from '../metrics';
import { type Actor, otherSide, sideOf } from '../services/conversations';
import type { RateLimiter } from '../services/ratelimit';
import { isDatabaseError } from '../store/conversations';
import type { ChatSocket } from './auth';
import { type Chat, presenceRoom } from './chat';

const log = createLogger('realtime');

type Ack = (result: Result<unknown>) => void;

interface HandlerOptions<S extends z.ZodType> {
  schema: S;
  /** Bucket and key to charge before doing anything (none: the general per-user guard). */
  limit?: (chat: Chat) => RateLimiter;
  /** Changes data: shutdown waits for it. */
  writes?: boolean;
  /** Handled one after another per socket, in arrival order (a client's messages keep their order). */
  inOrder?: boolean;
  run: (input: z.output<S>, actor: Actor, socket: ChatSocket) => Promise<Result<unknown>>;
}

const rateLimitedError = (retryAfterMs: number): Result<never> =>
  fail(ErrorCode.rateLimited, 'Too many requests, slow down', { retryAfterMs });

/** Beyond this many events waiting in a socket's ordered queue, new ones are refused at once. */
const MAX_QUEUED = 200;

/** A socket's ordered queue (message:send keeps arrival order). A class, so each socket holds two fields only. */
class OrderedQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private queued = 0;

  run(work: () => Promise<Result<unknown>>): Promise<Result<unknown>> {
    if (this.queued >= MAX_QUEUED) return Promise.resolve(rateLimitedError(1000));
    this.queued++;
    const run = this.tail.then(work).finally(() => {
      this.queued--;
    });
    this.tail = run.catch(() => {});
    return run;
  }
}

// The handler table is built once per server and shared by every socket: closures made per connection cost
// memory on each of them (under tsx every named closure also carries its own property store).
type AnyHandler = HandlerOptions<z.ZodType>;
const tables = new WeakMap<Chat, Map<string, AnyHandler>>();

export function registerHandlers(socket: ChatSocket, chat: Chat, deps: AppDeps): void {
  let table = tables.get(chat);
  if (!table) {
    table = handlerTable(chat);
    tables.set(chat, table);
  }
  const queue = new OrderedQueue();
  for (const [event, opts] of table) {
    // Untyped on purpose: a client may send anything (no payload, no ack, extra arguments).
    (socket as unknown as { on(e: string, l: (...args: unknown[]) => void): void }).on(event, (...args) =>
      dispatch(socket, chat, deps, queue, event, opts, args),
    );
  }
}

function dispatch(
  socket: ChatSocket,
  chat: Chat,
  deps: AppDeps,
  queue: OrderedQueue,
  event: string,
  opts: AnyHandler,
  args: unknown[],
): void {
  const last = args[args.length - 1];
  const ack: Ack = typeof last === 'function' ? (last as Ack) : () => {};
  const payload = typeof args[0] === 'function' ? undefined : args[0];
  const started = process.hrtime.bigint();
  const work = opts.inOrder
    ? queue.run(() => handle(socket, chat, deps, event, opts, payload))
    : handle(socket, chat, deps, event, opts, payload);
  const tracked = opts.writes ? deps.trackWrite(work) : work;
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

async function handle(
  socket: ChatSocket,
  chat: Chat,
  deps: AppDeps,
  event: string,
  opts: AnyHandler,
  payload: unknown,
): Promise<Result<unknown>> {
  const user = socket.data.user;
  try {
    if (deps.closing) return fail(ErrorCode.unavailable, 'The server is restarting, try again');
    const parsed = opts.schema.safeParse(payload);
    if (!parsed.success) {
      return fail(ErrorCode.invalidInput, 'Invalid input', { issues: describeIssues(parsed.error) });
    }
    const guard = await (opts.limit ? opts.limit(chat) : chat.limits.events).take(user.id);
    if (!guard.ok) return rateLimitedError(guard.retryAfterMs);
    return await opts.run(parsed.data, user, socket);
  } catch (err) {
    if (isDatabaseError(err)) {
      log.warn({ err: (err as Error).message, event, userId: user.id }, 'database error');
      return fail(ErrorCode.unavailable, 'The database is not available, try again');
    }
    log.error({ err, event, userId: user.id }, 'handler failed');
    return fail(ErrorCode.internal, 'Internal error');
  }
}

function handlerTable(chat: Chat): Map<string, AnyHandler> {
  const table = new Map<string, AnyHandler>();
  const on = <S extends z.ZodType>(event: string, opts: HandlerOptions<S>) => {
    table.set(event, opts as unknown as AnyHandler);
  };

  const summary = (actor: Actor) => (r: Result<Parameters<Chat['conversations']['summaryFor']>[1]>) =>
    r.ok
      ? ok({ conversation: chat.conversations.summaryFor(actor, r.data) })
      : (r as { ok: false; error: ApiError });

  on(ClientEvent.conversationOpen, {
    schema: schemas.ConversationOpenPayload,
    limit: (c) => c.limits.open,
    writes: true,
    run: async ({ department }, actor, socket) => {
      const result = await chat.conversations.open(actor, department);
      if (!result.ok) return result;
      // This socket now follows the department's presence; tell it the current count right away.
      socket.join(presenceRoom(department));
      const counts = await chat.presence.agentsOnline([department]);
      setImmediate(() => socket.emit('presence', { department, agentsOnline: counts[department] ?? 0 }));
      return ok({ conversation: chat.conversations.summaryFor(actor, result.data.conversation) });
    },
  });

  on(ClientEvent.messageSend, {
    schema: schemas.MessageSendPayload,
    limit: (c) => c.limits.message,
    writes: true,
    inOrder: true,
    run: async (input, actor) => {
      const result = await chat.messages.send(actor, input);
      return result.ok ? ok({ message: result.data.message }) : result;
    },
  });

  on(ClientEvent.conversationRead, {
    schema: schemas.ConversationReadPayload,
    writes: true,
    run: async ({ conversationId, seq }, actor) => {
      const result = await chat.conversations.read(actor, conversationId, seq);
      return result.ok
        ? ok({ conversation: chat.conversations.summaryFor(actor, result.data.conversation) })
        : result;
    },
  });

  on(ClientEvent.conversationSync, {
    schema: schemas.ConversationSyncPayload,
    run: ({ conversationId, afterSeq }, actor) => chat.messages.sync(actor, conversationId, afterSeq),
  });

  on(ClientEvent.typing, {
    schema: schemas.TypingPayload,
    limit: (c) => c.limits.typing,
    run: async ({ conversationId, isTyping }, actor, socket) => {
      const got = await chat.conversations.get(actor, conversationId);
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
  });

  on(ClientEvent.conversationClaim, {
    schema: schemas.ConversationIdPayload,
    writes: true,
    run: async ({ conversationId }, actor) =>
      summary(actor)(await chat.assignment.claim(actor, conversationId)),
  });

  on(ClientEvent.conversationAssign, {
    schema: schemas.ConversationAssignPayload,
    writes: true,
    run: async ({ conversationId, agentId }, actor) =>
      summary(actor)(await chat.assignment.assign(actor, conversationId, agentId)),
  });

  on(ClientEvent.conversationResolve, {
    schema: schemas.ConversationIdPayload,
    writes: true,
    run: async ({ conversationId }, actor) =>
      summary(actor)(await chat.assignment.resolve(actor, conversationId)),
  });

  on(ClientEvent.conversationReopen, {
    schema: schemas.ConversationIdPayload,
    writes: true,
    run: async ({ conversationId }, actor) =>
      summary(actor)(await chat.assignment.reopen(actor, conversationId)),
  });
  return table;
}
