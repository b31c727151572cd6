// GET /api/conversations and GET /api/conversations/:id/messages over real HTTP on a real server and database.
import type { ConversationSummary, Message } from '@support-chat/protocol';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectSocket,
  createAgent,
  registerCustomer,
  type Session,
  startTestServer,
  type TestServer,
} from '../../../test/helpers';
import { data, openConversation, sendMessage } from '../../realtime/chat-test-helpers';

let srv: TestServer;
const sockets: Socket[] = [];
const connect = async (s: Session) => {
  const socket = await connectSocket(srv.url, s.accessToken);
  sockets.push(socket);
  return socket;
};

const get = async <T>(path: string, token?: string) => {
  const res = await fetch(`${srv.url}${path}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as T };
};

let customer: Session;
let other: Session;
let billingAgent: Session;
let salesAgent: Session;
let billing: ConversationSummary;
let sales: ConversationSummary;
let foreign: ConversationSummary;

beforeAll(async () => {
  srv = await startTestServer({ env: { MESSAGE_RATE_PER_SECOND: '10000', MESSAGE_BURST: '10000' } });
  [customer, other, billingAgent, salesAgent] = await Promise.all([
    registerCustomer(srv.url),
    registerCustomer(srv.url),
    createAgent(srv, { departments: ['billing'] }),
    createAgent(srv, { departments: ['sales'] }),
  ]);
  const [cs, os, bs] = await Promise.all([connect(customer), connect(other), connect(billingAgent)]);
  billing = await openConversation(cs, 'billing');
  sales = await openConversation(cs, 'sales');
  foreign = await openConversation(os, 'billing');
  // 120 messages in the billing conversation: the customer's first 100, then 20 from the agent.
  for (let i = 1; i <= 100; i++) await sendMessage(cs, billing.id, `customer ${i}`);
  for (let i = 1; i <= 20; i++) await sendMessage(bs, billing.id, `agent ${i}`);
  await sendMessage(os, foreign.id, 'someone else');
});

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await srv.close();
});

describe('GET /api/conversations', () => {
  it('needs a token', async () => {
    const res = await get<{ error: { code: string } }>('/api/conversations');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthorized');
    expect((await get('/api/conversations', 'not-a-token')).status).toBe(401);
  });

  it('gives a customer their own conversations only, with their unread counts, newest activity first', async () => {
    const res = await get<{ conversations: ConversationSummary[] }>(
      '/api/conversations',
      customer.accessToken,
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body.conversations.map((c) => c.id)).toEqual([billing.id, sales.id]);
    expect(res.body.conversations[0]).toMatchObject({
      department: 'billing',
      customer: { id: customer.user.id, username: customer.user.username },
      lastSeq: 120,
      lastMessage: { seq: 120, text: 'agent 20', senderRole: 'agent' },
      unread: 20,
      readSeq: { customer: 0, agents: 0 },
    });
  });

  it('gives an agent every conversation of their departments only, with the agents’ unread', async () => {
    const res = await get<{ conversations: ConversationSummary[] }>(
      '/api/conversations',
      billingAgent.accessToken,
    );
    const ids = res.body.conversations.map((c) => c.id);
    expect(ids).toContain(billing.id);
    expect(ids).toContain(foreign.id);
    expect(ids).not.toContain(sales.id);
    expect(res.body.conversations.every((c) => c.department === 'billing')).toBe(true);
    expect(res.body.conversations.find((c) => c.id === billing.id)?.unread).toBe(100);
    const salesList = await get<{ conversations: ConversationSummary[] }>(
      '/api/conversations',
      salesAgent.accessToken,
    );
    expect(salesList.body.conversations.map((c) => c.id)).toEqual([sales.id]);
  });
});

describe('GET /api/conversations/:id/messages', () => {
  const page = (id: string, query: string, token: string) =>
    get<{ messages: Message[] }>(`/api/conversations/${id}/messages${query}`, token);

  it('pages history oldest first: default 50 newest, before, limit up to 200', async () => {
    const newest = await page(billing.id, '', customer.accessToken);
    expect(newest.status).toBe(200);
    expect(newest.body.messages.map((m) => m.seq)).toEqual(Array.from({ length: 50 }, (_, i) => 71 + i));
    expect(newest.body.messages.at(-1)).toMatchObject({
      text: 'agent 20',
      sender: { id: billingAgent.user.id, role: 'agent' },
    });
    const older = await page(billing.id, '?before=71&limit=30', customer.accessToken);
    expect(older.body.messages.map((m) => m.seq)).toEqual(Array.from({ length: 30 }, (_, i) => 41 + i));
    const first = await page(billing.id, '?before=3', billingAgent.accessToken);
    expect(first.body.messages.map((m) => m.text)).toEqual(['customer 1', 'customer 2']);
    const all = await page(billing.id, '?limit=200', customer.accessToken);
    expect(all.body.messages.map((m) => m.seq)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    expect((await page(billing.id, '?before=1', customer.accessToken)).body.messages).toEqual([]);
  });

  it('answers 400 for a bad query, 404 alike for unknown and foreign conversations', async () => {
    for (const query of [
      '?limit=201',
      '?limit=0',
      '?limit=abc',
      '?before=0',
      '?before=-5',
      '?before=1.5',
      '?limit=1&limit=2',
      '?before[$ne]=1',
      '?extra=1',
    ]) {
      const res = await page(billing.id, query, customer.accessToken);
      expect(res.status, query).toBe(400);
      expect((res.body as unknown as { error: { code: string } }).error.code).toBe('invalid_input');
    }
    expect((await page('not-an-id', '', customer.accessToken)).status).toBe(400);
    const notFound = { error: { code: 'not_found', message: 'No such conversation' } };
    const unknown = await page('0123456789abcdef01234567', '', customer.accessToken);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual(notFound);
    const foreignRes = await page(foreign.id, '', customer.accessToken);
    expect(foreignRes.status).toBe(404);
    expect(foreignRes.body).toEqual(notFound);
    const crossDepartment = await page(billing.id, '', salesAgent.accessToken);
    expect(crossDepartment.status).toBe(404);
    expect(crossDepartment.body).toEqual(notFound);
    expect((await page(billing.id, '', '')).status).toBe(401);
  });

  it('reflects reads in the unread counts it lists', async () => {
    const cs = await connect(customer);
    data(await cs.timeout(5000).emitWithAck('conversation:read', { conversationId: billing.id, seq: 110 }));
    const res = await get<{ conversations: ConversationSummary[] }>(
      '/api/conversations',
      customer.accessToken,
    );
    expect(res.body.conversations.find((c) => c.id === billing.id)).toMatchObject({
      unread: 10,
      readSeq: { customer: 110, agents: 0 },
    });
  });
});
