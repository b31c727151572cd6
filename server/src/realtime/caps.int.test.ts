// Socket caps (SPEC §4): one login or one user cannot hold more than MAX_SOCKETS_PER_LOGIN / MAX_SOCKETS_PER_USER.
import { TOO_MANY_CONNECTIONS } from '@support-chat/protocol';
import type { Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  connectSocket,
  postJson,
  registerCustomer,
  startTestServer,
  type TestServer,
} from '../../test/helpers';

let t: TestServer;
const open: Socket[] = [];
beforeAll(async () => {
  // The defaults: 10 per login, 30 per user.
  t = await startTestServer();
});
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});
afterAll(async () => {
  await t?.close();
});

const connectMany = async (token: string, n: number) => {
  for (let i = 0; i < n; i++) open.push(await connectSocket(t.url, token));
};

/** Resolves once the server has seen this client socket go. */
const closeAndWait = (socket: Socket) => {
  const serverSide = t.server.io.of('/').sockets.get(socket.id ?? '');
  if (!serverSide) throw new Error('no server socket');
  const gone = new Promise<void>((resolve) => serverSide.once('disconnect', () => resolve()));
  socket.close();
  return gone;
};

describe('sockets per login and per user', () => {
  it('refuses the 11th socket of one login with too_many_connections; a closed one frees its place', async () => {
    const c = await registerCustomer(t.url);
    await connectMany(c.accessToken, 10);
    await expect(connectSocket(t.url, c.accessToken)).rejects.toThrow(TOO_MANY_CONNECTIONS);
    // Refused attempts take no place: still refused, and the ten stay connected.
    await expect(connectSocket(t.url, c.accessToken)).rejects.toThrow(TOO_MANY_CONNECTIONS);
    expect(open.every((s) => s.connected)).toBe(true);
    // Another user is unaffected.
    const other = await registerCustomer(t.url);
    open.push(await connectSocket(t.url, other.accessToken));
    const first = open.shift() as Socket;
    await closeAndWait(first);
    open.push(await connectSocket(t.url, c.accessToken));
    await expect(connectSocket(t.url, c.accessToken)).rejects.toThrow(TOO_MANY_CONNECTIONS);
  });

  it('refuses the 31st socket of one user across several logins', async () => {
    const c = await registerCustomer(t.url);
    const login = async () => {
      const res = await postJson(`${t.url}/api/auth/login`, {
        username: c.user.username,
        password: c.password,
      });
      return (res.body as { accessToken: string }).accessToken;
    };
    const tokens = [c.accessToken, await login(), await login(), await login()];
    for (const token of tokens.slice(0, 3)) await connectMany(token, 10);
    // The fourth login has none of its own yet, but the user holds 30.
    await expect(connectSocket(t.url, tokens[3] ?? '')).rejects.toThrow(TOO_MANY_CONNECTIONS);
    expect(open.filter((s) => s.connected)).toHaveLength(30);
  });
});
