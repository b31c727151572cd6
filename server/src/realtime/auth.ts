// Socket.IO handshake security: Origin allow-list, token -> socket.data.user, server-side room joins, expiry
// timer, and keeping open sockets in line with the user record (disable, department changes, revoked logins).
import type { IncomingMessage } from 'node:http';
import {
  type AgentStatus,
  type ClientToServerEvents,
  rooms,
  type ServerToClientEvents,
  TOO_MANY_CONNECTIONS,
  UNAUTHORIZED,
} from '@support-chat/protocol';
import type { Server, Socket } from 'socket.io';
import type { Config } from '../config';
import { isHandshakeOriginAllowed } from '../http/origin';
import { createLogger } from '../log';
import { socketConnections } from '../metrics';
import type { AuthService, AuthUser } from '../services/auth';
import type { ReadMove } from '../services/live-conversations';

const log = createLogger('realtime-auth');
/** A full socket re-check at least this often, whatever the auth epoch says. */
const SAFETY_RECHECK_MS = 60_000;

export interface SocketData {
  user: AuthUser;
  /** Access token expiry (seconds since the epoch); the socket ends then. */
  tokenExp: number;
  /** Agents: this connection's availability (handshake `auth.status`, then `agent:status`). */
  status: AgentStatus;
}

/** Between server processes (through the scale-out adapter). */
type InterServerEvents = {
  /**
   * A conversation changed on the sending node (services/live-conversations.ts): its state (drop the copy held), or
   * a read cursor (move it in the copy held too).
   */
  'conversation:changed': (id: string, read: ReadMove | null) => void;
  /** A transfer moved a conversation to another department: read it again, then answer (SPEC §12). */
  'conversation:moved': (id: string, done: (applied: boolean) => void) => void;
};
export type ChatIo = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type ChatSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** Room of one login, so that logout and token reuse end exactly that login's sockets (on every node). */
export const sessionRoom = (sessionId: string) => `session:${sessionId}`;

export type DepartmentsChangedListener = (e: {
  socket: ChatSocket;
  added: string[];
  removed: string[];
}) => void;

export interface RealtimeAuth {
  /** Ends every socket of a login (logout, refresh-token reuse), on every node. */
  disconnectSession(sessionId: string): void;
  /** Re-checks one user's open sockets now (this node); every node also re-checks on an interval. */
  refreshUserSockets(userId: string): Promise<void>;
  /** Called after an open agent socket was moved to new department rooms. */
  onDepartmentsChanged(listener: DepartmentsChangedListener): () => void;
  stop(): void;
}

/** engine.io `allowRequest`: refuses polling and WebSocket handshakes from foreign browser origins. */
export function createAllowRequest(config: Pick<Config, 'allowedOrigins'>) {
  return (req: IncomingMessage, callback: (err: string | null | undefined, success: boolean) => void) => {
    const allowed = isHandshakeOriginAllowed(req, config.allowedOrigins);
    if (!allowed) log.warn({ origin: req.headers.origin }, 'handshake refused: origin not allowed');
    callback(allowed ? null : 'origin not allowed', allowed);
  };
}

/**
 * Counts this process's sockets per login and per user from admission until the socket or its connection closes
 * (whichever comes first: a connection that closes mid-handshake never fires the socket's disconnect).
 */
function socketCaps(config: Pick<Config, 'maxSocketsPerLogin' | 'maxSocketsPerUser'>) {
  const open = new Map<string, number>();
  const add = (key: string, by: number) => {
    const n = (open.get(key) ?? 0) + by;
    if (n > 0) open.set(key, n);
    else open.delete(key);
  };
  return (socket: ChatSocket, user: AuthUser): boolean => {
    const keys = [`user:${user.id}`, `login:${user.sessionId}`] as const;
    if (
      (open.get(keys[0]) ?? 0) >= config.maxSocketsPerUser ||
      (open.get(keys[1]) ?? 0) >= config.maxSocketsPerLogin
    )
      return false;
    for (const key of keys) add(key, 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      for (const key of keys) add(key, -1);
    };
    socket.once('disconnect', release);
    socket.conn.once('close', release);
    return true;
  };
}

const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((x) => b.includes(x));

