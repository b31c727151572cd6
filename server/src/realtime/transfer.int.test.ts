// Transfer between departments (SPEC §12) over real sockets, HTTP and a real database: the conversation moves (or
// hands over to the customer's conversation there), the customer sees a system line that survives a reload, the old
// department's agents lose access at once by every path, the new department's assignment applies.
import { randomUUID } from 'node:crypto';
import type { ConversationSummary, Message, Note } from '@support-chat/protocol';
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
import {
  data,
  openConversation,
  sendMessage,
  settle,
  syncMessages,
  waitFor,
  wiretap,
} from './chat-test-helpers';

let srv: TestServer;
const sockets: Socket[] = [];

const connect = async (s: Session, status?: 'away') => {
  const socket = await connectSocket(srv.url, s.accessToken, status ? { auth: { status } } : {});
  sockets.push(socket);
  return socket;
};

const transfer = (socket: Socket, payload: Record<string, unknown>) =>
  emitAck<{ conversation: ConversationSummary }>(socket, 'conversation:transfer', payload);

const getJson = async (url: string, token: string) => {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

const isSystem = (text: string) => (p: { message: Message }) =>
  p.message.kind === 'system' && p.message.text === text;

beforeAll(async () => {
  srv = await startTestServer({
    env: { MESSAGE_RATE_PER_SECOND: '1000', MESSAGE_BURST: '1000', OPEN_RATE_PER_MINUTE: '6000' },
  });
});

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await srv.close();
});

