// The chat over real sockets against a real server and database: open, send, receipts, typing, presence, sync,
// assignment. Security refusals are in security.int.test.ts.
import { randomUUID } from 'node:crypto';
import type { ConversationSummary, Message, PresenceEvent, Result } from '@support-chat/protocol';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectSocket,
  createAgent,
  emitAck,
  registerCustomer,
  type Session,
  startTestServer,
  type TestServer,
  waitForEvent,
} from '../../test/helpers';
import { data, openConversation, record, sendMessage, settle, waitFor } from './chat-test-helpers';

let srv: TestServer;
const sockets: Socket[] = [];

const connect = async (s: Session) => {
  const socket = await connectSocket(srv.url, s.accessToken);
  sockets.push(socket);
  return socket;
};

const open = openConversation;
const send = sendMessage;

beforeAll(async () => {
  // Message limits raised: several tests send quickly on purpose (the limit itself is in security.int.test.ts).
  srv = await startTestServer({
    env: { MESSAGE_RATE_PER_SECOND: '1000', MESSAGE_BURST: '1000', OPEN_RATE_PER_MINUTE: '6000' },
  });
});

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await srv.close();
});

describe('conversation:open', () => {
  it('opens one conversation per department; agents of it are told; 20 racing opens give one', async () => {
    const customer = await registerCustomer(srv.url);
    const agent = await createAgent(srv, { departments: ['billing'] });
    const agentSocket = await connect(agent);
    const cs = await connect(customer);
    const announced = waitFor<{ conversation: ConversationSummary }>(
      agentSocket,
      'conversation:updated',
      (p) => p.conversation.customer.id === customer.user.id,
    );
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        emitAck<{ conversation: ConversationSummary }>(cs, 'conversation:open', { department: 'billing' }),
      ),
    );
    const ids = new Set(results.map((r) => data(r).conversation.id));
    expect(ids.size).toBe(1);
    const conv = data(results[0] as Result<{ conversation: ConversationSummary }>).conversation;
    expect(conv).toMatchObject({
      department: 'billing',
      customer: { id: customer.user.id, username: customer.user.username },
      status: 'open',
      lastSeq: 0,
      lastMessage: null,
      unread: 0,
    });
    expect((await announced).conversation.id).toBe(conv.id);
    expect(
      await srv.server.store.db.collection('conversations').countDocuments({ customerId: customer.user.id }),
    ).toBe(1);
    // Another department is another conversation.
    expect((await open(cs, 'sales')).id).not.toBe(conv.id);
  });

  it('refuses agents and unknown departments', async () => {
    const agent = await createAgent(srv, { departments: ['billing'] });
    const as = await connect(agent);
    expect(await emitAck(as, 'conversation:open', { department: 'billing' })).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
    const cs = await connect(await registerCustomer(srv.url));
    expect(await emitAck(cs, 'conversation:open', { department: 'nosuch' })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
  });
});

