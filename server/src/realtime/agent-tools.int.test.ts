// Agent tools (SPEC §12) over real sockets, HTTP and a real database: internal notes that a customer cannot reach by
// any path, satisfaction ratings and their rules, and agents' canned replies.
import { randomUUID } from 'node:crypto';
import type { AgentCannedReply, ConversationSummary, Message, Note, Rating } from '@support-chat/protocol';
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

const connect = async (s: Session) => {
  const socket = await connectSocket(srv.url, s.accessToken);
  sockets.push(socket);
  return socket;
};

const addNote = (socket: Socket, conversationId: string, text: string, clientMsgId = randomUUID()) =>
  emitAck<{ note: Note }>(socket, 'note:add', { conversationId, clientMsgId, text });

const getJson = async (url: string, token: string) => {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, text: await res.text() };
};

beforeAll(async () => {
  srv = await startTestServer({
    env: { MESSAGE_RATE_PER_SECOND: '1000', MESSAGE_BURST: '1000', OPEN_RATE_PER_MINUTE: '6000' },
  });
});

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await srv.close();
});

describe('internal notes', () => {
  it('reach the department agents only; the customer sees no trace by any path, also after a reconnect', async () => {
    const customer = await registerCustomer(srv.url);
    const agent = await createAgent(srv, { departments: ['billing'] });
    const colleague = await createAgent(srv, { departments: ['billing'] });
    const outsider = await createAgent(srv, { departments: ['sales'] });
    let cs = await connect(customer);
    const as = await connect(agent);
    const colleagueSocket = await connect(colleague);
    const outsiderSocket = await connect(outsider);
    const customerWire = wiretap(cs);
    const outsiderWire = wiretap(outsiderSocket);
    const ownWire = wiretap(as);

    const conv = await openConversation(cs, 'billing');
    await sendMessage(cs, conv.id, 'hello, my invoice is wrong');
    await srv.server.services.live.flush();
    const before = (await srv.server.services.conversations.listOwn(customer.user)).find(
      (c) => c._id === conv.id,
    );

    const secret = `NOTE-${randomUUID()}`;
    const clientMsgId = randomUUID();
    const heard = waitFor<{ note: Note }>(colleagueSocket, 'note:created', (p) => p.note.text === secret);
    const first = data(await addNote(as, conv.id, secret, clientMsgId)).note;
    expect(first).toMatchObject({
      conversationId: conv.id,
      noteSeq: 1,
      author: { id: agent.user.id, username: agent.user.username },
      text: secret,
      clientMsgId,
    });
    expect((await heard).note).toEqual(first);
    // The same clientMsgId again is the same note; the next one is 2.
    expect(data(await addNote(as, conv.id, secret, clientMsgId)).note).toEqual(first);
    const second = data(await addNote(as, conv.id, `${secret}-2`)).note;
    expect(second.noteSeq).toBe(2);

    // Others refused: the customer, an agent of another department, unknown ids.
    expect(await addNote(cs, conv.id, 'customer note')).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
    expect(await addNote(outsiderSocket, conv.id, 'x')).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
    expect(await addNote(as, conv.id, '')).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(
      await emitAck(cs, 'conversation:sync', { conversationId: conv.id, afterSeq: 0, afterNoteSeq: 0 }),
    ).toMatchObject({ ok: false, error: { code: 'forbidden' } });

    // The agent replies: the customer's seq goes on without a gap.
    const reply = await sendMessage(as, conv.id, 'let me check');
    expect(reply.seq).toBe(2);

    // The customer goes offline; a note is written meanwhile; they come back and sync.
    cs.disconnect();
    const whileAway = data(await addNote(colleagueSocket, conv.id, `${secret}-3`)).note;
    expect(whileAway.noteSeq).toBe(3);
    cs = await connect(customer);
    const reconnectedWire = wiretap(cs);
    const synced = await syncMessages(cs, conv.id, 0);
    expect(synced.map((m) => m.seq)).toEqual([1, 2]);
    const raw = await emitAck<Record<string, unknown>>(cs, 'conversation:sync', {
      conversationId: conv.id,
      afterSeq: 0,
    });
    expect(Object.keys(data(raw))).toEqual(['messages']);
    await settle(cs, as, colleagueSocket, outsiderSocket);
    await srv.server.services.live.flush();

    // History, the list, unread counts: nothing of a note, and the summary as the messages left it.
    const history = await getJson(`${srv.url}/api/conversations/${conv.id}/messages`, customer.accessToken);
    expect(history.status).toBe(200);
    expect(history.text).not.toContain(secret);
    expect((JSON.parse(history.text) as { messages: Message[] }).messages.map((m) => m.seq)).toEqual([1, 2]);
    const list = await getJson(`${srv.url}/api/conversations`, customer.accessToken);
    expect(list.text).not.toContain(secret);
    const summary = (JSON.parse(list.text) as { conversations: ConversationSummary[] }).conversations.find(
      (c) => c.id === conv.id,
    );
    expect(summary).toMatchObject({ lastSeq: 2, unread: 1, lastMessage: { seq: 2, text: 'let me check' } });
    const after = (await srv.server.services.conversations.listOwn(customer.user)).find(
      (c) => c._id === conv.id,
    );
    expect(after?.lastSeq).toBe(2);
    expect(after?.counts).toEqual({ customer: 1, agents: 1 });
    // Only the reply moved updatedAt; the notes did not (the reply came after the first two notes).
    expect(after?.updatedAt.getTime()).toBe(new Date(reply.createdAt).getTime());
    expect(before?.updatedAt.getTime()).toBeLessThan(after?.updatedAt.getTime() ?? 0);

    // Nothing the customer's sockets received (before and after the reconnect) names a note.
    for (const seen of [customerWire, reconnectedWire]) {
      expect(seen.join('\n')).not.toContain(secret);
      expect(seen.join('\n')).not.toContain('note');
    }
    expect(outsiderWire.join('\n')).not.toContain(secret);
    // The writer's own socket got its notes in the acks, not as events.
    expect(
      ownWire.filter((e) => e.startsWith('["note:created"')).map((e) => JSON.parse(e)[1].note.noteSeq),
    ).toEqual([3]);

    // Agents sync notes by noteSeq, beside the messages.
    const agentSync = data(
      await emitAck<{ messages: Message[]; notes: Note[] }>(as, 'conversation:sync', {
        conversationId: conv.id,
        afterSeq: 0,
        afterNoteSeq: 0,
      }),
    );
    expect(agentSync.messages.map((m) => m.seq)).toEqual([1, 2]);
    expect(agentSync.notes.map((n) => [n.noteSeq, n.text])).toEqual([
      [1, secret],
      [2, `${secret}-2`],
      [3, `${secret}-3`],
    ]);
    const later = data(
      await emitAck<{ notes: Note[] }>(as, 'conversation:sync', {
        conversationId: conv.id,
        afterSeq: 2,
        afterNoteSeq: 2,
      }),
    );
    expect(later.notes.map((n) => n.noteSeq)).toEqual([3]);

    // At rest: encrypted; no collection holds the text in clear.
    const db = srv.server.store.db;
    for (const info of await db.listCollections().toArray()) {
      const docs = await db.collection(info.name).find({}).toArray();
      expect(JSON.stringify(docs), info.name).not.toContain(secret);
    }
    const stored = await db.collection('notes').findOne({ conversationId: conv.id, noteSeq: 1 });
    expect(stored?.ciphertext).toBeDefined();
  });

  it('keeps noteSeq gap-free when agents write at once', async () => {
    const customer = await registerCustomer(srv.url);
    const agents = await Promise.all([1, 2, 3].map(() => createAgent(srv, { departments: ['technical'] })));
    const cs = await connect(customer);
    const conv = await openConversation(cs, 'technical');
    const agentSockets = await Promise.all(agents.map(connect));
    const results = await Promise.all(
      agentSockets.flatMap((s, i) => [1, 2, 3, 4].map((n) => addNote(s, conv.id, `note ${i}.${n}`))),
    );
    const seqs = results.map((r) => data(r).note.noteSeq).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    // A second process (no memory of the head) continues after the last one.
    const fresh = new (
      srv.server.services.notes.constructor as typeof import('../services/notes').NoteService
    )(
      srv.server.store,
      srv.server.services.live,
      // biome-ignore lint/suspicious/noExplicitAny: the same cipher the server uses
      (srv.server.services.notes as any).cipher,
      { noteCreated() {} },
    );
    const next = await fresh.add(agents[0]!.user, {
      conversationId: conv.id,
      clientMsgId: randomUUID(),
      text: 'n',
    });
    expect(next.ok && next.data.note.noteSeq).toBe(13);
  });
});

