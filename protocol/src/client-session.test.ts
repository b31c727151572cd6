/// <reference types="node" />
// The session layer over real HTTP against a small stand-in of the auth API: one refresh at a time, the token
// hook, a refused refresh ending the login, stale tokens, logout. The real server is in client.int.test.ts.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Session, type SessionHooks } from './client-session';

const servers: Server[] = [];

const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
/** An unsigned JWT with a 15-minute lifetime: the client only reads exp and iat. */
const jwt = (n: number) => {
  const iat = Math.floor(Date.now() / 1000);
  return `${b64url({ alg: 'none' })}.${b64url({ sub: 'u1', n, iat, exp: iat + 900 })}.x`;
};
const user = { id: 'u1', username: 'ann', role: 'agent', departments: [] };

interface Call {
  path: string;
  body: { refreshToken?: string };
}

/** The auth API; with `hold` set, refreshes wait for `release()`, so concurrency is visible without timers. */
async function authApi() {
  const calls: Call[] = [];
  const watchers = new Set<() => void>();
  const held: (() => void)[] = [];
  let rotation = 0;
  let refuse = false;
  const refreshes = () => calls.filter((c) => c.path === '/api/auth/refresh');
  const answer = (res: ServerResponse, status: number, body?: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(body === undefined ? '' : JSON.stringify(body));
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const call = { path: req.url ?? '', body: raw ? JSON.parse(raw) : {} };
    calls.push(call);
    for (const watch of [...watchers]) watch();
    if (call.path === '/api/auth/login')
      return answer(res, 200, { user, accessToken: jwt(0), refreshToken: 'r0' });
    if (call.path === '/api/auth/logout') return answer(res, 204);
    if (call.path === '/api/me') return answer(res, 200, { user });
    if (call.path !== '/api/auth/refresh') return answer(res, 404);
    if (api.hold) await new Promise<void>((go) => held.push(go));
    if (refuse || call.body.refreshToken !== `r${rotation}`)
      return answer(res, 401, { error: { code: 'token_reused', message: 'Spent.' } });
    rotation++;
    answer(res, 200, { accessToken: jwt(rotation), refreshToken: `r${rotation}` });
  };
  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  servers.push(server);
  const api = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    refreshes,
    hold: false,
    refuseRefresh: () => {
      refuse = true;
    },
    /** Answers the held refreshes and stops holding. */
    release: () => {
      api.hold = false;
      for (const go of held.splice(0)) go();
    },
    /** Resolves once the server has received `n` refresh requests. */
    refreshesArrived: (n: number) =>
      new Promise<void>((resolve) => {
        const watch = () => {
          if (refreshes().length < n) return;
          watchers.delete(watch);
          resolve();
        };
        watchers.add(watch);
        watch();
      }),
  };
  return api;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((ok) => s.close(ok))));
});

async function setup(hooks: SessionHooks = {}, refreshToken?: string) {
  const api = await authApi();
  const tokens: (string | null)[] = [];
  const session = new Session(
    { baseUrl: api.url, refreshToken, onRefreshToken: (t) => tokens.push(t) },
    hooks,
  );
  return { api, session, tokens };
}

describe('Session', () => {
  it('refreshes once for many callers, and hands each rotated token to the hook', async () => {
    const { api, session, tokens } = await setup();
    expect((await session.login({ username: 'ann', password: 'pw' })).ok).toBe(true);
    expect(tokens).toEqual(['r0']);
    api.hold = true;
    const waiting = Array.from({ length: 5 }, () => session.refresh());
    await api.refreshesArrived(1);
    api.release();
    expect((await Promise.all(waiting)).every((r) => r.ok)).toBe(true);
    expect(api.refreshes()).toHaveLength(1);
    expect(tokens).toEqual(['r0', 'r1']);
  });

  it('refreshes a fresh token only once the server refused it (markStale)', async () => {
    const { api, session } = await setup();
    await session.login({ username: 'ann', password: 'pw' });
    const first = session.accessToken;
    expect((await session.ensureFresh(60_000)).ok).toBe(true);
    expect(api.refreshes()).toHaveLength(0);
    session.markStale();
    expect((await session.ensureFresh(60_000)).ok).toBe(true);
    expect(api.refreshes()).toHaveLength(1);
    expect(session.accessToken).not.toBe(first);
    expect((await session.ensureFresh(60_000)).ok).toBe(true);
    expect(api.refreshes()).toHaveLength(1);
  });

  it('ends the login when a refresh is refused: user, tokens and the kept token gone, expiry announced', async () => {
    const users: unknown[] = [];
    const expired: [boolean, boolean][] = [];
    const { api, session, tokens } = await setup({
      user: (u) => users.push(u?.id ?? null),
      expired: (announce, hadSession) => expired.push([announce, hadSession]),
    });
    await session.login({ username: 'ann', password: 'pw' });
    api.refuseRefresh();
    const r = await session.refresh();
    expect(!r.ok && r.error.code).toBe('token_reused');
    expect(session.user).toBeNull();
    expect(session.accessToken).toBeNull();
    expect(tokens).toEqual(['r0', null]);
    expect(users).toEqual(['u1', null]);
    expect(expired).toEqual([[true, true]]);
  });

  it('resumes from a kept refresh token, and logs out with the token the running refresh rotated to', async () => {
    const { api, session, tokens } = await setup({}, 'r0');
    const resumed = await session.resume();
    expect(resumed.ok && resumed.data.user.id).toBe('u1');
    expect(tokens).toEqual(['r1']);
    api.hold = true;
    const refresh = session.refresh();
    const logout = session.logout();
    await api.refreshesArrived(2);
    api.release();
    await refresh;
    expect((await logout).ok).toBe(true);
    expect(api.calls.at(-1)).toEqual({ path: '/api/auth/logout', body: { refreshToken: 'r2' } });
    expect(tokens).toEqual(['r1', 'r2', null]);
    expect(session.user).toBeNull();
  });

  it('in cookie mode never holds or hands out the refresh token', async () => {
    const api = await authApi();
    const tokens: unknown[] = [];
    const session = new Session({
      baseUrl: api.url,
      tokenTransport: 'cookie',
      onRefreshToken: (t) => tokens.push(t),
    });
    const r = await session.login({ username: 'ann', password: 'pw' });
    expect(r.ok && r.data.refreshToken).toBe('');
    expect(tokens).toEqual([]);
  });

  it('answers unavailable, naming the address, when nothing listens', async () => {
    const session = new Session({ baseUrl: 'http://127.0.0.1:1' });
    const r = await session.login({ username: 'ann', password: 'pw' });
    expect(!r.ok && r.error.code).toBe('unavailable');
    expect(!r.ok && r.error.message).toContain('http://127.0.0.1:1');
  });
});
