// The bare Socket.IO limit: a relay that carries the same traffic pattern as the chat server (acked
// `message:send`, `message:created` to the customer and the department, `conversation:updated` to each side)
// with no authentication, no validation and no storage. Run as its own process; it reports its port over IPC.
import { createServer } from 'node:http';
import { Server } from 'socket.io';

interface RelayConversation {
  id: string;
  customerId: string;
  department: string;
  lastSeq: number;
  unreadCustomer: number;
  unreadAgents: number;
  createdAt: string;
}

interface RelayUser {
  id: string;
  role: 'customer' | 'agent';
  departments: string[];
}

type Ack = (answer: unknown) => void;

const conversations = new Map<string, RelayConversation>();
let nextConversation = 0;
let nextMessage = 0;

const hexId = (n: number, prefix: string) => (prefix + n.toString(16)).padStart(24, '0').slice(-24);

/** `relay:<role>:<userId>:<dept,dept>`: the relay trusts it, which is the point of a bare baseline. */
function parseToken(token: unknown): RelayUser | null {
  if (typeof token !== 'string') return null;
  const [kind, role, id, departments] = token.split(':');
  if (kind !== 'relay' || (role !== 'customer' && role !== 'agent') || !id) return null;
  return { id, role, departments: departments ? departments.split(',') : [] };
}

function summary(c: RelayConversation, side: 'customer' | 'agents', last: Record<string, unknown> | null) {
  return {
    id: c.id,
    department: c.department,
    customer: { id: c.customerId, username: `customer-${c.customerId}` },
    status: 'open',
    assigneeId: null,
    lastSeq: c.lastSeq,
    lastMessage: last,
    unread: side === 'customer' ? c.unreadCustomer : c.unreadAgents,
    readSeq: { customer: 0, agents: 0 },
    createdAt: c.createdAt,
    updatedAt: new Date().toISOString(),
  };
}

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

  socket.on('conversation:open', (payload: { department: string }, ack: Ack) => {
    const key = `${user.id}:${payload.department}`;
    let c = conversations.get(key);
    if (!c) {
      c = {
        id: hexId(++nextConversation, 'c'),
        customerId: user.id,
        department: payload.department,
        lastSeq: 0,
        unreadCustomer: 0,
        unreadAgents: 0,
        createdAt: new Date().toISOString(),
      };
      conversations.set(key, c);
      conversations.set(c.id, c);
    }
    ack({ ok: true, data: { conversation: summary(c, 'customer', null) } });
  });

  socket.on(
    'message:send',
    (payload: { conversationId: string; clientMsgId: string; text: string }, ack: Ack) => {
      const c = conversations.get(payload.conversationId);
      if (!c) return ack({ ok: false, error: { code: 'not_found', message: 'no such conversation' } });
      const seq = ++c.lastSeq;
      if (user.role === 'customer') c.unreadAgents++;
      else c.unreadCustomer++;
      const createdAt = new Date().toISOString();
      const message = {
        id: hexId(++nextMessage, 'a'),
        conversationId: c.id,
        seq,
        sender: { id: user.id, username: `${user.role}-${user.id}`, role: user.role },
        text: payload.text,
        clientMsgId: payload.clientMsgId,
        createdAt,
      };
      ack({ ok: true, data: { message } });
      const customerRoom = `user:${c.customerId}`;
      const departmentRoom = `department:${c.department}`;
      io.to([customerRoom, departmentRoom]).emit('message:created', { message });
      const last = { seq, text: payload.text, senderRole: user.role, createdAt };
      io.to(customerRoom).emit('conversation:updated', { conversation: summary(c, 'customer', last) });
      io.to(departmentRoom).emit('conversation:updated', { conversation: summary(c, 'agents', last) });
    },
  );
});

const port = Number(process.env.PORT ?? 0);
httpServer.listen(port, '127.0.0.1', () => {
  const address = httpServer.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  process.send?.({ probe: 'listening', port: actual });
  if (!process.send) console.log(`relay listening on http://127.0.0.1:${actual}`);
});

process.on('SIGTERM', () => {
  io.close();
  httpServer.close(() => process.exit(0));
});
