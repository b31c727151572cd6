// What the bare relay and the design-limit relay share: the trusted token, the Socket.IO server on its own
// http.Server with the rooms the chat server uses, the port reported over IPC, and SIGTERM.
import { createServer } from 'node:http';
import { Server, type Socket } from 'socket.io';

export interface RelayUser {
  id: string;
  role: 'customer' | 'agent';
  departments: string[];
}

export type Ack = (answer: unknown) => void;

/** `relay:<role>:<userId>:<dept,dept>`: trusted, which is the point of a baseline. */
export function parseToken(token: unknown): RelayUser | null {
  if (typeof token !== 'string') return null;
  const [kind, role, id, departments] = token.split(':');
  if (kind !== 'relay' || (role !== 'customer' && role !== 'agent') || !id) return null;
  return { id, role, departments: departments ? departments.split(',') : [] };
}

/**
 * Serves `onConnection` for every socket (already in `user:<id>` and, for agents, `department:<d>`) on PORT (or a
 * free port), reports it as `{probe: 'listening', port}`, and on SIGTERM closes, runs `onClose`, and exits.
 */
export function hostRelay(
  name: string,
  onConnection: (socket: Socket, user: RelayUser) => void,
  onClose: () => Promise<void> = async () => {},
): Server {
  const httpServer = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
  const io = new Server(httpServer, { transports: ['websocket'], maxHttpBufferSize: 64 * 1024 });
  io.use((socket, next) => {
    const user = parseToken((socket.handshake.auth as { token?: unknown }).token);
    if (!user) return next(new Error('unauthorized'));
    socket.data.user = user;
    next();
  });
  io.on('connection', (socket) => {
    const user = socket.data.user as RelayUser;
    socket.join(`user:${user.id}`);
    if (user.role === 'agent') for (const d of user.departments) socket.join(`department:${d}`);
    onConnection(socket, user);
  });
  const port = Number(process.env.PORT ?? 0);
  // The same accept backlog as the chat server (server/src/http/app.ts): a storm of reconnects would overflow
  // Node's default of 511, and the dropped SYNs would wait for TCP's own retries.
  httpServer.listen({ port, host: '127.0.0.1', backlog: 4096 }, () => {
    const address = httpServer.address();
    const actual = typeof address === 'object' && address ? address.port : port;
    process.send?.({ probe: 'listening', port: actual });
    if (!process.send) console.log(`${name} listening on http://127.0.0.1:${actual}`);
  });
  process.on('SIGTERM', () => {
    io.close();
    httpServer.close(() => {
      onClose()
        .catch(() => {})
        .finally(() => process.exit(0));
    });
  });
  return io;
}
