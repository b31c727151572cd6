// The bare Socket.IO limit: a relay that carries the same traffic pattern as the chat server (acked
// `message:send`, `message:created` to the customer and the department, `conversation:updated` to each side)
// with no authentication, no validation and no storage. Run as its own process; it reports its port over IPC.
import { type Ack, hostRelay } from './lib/relay-host';

interface RelayConversation {
  id: string;
  customerId: string;
  department: string;
  lastSeq: number;
  unreadCustomer: number;
  unreadAgents: number;
  createdAt: string;
}

const conversations = new Map<string, RelayConversation>();
let nextMessage = 0;

/**
 * A conversation's id names its customer and department, so a relay started again (the reconnect storm kills it)
 * takes the customers' next messages where the first one left off, as the chat server does from its database.
 */
function conversationOf(customerId: string, department: string): RelayConversation {
  const id = `${customerId}.${department}`;
  let c = conversations.get(id);
  if (!c) {
    c = {
      id,
      customerId,
      department,
      lastSeq: 0,
      unreadCustomer: 0,
      unreadAgents: 0,
      createdAt: new Date().toISOString(),
    };
    conversations.set(id, c);
  }
  return c;
}

function reopened(conversationId: string, customerId: string): RelayConversation | null {
  const [owner, department] = conversationId.split('.');
  return owner === customerId && department ? conversationOf(customerId, department) : null;
}

const hexId = (n: number, prefix: string) => (prefix + n.toString(16)).padStart(24, '0').slice(-24);

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

const io = hostRelay('relay', (socket, user) => {
  socket.on('conversation:open', (payload: { department: string }, ack: Ack) => {
    const c = conversationOf(user.id, payload.department);
    ack({ ok: true, data: { conversation: summary(c, 'customer', null) } });
  });

  // Nothing is stored, so a sync (after a reconnect) has nothing to fill in.
  socket.on('conversation:sync', (_payload: unknown, ack: Ack) => ack({ ok: true, data: { messages: [] } }));

  socket.on(
    'message:send',
    (payload: { conversationId: string; clientMsgId: string; text: string }, ack: Ack) => {
      const c = conversations.get(payload.conversationId) ?? reopened(payload.conversationId, user.id);
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
