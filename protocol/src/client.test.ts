// The client pointed at a port where nothing listens: everything must answer Results, queue, and never throw.
import { afterEach, describe, expect, it } from 'vitest';
import { ChatClient, type ConnectionState } from './client';

/** Port 1 (tcpmux) is privileged and unused on these machines: connections are refused at once. */
const deadPort = async () => 1;

const conversationId = 'a'.repeat(24);
const clients: ChatClient[] = [];
const make = async (extra: Partial<ConstructorParameters<typeof ChatClient>[0]> = {}) => {
  const client = new ChatClient({
    baseUrl: `http://127.0.0.1:${await deadPort()}`,
    reconnectDelayMs: 20,
    reconnectDelayMaxMs: 40,
    sendTimeoutMs: 200,
    ...extra,
  });
  clients.push(client);
  return client;
};

afterEach(() => {
  for (const c of clients.splice(0)) c.disconnect();
});

describe('ChatClient without a server', () => {
  it('answers unavailable instead of throwing', async () => {
    const client = await make();
    const login = await client.login({ username: 'alice', password: 'secret-password' });
    expect(login.ok).toBe(false);
    if (!login.ok) {
      expect(login.error.code).toBe('unavailable');
      expect(login.error.message).toMatch(/reach the server/);
    }
    expect((await client.departments()).ok).toBe(false);
    // Not logged in at all: no request is made, the answer says so.
    const list = await client.conversations();
    expect(!list.ok && list.error.code).toBe('unauthorized');
    const open = await client.openConversation('billing');
    expect(!open.ok && open.error.code).toBe('unavailable');
    expect(client.user).toBeNull();
    expect(client.accessToken).toBeNull();
  });

  it('keeps the stored refresh token when the server cannot be reached', async () => {
    const seen: (string | null)[] = [];
    const client = await make({ refreshToken: 'stored-token', onRefreshToken: (t) => seen.push(t) });
    const r = await client.resume();
    expect(!r.ok && r.error.code).toBe('unavailable');
    expect(seen).toEqual([]);
  });

  it('refuses invalid sends at once and queues valid ones while offline', async () => {
    const client = await make();
    const snapshots: string[][] = [];
    client.on('outbox', (items) => snapshots.push(items.map((i) => `${i.text}:${i.status}`)));

    const empty = client.send(conversationId, '   ');
    expect(empty.status).toBe('failed');
    expect(empty.error?.code).toBe('invalid_input');
    expect((await empty.done).ok).toBe(false);
    const badId = client.send('not-an-id', 'hello');
    expect(badId.error?.code).toBe('invalid_input');

    const a = client.send(conversationId, '  first\u0301 ');
    const b = client.send(conversationId, 'second');
    expect(a.text).toBe('first\u0301'.normalize('NFC'));
    expect([a.status, b.status]).toEqual(['pending', 'pending']);
    expect(a.clientMsgId).not.toBe(b.clientMsgId);
    expect(client.outboxItems.map((i) => i.text)).toEqual([a.text, 'second']);
    expect(snapshots.at(-1)).toEqual([`${a.text}:pending`, 'second:pending']);
  });

  it('reports connecting, then offline after repeated failures, keeps retrying, and goes idle on disconnect', async () => {
    const client = await make();
    const states: ConnectionState[] = [];
    client.on('state', (s) => states.push(s));
    const offline = new Promise<void>((resolve) => {
      const off = client.on('state', (s) => {
        if (s === 'offline') {
          off();
          resolve();
        }
      });
    });
    client.connect();
    expect(client.state).toBe('connecting');
    await offline;
    expect(await client.whenConnected(50)).toBe(false);
    const item = client.send(conversationId, 'queued');
    expect(item.status).toBe('pending');
    client.disconnect();
    expect(states).toEqual(['connecting', 'offline', 'idle']);
    expect(item.status).toBe('pending');
  });

  it('unsubscribes listeners', async () => {
    const client = await make();
    const states: ConnectionState[] = [];
    const off = client.on('state', (s) => states.push(s));
    off();
    client.connect();
    client.disconnect();
    expect(states).toEqual([]);
  });
});
