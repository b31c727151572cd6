// The chat over Socket.IO: the server with its handshake checks, event handlers for every connected socket, agent
// presence, and the department queue handed out when agents come online. The handshake (token, origin, rooms) is
// realtime/auth.ts; the room emits of the services are realtime/notifier.ts.
import type http from 'node:http';
import { type AgentStatus, rooms } from '@support-chat/protocol';
import { Server } from 'socket.io';
import type { Config } from '../config';
import type { Lifecycle } from '../lifecycle';
import { createLogger } from '../log';
import type { Services } from '../services/index';
import { type ChatIo, type ChatSocket, createAllowRequest, type RealtimeAuth } from './auth';
import { createDispatcher, handlerTable } from './handlers';
import { presenceRoom } from './notifier';

const log = createLogger('realtime-chat');

type Chat = Pick<
  Services,
  | 'conversations'
  | 'messages'
  | 'assignment'
  | 'presence'
  | 'limits'
  | 'notes'
  | 'ratings'
  | 'cannedReplies'
  | 'transfer'
  | 'inbox'
>;

/**
 * Each agent socket on this node hears its inbox counts (SPEC §15) when they change: computed here from this node's
 * counts, sent to this node's sockets only (every node does the same for its own), and only when they differ from
 * what the socket heard last.
 */
function sendInboxCounts(io: ChatIo, chat: Chat): (socket: ChatSocket) => void {
  const heard = new WeakMap<ChatSocket, string>();
  const send = (socket: ChatSocket) => {
    const user = socket.data.user;
    if (!user || user.role === 'customer') return;
    const counts = chat.inbox.counters.countsFor(user.id, user.departments);
    const text = JSON.stringify(counts);
    if (heard.get(socket) === text) return;
    heard.set(socket, text);
    socket.emit('inbox:counts', { counts });
  };
  chat.inbox.counters.onChange = (departments) => {
    const sockets = new Set<ChatSocket>();
    for (const d of departments)
      for (const id of io.of('/').adapter.rooms.get(rooms.department(d)) ?? []) {
        const socket = io.of('/').sockets.get(id);
        if (socket) sockets.add(socket);
      }
    for (const socket of sockets) send(socket);
  };
  io.on('connection', (socket: ChatSocket) => send(socket));
  return send;
}

/** Tells the department's agents and the customers following it how many agents are online now. */
async function announcePresence(io: ChatIo, chat: Chat, departments: readonly string[]): Promise<void> {
  if (departments.length === 0) return;
  const counts = await chat.presence.agentsOnline(departments);
  for (const department of departments) {
    io.to([`department:${department}`, presenceRoom(department)]).emit('presence', {
      department,
      agentsOnline: counts[department] ?? 0,
    });
  }
}

/** An agent is (more) online in these departments: announce it, then hand them the waiting queue. */
async function agentArrived(io: ChatIo, chat: Chat, departments: readonly string[]): Promise<void> {
  await announcePresence(io, chat, departments);
  for (const department of departments) await chat.assignment.drain(department);
}

/**
 * A customer (re)connecting follows the presence of every department they have a conversation with, as if they
 * had opened them again on this socket, and hears the current counts.
 */
async function followPresence(socket: ChatSocket, chat: Chat): Promise<void> {
  const departments = await chat.conversations.customerDepartments(socket.data.user);
  if (departments.length === 0 || socket.disconnected) return;
  socket.join(departments.map(presenceRoom));
  const counts = await chat.presence.agentsOnline(departments);
  for (const department of departments) {
    socket.emit('presence', { department, agentsOnline: counts[department] ?? 0 });
  }
}

const background = (what: string, task: Promise<unknown>) =>
  task.catch((err) => log.warn({ err: (err as Error).message }, `${what} failed`));

/** The Socket.IO server on the shared http.Server; nothing is served until registerRealtime. */
export function createSocketServer(
  httpServer: http.Server,
  config: Pick<Config, 'maxSocketPayloadBytes' | 'allowedOrigins'>,
): ChatIo {
  return new Server(httpServer, {
    path: '/socket.io',
    serveClient: false,
    maxHttpBufferSize: config.maxSocketPayloadBytes,
    allowRequest: createAllowRequest(config),
    // Browsers on configured origins may use polling cross-origin; the Origin check itself is allowRequest.
    cors: config.allowedOrigins.length ? { origin: config.allowedOrigins, credentials: false } : undefined,
    pingInterval: 20_000,
    pingTimeout: 20_000,
  });
}

export function registerRealtime(io: ChatIo, chat: Chat, realtime: RealtimeAuth, lifecycle: Lifecycle): void {
  // An away connection is not counted by presence: it is reported as closed while away, and as opened again.
  const statusChanged = async (socket: ChatSocket, status: AgentStatus) => {
    const departments = [...socket.data.user.departments];
    socket.data.status = status;
    log.info({ userId: socket.data.user.id, socketId: socket.id, status }, 'agent availability changed');
    if (status === 'away') {
      chat.presence.disconnect?.(socket.data.user.id, departments);
      await announcePresence(io, chat, departments);
    } else {
      chat.presence.connect?.(socket.data.user.id, departments);
      await agentArrived(io, chat, departments);
    }
  };
  const registerHandlers = createDispatcher(handlerTable(chat, statusChanged), chat.limits, lifecycle);
  const sendCounts = sendInboxCounts(io, chat);

  io.on('connection', (socket: ChatSocket) => {
    const user = socket.data.user;
    registerHandlers(socket);
    if (user.role === 'customer') {
      void background('customer presence', followPresence(socket, chat));
      return;
    }
    if (user.role !== 'agent') return;
    // Departments can change while connected (realtime/auth.ts moves the socket), so read them at each step.
    const departments = [...user.departments];
    const available = () => socket.data.status !== 'away';
    if (available()) {
      chat.presence.connect?.(user.id, departments);
      void background('agent arrival', agentArrived(io, chat, departments));
    }
    socket.on('disconnect', () => {
      if (!available()) return;
      const current = [...socket.data.user.departments];
      chat.presence.disconnect?.(user.id, current);
      void background('presence', announcePresence(io, chat, current));
    });
  });

  realtime.onDepartmentsChanged(({ socket, added, removed }) => {
    const user = socket.data.user;
    if (user.role !== 'agent') return;
    sendCounts(socket);
    if (socket.data.status === 'away') return;
    if (removed.length) chat.presence.disconnect?.(user.id, removed);
    if (added.length) chat.presence.connect?.(user.id, added);
    void background('presence', announcePresence(io, chat, removed));
    void background('agent arrival', agentArrived(io, chat, added));
  });
}