describe('messages, unread and read receipts', () => {
  it('delivers to the customer’s sockets and the department’s agents, with unread for each receiver', async () => {
    const customer = await registerCustomer(srv.url);
    const agent = await createAgent(srv, { departments: ['technical'] });
    const outsider = await createAgent(srv, { departments: ['hr'] });
    const [cs, cs2, as, os] = await Promise.all([
      connect(customer),
      connect(customer),
      connect(agent),
      connect(outsider),
    ]);
    const outsiderSaw = record(os, 'message:created');
    // The sending connection has the message in its acknowledgement; its other tabs get the event.
    const senderSaw = record(cs, 'message:created');
    const conv = await open(cs, 'technical');

    const agentGets = waitFor<{ message: Message }>(
      as,
      'message:created',
      (p) => p.message.conversationId === conv.id,
    );
    const agentSummary = waitFor<{ conversation: ConversationSummary }>(
      as,
      'conversation:updated',
      (p) => p.conversation.id === conv.id && p.conversation.lastSeq === 1,
    );
    const otherTabGets = waitFor<{ message: Message }>(
      cs2,
      'message:created',
      (p) => p.message.conversationId === conv.id,
    );
    const customerSummary = waitFor<{ conversation: ConversationSummary }>(
      cs2,
      'conversation:updated',
      (p) => p.conversation.id === conv.id && p.conversation.lastSeq === 1,
    );
    const clientMsgId = randomUUID();
    const sent = await send(cs, conv.id, '  Hello, I need help  ', clientMsgId);
    expect(sent).toMatchObject({
      conversationId: conv.id,
      seq: 1,
      text: 'Hello, I need help',
      clientMsgId,
      sender: { id: customer.user.id, username: customer.user.username, role: 'customer' },
    });
    expect(sent.id).toMatch(/^[a-f0-9]{24}$/);
    expect(new Date(sent.createdAt).toISOString()).toBe(sent.createdAt);
    expect((await agentGets).message).toEqual(sent);
    expect((await otherTabGets).message).toEqual(sent);
    expect((await agentSummary).conversation).toMatchObject({
      unread: 1,
      lastMessage: { seq: 1, text: 'Hello, I need help', senderRole: 'customer' },
    });
    expect((await customerSummary).conversation.unread).toBe(0);

    // The agent replies twice: the customer's unread is 2, the agents' still 1.
    await send(as, conv.id, 'Hi! Looking.');
    const reply = await send(as, conv.id, 'Found it.');
    expect(reply.seq).toBe(3);
    expect(reply.sender).toEqual({ id: agent.user.id, username: agent.user.username, role: 'agent' });

    // The customer reads up to 3: the department gets the receipt; the customer's unread drops to 0.
    const receipt = waitFor<{ conversationId: string; by: string; seq: number }>(
      as,
      'conversation:read',
      (p) => p.conversationId === conv.id,
    );
    const read = data(
      await emitAck<{ conversation: ConversationSummary }>(cs, 'conversation:read', {
        conversationId: conv.id,
        seq: 3,
      }),
    ).conversation;
    expect(read).toMatchObject({ unread: 0, readSeq: { customer: 3, agents: 0 } });
    expect(await receipt).toEqual({ conversationId: conv.id, by: 'customer', seq: 3 });

    // The agent reads: receipt to the customer; the agents' unread is 0.
    const agentReceipt = waitFor<{ by: string; seq: number }>(
      cs,
      'conversation:read',
      (p) => p.by === 'agents',
    );
    const agentRead = data(
      await emitAck<{ conversation: ConversationSummary }>(as, 'conversation:read', {
        conversationId: conv.id,
        seq: 3,
      }),
    ).conversation;
    expect(agentRead).toMatchObject({ unread: 0, readSeq: { customer: 3, agents: 3 } });
    expect(await agentReceipt).toEqual({ conversationId: conv.id, by: 'agents', seq: 3 });

    await settle(os);
    expect(outsiderSaw).toEqual([]);
    await settle(cs);
    expect((senderSaw as { message: Message }[]).map((p) => p.message.seq)).toEqual([2, 3]);
  });

  it('returns the stored message for a repeated clientMsgId, also 10 at once', async () => {
    const customer = await registerCustomer(srv.url);
    const cs = await connect(customer);
    const conv = await open(cs, 'billing');
    const clientMsgId = randomUUID();
    const first = await send(cs, conv.id, 'only once', clientMsgId);
    const again = await send(cs, conv.id, 'only once', clientMsgId);
    expect(again).toEqual(first);
    const burstId = randomUUID();
    const burst = await Promise.all(Array.from({ length: 10 }, () => send(cs, conv.id, 'burst', burstId)));
    expect(new Set(burst.map((m) => m.id)).size).toBe(1);
    const all = data(
      await emitAck<{ messages: Message[] }>(cs, 'conversation:sync', {
        conversationId: conv.id,
        afterSeq: 0,
      }),
    ).messages;
    expect(all.map((m) => m.text)).toEqual(['only once', 'burst']);
  });

  it('50 concurrent senders over sockets get seq 1..50 without gaps or duplicates', async () => {
    const customer = await registerCustomer(srv.url);
    const agents = await Promise.all([1, 2, 3].map(() => createAgent(srv, { departments: ['sales'] })));
    const socks = await Promise.all([connect(customer), ...agents.map(connect)]);
    const conv = await open(socks[0] as Socket, 'sales');
    const sent = await Promise.all(
      Array.from({ length: 50 }, (_, i) => send(socks[i % socks.length] as Socket, conv.id, `n${i}`)),
    );
    expect(sent.map((m) => m.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const synced = data(
      await emitAck<{ messages: Message[] }>(socks[1] as Socket, 'conversation:sync', {
        conversationId: conv.id,
        afterSeq: 0,
      }),
    ).messages;
    expect(synced.map((m) => m.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const from40 = data(
      await emitAck<{ messages: Message[] }>(socks[0] as Socket, 'conversation:sync', {
        conversationId: conv.id,
        afterSeq: 40,
      }),
    ).messages;
    expect(from40.map((m) => m.seq)).toEqual([41, 42, 43, 44, 45, 46, 47, 48, 49, 50]);
  });
});

describe('typing', () => {
  it('goes to the other side only', async () => {
    const customer = await registerCustomer(srv.url);
    const stranger = await registerCustomer(srv.url);
    const agent = await createAgent(srv, { departments: ['account'] });
    const colleague = await createAgent(srv, { departments: ['account'] });
    const [cs, cs2, ss, as, cols] = await Promise.all([
      connect(customer),
      connect(customer),
      connect(stranger),
      connect(agent),
      connect(colleague),
    ]);
    const conv = await open(cs, 'account');
    const seen = {
      customerTab: record(cs2, 'typing'),
      stranger: record(ss, 'typing'),
      colleague: record(cols, 'typing'),
      agent: record(as, 'typing'),
      customer: record(cs, 'typing'),
    };
    const toAgent = waitForEvent(as, 'typing');
    expect(await emitAck(cs, 'typing', { conversationId: conv.id, isTyping: true })).toEqual({
      ok: true,
      data: {},
    });
    expect(await toAgent).toEqual({
      conversationId: conv.id,
      user: { id: customer.user.id, username: customer.user.username, role: 'customer' },
      isTyping: true,
    });
    const toCustomer = waitForEvent(cs, 'typing');
    data(await emitAck(as, 'typing', { conversationId: conv.id, isTyping: true }));
    expect(await toCustomer).toMatchObject({ user: { id: agent.user.id, role: 'agent' }, isTyping: true });
    await settle(cs, cs2, ss, as, cols);
    expect(seen.stranger).toEqual([]);
    // The customer's own other tab is the same side; the colleague saw the customer (the department), not the agent.
    expect(seen.customerTab.map((t) => (t as { user: { role: string } }).user.role)).toEqual(['agent']);
    expect(seen.colleague.map((t) => (t as { user: { role: string } }).user.role)).toEqual(['customer']);
  });
});

describe('presence', () => {
  it('tells customers who opened the department and its agents how many agents are online', async () => {
    // A department of its own, so that other tests' agents are not online in it.
    await srv.server.services.accounts.createDepartment({ id: 'onboarding', name: 'Onboarding' });
    const customer = await registerCustomer(srv.url);
    const cs = await connect(customer);
    const initial = waitForEvent<PresenceEvent>(cs, 'presence');
    await open(cs, 'onboarding');
    expect(await initial).toEqual({ department: 'onboarding', agentsOnline: 0 });

    const agent = await createAgent(srv, { departments: ['onboarding'] });
    const up = waitFor<PresenceEvent>(
      cs,
      'presence',
      (p) => p.department === 'onboarding' && p.agentsOnline === 1,
    );
    const as = await connect(agent);
    await up;
    // A second socket of the same agent is still one agent.
    const as2 = await connect(agent);
    const peer = await createAgent(srv, { departments: ['onboarding'] });
    const two = waitFor<PresenceEvent>(
      as,
      'presence',
      (p) => p.department === 'onboarding' && p.agentsOnline === 2,
    );
    const ps = await connect(peer);
    await two;
    const res = await fetch(`${srv.url}/api/departments`);
    const body = (await res.json()) as { departments: { id: string; agentsOnline: number }[] };
    expect(body.departments.find((d) => d.id === 'onboarding')?.agentsOnline).toBe(2);

    const down = waitFor<PresenceEvent>(
      cs,
      'presence',
      (p) => p.department === 'onboarding' && p.agentsOnline === 1,
    );
    ps.disconnect();
    await down;
    as2.disconnect();
    const zero = waitFor<PresenceEvent>(
      cs,
      'presence',
      (p) => p.department === 'onboarding' && p.agentsOnline === 0,
    );
    as.disconnect();
    await zero;
  });
});

describe('assignment', () => {
  it('queues while nobody is online, hands out FIFO when an agent connects, then claim/assign/release/resolve/reopen', async () => {
    // A department of its own, so other tests' agents are not online in it.
    await srv.server.services.accounts.createDepartment({ id: 'returns', name: 'Returns' });
    const c1 = await connect(await registerCustomer(srv.url));
    const c2 = await connect(await registerCustomer(srv.url));
    const first = await open(c1, 'returns');
    const second = await open(c2, 'returns');
    expect(first.assigneeId).toBeNull();
    expect(second.assigneeId).toBeNull();

    const a1 = await createAgent(srv, { departments: ['returns'] });
    const a2 = await createAgent(srv, { departments: ['returns'] });
    const outsider = await createAgent(srv, { departments: ['billing'] });
    const pending = new Set([first.id, second.id]);
    const a1Socket = await connectSocket(srv.url, a1.accessToken, { transports: ['websocket'] });
    sockets.push(a1Socket);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('queue not handed out')), 10_000);
      const taken = (conversation: Pick<ConversationSummary, 'id' | 'assigneeId'>) => {
        if (conversation.assigneeId === a1.user.id) pending.delete(conversation.id);
        if (pending.size === 0) {
          clearTimeout(timer);
          resolve();
        }
      };
      a1Socket.on('conversation:updated', ({ conversation }: { conversation: ConversationSummary }) =>
        taken(conversation),
      );
      // The hand-out may have come in the same read as the connect, before this listener: the inbox shows it too.
      void fetch(`${srv.url}/api/conversations?view=mine`, {
        headers: { authorization: `Bearer ${a1.accessToken}` },
      })
        .then((res) => res.json() as Promise<{ conversations: ConversationSummary[] }>)
        .then((page) => {
          for (const c of page.conversations) taken(c);
        });
    });

    // a2 comes online holding nothing: the next new conversation goes to a2 (fewest open).
    const a2Socket = await connect(a2);
    await settle(a2Socket);
    const third = await open(await connect(await registerCustomer(srv.url)), 'returns');
    expect(third.assigneeId).toBe(a2.user.id);

    // Claim: a conversation someone else holds is a conflict; a customer may not claim.
    expect(await emitAck(a2Socket, 'conversation:claim', { conversationId: first.id })).toMatchObject({
      ok: false,
      error: { code: 'conflict' },
    });
    expect(await emitAck(c1, 'conversation:claim', { conversationId: first.id })).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
    // Assign to a colleague of the department; not to an agent of another department.
    const assigned = data(
      await emitAck<{ conversation: ConversationSummary }>(a1Socket, 'conversation:assign', {
        conversationId: first.id,
        agentId: a2.user.id,
      }),
    ).conversation;
    expect(assigned.assigneeId).toBe(a2.user.id);
    expect(
      await emitAck(a1Socket, 'conversation:assign', { conversationId: first.id, agentId: outsider.user.id }),
    ).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    // Release to the queue, then claim it.
    const customerSees = waitFor<{ conversation: ConversationSummary }>(
      c1,
      'conversation:updated',
      (p) => p.conversation.assigneeId === null,
    );
    const released = data(
      await emitAck<{ conversation: ConversationSummary }>(a2Socket, 'conversation:assign', {
        conversationId: first.id,
        agentId: null,
      }),
    ).conversation;
    expect(released.assigneeId).toBeNull();
    await customerSees;
    const claimed = data(
      await emitAck<{ conversation: ConversationSummary }>(a1Socket, 'conversation:claim', {
        conversationId: first.id,
      }),
    ).conversation;
    expect(claimed.assigneeId).toBe(a1.user.id);

    // Resolve, and the customer reopens by writing; an agent reopens explicitly.
    const resolved = data(
      await emitAck<{ conversation: ConversationSummary }>(a1Socket, 'conversation:resolve', {
        conversationId: first.id,
      }),
    ).conversation;
    expect(resolved.status).toBe('resolved');
    const reopenedByCustomer = waitFor<{ conversation: ConversationSummary }>(
      a1Socket,
      'conversation:updated',
      (p) => p.conversation.id === first.id && p.conversation.status === 'open',
    );
    await send(c1, first.id, 'one more thing');
    expect((await reopenedByCustomer).conversation.assigneeId).toBe(a1.user.id);
    data(await emitAck(a1Socket, 'conversation:resolve', { conversationId: first.id }));
    const reopened = data(
      await emitAck<{ conversation: ConversationSummary }>(a2Socket, 'conversation:reopen', {
        conversationId: first.id,
      }),
    ).conversation;
    expect(reopened.status).toBe('open');

    // Claim takes only from the queue: a resolved, unassigned conversation is refused and stays as it was.
    data(await emitAck(a1Socket, 'conversation:resolve', { conversationId: first.id }));
    data(await emitAck(a1Socket, 'conversation:assign', { conversationId: first.id, agentId: null }));
    expect(await emitAck(a1Socket, 'conversation:claim', { conversationId: first.id })).toMatchObject({
      ok: false,
      error: { code: 'conflict', message: expect.stringMatching(/resolved/) },
    });
    expect(await srv.server.store.conversations.findById(first.id)).toMatchObject({
      status: 'resolved',
      assigneeId: null,
    });
  });
});
