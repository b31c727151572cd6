// Two real server processes sharing one database and one Redis, the customer reaching them through a failover
// load balancer (WebSocket only, no sticky sessions) and the agent connected to the other node. Everything a
// conversation needs crosses nodes; a node SIGKILLed mid-burst and a Redis outage lose nothing.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type {
  ConversationReadEvent,
  ConversationSummary,
  Message,
  PresenceEvent,
  TypingEvent,
} from '@support-chat/protocol';
import { ChatClient } from '@support-chat/protocol/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AccountService } from '../../src/services/accounts';
import { connectStore, type Store } from '../../src/store/db';
import { type FailoverProxy, type NodeProc, startFailoverProxy, startNode } from './cluster';
import { startRedis, type TestRedis, waitUntil } from './redis';

const dbName = `multinode_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
let dir: string;
let redis: TestRedis;
let store: Store;
let nodeA: NodeProc;
let nodeB: NodeProc;
let proxy: FailoverProxy;
const clients: ChatClient[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'multinode-'));
  redis = await startRedis(dir);
  const env = {
    NODE_ENV: 'production',
    MONGO_URI: inject('mongoUri'),
    DB_NAME: dbName,
    // Shared by every node: tokens signed on one verify on the other, messages sealed on one open on the other.
    SECRET_KEY: randomBytes(48).toString('base64url'),
    MESSAGE_KEYS: `m1:${randomBytes(32).toString('base64')}`,
    REDIS_URL: redis.url,
    LOG_LEVEL: 'info',
    LOGIN_ADDRESS_PER_MINUTE: '100000',
    LOGIN_ADDRESS_BURST: '100000',
    REGISTER_RATE_PER_HOUR: '100000',
    MESSAGE_RATE_PER_SECOND: '1000',
    MESSAGE_BURST: '1000',
  };
  // Started one after the other: the first creates the collections and seeds the departments.
  nodeA = await startNode('a', { ...env, DATA_DIR: path.join(dir, 'a') }, dir);
  nodeB = await startNode('b', { ...env, DATA_DIR: path.join(dir, 'b') }, dir);
  // The customer's load balancer prefers node A and fails over to B.
  proxy = await startFailoverProxy(() => [nodeA.port, nodeB.port]);
  store = await connectStore(inject('mongoUri'), dbName);
}, 120_000);

afterAll(async () => {
  for (const c of clients) c.disconnect();
  await proxy?.close();
  await Promise.all([nodeA?.stop(), nodeB?.stop()]);
  await store?.db.dropDatabase().catch(() => {});
  await store?.close();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const client = (baseUrl: string) => {
  const c = new ChatClient({
    baseUrl,
    transports: ['websocket'],
    reconnectDelayMs: 200,
    reconnectDelayMaxMs: 1000,
  });
  clients.push(c);
  return c;
};

/** Collects a client's events of one kind. */
function collect<T>(c: ChatClient, event: 'message' | 'conversation' | 'read' | 'typing' | 'presence') {
  const seen: T[] = [];
  c.on(event, (p) => seen.push(p as T));
  return seen;
}

async function agentOnB(department: string): Promise<{ agent: ChatClient; messages: Message[] }> {
  return agentOn(nodeB, department);
}

async function agentOn(
  node: NodeProc,
  department: string,
): Promise<{ agent: ChatClient; messages: Message[] }> {
  const username = `agent_${randomBytes(4).toString('hex')}`;
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const created = await new AccountService(store).createAgent({
    username,
    email: `${username}@example.test`,
    password,
    departments: [department],
  });
  expect(created.ok).toBe(true);
  const agent = client(node.url);
  const messages = collect<Message>(agent, 'message');
  const login = await agent.login({ username, password });
  expect(login.ok).toBe(true);
  agent.connect();
  expect(await agent.whenConnected()).toBe(true);
  return { agent, messages };
}

async function customerOnA(department: string) {
  const before = proxy.routed.get(nodeA.port) ?? 0;
  const customer = client(proxy.url);
  const name = `cust_${randomBytes(4).toString('hex')}`;
  const reg = await customer.register({
    username: name,
    email: `${name}@example.test`,
    password: `pw-${name}`,
  });
  expect(reg.ok).toBe(true);
  customer.connect();
  expect(await customer.whenConnected()).toBe(true);
  expect(proxy.routed.get(nodeA.port) ?? 0).toBeGreaterThan(before); // really on node A
  const opened = await customer.openConversation(department);
  if (!opened.ok) throw new Error(opened.error.message);
  return { customer, conversation: opened.data };
}

const ofConversation = (messages: Message[], id: string) => messages.filter((m) => m.conversationId === id);

describe('two nodes, one Redis, one database', () => {
  it('carries messages, typing, read receipts, unread counts and presence across nodes', async () => {
    const { agent, messages: agentMessages } = await agentOnB('billing');
    const agentSummaries = collect<ConversationSummary>(agent, 'conversation');
    const { customer, conversation } = await customerOnA('billing');
    const customerMessages = collect<Message>(customer, 'message');
    const customerSummaries = collect<ConversationSummary>(customer, 'conversation');
    const typing = collect<TypingEvent>(customer, 'typing');
    const reads = collect<ConversationReadEvent>(customer, 'read');
    const presence = collect<PresenceEvent>(customer, 'presence');

    // Presence: the agent's connection is on node B, the customer asks node A.
    const departments = await customer.departments();
    expect(departments.ok && departments.data.find((d) => d.id === 'billing')?.agentsOnline).toBe(1);

    const sent = await customer.send(conversation.id, 'hello from node A').done;
    expect(sent.ok).toBe(true);
    await waitUntil(
      'the agent on B to get the message',
      () => ofConversation(agentMessages, conversation.id).length === 1,
    );
    expect(agentMessages[0]?.text).toBe('hello from node A');
    await waitUntil('the agents to see one unread', () =>
      agentSummaries.some((s) => s.id === conversation.id && s.unread === 1),
    );

    agent.setTyping(conversation.id, true);
    await waitUntil('the customer to see the agent typing', () =>
      typing.some((t) => t.conversationId === conversation.id && t.isTyping && t.user.role === 'agent'),
    );

    const read = await agent.markRead(conversation.id, 1);
    expect(read.ok && read.data.unread).toBe(0);
    await waitUntil('the read receipt on A', () => reads.some((r) => r.by === 'agents' && r.seq === 1));

    const reply = await agent.send(conversation.id, 'reply from node B').done;
    expect(reply.ok).toBe(true);
    await waitUntil('the reply on A', () => customerMessages.some((m) => m.text === 'reply from node B'));
    await waitUntil('the customer to see one unread', () =>
      customerSummaries.some((s) => s.id === conversation.id && s.unread === 1),
    );

    // The agent leaves node B: the customer on node A is told nobody is online.
    agent.disconnect();
    await waitUntil('presence 0 on A', () =>
      presence.some((p) => p.department === 'billing' && p.agentsOnline === 0),
    );
  });

  it("an agent going away on B is not counted online on A once acknowledged, also across the agent's reconnect", async () => {
    const department = `away${randomBytes(3).toString('hex')}`;
    await new AccountService(store).createDepartment({ id: department, name: 'Away Test' });
    const { agent } = await agentOnB(department);
    const onA = client(proxy.url);
    const online = async () => {
      const r = await onA.departments();
      return r.ok ? r.data.find((d) => d.id === department)?.agentsOnline : undefined;
    };
    // A connection reaches the other nodes' count within moments (its presence write is not awaited by anyone).
    await waitUntil('node A to count the agent on B online', async () => (await online()) === 1);
    expect(await agent.setStatus('away')).toEqual({ ok: true, data: 'away' });
    expect(await online()).toBe(0);
    // The client keeps its status for the next handshake: a reconnect does not count it online again.
    agent.disconnect();
    agent.connect();
    expect(await agent.whenConnected()).toBe(true);
    expect(await online()).toBe(0);
    expect(await agent.setStatus('available')).toEqual({ ok: true, data: 'available' });
    expect(await online()).toBe(1);
  });

  it('a conversation resolved on B and written into by its customer on A opens again (A drops its copy)', async () => {
    const { agent } = await agentOnB('sales');
    const agentSummaries = collect<ConversationSummary>(agent, 'conversation');
    const { customer, conversation } = await customerOnA('sales');
    const customerSummaries = collect<ConversationSummary>(customer, 'conversation');
    // Node A holds the conversation in memory now (its customer wrote through A).
    expect((await customer.send(conversation.id, 'first').done).ok).toBe(true);
    const resolved = await agent.resolve(conversation.id);
    expect(resolved.ok && resolved.data.status).toBe('resolved');
    await waitUntil('the customer on A to see it resolved', () =>
      customerSummaries.some((s) => s.id === conversation.id && s.status === 'resolved'),
    );
    // A stale copy on A would still say "open" and the message would leave the conversation resolved.
    expect((await customer.send(conversation.id, 'one more question').done).ok).toBe(true);
    await waitUntil('the agents on B to see it open again', () =>
      agentSummaries.some((s) => s.id === conversation.id && s.status === 'open' && s.lastSeq === 2),
    );
    const stored = await store.db.collection('conversations').findOne({ _id: conversation.id as never });
    expect(stored?.status).toBe('open');
  });

  it('an agent who read on B is not shown old messages as unread by the summaries node A writes', async () => {
    const { agent } = await agentOnB('account');
    const agentSummaries = collect<ConversationSummary>(agent, 'conversation');
    const { customer, conversation } = await customerOnA('account');
    const receipts = collect<ConversationReadEvent>(customer, 'read');
    expect((await customer.send(conversation.id, 'one').done).ok).toBe(true);
    const read = await agent.markRead(conversation.id, 1);
    expect(read.ok && read.data.unread).toBe(0);
    await waitUntil('the receipt on A', () => receipts.some((r) => r.by === 'agents' && r.seq === 1));
    expect((await customer.send(conversation.id, 'two').done).ok).toBe(true);
    await waitUntil('the summary of message 2 from A', () =>
      agentSummaries.some((s) => s.id === conversation.id && s.lastSeq === 2),
    );
    // Node A's copy took B's cursor: one unread (message 2), not two.
    expect(
      agentSummaries.filter((s) => s.id === conversation.id && s.lastSeq === 2).map((s) => s.unread),
    ).toEqual([1]);
  });

  it('a transfer on A is acknowledged once B applied it: the old department on B loses the conversation at once', async () => {
    const from = `xf${randomBytes(3).toString('hex')}`;
    const to = `xt${randomBytes(3).toString('hex')}`;
    const accounts = new AccountService(store);
    await accounts.createDepartment({ id: from, name: 'Transfer From' });
    await accounts.createDepartment({ id: to, name: 'Transfer To' });
    const { agent: oldOnB, messages: oldMessages } = await agentOnB(from);
    const removed: string[] = [];
    oldOnB.on('removed', (p) => removed.push(p.conversationId));
    const { agent: newOnB, messages: newMessages } = await agentOnB(to);
    const { agent: transferrer } = await agentOn(nodeA, from);
    const { customer, conversation } = await customerOnA(from);
    expect((await customer.send(conversation.id, 'before the transfer').done).ok).toBe(true);
    // Node B holds the conversation as the old department's (its agent wrote through B).
    expect((await oldOnB.send(conversation.id, 'reply through B').done).ok).toBe(true);

    const moved = await transferrer.transfer(conversation.id, to, 'over to you');
    expect(moved.ok && moved.data.department).toBe(to);
    // Acknowledged: node B already answers as the new department's, with no further wait.
    // Typing is relayed from B's copy alone (no write that could collide with the transfer's line): B's copy is new.
    const typing = collect<TypingEvent>(customer, 'typing');
    oldOnB.setTyping(conversation.id, true);
    newOnB.setTyping(conversation.id, true);
    await waitUntil('the new agent typing to reach the customer on A', () =>
      typing.some((t) => t.user.id === newOnB.user?.id),
    );
    expect(typing.filter((t) => t.user.id === oldOnB.user?.id)).toEqual([]);
    await waitUntil('the old agent on B to be told', () => removed.includes(conversation.id));
    const late = await oldOnB.send(conversation.id, 'too late').done;
    expect(late.ok ? 'sent' : late.error.code).toBe('not_found');
    expect((await oldOnB.markRead(conversation.id, 1)).ok).toBe(false);

    expect((await customer.send(conversation.id, 'after the transfer').done).ok).toBe(true);
    await waitUntil('the new department on B to get it', () =>
      newMessages.some((m) => m.text === 'after the transfer'),
    );
    expect(newMessages.some((m) => m.kind === 'system' && m.text === 'Transferred to Transfer To')).toBe(
      true,
    );
    expect(oldMessages.some((m) => m.text === 'after the transfer')).toBe(false);
    transferrer.disconnect();
    oldOnB.disconnect();
    newOnB.disconnect();
  });

  it("loses nothing when the customer's node is SIGKILLed mid-burst: reconnect to B, retry, sync", async () => {
    const { agent, messages: agentMessages } = await agentOnB('technical');
    const { customer, conversation } = await customerOnA('technical');
    // The agent has it open, as the desktop app does: a message whose broadcast died with node A (acknowledged,
    // its Redis publish still in A's buffers) is a gap, which the agent's client fills by a sync.
    agent.track(conversation.id, 0);
    const total = 40;
    const items = Array.from({ length: total }, (_, i) => customer.send(conversation.id, `burst ${i + 1}`));
    // Kill node A once part of the burst is acknowledged, with the rest in flight or queued.
    await items[9]?.done;
    await nodeA.kill();
    const results = await Promise.all(items.map((i) => i.done));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(proxy.routed.get(nodeB.port) ?? 0).toBeGreaterThan(0); // the customer came back through node B

    await waitUntil(
      'the agent to hold the whole burst',
      () => ofConversation(agentMessages, conversation.id).length >= total,
    ).catch((err: Error) => {
      const seqs = ofConversation(agentMessages, conversation.id).map((m) => m.seq);
      throw new Error(`${err.message}; the agent holds seqs ${seqs.join(',')}`);
    });
    const seen = ofConversation(agentMessages, conversation.id);
    // Seen once each, and in seq order they are the burst in the order it was written.
    expect(seen.length).toBe(total);
    const bySeq = [...seen].sort((a, b) => a.seq - b.seq);
    expect(bySeq.map((m) => m.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(bySeq.map((m) => m.text)).toEqual(Array.from({ length: total }, (_, i) => `burst ${i + 1}`));
    // Every acknowledged message is the stored one, stored once.
    const acked = results.map((r) => (r.ok ? r.data : null));
    expect(acked.map((m) => m?.seq)).toEqual(bySeq.map((m) => m.seq));
    const docs = await store.db
      .collection<{ seq: number; clientMsgId: string }>('messages')
      .find({ conversationId: conversation.id })
      .toArray();
    expect(docs.length).toBe(total);
    expect(new Set(docs.map((d) => d.clientMsgId)).size).toBe(total);
    expect(docs.map((d) => d.seq).sort((a, b) => a - b)).toEqual(
      Array.from({ length: total }, (_, i) => i + 1),
    );

    await nodeA.start(); // back for the next test, on the same port
  });

  it('survives Redis stopping for a few seconds: no node crashes, delivery resumes, sync fills the gap', async () => {
    const { messages: agentMessages } = await agentOnB('sales');
    const { customer, conversation } = await customerOnA('sales');
    expect((await customer.send(conversation.id, 'before').done).ok).toBe(true);
    await waitUntil(
      'live delivery before the outage',
      () => ofConversation(agentMessages, conversation.id).length === 1,
    );

    await redis.stop();
    for (const node of [nodeA, nodeB]) {
      await waitUntil(`node ${node.name} to notice the outage`, () =>
        node.tail().includes('redis unavailable'),
      );
    }
    // Writes go on for a few seconds of outage: stored and acknowledged (the database is up; rate limits fall
    // back to each node), while cross-node delivery has to wait for Redis.
    const during: string[] = [];
    const outageStart = Date.now();
    while (Date.now() - outageStart < 3000) {
      const text = `during ${during.length + 1}`;
      expect((await customer.send(conversation.id, text).done).ok).toBe(true);
      during.push(text);
    }
    for (const node of [nodeA, nodeB]) {
      expect(node.alive()).toBe(true);
      expect((await fetch(`${node.url}/api/health`)).status).toBe(200);
    }
    await redis.restart();

    expect((await customer.send(conversation.id, 'after').done).ok).toBe(true);
    const expected = ['before', ...during, 'after'];
    await waitUntil(
      'the agent to hold every message',
      () => ofConversation(agentMessages, conversation.id).length >= expected.length,
      30_000,
    );
    const seen = ofConversation(agentMessages, conversation.id).sort((a, b) => a.seq - b.seq);
    expect(seen.map((m) => m.text)).toEqual(expected);
    expect(seen.map((m) => m.seq)).toEqual(expected.map((_, k) => k + 1));

    // And live cross-node delivery works again (not only through sync).
    const { customer: c2, conversation: conv2 } = await customerOnA('sales');
    expect((await c2.send(conv2.id, 'fresh').done).ok).toBe(true);
    await waitUntil(
      'live delivery after the outage',
      () => ofConversation(agentMessages, conv2.id).length === 1,
    );
    for (const node of [nodeA, nodeB]) {
      expect(node.alive(), node.tail()).toBe(true);
      expect(node.tail()).not.toContain('"level":"fatal"');
    }
  });
});
