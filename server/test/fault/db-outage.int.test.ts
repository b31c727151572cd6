// The database stops under a running server: sends answer error acks (`unavailable`), /api/ready is 503, the
// process stays up; the database comes back on the same port and data: the retried sends are stored exactly once.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Result } from '@support-chat/protocol';
import { MongoClient } from 'mongodb';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountService } from '../../src/services/accounts';
import { connectStore } from '../../src/store/db';
import { type EmbeddedDb, freePort, startEmbeddedDb } from '../../src/store/embedded';
import { connectSocket, randomName } from '../helpers';
import { TestChatter } from './clients';
import {
  fixedSecrets,
  httpStatus,
  type ServerProcess,
  serverEnv,
  spawnServer,
  stopAllServers,
  waitFor,
} from './server-process';

const OUTAGE_SENDS = 5;

const tmp = mkdtempSync(path.join(os.tmpdir(), 'support-chat-fault-db-'));
const dbDir = path.join(tmp, 'db');
const dbName = 'fault_outage';
let db: EmbeddedDb | null = null;
let dbPort = 0;
let mongo: MongoClient | null = null;
const chatters: TestChatter[] = [];
const sockets: Socket[] = [];

afterAll(async () => {
  for (const c of chatters) c.client.disconnect();
  for (const s of sockets) s.disconnect();
  await stopAllServers();
  await mongo?.close().catch(() => {});
  // A test may end with the database frozen (SIGSTOP); it must run again to stop.
  if (db) resume(db.pid);
  await db?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const resume = (pid: number) => {
  try {
    process.kill(pid, 'SIGCONT');
  } catch {
    // already gone
  }
};

/** Emits with an ack; a timeout resolves as null instead of throwing. */
const ask = (socket: Socket, event: string, payload: unknown, timeoutMs: number) =>
  new Promise<Result<unknown> | null>((resolve) => {
    socket.timeout(timeoutMs).emit(event, payload, (err: Error | null, res: Result<unknown>) => {
      resolve(err ? null : res);
    });
  });

describe('database outage under a running server', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    dbPort = await freePort();
    db = await startEmbeddedDb({ dir: dbDir, port: dbPort });
    const port = await freePort();
    server = await spawnServer(
      serverEnv({ port, mongoUri: db.uri, dbName, dataDir: path.join(tmp, 'data'), secrets: fixedSecrets() }),
    );
    mongo = new MongoClient(db.uri, { retryWrites: false, serverSelectionTimeoutMS: 20_000 });
  });

  it('answers unavailable while the database is down and stores every retried message once after', async () => {
    const store = await connectStore(db!.uri, dbName);
    const agentName = randomName('agent');
    try {
      const created = await new AccountService(store).createAgent({
        username: agentName,
        email: `${agentName}@example.test`,
        password: `pw-${agentName}`,
        departments: ['billing'],
      });
      expect(created.ok).toBe(true);
    } finally {
      await store.close();
    }

    // The server answers an outage within its driver timeouts; give each attempt room to hear that answer.
    const customer = new TestChatter('customer', { baseUrl: server.url, sendTimeoutMs: 15_000 });
    const agent = new TestChatter('agent', { baseUrl: server.url, sendTimeoutMs: 15_000 });
    chatters.push(customer, agent);
    const u = randomName('cust');
    expect(
      (await customer.client.register({ username: u, email: `${u}@example.test`, password: `pw-${u}` })).ok,
    ).toBe(true);
    expect((await agent.client.login({ username: agentName, password: `pw-${agentName}` })).ok).toBe(true);
    for (const c of chatters) {
      c.client.connect();
      expect(await c.client.whenConnected(15_000)).toBe(true);
    }
    const opened = await customer.client.openConversation('billing');
    if (!opened.ok) throw new Error(opened.error.message);
    const conversationId = opened.data.id;
    customer.client.track(conversationId, 0);
    agent.client.track(conversationId, 0);
    const before = customer.send(conversationId, 'before the outage');
    expect((await before.done).ok).toBe(true);

    // A bare socket too, opened while the database is up (a handshake needs the database).
    const raw = await connectSocket(server.url, customer.client.accessToken);
    sockets.push(raw);
    const rawId = randomUUID();

    await db!.stop();
    const stoppedAt = Date.now();

    await waitFor(
      '/api/ready says 503',
      async () => (await httpStatus(`${server.url}/api/ready`)) === 503,
      30_000,
    );
    expect(await httpStatus(`${server.url}/api/health`)).toBe(200);

    const refused = await ask(
      raw,
      'message:send',
      { conversationId, clientMsgId: rawId, text: 'raw during' },
      40_000,
    );
    expect(refused).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    const errorAckAfterMs = Date.now() - stoppedAt;

    const during = Array.from({ length: OUTAGE_SENDS }, (_, i) =>
      customer.send(conversationId, `during ${i}`),
    );
    const agentDuring = agent.send(conversationId, 'agent during');
    // The first attempt fails with an error ack (or a timeout), and the item stays pending for a retry.
    await customer.until(
      'first outage send answered unavailable',
      () => during[0]!.error?.code === 'unavailable' && during[0]!.status === 'pending',
      60_000,
    );
    expect(server.alive()).toBe(true);
    expect(await httpStatus(`${server.url}/api/ready`)).toBe(503);

    db = await startEmbeddedDb({ dir: dbDir, port: dbPort });
    const restartedAt = Date.now();

    await waitFor(
      '/api/ready says 200',
      async () => (await httpStatus(`${server.url}/api/ready`)) === 200,
      60_000,
    );
    const results = await Promise.all([...during.map((i) => i.done), agentDuring.done]);
    for (const r of results) expect(r.ok, JSON.stringify(r)).toBe(true);
    const deliveredAfterMs = Date.now() - restartedAt;
    // The raw retry with the same clientMsgId is answered now: stored (or the stored copy returned).
    const retried = await ask(
      raw,
      'message:send',
      { conversationId, clientMsgId: rawId, text: 'raw during' },
      20_000,
    );
    expect(retried?.ok).toBe(true);
    expect(server.alive()).toBe(true);

    const total = 1 + OUTAGE_SENDS + 1 + 1;
    await customer.until(
      'customer timeline complete',
      () => customer.timeline(conversationId).size === total,
    );
    await agent.until('agent timeline complete', () => agent.timeline(conversationId).size === total);
    expect(customer.timeline(conversationId).hasGap()).toBe(false);
    expect(
      customer
        .timeline(conversationId)
        .items.filter((m) => m.text.startsWith('during'))
        .map((m) => m.text),
    ).toEqual(Array.from({ length: OUTAGE_SENDS }, (_, i) => `during ${i}`));

    const docs = await mongo!
      .db(dbName)
      .collection('messages')
      .find({ conversationId }, { projection: { seq: 1, clientMsgId: 1 } })
      .sort({ seq: 1 })
      .toArray();
    expect(docs.map((d) => d.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    const ids = docs.map((d) => d.clientMsgId as string);
    expect(new Set(ids).size).toBe(total);
    for (const s of [...customer.sent, ...agent.sent])
      expect(ids.filter((id) => id === s.clientMsgId)).toHaveLength(1);
    expect(ids.filter((id) => id === rawId)).toHaveLength(1);

    console.log(
      `[fault/db-outage] error ack ${errorAckAfterMs} ms after the database stopped; ` +
        `${OUTAGE_SENDS + 1} queued sends acknowledged ${deliveredAfterMs} ms after it restarted`,
    );
  });

  it('a frozen database (SIGSTOP): attempts time out and pile up, and after SIGCONT each message is stored once, gap-free', async () => {
    // Short ack timeouts, so that several attempts of the same message reach the server while the writes hang.
    const customer = new TestChatter('customer-frozen', { baseUrl: server.url, sendTimeoutMs: 1000 });
    chatters.push(customer);
    const u = randomName('cust');
    expect(
      (await customer.client.register({ username: u, email: `${u}@example.test`, password: `pw-${u}` })).ok,
    ).toBe(true);
    customer.client.connect();
    expect(await customer.client.whenConnected(15_000)).toBe(true);
    const opened = await customer.client.openConversation('sales');
    if (!opened.ok) throw new Error(opened.error.message);
    const conversationId = opened.data.id;
    customer.client.track(conversationId, 0);
    expect((await customer.send(conversationId, 'before the freeze').done).ok).toBe(true);

    process.kill(db!.pid, 'SIGSTOP');
    const frozen = Array.from({ length: 3 }, (_, i) => customer.send(conversationId, `frozen ${i}`));
    await customer.until(
      'three timed-out attempts of the first message',
      () => frozen[0]!.attempts >= 3,
      60_000,
    );
    expect(frozen.every((i) => i.status === 'pending')).toBe(true);
    expect(await httpStatus(`${server.url}/api/ready`)).toBe(503);
    expect(await httpStatus(`${server.url}/api/health`)).toBe(200);
    resume(db!.pid);
    const resumedAt = Date.now();

    const results = await Promise.all(frozen.map((i) => i.done));
    for (const r of results) expect(r.ok, JSON.stringify(r)).toBe(true);
    expect(results.map((r) => r.ok && r.data.seq)).toEqual([2, 3, 4]);
    const deliveredAfterMs = Date.now() - resumedAt;
    await customer.until('timeline complete', () => customer.timeline(conversationId).size === 4);
    expect(customer.timeline(conversationId).hasGap()).toBe(false);

    const docs = await mongo!
      .db(dbName)
      .collection('messages')
      .find({ conversationId }, { projection: { seq: 1, clientMsgId: 1 } })
      .sort({ seq: 1 })
      .toArray();
    expect(docs.map((d) => d.seq)).toEqual([1, 2, 3, 4]);
    expect(docs.map((d) => d.clientMsgId)).toEqual(customer.sent.map((s) => s.clientMsgId));
    expect(server.alive()).toBe(true);
    console.log(
      `[fault/db-frozen] ${frozen[0]!.attempts} attempts of the first message; ` +
        `3 sends acknowledged ${deliveredAfterMs} ms after SIGCONT`,
    );
  });
});
