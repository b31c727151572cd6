// Attacks on the chat over real sockets (SECURITY.md): foreign and cross-department access, spoofed senders,
// operator injection, malformed calls, floods. Each asserts the refusal and that nothing leaked or changed.
import { randomUUID } from 'node:crypto';
import type { ConversationSummary, Message } from '@support-chat/protocol';
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
} from '../../test/helpers';
import type { ConversationDoc } from '../store/conversations';
import {
  data,
  openConversation,
  record,
  sendMessage,
  settle,
  syncMessages,
  waitFor,
} from './chat-test-helpers';

let srv: TestServer;
const sockets: Socket[] = [];
const connect = async (s: Session) => {
  const socket = await connectSocket(srv.url, s.accessToken);
  sockets.push(socket);
  return socket;
};

/** The stored conversation, once the server wrote the summaries it holds. */
const conversationDoc = async (id: string) => {
  await srv.server.services.live.flush();
  return srv.server.store.db.collection<ConversationDoc>('conversations').findOne({ _id: id });
};
const messageCount = (conversationId: string) =>
  srv.server.store.db.collection('messages').countDocuments({ conversationId });

beforeAll(async () => {
  // Default limits (10 messages/s, burst 20): the flood test relies on them.
  srv = await startTestServer();
});

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await srv.close();
});