describe('satisfaction', () => {
  it('only the customer, only after resolve, 1..5, once per resolution; agents see it; reports count it', async () => {
    const customer = await registerCustomer(srv.url);
    const stranger = await registerCustomer(srv.url);
    const agent = await createAgent(srv, { departments: ['account'] });
    const cs = await connect(customer);
    const ss = await connect(stranger);
    const as = await connect(agent);
    const conv = await openConversation(cs, 'account');
    await sendMessage(cs, conv.id, 'please close my account');
    const claimed = await emitAck(as, 'conversation:claim', { conversationId: conv.id });
    expect(claimed.ok).toBe(true);
    const rate = (s: Socket, payload: Record<string, unknown>) =>
      emitAck<{ rating: Rating }>(s, 'conversation:rate', { conversationId: conv.id, ...payload });

    expect(await rate(cs, { rating: 5 })).toMatchObject({ ok: false, error: { code: 'conflict' } });
    expect(
      data(await emitAck<{ canRate: boolean }>(cs, 'conversation:rating', { conversationId: conv.id })),
    ).toEqual({ rating: null, canRate: false });
    await emitAck(as, 'conversation:resolve', { conversationId: conv.id });
    expect(
      data(await emitAck<{ canRate: boolean }>(cs, 'conversation:rating', { conversationId: conv.id })),
    ).toEqual({ rating: null, canRate: true });

    expect(await rate(as, { rating: 5 })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await rate(ss, { rating: 5 })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    for (const bad of [0, 6, 4.5, '5', -1]) {
      expect(await rate(cs, { rating: bad })).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    }
    expect(await rate(cs, { rating: 4, role: 'agent' })).toMatchObject({
      ok: false,
      error: { code: 'invalid_input' },
    });

    const comment = `COMMENT-${randomUUID()}`;
    const seen = waitFor<{ rating: Rating }>(
      as,
      'conversation:rated',
      (p) => p.rating.conversationId === conv.id,
    );
    const given = data(await rate(cs, { rating: 4, comment: `  ${comment} ` })).rating;
    expect(given).toMatchObject({
      conversationId: conv.id,
      episodeSeq: 1,
      rating: 4,
      comment,
      agentId: agent.user.id,
    });
    expect((await seen).rating).toEqual(given);
    expect(await rate(cs, { rating: 1 })).toMatchObject({ ok: false, error: { code: 'conflict' } });
    expect(
      data(await emitAck<{ rating: Rating | null }>(as, 'conversation:rating', { conversationId: conv.id })),
    ).toEqual({ rating: given, canRate: false });
    const stored = await srv.server.store.db
      .collection('ratings')
      .find({ conversationId: conv.id })
      .toArray();
    expect(stored).toHaveLength(1);
    expect(JSON.stringify(stored)).not.toContain(comment);

    // The agent reopens and resolves again with no customer message: still the rated episode.
    await emitAck(as, 'conversation:reopen', { conversationId: conv.id });
    await emitAck(as, 'conversation:resolve', { conversationId: conv.id });
    expect(await rate(cs, { rating: 2 })).toMatchObject({ ok: false, error: { code: 'conflict' } });

    // The customer writes again: a new episode; open, so not ratable; resolved, ratable once more.
    const again = await sendMessage(cs, conv.id, 'one more thing');
    await waitFor<{ conversation: ConversationSummary }>(
      as,
      'conversation:updated',
      (p) => p.conversation.id === conv.id && p.conversation.status === 'open',
    );
    expect(await rate(cs, { rating: 5 })).toMatchObject({ ok: false, error: { code: 'conflict' } });
    await emitAck(as, 'conversation:resolve', { conversationId: conv.id });
    const second = data(await rate(cs, { rating: 5 })).rating;
    expect(second).toMatchObject({ episodeSeq: again.seq, rating: 5, comment: null });

    const day = new Date().toISOString().slice(0, 10);
    const report = await srv.server.services.reports.report({ from: day, to: day, department: 'account' });
    expect(report.totals.satisfaction).toEqual({ count: 2, average: 4.5, distribution: [0, 0, 0, 1, 1] });
    expect(report.agents.find((a) => a.agentId === agent.user.id)?.satisfaction).toEqual({
      count: 2,
      average: 4.5,
      distribution: [0, 0, 0, 1, 1],
    });
  });
});

describe('canned replies', () => {
  it('agents list their departments’ and their own; create and delete only their own', async () => {
    const agent = await createAgent(srv, { departments: ['sales', 'hr'] });
    const other = await createAgent(srv, { departments: ['sales'] });
    const customer = await registerCustomer(srv.url);
    const shortcut = `greet${randomUUID().slice(0, 6)}`;
    const owner = { kind: 'cli' as const, osUser: 'test' };
    const dept = await srv.server.services.owner.createCannedReply(owner, {
      department: 'sales',
      shortcut,
      title: 'Greeting',
      text: 'Hello {customer.name}, this is {agent.name}.',
    });
    expect(dept.ok).toBe(true);
    await srv.server.services.owner.createCannedReply(owner, {
      department: 'billing',
      shortcut,
      title: 'Not theirs',
      text: 'billing only',
    });
    const as = await connect(agent);
    const os = await connect(other);
    const cs = await connect(customer);

    const mine = data(
      await emitAck<{ reply: AgentCannedReply }>(as, 'cannedReply:create', {
        shortcut: 'bye',
        title: 'Goodbye',
        text: 'Bye {customer.name}!',
      }),
    ).reply;
    expect(mine).toMatchObject({ scope: 'personal', department: null, shortcut: 'bye' });
    expect(
      await emitAck(as, 'cannedReply:create', { shortcut: 'bye', title: 'Again', text: 'x' }),
    ).toMatchObject({ ok: false, error: { code: 'conflict' } });
    expect(
      await emitAck(as, 'cannedReply:create', { shortcut: 'Bad Shortcut', title: 't', text: 'x' }),
    ).toMatchObject({ ok: false, error: { code: 'invalid_input' } });

    const listed = data(await emitAck<{ replies: AgentCannedReply[] }>(as, 'cannedReply:list', {})).replies;
    expect(
      listed
        .filter((r) => r.shortcut === shortcut || r.shortcut === 'bye')
        .map((r) => [r.scope, r.department, r.title]),
    ).toEqual([
      ['personal', null, 'Goodbye'],
      ['department', 'sales', 'Greeting'],
    ]);
    const theirs = data(await emitAck<{ replies: AgentCannedReply[] }>(os, 'cannedReply:list', {})).replies;
    expect(theirs.some((r) => r.id === mine.id)).toBe(false);

    expect(await emitAck(os, 'cannedReply:delete', { id: mine.id })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
    expect(await emitAck(cs, 'cannedReply:list', {})).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
    expect(
      data(await emitAck<{ reply: AgentCannedReply }>(as, 'cannedReply:delete', { id: mine.id })).reply.id,
    ).toBe(mine.id);
    const afterDelete = data(
      await emitAck<{ replies: AgentCannedReply[] }>(as, 'cannedReply:list', {}),
    ).replies;
    expect(afterDelete.some((r) => r.id === mine.id)).toBe(false);
  });
});
