// Small helpers shared by the chat's socket tests (on top of server/test/helpers.ts).
import { randomUUID } from 'node:crypto';
import type { ConversationSummary, Message, Result } from '@support-chat/protocol';
import type { Socket } from 'socket.io-client';
import { emitAck } from '../../test/helpers';

export const data = <T>(r: Result<T>): T => {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.data;
};

/** Collects every `event` on the socket from now on. */
export const record = <T>(socket: Socket, event: string): T[] => {
  const seen: T[] = [];
  socket.on(event, (p: T) => seen.push(p));
  return seen;
};

/** Every event a socket receives, as JSON, from now on. */
export const wiretap = (socket: Socket): string[] => {
  const seen: string[] = [];
  socket.onAny((event: string, ...args: unknown[]) => seen.push(JSON.stringify([event, ...args])));
  return seen;
};

/** Waits for the first `event` payload that satisfies `match`. */
export const waitFor = <T>(
  socket: Socket,
  event: string,
  match: (p: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, on);
      reject(new Error(`timed out waiting for a matching "${event}"`));
    }, timeoutMs);
    const on = (p: T) => {
      if (!match(p)) return;
      clearTimeout(timer);
      socket.off(event, on);
      resolve(p);
    };
    socket.on(event, on);
  });

/** A round trip through the server per socket: what was emitted to them before has arrived. */
export const settle = async (...sockets: Socket[]): Promise<void> => {
  for (const s of sockets)
    await emitAck(s, 'conversation:sync', { conversationId: '0'.repeat(24), afterSeq: 0 });
};

export const openConversation = async (socket: Socket, department: string): Promise<ConversationSummary> =>
  data(await emitAck<{ conversation: ConversationSummary }>(socket, 'conversation:open', { department }))
    .conversation;

export const sendMessage = async (
  socket: Socket,
  conversationId: string,
  text: string,
  clientMsgId: string = randomUUID(),
): Promise<Message> =>
  data(await emitAck<{ message: Message }>(socket, 'message:send', { conversationId, clientMsgId, text }))
    .message;

export const syncMessages = async (
  socket: Socket,
  conversationId: string,
  afterSeq = 0,
): Promise<Message[]> =>
  data(await emitAck<{ messages: Message[] }>(socket, 'conversation:sync', { conversationId, afterSeq }))
    .messages;