describe('transfer to a department the customer has no conversation with', () => {
  it('moves the conversation: system line, note, new assignee, and the old department loses it at once', async () => {
    const customer = await registerCustomer(srv.url);
    // Billing's only available agent holds the conversation; technical has one available agent.
    const holder = await createAgent(srv, { departments: ['billing'] });
    const colleague = await createAgent(srv, { departments: ['billing'] });
    const both = await createAgent(srv, { departments: ['billing', 'technical'] });
    const tech = await createAgent(srv, { departments: ['technical'] });
    const cs = await connect(customer);
    const hs = await connect(holder);
    const cols = await connect(colleague, 'away');
    const bs = await connect(both, 'away');
    const conv = await openConversation(cs, 'billing');
    expect(conv.assigneeId).toBe(holder.user.id);
    await sendMessage(cs, conv.id, 'my router will not connect');
    await sendMessage(hs, conv.id, 'that is a question for our technicians');
    const ts = await connect(tech);
    const holderWire = wiretap(hs);
    const colleagueWire = wiretap(cols);
    const customerWire = wiretap(cs);

    const customerLine = waitFor<{ message: Message }>(
      cs,
      'message:created',
      isSystem('Transferred to Technical Support'),
    );
    const techLine = waitFor<{ message: Message }>(
      ts,
      'message:created',
      isSystem('Transferred to Technical Support'),
    );
    const removed = waitFor<{ conversationId: string; department: string }>(
      cols,
      'conversation:removed',
      (p) => p.conversationId === conv.id,
    );
    const noteHeard = waitFor<{ note: Note }>(ts, 'note:created', (p) => p.note.conversationId === conv.id);
    const after = data(
      await transfer(hs, {
        conversationId: conv.id,
        department: 'technical',
        note: 'Customer has a FritzBox 7590',
      }),
    ).conversation;

    expect(after).toMatchObject({
      id: conv.id,
      department: 'technical',
      status: 'open',
      assigneeId: tech.user.id,
    });
    const line = (await customerLine).message;
    expect(line).toMatchObject({
      conversationId: conv.id,
      seq: 3,
      kind: 'system',
      system: {
        type: 'transfer',
        from: { department: 'billing', name: 'Billing Support', conversationId: conv.id },
        to: { department: 'technical', name: 'Technical Support', conversationId: conv.id },
      },
    });
    expect((await techLine).message.seq).toBe(3);
    expect(await removed).toEqual({
      conversationId: conv.id,
      reason: 'transferred',
      department: 'technical',
    });
    // The customer's sockets hear the new department's presence (no reopen needed).
    const presence = waitFor<{ department: string }>(cs, 'presence', (p) => p.department === 'technical');
    await connect(await createAgent(srv, { departments: ['technical'] }), 'away');
    data(await emitAck(sockets[sockets.length - 1]!, 'agent:status', { status: 'available' }));
    await presence;
    const note = (await noteHeard).note;
    expect(note).toMatchObject({ text: 'Customer has a FritzBox 7590', author: { id: holder.user.id } });

    // Neither side counts the line as unread: the customer read nothing new, the agents have the customer's one.
    const own = data(
      await emitAck<{ conversation: ConversationSummary }>(cs, 'conversation:read', {
        conversationId: conv.id,
        seq: 2,
      }),
    ).conversation;
    expect(own.unread).toBe(0);
    expect(own.lastMessage).toMatchObject({
      seq: 3,
      kind: 'system',
      text: 'Transferred to Technical Support',
    });

    // The old department's agents: every path answers not_found, the inbox no longer lists it, no events follow.
    await settle(hs, cols, cs, ts, bs);
    expect(holderWire.some((e) => e.includes('conversation:removed'))).toBe(true);
    const notFound = { ok: false, error: { code: 'not_found' } };
    expect(await emitAck(hs, 'conversation:sync', { conversationId: conv.id, afterSeq: 0 })).toMatchObject(
      notFound,
    );
    expect(
      await emitAck(hs, 'message:send', {
        conversationId: conv.id,
        clientMsgId: randomUUID(),
        text: 'still here?',
      }),
    ).toMatchObject(notFound);
    expect(
      await emitAck(hs, 'note:add', { conversationId: conv.id, clientMsgId: randomUUID(), text: 'x' }),
    ).toMatchObject(notFound);
    expect(await emitAck(hs, 'conversation:read', { conversationId: conv.id, seq: 3 })).toMatchObject(
      notFound,
    );
    expect(await emitAck(hs, 'conversation:claim', { conversationId: conv.id })).toMatchObject(notFound);
    expect(
      (await getJson(`${srv.url}/api/conversations/${conv.id}/messages`, holder.accessToken)).status,
    ).toBe(404);
    const holderInbox = await getJson(`${srv.url}/api/conversations?view=all`, holder.accessToken);
    expect((holderInbox.body.conversations as ConversationSummary[]).map((c) => c.id)).not.toContain(conv.id);
    const techInbox = await getJson(`${srv.url}/api/conversations?view=mine`, tech.accessToken);
    expect((techInbox.body.conversations as ConversationSummary[]).map((c) => c.id)).toContain(conv.id);
    expect(techInbox.body.counts).toMatchObject({ mine: 1 });

    // The customer keeps writing in the same thread: it reaches technical, never billing.
    const seenByTech = waitFor<{ message: Message }>(
      ts,
      'message:created',
      (p) => p.message.text === 'still there?',
    );
    const seenByBoth = waitFor<{ message: Message }>(
      bs,
      'message:created',
      (p) => p.message.text === 'still there?',
    );
    const next = await sendMessage(cs, conv.id, 'still there?');
    expect(next.seq).toBe(4);
    await seenByTech;
    await seenByBoth;
    await settle(hs, cols);
    for (const wire of [holderWire, colleagueWire]) {
      expect(wire.filter((e) => e.includes('still there?'))).toEqual([]);
      expect(wire.filter((e) => e.includes('FritzBox'))).toEqual([]);
    }
    // The customer never sees the note.
    expect(customerWire.filter((e) => e.includes('FritzBox'))).toEqual([]);

    // The line survives a reload: history and sync for both sides.
    const history = await getJson(`${srv.url}/api/conversations/${conv.id}/messages`, customer.accessToken);
    expect((history.body.messages as Message[]).map((m) => [m.seq, m.kind ?? 'text'])).toEqual([
      [1, 'text'],
      [2, 'text'],
      [3, 'system'],
      [4, 'text'],
    ]);
    expect((await syncMessages(ts, conv.id)).map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    const techNotes = data(
      await emitAck<{ notes: Note[] }>(ts, 'conversation:sync', {
        conversationId: conv.id,
        afterSeq: 4,
        afterNoteSeq: 0,
      }),
    ).notes;
    expect(techNotes?.map((n) => n.text)).toEqual(['Customer has a FritzBox 7590']);

    // Opening technical finds the moved conversation; billing starts a new, empty one.
    expect((await openConversation(cs, 'technical')).id).toBe(conv.id);
    const fresh = await openConversation(cs, 'billing');
    expect(fresh.id).not.toBe(conv.id);
    expect(fresh).toMatchObject({ department: 'billing', lastSeq: 0 });
    // Also on a new connection (whose handshake read the account after the transfer), and over HTTP.
    const cs2 = await connect(customer);
    expect((await openConversation(cs2, 'billing')).id).toBe(fresh.id);
    expect((await openConversation(cs2, 'technical')).id).toBe(conv.id);
    const list = await getJson(`${srv.url}/api/conversations`, customer.accessToken);
    expect(
      (list.body.conversations as ConversationSummary[]).map((c) => [c.id, c.department]).sort(),
    ).toEqual(
      [
        [conv.id, 'technical'],
        [fresh.id, 'billing'],
      ].sort(),
    );
  });

  it('waits in the new department queue when nobody there is available', async () => {
    const customer = await registerCustomer(srv.url);
    const agent = await createAgent(srv, { departments: ['account', 'sales'] });
    const cs = await connect(customer);
    const as = await connect(agent);
    const conv = await openConversation(cs, 'account');
    expect(conv.assigneeId).toBe(agent.user.id);
    await sendMessage(cs, conv.id, 'I would like to buy more seats');
    // The agent is in sales too, so they keep it; nobody else is available there: the agent gets it by assignment.
    const after = data(await transfer(as, { conversationId: conv.id, department: 'sales' })).conversation;
    expect(after).toMatchObject({ department: 'sales', status: 'open', assigneeId: agent.user.id });
    // Now to hr, where nobody is: waiting.
    const waiting = data(await transfer(as, { conversationId: conv.id, department: 'hr' })).conversation;
    expect(waiting).toMatchObject({ department: 'hr', status: 'open', assigneeId: null });
    const lines = (await syncMessages(cs, conv.id)).filter((m) => m.kind === 'system').map((m) => m.text);
    expect(lines).toEqual(['Transferred to Sales', 'Transferred to HR']);
  });
});

describe('transfer to a department the customer already has a conversation with', () => {
  it('resolves the source, reopens the target into its queue, a line in both, the note in the target', async () => {
    // Departments of their own: no agent of the other tests is available in them.
    await srv.server.store.departments.insert({ id: 'returns', name: 'Returns' });
    await srv.server.store.departments.insert({ id: 'repairs', name: 'Repairs' });
    const customer = await registerCustomer(srv.url);
    const billing = await createAgent(srv, { departments: ['returns'] });
    const tech = await createAgent(srv, { departments: ['repairs'] });
    const cs = await connect(customer);
    const bs = await connect(billing);
    const ts = await connect(tech);
    const source = await openConversation(cs, 'returns');
    await sendMessage(cs, source.id, 'invoice question');
    const target = await openConversation(cs, 'repairs');
    await sendMessage(cs, target.id, 'an old router question');
    data(await emitAck(ts, 'conversation:resolve', { conversationId: target.id }));
    // The technical agent is away: the reopened target waits in the queue.
    data(await emitAck(ts, 'agent:status', { status: 'away' }));

    const toLine = waitFor<{ message: Message }>(cs, 'message:created', isSystem('Transferred to Repairs'));
    const fromLine = waitFor<{ message: Message }>(
      cs,
      'message:created',
      isSystem('Transferred from Returns'),
    );
    const note = waitFor<{ note: Note }>(ts, 'note:created', (p) => p.note.conversationId === target.id);
    const after = data(
      await transfer(bs, {
        conversationId: source.id,
        department: 'repairs',
        note: 'also asks about the invoice',
      }),
    ).conversation;
    expect(after).toMatchObject({ id: target.id, department: 'repairs', status: 'open', assigneeId: null });
    const line = (await toLine).message;
    expect(line).toMatchObject({
      conversationId: source.id,
      system: {
        to: { conversationId: target.id, department: 'repairs' },
        from: { conversationId: source.id },
      },
    });
    expect((await fromLine).message).toMatchObject({ conversationId: target.id, seq: 2, kind: 'system' });
    expect((await note).note.text).toBe('also asks about the invoice');

    // Nothing moved: billing keeps its (now resolved) conversation, the customer keeps both.
    const sourceNow = data(
      await emitAck<{ messages: Message[] }>(bs, 'conversation:sync', {
        conversationId: source.id,
        afterSeq: 0,
      }),
    );
    expect(sourceNow.messages.map((m) => m.kind ?? 'text')).toEqual(['text', 'system']);
    const list = await getJson(`${srv.url}/api/conversations`, customer.accessToken);
    const byId = new Map((list.body.conversations as ConversationSummary[]).map((c) => [c.id, c]));
    expect(byId.get(source.id)).toMatchObject({ department: 'returns', status: 'resolved' });
    expect(byId.get(target.id)).toMatchObject({ department: 'repairs', status: 'open' });
    // The technical agent comes back: the queue hands the target to them.
    const handed = waitFor<{ conversation: ConversationSummary }>(
      ts,
      'conversation:updated',
      (p) => p.conversation.id === target.id && p.conversation.assigneeId === tech.user.id,
    );
    data(await emitAck(ts, 'agent:status', { status: 'available' }));
    await handed;
  });
});

describe('transfer rules', () => {
  it('only agents of the conversation, only to another existing department, valid input only', async () => {
    const customer = await registerCustomer(srv.url);
    const agent = await createAgent(srv, { departments: ['billing'] });
    const outsider = await createAgent(srv, { departments: ['sales'] });
    const cs = await connect(customer);
    const as = await connect(agent);
    const os = await connect(outsider);
    const conv = await openConversation(cs, 'billing');
    const move = { conversationId: conv.id, department: 'technical' };
    expect(await transfer(cs, move)).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await transfer(os, move)).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await transfer(as, { ...move, conversationId: 'f'.repeat(24) })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
    expect(await transfer(as, { ...move, department: 'nowhere' })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
    expect(await transfer(as, { ...move, department: 'billing' })).toMatchObject({
      ok: false,
      error: { code: 'conflict' },
    });
    expect(await transfer(as, { ...move, extra: 1 })).toMatchObject({
      ok: false,
      error: { code: 'invalid_input' },
    });
    expect(await transfer(as, { ...move, note: 'x'.repeat(20_000) })).toMatchObject({
      ok: false,
      error: { code: 'invalid_input' },
    });
    expect(await transfer(as, { conversationId: conv.id })).toMatchObject({
      ok: false,
      error: { code: 'invalid_input' },
    });
    // Nothing happened.
    expect(await syncMessages(cs, conv.id)).toEqual([]);
  });
});