describe('foreign and cross-department access', () => {
  it('answers not_found to every event on someone else’s conversation, and leaks or changes nothing', async () => {
    const owner = await registerCustomer(srv.url);
    const agent = await createAgent(srv, { departments: ['billing'] });
    const stranger = await registerCustomer(srv.url);
    const otherAgent = await createAgent(srv, { departments: ['sales'] });
    const [os, as, ss, xs] = await Promise.all([
      connect(owner),
      connect(agent),
      connect(stranger),
      connect(otherAgent),
    ]);
    const conv = await openConversation(os, 'billing');
    await sendMessage(os, conv.id, 'private text');
    const before = await conversationDoc(conv.id);
    const leaked = [ss, xs].flatMap((s) =>
      ['message:created', 'conversation:updated', 'conversation:read', 'typing'].map((e) => record(s, e)),
    );
    const unknownId = '0123456789abcdef01234567';

    for (const [who, socket] of [
      ['stranger', ss],
      ['agent of another department', xs],
    ] as const) {
      for (const conversationId of [conv.id, unknownId]) {
        const attempts: [string, unknown][] = [
          ['message:send', { conversationId, clientMsgId: randomUUID(), text: 'intrusion' }],
          ['conversation:read', { conversationId, seq: 1 }],
          ['conversation:sync', { conversationId, afterSeq: 0 }],
          ['typing', { conversationId, isTyping: true }],
        ];
        if (who !== 'stranger') {
          attempts.push(
            ['conversation:claim', { conversationId }],
            ['conversation:assign', { conversationId, agentId: otherAgent.user.id }],
            ['conversation:resolve', { conversationId }],
            ['conversation:reopen', { conversationId }],
          );
        }
        for (const [event, payload] of attempts) {
          const res = await emitAck(socket, event, payload);
          // Unknown and foreign ids answer exactly alike.
          expect(res, `${who} ${event}`).toEqual({
            ok: false,
            error: { code: 'not_found', message: 'No such conversation' },
          });
        }
      }
      // A customer may not use agent events at all (refused before looking the conversation up).
      if (who === 'stranger') {
        for (const event of ['conversation:claim', 'conversation:resolve', 'conversation:reopen']) {
          expect(await emitAck(socket, event, { conversationId: conv.id })).toMatchObject({
            ok: false,
            error: { code: 'forbidden' },
          });
        }
      }
    }
    await settle(ss, xs, os, as);
    expect(leaked.flat()).toEqual([]);
    expect(await messageCount(conv.id)).toBe(1);
    expect(await conversationDoc(conv.id)).toEqual(before);
    // The rightful agent still sees exactly the one message.
    expect((await syncMessages(as, conv.id)).map((m) => m.text)).toEqual(['private text']);
  });

  it('an agent removed from a department loses its conversations on the open socket', async () => {
    const customer = await registerCustomer(srv.url);
    const agent = await createAgent(srv, { departments: ['technical', 'account'] });
    const [cs, as] = await Promise.all([connect(customer), connect(agent)]);
    const conv = await openConversation(cs, 'technical');
    await sendMessage(as, conv.id, 'hello from technical');
    data(
      await srv.server.services.accounts.setDepartments({
        username: agent.user.username,
        departments: ['account'],
      }),
    );
    await srv.server.realtime.refreshUserSockets(agent.user.id);
    expect(await emitAck(as, 'conversation:sync', { conversationId: conv.id, afterSeq: 0 })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
    const missed = record<{ message: Message }>(as, 'message:created');
    await sendMessage(cs, conv.id, 'the agent must not see this');
    await settle(as);
    expect(missed).toEqual([]);
  });
});

describe('input', () => {
  it('refuses spoofed sender fields; the stored sender is always the socket user', async () => {
    const customer = await registerCustomer(srv.url);
    const agent = await createAgent(srv, { departments: ['hr'] });
    const [cs, as] = await Promise.all([connect(customer), connect(agent)]);
    const conv = await openConversation(cs, 'hr');
    const base = { conversationId: conv.id, clientMsgId: randomUUID(), text: 'I am the agent, trust me' };
    for (const extra of [
      { sender: { id: agent.user.id, username: agent.user.username, role: 'agent' } },
      { role: 'agent' },
      { userId: agent.user.id },
      { senderId: agent.user.id },
      { username: agent.user.username },
    ]) {
      const res = await emitAck(cs, 'message:send', { ...base, ...extra });
      expect(res).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    }
    expect(await messageCount(conv.id)).toBe(0);
    const sent = await sendMessage(cs, conv.id, 'plain');
    expect(sent.sender).toEqual({ id: customer.user.id, username: customer.user.username, role: 'customer' });
    const raw = await srv.server.store.db.collection('messages').findOne({ conversationId: conv.id });
    expect(raw).toMatchObject({ senderId: customer.user.id, senderRole: 'customer' });
    // An agent's typing cannot claim to be someone else either.
    expect(
      await emitAck(as, 'typing', {
        conversationId: conv.id,
        isTyping: true,
        user: { id: customer.user.id },
      }),
    ).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
  });

  it('refuses operator objects, wrong types and malformed calls without crashing', async () => {
    const customer = await registerCustomer(srv.url);
    const agent = await createAgent(srv, { departments: ['billing'] });
    const [cs, as] = await Promise.all([connect(customer), connect(agent)]);
    const conv = await openConversation(cs, 'billing');
    await sendMessage(cs, conv.id, 'before');
    const bad: [Socket, string, unknown][] = [
      [cs, 'conversation:open', { department: { $ne: '' } }],
      [cs, 'conversation:open', { department: { $regex: '.*' } }],
      [cs, 'conversation:open', { department: 'Billing' }],
      [cs, 'message:send', { conversationId: { $ne: '' }, clientMsgId: randomUUID(), text: 'x' }],
      [cs, 'message:send', { conversationId: conv.id, clientMsgId: { $gt: '' }, text: 'x' }],
      [cs, 'message:send', { conversationId: conv.id, clientMsgId: randomUUID(), text: { $ne: null } }],
      [cs, 'message:send', { conversationId: conv.id, clientMsgId: 'not-a-uuid', text: 'x' }],
      [cs, 'message:send', { conversationId: conv.id, clientMsgId: randomUUID(), text: '   ' }],
      [cs, 'message:send', { conversationId: conv.id, clientMsgId: randomUUID(), text: 'a\u0000b' }],
      [cs, 'message:send', { conversationId: conv.id, clientMsgId: randomUUID(), text: 'x'.repeat(4001) }],
      [cs, 'message:send', { conversationId: conv.id, clientMsgId: randomUUID(), text: '\ud800' }],
      [cs, 'conversation:read', { conversationId: conv.id, seq: '1' }],
      [cs, 'conversation:read', { conversationId: conv.id, seq: -1 }],
      [cs, 'conversation:read', { conversationId: conv.id, seq: 1.5 }],
      [cs, 'conversation:sync', { conversationId: conv.id, afterSeq: { $gt: -1 } }],
      [cs, 'typing', { conversationId: conv.id, isTyping: 'yes' }],
      [as, 'conversation:assign', { conversationId: conv.id, agentId: { $ne: null } }],
      [as, 'conversation:assign', { conversationId: conv.id }],
      [as, 'conversation:claim', { conversationId: conv.id.toUpperCase() }],
      [cs, 'conversation:sync', null],
      [cs, 'conversation:sync', []],
      [cs, 'conversation:sync', 42],
      [cs, 'conversation:sync', 'conversation'],
    ];
    for (const [socket, event, payload] of bad) {
      const res = await emitAck(socket, event, payload);
      expect(res, `${event} ${JSON.stringify(payload)}`).toMatchObject({
        ok: false,
        error: { code: 'invalid_input' },
      });
      expect(JSON.stringify(res)).not.toMatch(/stack|at .*\.ts/);
    }
    // 4000 characters (code points, after trimming) is the limit, not 4000 UTF-16 units.
    const emoji = await sendMessage(cs, conv.id, '😀'.repeat(4000));
    expect(emoji.seq).toBe(2);

    // No payload, no ack, only an ack: answered or ignored, never a crash. (Listening before the send: its
    // message:created may come before the sync's answer.)
    const noAck = waitFor<{ message: Message }>(cs, 'message:created', (p) => p.message.text === 'no ack');
    cs.emit('message:send', { conversationId: conv.id, clientMsgId: randomUUID(), text: 'no ack' });
    cs.emit('conversation:sync');
    expect(await cs.timeout(5000).emitWithAck('conversation:sync')).toMatchObject({
      ok: false,
      error: { code: 'invalid_input' },
    });
    await noAck;
    expect((await syncMessages(cs, conv.id)).map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(cs.connected).toBe(true);
  });
});

describe('abuse', () => {
  it('rate-limits a flooding user with retryAfterMs while another user is unaffected', async () => {
    const flooder = await registerCustomer(srv.url);
    const bystander = await registerCustomer(srv.url);
    const [fs, bs] = await Promise.all([connect(flooder), connect(bystander)]);
    const [fconv, bconv] = await Promise.all([openConversation(fs, 'sales'), openConversation(bs, 'sales')]);
    const flood = Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        emitAck<{ message: Message }>(fs, 'message:send', {
          conversationId: fconv.id,
          clientMsgId: randomUUID(),
          text: `spam ${i}`,
        }),
      ),
    );
    // The bystander sends while the flood is on.
    const calm = await Promise.all([1, 2, 3].map((i) => sendMessage(bs, bconv.id, `calm ${i}`)));
    expect(calm.map((m) => m.seq)).toEqual([1, 2, 3]);
    const results = await flood;
    const accepted = results.filter((r) => r.ok);
    const refused = results.filter((r) => !r.ok);
    // Burst 20 plus what refilled at 10/s while the flood was being answered.
    expect(accepted.length).toBeGreaterThanOrEqual(20);
    expect(accepted.length).toBeLessThan(60);
    for (const r of refused) {
      expect(r).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
      const retryAfterMs = r.ok ? 0 : (r.error.retryAfterMs ?? 0);
      expect(retryAfterMs).toBeGreaterThan(0);
      expect(retryAfterMs).toBeLessThanOrEqual(1000);
    }
    // Only accepted messages were stored, with seqs 1..n.
    expect(await messageCount(fconv.id)).toBe(accepted.length);
  });

  it('throttles typing', async () => {
    const customer = await registerCustomer(srv.url);
    const cs = await connect(customer);
    const conv = await openConversation(cs, 'account');
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        emitAck(cs, 'typing', { conversationId: conv.id, isTyping: i % 2 === 0 }),
      ),
    );
    expect(results.some((r) => r.ok)).toBe(true);
    expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.error.code === 'rate_limited')).toBe(true);
    expect(results.filter((r) => !r.ok).length).toBeGreaterThan(0);
  });

  it('limits conversation:open', async () => {
    const customer = await registerCustomer(srv.url);
    const cs = await connect(customer);
    const results = await Promise.all(
      Array.from({ length: 40 }, () =>
        emitAck<{ conversation: ConversationSummary }>(cs, 'conversation:open', { department: 'billing' }),
      ),
    );
    expect(results.filter((r) => !r.ok && r.error.code === 'rate_limited').length).toBeGreaterThan(0);
    expect(new Set(results.flatMap((r) => (r.ok ? [r.data.conversation.id] : []))).size).toBe(1);
  });
});
