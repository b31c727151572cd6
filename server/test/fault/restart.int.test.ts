// SIGKILL (and, separately, SIGTERM) the server in the middle of a burst of sends (two customers and an agent), restart it on the same port:
// every acknowledged message is stored once, the retried sends end with no loss and no duplicates, and every
// client's timeline ends with seq 1..N exactly once, in order, with everything it sent.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AccountService } from '../../src/services/accounts';
import { connectStore, type Store } from '../../src/store/db';
import { freePort } from '../../src/store/embedded';
import { randomName, uniqueDbName } from '../helpers';
import { isComplete, TestChatter } from './clients';
import { fixedSecrets, type ServerProcess, serverEnv, spawnServer, stopAllServers } from './server-process';

const CUSTOMER_MESSAGES = 60;
const AGENT_MESSAGES_PER_CONVERSATION = 30;
const KILL_AFTER_ACKS = 50;

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'support-chat-fault-restart-'));
const chatters: TestChatter[] = [];
const dbNames: string[] = [];
const stores: Store[] = [];
let mongo: MongoClient | null = null;

afterAll(async () => {
  for (const c of chatters) c.client.disconnect();
  await stopAllServers();
  for (const name of dbNames)
    await mongo
      ?.db(name)
      .dropDatabase()
      .catch(() => {});
  for (const s of stores) await s.close().catch(() => {});
  await mongo?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

beforeAll(async () => {
  mongo = new MongoClient(inject('mongoUri'), { retryWrites: false });
});

/** One server process with its own database, two customers and an agent; the signal ends it mid-burst. */
async function burstThroughRestart(signal: 'SIGKILL' | 'SIGTERM') {
  const dbName = uniqueDbName(`fault_${signal.toLowerCase()}`);
  dbNames.push(dbName);
  const port = await freePort();
  const env = serverEnv({
    port,
    mongoUri: inject('mongoUri'),
    dbName,
    dataDir: path.join(dataDir, signal),
    secrets: fixedSecrets(),
  });
  let server: ServerProcess = await spawnServer(env);
  const store = await connectStore(inject('mongoUri'), dbName);
  stores.push(store);
  const accounts = new AccountService(store);

  const agentName = randomName('agent');
  const agentPassword = `pw-${randomName('x')}`;
  const created = await accounts.createAgent({
    username: agentName,
    email: `${agentName}@example.test`,
    password: agentPassword,
    departments: ['billing'],
  });
  expect(created.ok).toBe(true);

  const make = (name: string) => {
    const c = new TestChatter(name, { baseUrl: server.url, sendTimeoutMs: 3000 });
    chatters.push(c);
    own.push(c);
    return c;
  };
  const own: TestChatter[] = [];
  const customers = [make('customer1'), make('customer2')];
  const agent = make('agent');
  for (const c of customers) {
    const u = randomName('cust');
    const r = await c.client.register({ username: u, email: `${u}@example.test`, password: `pw-${u}` });
    expect(r.ok).toBe(true);
  }
  expect((await agent.client.login({ username: agentName, password: agentPassword })).ok).toBe(true);
  for (const c of own) {
    c.client.connect();
    expect(await c.client.whenConnected(15_000)).toBe(true);
  }
  const conversationIds: string[] = [];
  for (const c of customers) {
    const r = await c.client.openConversation('billing');
    if (!r.ok) throw new Error(`open failed: ${r.error.message}`);
    conversationIds.push(r.data.id);
    c.client.track(r.data.id, 0);
  }
  for (const id of conversationIds) agent.client.track(id, 0);

  // The burst: everything queued at once; the outboxes send in order per conversation.
  customers.forEach((c, k) => {
    for (let i = 0; i < CUSTOMER_MESSAGES; i++) c.send(conversationIds[k]!, `customer${k + 1} message ${i}`);
  });
  for (const [k, id] of conversationIds.entries()) {
    for (let i = 0; i < AGENT_MESSAGES_PER_CONVERSATION; i++)
      agent.send(id, `agent to ${k + 1} message ${i}`);
  }
  const allSent = () => own.flatMap((c) => c.sent);
  const acked = () => allSent().filter((s) => s.ackedAt !== null);
  await Promise.race(
    own.map((c) => c.until(`${KILL_AFTER_ACKS} acks`, () => acked().length >= KILL_AFTER_ACKS, 60_000)),
  );

  server.child.kill(signal);
  const exit = await server.exited;
  const killedAt = Date.now();
  if (signal === 'SIGKILL') expect(exit.signal).toBe('SIGKILL');
  else expect(exit.code).toBe(0);
  const ackedBeforeKill = acked().map((s) => s.clientMsgId);
  const total = allSent().length;
  expect(ackedBeforeKill.length).toBeLessThan(total);

  server = await spawnServer(env);
  const readyAt = Date.now();
  await Promise.all(
    chatters
      .filter((c) => own.includes(c))
      .map((c) => c.until('reconnected', () => c.client.state === 'connected')),
  );
  const reconnectedAt = Date.now();

  // Every send ends acknowledged: no loss, and the outboxes drain.
  const perConversation = CUSTOMER_MESSAGES + AGENT_MESSAGES_PER_CONVERSATION;
  await Promise.all(
    own.map((c) => c.until('all sends acknowledged', () => c.sent.every((s) => s.result !== null), 120_000)),
  );
  for (const s of allSent()) expect(s.result?.ok, `${s.text}: ${JSON.stringify(s.result)}`).toBe(true);
  const ackedAt = Date.now();

  // Every client's timeline fills to seq 1..N through live messages and sync.
  await Promise.all([
    ...customers.map((c, k) =>
      c.until('timeline complete', () => isComplete(c.timelines.get(conversationIds[k]!), perConversation)),
    ),
    agent.until('timelines complete', () =>
      conversationIds.every((id) => isComplete(agent.timelines.get(id), perConversation)),
    ),
  ]);
  const syncedAt = Date.now();

  // Summaries and unread counts exact after the restart (a summary the kill left behind its messages is repaired):
  // nobody marked anything read, so each side's unread is the other side's message count.
  const summaries = async (c: TestChatter) => {
    const r = await c.client.conversations();
    if (!r.ok) throw new Error(`list failed: ${r.error.message}`);
    return new Map(r.data.map((s) => [s.id, s]));
  };
  const agentView = await summaries(agent);
  for (const [k, id] of conversationIds.entries()) {
    const forCustomer = (await summaries(customers[k]!)).get(id);
    expect(forCustomer).toMatchObject({ lastSeq: perConversation, unread: AGENT_MESSAGES_PER_CONVERSATION });
    expect(agentView.get(id)).toMatchObject({ lastSeq: perConversation, unread: CUSTOMER_MESSAGES });
  }

  // The database: each clientMsgId exactly once, seqs 1..N, and every message acked before the kill present.
  const messages = mongo!.db(dbName).collection('messages');
  for (const id of conversationIds) {
    const docs = await messages
      .find({ conversationId: id }, { projection: { seq: 1, clientMsgId: 1 } })
      .sort({ seq: 1 })
      .toArray();
    expect(docs.map((d) => d.seq)).toEqual(Array.from({ length: perConversation }, (_, i) => i + 1));
    expect(new Set(docs.map((d) => d.clientMsgId)).size).toBe(perConversation);
  }
  const stored = await messages
    .aggregate<{ _id: string; n: number }>([
      { $match: { conversationId: { $in: conversationIds } } },
      { $group: { _id: '$clientMsgId', n: { $sum: 1 } } },
    ])
    .toArray();
  const countById = new Map(stored.map((s) => [s._id, s.n]));
  for (const id of ackedBeforeKill) expect(countById.get(id)).toBe(1);
  for (const s of allSent()) expect(countById.get(s.clientMsgId)).toBe(1);
  expect(stored.length).toBe(total);

  // Each client shows what it sent, with the texts it typed, in the order it typed them per conversation.
  for (const c of own) {
    for (const id of conversationIds) {
      const mine = c.sent.filter((s) => s.conversationId === id);
      if (mine.length === 0) continue;
      const items = c.timelines.get(id)!.items;
      const shown = items.filter((m) => mine.some((s) => s.clientMsgId === m.clientMsgId));
      expect(shown.map((m) => m.text)).toEqual(mine.map((s) => s.text));
    }
  }
  // Customers and the agent see the same conversation, message for message.
  customers.forEach((c, k) => {
    const id = conversationIds[k]!;
    expect(c.timelines.get(id)!.items.map((m) => m.id)).toEqual(
      agent.timelines.get(id)!.items.map((m) => m.id),
    );
  });

  console.log(
    `[fault/restart ${signal}] ${total} sends, ${ackedBeforeKill.length} acked before the signal; restart ` +
      `ready ${readyAt - killedAt} ms after exit; after ready: all 3 clients connected ${reconnectedAt - readyAt} ms, ` +
      `all sends acked ${ackedAt - readyAt} ms, all timelines complete ${syncedAt - readyAt} ms`,
  );
}

describe('server restarted during a burst of sends from two customers and an agent', () => {
  it('SIGKILL: loses nothing, duplicates nothing, and every client ends in sync', () =>
    burstThroughRestart('SIGKILL'));
  it('SIGTERM (graceful): loses nothing, duplicates nothing, and every client ends in sync', () =>
    burstThroughRestart('SIGTERM'));
});