export function installRealtimeAuth(
  io: ChatIo,
  auth: AuthService,
  config: Pick<Config, 'userRecheckMs' | 'maxSocketsPerLogin' | 'maxSocketsPerUser'>,
): RealtimeAuth {
  const expiryTimers = new WeakMap<ChatSocket, NodeJS.Timeout>();
  const departmentListeners = new Set<DepartmentsChangedListener>();
  const admit = socketCaps(config);

  io.use(async (socket, next) => {
    const handshake = socket.handshake.auth as Record<string, unknown> | undefined;
    const token = handshake?.token;
    try {
      const result = await auth.authenticate(token);
      if (!result) return next(new Error(UNAUTHORIZED));
      // Closed while the token was checked: Socket.IO drops it without a disconnect event, so it is not counted.
      if (socket.conn.readyState !== 'open') return next(new Error('closed'));
      if (!admit(socket, result.user)) {
        log.warn({ userId: result.user.id }, 'handshake refused: too many connections');
        return next(new Error(TOO_MANY_CONNECTIONS));
      }
      socket.data.user = result.user;
      socket.data.tokenExp = result.claims.exp;
      socket.data.status = handshake?.status === 'away' ? 'away' : 'available';
      next();
    } catch (err) {
      log.error({ err }, 'handshake failed');
      next(new Error('unavailable'));
    }
  });

  io.on('connection', (socket) => {
    const user = socket.data.user;
    // The server alone decides rooms, from the verified token and the user record.
    socket.join([rooms.user(user.id), sessionRoom(user.sessionId)]);
    if (user.role !== 'customer') socket.join(user.departments.map(rooms.department));
    const msLeft = socket.data.tokenExp * 1000 - Date.now();
    const timer = setTimeout(
      () => {
        log.debug({ userId: user.id, socketId: socket.id }, 'access token expired; socket ended');
        socket.disconnect(true);
      },
      Math.max(0, msLeft),
    );
    timer.unref();
    expiryTimers.set(socket, timer);
    socketConnections.inc({ role: user.role });
    log.debug({ userId: user.id, socketId: socket.id, role: user.role }, 'socket connected');
    socket.on('disconnect', (reason) => {
      clearTimeout(timer);
      socketConnections.dec({ role: user.role });
      log.debug({ userId: user.id, socketId: socket.id, reason }, 'socket disconnected');
    });
  });

  const applyDepartments = (socket: ChatSocket, next: string[]) => {
    const current = socket.data.user.departments;
    const added = next.filter((d) => !current.includes(d));
    const removed = current.filter((d) => !next.includes(d));
    for (const d of removed) socket.leave(rooms.department(d));
    if (added.length) socket.join(added.map(rooms.department));
    socket.data.user.departments = [...next];
    log.info({ userId: socket.data.user.id, added, removed }, 'socket departments updated');
    for (const listener of departmentListeners) {
      try {
        listener({ socket, added, removed });
      } catch (err) {
        log.error({ err }, 'departments listener failed');
      }
    }
  };

  /** One query for users and one for sessions, covering every open socket on this node (or one user's). */
  const recheck = async (onlyUserId?: string) => {
    const sockets = [...io.of('/').sockets.values()].filter(
      (s) => s.data.user && (!onlyUserId || s.data.user.id === onlyUserId),
    );
    if (sockets.length === 0) return;
    const { users: userById, liveSessions: live } = await auth.socketStates(
      [...new Set(sockets.map((s) => s.data.user.id))],
      [...new Set(sockets.map((s) => s.data.user.sessionId))],
    );
    for (const socket of sockets) {
      const { id, role, sessionId } = socket.data.user;
      const doc = userById.get(id);
      if (!doc || doc.disabled || doc.role !== role || !live.has(sessionId)) {
        log.info({ userId: id, socketId: socket.id }, 'socket ended: user disabled or login revoked');
        socket.disconnect(true);
        continue;
      }
      if (role !== 'customer' && !sameSet(doc.departments, socket.data.user.departments)) {
        applyDepartments(socket, doc.departments);
      }
    }
  };

  // The full re-check runs when the auth epoch moved (any node or the CLI changed a user or revoked a login), and
  // every SAFETY_RECHECK_MS regardless (edits made to the database by hand); otherwise a tick is one point read.
  let seenEpoch: string | null = null;
  let lastFullRecheck = 0;
  let running = false;
  const interval = setInterval(async () => {
    if (running) return;
    running = true;
    try {
      const epoch = await auth.authEpoch();
      if (epoch === seenEpoch && Date.now() - lastFullRecheck < SAFETY_RECHECK_MS) return;
      await recheck();
      seenEpoch = epoch;
      lastFullRecheck = Date.now();
    } catch (err) {
      // Database outage: keep sockets as they are and try again on the next tick.
      log.warn({ err: (err as Error).message }, 'socket re-check failed');
    } finally {
      running = false;
    }
  }, config.userRecheckMs);
  interval.unref();

  const onRevoked = auth.onSessionsRevoked((ids) => {
    for (const id of ids) io.in(sessionRoom(id)).disconnectSockets(true);
  });

  return {
    disconnectSession(sessionId) {
      io.in(sessionRoom(sessionId)).disconnectSockets(true);
    },
    refreshUserSockets: (userId) => recheck(userId),
    onDepartmentsChanged(listener) {
      departmentListeners.add(listener);
      return () => departmentListeners.delete(listener);
    },
    stop() {
      clearInterval(interval);
      onRevoked();
    },
  };
}
