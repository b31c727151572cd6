/// <reference types="node" />
// The client against the real server (real HTTP, real Socket.IO, real database): auth, refresh, reconnects,
// sends, the offline outbox and sync.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../server/src/store/embedded';
// Brings in the `inject('mongoUri')` typing of the test run.
import type {} from '../../server/test/global-setup';
import {
  createAgent,
  postJson,
  randomName,
  startTestServer,
  type TestServer,
  testSecrets,
  uniqueDbName,
} from '../../server/test/helpers';
import { ChatClient, type ChatClientOptions, type ClientEventMap, Timeline } from './client';

const clients: ChatClient[] = [];
const servers: TestServer[] = [];

afterAll(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const newClient = (url: string, extra: Partial<ChatClientOptions> = {}) => {
  const client = new ChatClient({
    baseUrl: url,
    reconnectDelayMs: 50,
    reconnectDelayMaxMs: 500,
    sendTimeoutMs: 3000,
    ...extra,
  });
  clients.push(client);
  return client;
};

const credentials = () => {
  const username = randomName('c');
  return { username, email: `${username}@example.test`, password: `pw-${randomBytes(8).toString('hex')}` };
};

/** Resolves with the first payload of `event` that passes `pred`, or rejects after `timeoutMs`. */
function next<K extends keyof ClientEventMap>(
  client: ChatClient,
  event: K,
  pred: (p: ClientEventMap[K]) => boolean = () => true,
  timeoutMs = 15_000,
): Promise<ClientEventMap[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for "${event}"`));
    }, timeoutMs);
    const off = client.on(event, (p) => {
      if (!pred(p)) return;
      clearTimeout(timer);
      off();
      resolve(p);
    });
  });
}

/** Resolves once `check()` is true, re-checking on every `event`. */
function until<K extends keyof ClientEventMap>(
  client: ChatClient,
  event: K,
  check: () => boolean,
  timeoutMs = 20_000,
): Promise<void> {
  if (check()) return Promise.resolve();
  return next(client, event, () => check(), timeoutMs).then(() => {});
}

async function loggedIn(url: string, extra: Partial<ChatClientOptions> = {}) {
  const client = newClient(url, extra);
  const r = await client.register(credentials());
  if (!r.ok) throw new Error(`register failed: ${r.error.message}`);
  return client;
}

async function connected(client: ChatClient) {
  client.connect();
  if (!(await client.whenConnected(15_000))) throw new Error('client did not connect');
  return client;
}

describe('ChatClient auth against the real server', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
    servers.push(server);
  });

  it('registers, logs in, resumes from a stored refresh token and logs out', async () => {
    const creds = credentials();
    const tokens: (string | null)[] = [];
    const a = newClient(server.url, { onRefreshToken: (t) => tokens.push(t) });
    const reg = await a.register(creds);
    expect(reg.ok).toBe(true);
    expect(a.user?.username).toBe(creds.username);
    expect(a.user?.role).toBe('customer');
    expect(a.accessToken).toBeTruthy();
    expect(tokens).toHaveLength(1);

    const wrong = await newClient(server.url).login({ username: creds.username, password: 'wrong-password' });
    expect(!wrong.ok && wrong.error.code).toBe('invalid_credentials');
    const taken = await newClient(server.url).register(creds);
    expect(!taken.ok && taken.error.code).toBe('username_taken');

    // The desktop app restarts: a new client with the token from the keychain.
    const stored = tokens.at(-1)!;
    const rotated: (string | null)[] = [];
    const b = newClient(server.url, { refreshToken: stored, onRefreshToken: (t) => rotated.push(t) });
    const resumed = await b.resume();
    expect(resumed.ok && resumed.data.user.id).toBe(a.user?.id);
    expect(rotated).toHaveLength(1);
    expect(rotated[0]).not.toBe(stored);
    const list = await b.conversations();
    expect(list.ok && list.data).toEqual([]);

    expect((await b.logout()).ok).toBe(true);
    expect(rotated.at(-1)).toBeNull();
    expect(b.user).toBeNull();
    expect(b.accessToken).toBeNull();
    const after = await b.conversations();
    expect(!after.ok && after.error.code).toBe('unauthorized');
    // The logged-out token is dead on the server too.
    const c = newClient(server.url, { refreshToken: rotated[0]! });
    const dead = await c.resume();
    expect(dead.ok).toBe(false);
  });

  it('in cookie mode never hands out the refresh token', async () => {
    const client = newClient(server.url, { tokenTransport: 'cookie' });
    const r = await client.register(credentials());
    expect(r.ok && r.data.refreshToken).toBe('');
    expect(r.ok && r.data.accessToken).toBeTruthy();
  });

  it('ends the session when the login is revoked elsewhere: socket ended, sessionExpired, token forgotten', async () => {
    const tokens: (string | null)[] = [];
    const client = await connected(await loggedIn(server.url, { onRefreshToken: (t) => tokens.push(t) }));
    const expired = next(client, 'sessionExpired');
    // Another device (or the owner) logs this login out.
    const res = await postJson(`${server.url}/api/auth/logout`, { refreshToken: tokens.at(-1) });
    expect(res.status).toBe(204);
    await expired;
    expect(client.state).toBe('offline');
    expect(client.user).toBeNull();
    expect(tokens.at(-1)).toBeNull();
  });
});

describe('ChatClient beyond the socket cap', () => {
  it('says the server refuses more sockets of this login, and connects once another one closes', async () => {
    const server = await startTestServer({ env: { MAX_SOCKETS_PER_LOGIN: '1' } });
    servers.push(server);
    const tokens: (string | null)[] = [];
    const first = await connected(await loggedIn(server.url, { onRefreshToken: (t) => tokens.push(t) }));
    // The same login in a second tab: its refresh token resumes it.
    const second = newClient(server.url, { refreshToken: tokens.at(-1) as string });
    expect((await second.resume()).ok).toBe(true);
    const refused = next(second, 'refused');
    second.connect();
    expect(await refused).toBe('too_many_connections');
    expect(second.state).not.toBe('connected');
    const cleared = next(second, 'refused', (r) => r === null, 30_000);
    first.disconnect();
    expect(await cleared).toBeNull();
    expect(second.state).toBe('connected');
  });
});

describe('ChatClient token lifetime', () => {
  it('refreshes the access token before it expires and is connected again after the old one ends', async () => {
    const server = await startTestServer({ env: { ACCESS_TOKEN_TTL_SEC: '3' } });
    servers.push(server);
    const client = await connected(await loggedIn(server.url));
    const first = client.accessToken;
    const loggedInAt = Date.now();
    const refreshedAt = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no refresh')), 10_000);
      const poll = setInterval(() => {
        if (client.accessToken !== first) {
          clearTimeout(timer);
          clearInterval(poll);
          resolve(Date.now());
        }
      }, 20);
    });
    // Refreshed before the 3 s lifetime ran out.
    expect(refreshedAt - loggedInAt).toBeLessThan(3000);
    // The server ends the socket when the first token expires; the client comes back on its own.
    await next(client, 'state', (s) => s === 'reconnecting');
    await next(client, 'state', (s) => s === 'connected');
    const list = await client.conversations();
    expect(list.ok).toBe(true);
  });

  it('on connect_error "unauthorized" (SECRET_KEY rotated by a restart) refreshes and reconnects', async () => {
    const port = await freePort();
    const dbName = uniqueDbName('cli');
    const first = await startTestServer({ dbName, env: { PORT: String(port), ...testSecrets() } });
    const client = await connected(await loggedIn(first.url));
    const oldToken = client.accessToken;
    const userId = client.user?.id;
    // Restart with a new signing key over the same database: old access tokens are refused, refresh tokens live on.
    // Offline meanwhile, so that the refresh cannot come from the server's disconnect: only from the refusal.
    client.disconnect();
    await first.close({ keepDatabase: true });
    const second = await startTestServer({ dbName, env: { PORT: String(port), ...testSecrets() } });
    servers.push(second);
    client.connect();
    await next(client, 'state', (s) => s === 'connected', 30_000);
    expect(client.accessToken).not.toBe(oldToken);
    expect(client.user?.id).toBe(userId);
  });
});

describe('ChatClient messaging against the real server', () => {
  let server: TestServer;
  let agentCreds: { username: string; password: string };

  beforeAll(async () => {
    server = await startTestServer({ env: { MESSAGE_RATE_PER_SECOND: '100000', MESSAGE_BURST: '100000' } });
    servers.push(server);
    const agent = await createAgent(server, { departments: ['billing'] });
    agentCreds = { username: agent.user.username, password: agent.password };
  });

  /** A connected customer with its billing conversation open and tracked, and a connected, tracking agent. */
  async function pair() {
    const customer = await connected(await loggedIn(server.url));
    const agent = newClient(server.url);
    expect((await agent.login(agentCreds)).ok).toBe(true);
    await connected(agent);
    const opened = await customer.openConversation('billing');
    if (!opened.ok) throw new Error(opened.error.message);
    const conversationId = opened.data.id;
    const timelines = { customer: new Timeline(conversationId), agent: new Timeline(conversationId) };
    customer.on('message', (m) => timelines.customer.add(m));
    agent.on('message', (m) => timelines.agent.add(m));
    customer.track(conversationId, 0);
    agent.track(conversationId, 0);
    return { customer, agent, conversationId, timelines };
  }

  const storedCount = async (conversationId: string) => {
    const docs = await server.server.store.db
      .collection('messages')
      .find({ conversationId }, { projection: { clientMsgId: 1, seq: 1 } })
      .sort({ seq: 1 })
      .toArray();
    return { seqs: docs.map((d) => d.seq as number), ids: docs.map((d) => d.clientMsgId as string) };
  };

  it('sends and receives live, each message once, with typing and read receipts', async () => {
    const { customer, agent, conversationId, timelines } = await pair();
    const agentGot = next(agent, 'message', (m) => m.text === 'hello');
    const hello = customer.send(conversationId, 'hello');
    const acked = await hello.done;
    expect(acked.ok && acked.data.seq).toBe(1);
    expect(hello.status).toBe('sent');
    expect((await agentGot).sender.role).toBe('customer');

    const customerGot = next(customer, 'message', (m) => m.text === 'hi, how can I help?');
    expect((await agent.send(conversationId, 'hi, how can I help?').done).ok).toBe(true);
    expect((await customerGot).seq).toBe(2);

    const typing = next(agent, 'typing', (t) => t.conversationId === conversationId && t.isTyping);
    customer.setTyping(conversationId, true);
    expect((await typing).user.id).toBe(customer.user?.id);

    const receipt = next(customer, 'read', (r) => r.conversationId === conversationId && r.by === 'agents');
    const read = await agent.markRead(conversationId, 2);
    expect(read.ok && read.data.readSeq.agents).toBe(2);
    expect((await receipt).seq).toBe(2);

    expect(timelines.customer.items.map((m) => m.seq)).toEqual([1, 2]);
    await until(agent, 'message', () => timelines.agent.size === 2);
    expect(timelines.agent.items.map((m) => m.text)).toEqual(['hello', 'hi, how can I help?']);
    const list = await agent.conversations();
    expect(list.ok && list.data.some((c) => c.id === conversationId)).toBe(true);
    const history = await customer.history(conversationId, { limit: 1 });
    expect(history.ok && history.data.map((m) => m.seq)).toEqual([2]);
    const older = await customer.history(conversationId, { before: 2 });
    expect(older.ok && older.data.map((m) => m.seq)).toEqual([1]);
  });

  it('queues sends while offline and delivers them once, in order, after reconnecting', async () => {
    const { customer, agent, conversationId, timelines } = await pair();
    customer.disconnect();
    const outboxSizes: number[] = [];
    customer.on('outbox', (items) => outboxSizes.push(items.length));
    const items = Array.from({ length: 5 }, (_, i) => customer.send(conversationId, `offline ${i}`));
    expect(items.every((i) => i.status === 'pending')).toBe(true);
    expect(customer.outboxItems).toHaveLength(5);
    timelines.customer.setPending(customer.outboxItems);
    expect(timelines.customer.entries.map((e) => e.kind)).toEqual(Array(5).fill('pending'));

    customer.connect();
    const results = await Promise.all(items.map((i) => i.done));
    expect(results.map((r) => r.ok && r.data.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(outboxSizes.at(-1)).toBe(0);
    timelines.customer.setPending(customer.outboxItems);
    expect(timelines.customer.entries.map((e) => e.kind)).toEqual(Array(5).fill('message'));
    await until(agent, 'message', () => timelines.agent.size === 5);
    expect(timelines.agent.items.map((m) => m.text)).toEqual(items.map((i) => i.text));
    const stored = await storedCount(conversationId);
    expect(stored.seqs).toEqual([1, 2, 3, 4, 5]);
    expect(stored.ids).toEqual(items.map((i) => i.clientMsgId));
  });

  it('after a reconnect syncs what it missed, page after page of 500', async () => {
    const { customer, agent, conversationId, timelines } = await pair();
    customer.disconnect();
    const count = 520;
    const sends = Array.from({ length: count }, (_, i) => agent.send(conversationId, `while away ${i}`));
    const results = await Promise.all(sends.map((s) => s.done));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(timelines.customer.size).toBe(0);

    customer.connect();
    await until(customer, 'message', () => timelines.customer.size === count, 60_000);
    expect(timelines.customer.hasGap()).toBe(false);
    expect(timelines.customer.lowestSeq).toBe(1);
    expect(timelines.customer.highestSeq).toBe(count);
    expect(timelines.customer.items.map((m) => m.text)).toEqual(sends.map((s) => s.text));
  });

  it('syncs from the seq the UI holds when it starts tracking, and by hand', async () => {
    const { customer, agent, conversationId } = await pair();
    for (let i = 1; i <= 4; i++) expect((await agent.send(conversationId, `m${i}`).done).ok).toBe(true);
    // The UI already shows messages 1 and 2 (say, from a history page) when it starts tracking.
    const history = await customer.history(conversationId, { before: 3 });
    if (!history.ok) throw new Error(history.error.message);
    const view = new Timeline(conversationId, history.data);
    expect(view.highestSeq).toBe(2);
    customer.untrack(conversationId);
    customer.on('message', (m) => view.add(m));
    customer.track(conversationId, 2);
    await until(customer, 'message', () => view.size === 4);
    expect(view.items.map((m) => m.text)).toEqual(['m1', 'm2', 'm3', 'm4']);

    const page = await customer.sync(conversationId, 1);
    expect(page.ok && page.data.map((m) => m.seq)).toEqual([2, 3, 4]);
  });

  it('notes: queued offline, sent once after reconnecting, synced to another agent after its reconnect; never to the customer', async () => {
    const { customer, agent, conversationId } = await pair();
    const colleague = newClient(server.url);
    expect((await colleague.login(agentCreds)).ok).toBe(true);
    await connected(colleague);
    const seenByColleague = new Map<number, string>();
    colleague.on('note', (n) => seenByColleague.set(n.noteSeq, n.text));
    colleague.trackNotes(conversationId, 0);
    const customerNotes: unknown[] = [];
    customer.on('note', (n) => customerNotes.push(n));

    agent.disconnect();
    colleague.disconnect();
    const offline = [agent.addNote(conversationId, 'note one'), agent.addNote(conversationId, 'note two')];
    expect(agent.noteOutboxItems.map((i) => i.status)).toEqual(['pending', 'pending']);
    expect(agent.addNote(conversationId, '   ').status).toBe('failed');
    agent.connect();
    const results = await Promise.all(offline.map((i) => i.done));
    expect(results.map((r) => r.ok && r.data.noteSeq)).toEqual([1, 2]);
    expect(await server.server.store.db.collection('notes').countDocuments({ conversationId })).toBe(2);

    colleague.connect();
    await until(colleague, 'note', () => seenByColleague.size === 2);
    expect([...seenByColleague.entries()].sort()).toEqual([
      [1, 'note one'],
      [2, 'note two'],
    ]);
    // Live from now on, each once.
    const live = next(colleague, 'note', (n) => n.noteSeq === 3);
    expect((await agent.addNote(conversationId, 'note three').done).ok).toBe(true);
    expect((await live).text).toBe('note three');
    expect(customerNotes).toEqual([]);
    const customerSync = await customer.sync(conversationId, 0);
    expect(customerSync.ok && customerSync.data).toEqual([]);
  });

  it('rating: the customer rates once after resolve; the agent hears it', async () => {
    const { customer, agent, conversationId } = await pair();
    expect((await customer.send(conversationId, 'help').done).ok).toBe(true);
    const before = await customer.rating(conversationId);
    expect(before.ok && before.data).toEqual({ rating: null, canRate: false });
    expect((await agent.resolve(conversationId)).ok).toBe(true);
    const now = await customer.rating(conversationId);
    expect(now.ok && now.data.canRate).toBe(true);
    const heard = next(agent, 'rated', (r) => r.conversationId === conversationId);
    const rated = await customer.rate(conversationId, 5, 'quick and kind');
    expect(rated.ok && rated.data).toMatchObject({ rating: 5, comment: 'quick and kind' });
    expect((await heard).rating).toBe(5);
    const again = await customer.rate(conversationId, 3);
    expect(!again.ok && again.error.code).toBe('conflict');
  });

  it('fails a send to a conversation that is not yours, and keeps sending the others', async () => {
    const { conversationId } = await pair();
    const stranger = await connected(await loggedIn(server.url));
    const opened = await stranger.openConversation('sales');
    if (!opened.ok) throw new Error(opened.error.message);
    const bad = stranger.send(conversationId, 'not mine');
    const good = stranger.send(opened.data.id, 'mine');
    const r = await bad.done;
    expect(r.ok).toBe(false);
    expect(['not_found', 'forbidden']).toContain(!r.ok && r.error.code);
    expect(bad.status).toBe('failed');
    expect((await good.done).ok).toBe(true);
    expect(stranger.outboxItems.map((i) => i.status)).toEqual(['failed']);
    expect(stranger.discardSend(bad.clientMsgId)).toBe(true);
  });
});

describe('ChatClient under the message rate limit', () => {
  it('waits retryAfterMs on rate_limited and still delivers everything once, in order', async () => {
    const server = await startTestServer({ env: { MESSAGE_RATE_PER_SECOND: '5', MESSAGE_BURST: '2' } });
    servers.push(server);
    const customer = await connected(await loggedIn(server.url));
    const opened = await customer.openConversation('billing');
    if (!opened.ok) throw new Error(opened.error.message);
    const limited: string[] = [];
    customer.on('outbox', (items) => {
      for (const i of items) if (i.error?.code === 'rate_limited') limited.push(i.clientMsgId);
    });
    const items = Array.from({ length: 6 }, (_, i) => customer.send(opened.data.id, `fast ${i}`));
    const results = await Promise.all(items.map((i) => i.done));
    expect(results.map((r) => r.ok && r.data.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(limited.length).toBeGreaterThan(0);
  });
});
