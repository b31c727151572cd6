import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  connectSocket,
  createAgent,
  registerCustomer,
  startTestServer,
  type TestServer,
  waitForDisconnect,
  waitForEvent,
} from '../../test/helpers';
import { AccountService } from '../services/accounts';
import { signAccessToken } from '../services/tokens';

const ALLOWED = 'https://desktop.example';
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ env: { ALLOWED_ORIGINS: ALLOWED, USER_RECHECK_MS: '500' } });
});
afterAll(async () => {
  await t?.close();
});

/** Raw polling handshake, as a browser page on `origin` would send it. */
const pollingHandshake = (origin?: string): Promise<{ status: number; body: string }> =>
  new Promise((resolve, reject) => {
    const req = http.get(
      `${t.url}/socket.io/?EIO=4&transport=polling`,
      { headers: origin ? { origin } : {} },
      (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
  });

/** Raw WebSocket handshake: resolves 'open' or the refusal status. */
const websocketHandshake = (origin?: string): Promise<string> =>
  new Promise((resolve) => {
    const ws = new WebSocket(`${t.url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`, {
      headers: origin ? { origin } : {},
    });
    ws.on('open', () => {
      ws.close();
      resolve('open');
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve(`refused ${res.statusCode}`);
      ws.terminate();
    });
    ws.on('error', (err) => resolve(`error ${err.message}`));
  });

describe('Origin allow-list on the handshake', () => {
  it('refuses a polling handshake from a foreign origin', async () => {
    const res = await pollingHandshake('https://evil.example');
    expect(res.status).toBe(403);
    expect(res.body).not.toContain('sid');
  });

  it('accepts polling from the own origin, an allowed origin and a native client without Origin', async () => {
    for (const origin of [t.url, ALLOWED, undefined]) {
      const res = await pollingHandshake(origin);
      expect(res.status, String(origin)).toBe(200);
      expect(res.body).toContain('"sid"');
    }
  });

  it('refuses a raw WebSocket upgrade from a foreign origin, accepts allowed ones', async () => {
    expect(await websocketHandshake('https://evil.example')).toMatch(/^refused 4\d\d$/);
    expect(await websocketHandshake(t.url)).toBe('open');
    expect(await websocketHandshake(ALLOWED)).toBe('open');
    expect(await websocketHandshake()).toBe('open');
  });

  it('refuses socket.io-client from a foreign origin even with a valid token (websocket and polling)', async () => {
    const c = await registerCustomer(t.url);
    for (const transport of ['websocket', 'polling'] as const) {
      await expect(
        connectSocket(t.url, c.accessToken, {
          transports: [transport],
          extraHeaders: { origin: 'https://evil.example' },
        }),
      ).rejects.toThrow();
    }
    const ok = await connectSocket(t.url, c.accessToken, {
      transports: ['websocket'],
      extraHeaders: { origin: ALLOWED },
    });
    ok.close();
  });
});

describe('tokens on the handshake', () => {
  it('refuses an expired token with "unauthorized"', async () => {
    const c = await registerCustomer(t.url);
    const claims = JSON.parse(Buffer.from(c.accessToken.split('.')[1] ?? '', 'base64url').toString()) as {
      sub: string;
      sid: string;
    };
    const past = Math.floor(Date.now() / 1000) - 3600;
    const expired = signAccessToken(
      t.server.config.secretKey,
      { ...claims, role: 'customer' },
      60,
      past,
    ).token;
    await expect(connectSocket(t.url, expired)).rejects.toThrow('unauthorized');
  });

  it('refuses a token signed with another key', async () => {
    const c = await registerCustomer(t.url);
    const claims = JSON.parse(Buffer.from(c.accessToken.split('.')[1] ?? '', 'base64url').toString()) as {
      sub: string;
      sid: string;
    };
    const forged = signAccessToken(Buffer.alloc(48, 1), { ...claims, role: 'agent' }, 60).token;
    await expect(connectSocket(t.url, forged)).rejects.toThrow('unauthorized');
  });

  it('refuses a token with alg "none"', async () => {
    const c = await registerCustomer(t.url);
    const [, payload] = c.accessToken.split('.');
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${payload}.`;
    await expect(connectSocket(t.url, none)).rejects.toThrow('unauthorized');
  });

  it('refuses every other spelling of a valid signature (padding, +/ alphabet, other last character): 401 and unauthorized', async () => {
    const c = await registerCustomer(t.url);
    const claims = JSON.parse(Buffer.from(c.accessToken.split('.')[1] ?? '', 'base64url').toString()) as {
      sub: string;
      sid: string;
    };
    // A valid token of this login whose signature has a character that the +/ alphabet spells differently.
    let token = c.accessToken;
    for (let back = 0; !/[-_]/.test(token.split('.')[2] ?? ''); back++) {
      const now = Math.floor(Date.now() / 1000) - back;
      token = signAccessToken(t.server.config.secretKey, { ...claims, role: 'customer' }, 900, now).token;
    }
    const [h, p, sig = ''] = token.split('.');
    const last = sig.at(-1) ?? '';
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    // 32 bytes leave the last character's two low bits unused: the three other values decode to the same bytes.
    const sameBytes = [1, 2, 3].map((d) => alphabet[alphabet.indexOf(last) ^ d]);
    const variants = [
      `${sig}=`,
      sig.replaceAll('-', '+').replaceAll('_', '/'),
      ...sameBytes.map((ch) => sig.slice(0, -1) + ch),
    ].map((s) => `${h}.${p}.${s}`);
    const me = (bearer: string) =>
      fetch(`${t.url}/api/me`, { headers: { authorization: `Bearer ${bearer}` } }).then((r) => r.status);
    expect(await me(token)).toBe(200);
    for (const variant of variants) {
      expect(Buffer.from(variant.split('.')[2] ?? '', 'base64url')).toEqual(Buffer.from(sig, 'base64url'));
      expect(await me(variant)).toBe(401);
      await expect(connectSocket(t.url, variant)).rejects.toThrow('unauthorized');
    }
  });

  it('ends a connected socket when its access token expires', async () => {
    const s = await startTestServer({ env: { ACCESS_TOKEN_TTL_SEC: '2' } });
    try {
      const c = await registerCustomer(s.url);
      const socket = await connectSocket(s.url, c.accessToken);
      expect(await waitForDisconnect(socket, 10_000)).toBe('io server disconnect');
      await expect(connectSocket(s.url, c.accessToken)).rejects.toThrow('unauthorized');
    } finally {
      await s.close();
    }
  });
});

describe('payload limit', () => {
  it('closes a socket that sends more than MAX_SOCKET_PAYLOAD', async () => {
    const c = await registerCustomer(t.url);
    const socket = await connectSocket(t.url, c.accessToken);
    const disconnected = waitForDisconnect(socket);
    socket.emit('typing', { conversationId: 'a'.repeat(24), isTyping: true, pad: 'x'.repeat(70 * 1024) });
    expect(await disconnected).toMatch(/transport (close|error)/);
  });

  it('keeps a socket whose payloads are under the limit', async () => {
    // A test-only echo handler proves the server read the payload and kept the connection.
    t.server.io.on('connection', (s) => {
      s.on(
        'test:echo' as never,
        ((p: { pad: string }, ack: (n: number) => void) => ack(p.pad.length)) as never,
      );
    });
    const c = await registerCustomer(t.url);
    const socket = await connectSocket(t.url, c.accessToken);
    const size = await socket.timeout(5000).emitWithAck('test:echo', { pad: 'x'.repeat(32 * 1024) });
    expect(size).toBe(32 * 1024);
    expect(socket.connected).toBe(true);
    socket.close();
  });
});

describe('rooms and changes to the user record', () => {
  it('joins customers to their user room only, agents to their department rooms', async () => {
    const c = await registerCustomer(t.url);
    const agent = await createAgent(t, { departments: ['billing', 'sales'] });
    const cs = await connectSocket(t.url, c.accessToken);
    const as = await connectSocket(t.url, agent.accessToken);
    const serverSockets = await t.server.io.fetchSockets();
    const rooms = (id: string) => [...(serverSockets.find((s) => s.id === id)?.rooms ?? [])].sort();
    expect(rooms(cs.id ?? '').filter((r) => r.startsWith('user:') || r.startsWith('department:'))).toEqual([
      `user:${c.user.id}`,
    ]);
    expect(rooms(as.id ?? '').filter((r) => r.startsWith('user:') || r.startsWith('department:'))).toEqual([
      'department:billing',
      'department:sales',
      `user:${agent.user.id}`,
    ]);
    cs.close();
    as.close();
  });

  it('moves an open agent socket to new department rooms within seconds (change made by another process)', async () => {
    const agent = await createAgent(t, { departments: ['billing'] });
    const socket = await connectSocket(t.url, agent.accessToken);
    // The CLI's view: an AccountService over the same database, without the server's in-process hooks.
    const cli = new AccountService(t.server.store);
    const started = Date.now();
    const res = await cli.setDepartments({ username: agent.user.username, departments: ['technical'] });
    expect(res.ok).toBe(true);
    // Wait until a broadcast to the new department reaches the socket.
    const received = new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(
        () => reject(new Error('socket never joined department:technical')),
        10_000,
      );
      const tick = setInterval(
        () =>
          t.server.io
            .to('department:technical')
            .emit('presence', { department: 'technical', agentsOnline: -1 }),
        100,
      );
      socket.on('presence', (p: { department: string }) => {
        if (p.department === 'technical') {
          clearInterval(tick);
          clearTimeout(deadline);
          resolve();
        }
      });
    });
    await received;
    console.log(`department change reached the open socket after ${Date.now() - started} ms`);
    const inBilling = await t.server.io.in('department:billing').fetchSockets();
    expect(inBilling.map((s) => s.id)).not.toContain(socket.id);
    socket.close();
  });

  it('ends a disabled agent’s sockets within seconds (disabled by another process)', async () => {
    const agent = await createAgent(t, { departments: ['billing'] });
    const socket = await connectSocket(t.url, agent.accessToken);
    const disconnected = waitForDisconnect(socket, 10_000);
    const cli = new AccountService(t.server.store);
    const started = Date.now();
    await cli.disableUser({ username: agent.user.username });
    expect(await disconnected).toBe('io server disconnect');
    console.log(`disable reached the open socket after ${Date.now() - started} ms`);
    await expect(connectSocket(t.url, agent.accessToken)).rejects.toThrow('unauthorized');
  });

  it('ends the sockets of a user disabled by a write that revoked no login (the re-check reads disabled)', async () => {
    const c = await registerCustomer(t.url);
    const socket = await connectSocket(t.url, c.accessToken);
    const disconnected = waitForDisconnect(socket, 10_000);
    const doc = await t.server.store.users.findById(c.user.id);
    if (!doc) throw new Error('no user');
    // The first two writes of disableUser alone, as after a crash before the logins were revoked.
    await t.server.store.users.update(doc._id, { disabled: true });
    await t.server.store.authEpoch.bump();
    expect(await disconnected).toBe('io server disconnect');
    // The login is still live: only the disabled flag can have ended the socket.
    const sid = (
      JSON.parse(Buffer.from(c.accessToken.split('.')[1] ?? '', 'base64url').toString()) as { sid: string }
    ).sid;
    expect(await t.server.store.sessions.liveIds([sid])).toEqual(new Set([sid]));
    await expect(connectSocket(t.url, c.accessToken)).rejects.toThrow('unauthorized');
  });

  it('admits a burst of handshakes whose reads leave together, and refuses every revoked login and disabled user in it', async () => {
    const agents = await Promise.all(
      Array.from({ length: 24 }, () => createAgent(t, { departments: ['billing'] })),
    );
    const revoked = agents.slice(0, 8);
    const disabled = agents.slice(8, 16);
    for (const a of revoked) await t.server.services.auth.logout(a.refreshToken);
    for (const a of disabled) await t.server.services.accounts.disableUser({ username: a.user.username });
    const before = t.server.store.users.readStats.items;
    // Four handshakes per agent at once (a reconnect storm in small): their login and user reads go in shared queries.
    const attempts = agents.flatMap((a) => Array.from({ length: 4 }, () => a));
    const outcomes = await Promise.all(
      attempts.map((a) =>
        connectSocket(t.url, a.accessToken).then(
          (socket) => {
            socket.close();
            return 'admitted';
          },
          (err: Error) => err.message,
        ),
      ),
    );
    const by = (group: typeof agents) =>
      outcomes.filter((_, i) => group.includes(attempts[i] as (typeof agents)[number]));
    expect(by(revoked)).toEqual(Array(32).fill('unauthorized'));
    expect(by(disabled)).toEqual(Array(32).fill('unauthorized'));
    expect(by(agents.slice(16))).toEqual(Array(32).fill('admitted'));
    const { items, batches } = t.server.store.users.readStats;
    expect(items - before).toBeGreaterThanOrEqual(attempts.length);
    expect(batches).toBeLessThan(items);
  });

  it('ends sockets at once when disabled in-process', async () => {
    const agent = await createAgent(t, { departments: ['billing'] });
    const socket = await connectSocket(t.url, agent.accessToken);
    const disconnected = waitForDisconnect(socket, 10_000);
    await t.server.services.accounts.disableUser({ username: agent.user.username });
    expect(await disconnected).toBe('io server disconnect');
  });

  it('presence events reach only the targeted room', async () => {
    const a = await createAgent(t, { departments: ['hr'] });
    const socket = await connectSocket(t.url, a.accessToken);
    const got = waitForEvent<{ department: string }>(socket, 'presence');
    t.server.io.to('department:hr').emit('presence', { department: 'hr', agentsOnline: 1 });
    expect((await got).department).toBe('hr');
    socket.close();
  });
});
