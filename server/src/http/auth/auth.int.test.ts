import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectSocket,
  createAgent,
  postJson,
  randomName,
  registerCustomer,
  startTestServer,
  type TestServer,
  waitForDisconnect,
} from '../../../test/helpers';
import type { UserDoc } from '../../store/users';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ env: { LOGIN_ACCOUNT_PER_MINUTE: '1', LOGIN_ACCOUNT_BURST: '5' } });
});
afterAll(async () => {
  await t?.close();
});

const errorCode = (body: unknown) => (body as { error: { code: string } }).error.code;

/** The sc_refresh cookie value from a response, if set. */
const refreshCookie = (headers: Headers): { value: string; attrs: string } | null => {
  for (const line of headers.getSetCookie()) {
    const m = /^sc_refresh=([^;]*)(.*)$/.exec(line);
    if (m) return { value: m[1] ?? '', attrs: m[2] ?? '' };
  }
  return null;
};

describe('POST /api/auth/register', () => {
  it('creates a customer and answers 201 with tokens and an HttpOnly SameSite=Strict cookie', async () => {
    const username = randomName('reg');
    const res = await postJson(`${t.url}/api/auth/register`, {
      username,
      email: `${username}@example.test`,
      password: 'correct horse battery',
    });
    expect(res.status).toBe(201);
    const body = res.body as {
      user: { role: string; username: string; departments: string[] };
      accessToken: string;
      refreshToken: string;
    };
    expect(body.user).toMatchObject({ username, role: 'customer', departments: [] });
    expect(body.accessToken.split('.')).toHaveLength(3);
    expect(body.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const cookie = refreshCookie(res.headers);
    expect(cookie?.value).toBe(body.refreshToken);
    expect(cookie?.attrs).toMatch(/path=\/api\/auth/i);
    expect(cookie?.attrs).toMatch(/httponly/i);
    expect(cookie?.attrs).toMatch(/samesite=strict/i);
    expect(cookie?.attrs).not.toMatch(/secure/i);
  });

  it.each([
    ['role', { role: 'agent' }],
    ['role owner', { role: 'owner' }],
    ['departments', { departments: ['billing'] }],
  ])('rejects the unknown field %s with 400 and writes nothing', async (_name, extra) => {
    const username = randomName('evil');
    const res = await postJson(`${t.url}/api/auth/register`, {
      username,
      email: `${username}@example.test`,
      password: 'correct horse battery',
      ...extra,
    });
    expect(res.status).toBe(400);
    expect(errorCode(res.body)).toBe('invalid_input');
    expect(
      await t.server.store.db.collection('users').countDocuments({ usernameLower: username.toLowerCase() }),
    ).toBe(0);
  });

  it('stores the password as argon2id and the refresh token only as a hash', async () => {
    const c = await registerCustomer(t.url);
    const doc = await t.server.store.db
      .collection<UserDoc>('users')
      .findOne({ usernameLower: c.user.username.toLowerCase() });
    expect(doc?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    const raw = JSON.stringify(
      await t.server.store.db.collection('refreshTokens').find({ userId: doc?._id }).toArray(),
    );
    expect(raw).not.toContain(c.refreshToken);
    expect(raw).not.toContain(c.password);
  });

  it('answers 409 for a taken username, case-insensitively, and for a taken email', async () => {
    const c = await registerCustomer(t.url);
    const again = await postJson(`${t.url}/api/auth/register`, {
      username: c.user.username.toUpperCase(),
      email: `other-${c.user.username}@example.test`,
      password: 'correct horse battery',
    });
    expect(again.status).toBe(409);
    expect(errorCode(again.body)).toBe('username_taken');
    const sameEmail = await postJson(`${t.url}/api/auth/register`, {
      username: randomName('x'),
      email: `${c.user.username.toUpperCase()}@EXAMPLE.test`,
      password: 'correct horse battery',
    });
    expect(sameEmail.status).toBe(409);
    expect(errorCode(sameEmail.body)).toBe('email_taken');
  });

  it('rejects wrong types and operator objects with 400', async () => {
    const res = await postJson(`${t.url}/api/auth/register`, {
      username: { $ne: '' },
      email: 'a@example.test',
      password: 'correct horse battery',
    });
    expect(res.status).toBe(400);
  });
});

describe('POST /api/auth/login', () => {
  it('logs in with the right password', async () => {
    const c = await registerCustomer(t.url);
    const res = await postJson(`${t.url}/api/auth/login`, {
      username: c.user.username,
      password: c.password,
    });
    expect(res.status).toBe(200);
    expect((res.body as { user: { id: string } }).user.id).toBe(c.user.id);
  });

  it('answers the same 401 for an unknown user and a wrong password', async () => {
    const c = await registerCustomer(t.url);
    const t0 = performance.now();
    const wrong = await postJson(`${t.url}/api/auth/login`, {
      username: c.user.username,
      password: 'wrong password',
    });
    const t1 = performance.now();
    const unknown = await postJson(`${t.url}/api/auth/login`, {
      username: randomName('ghost'),
      password: 'whatever1',
    });
    const t2 = performance.now();
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
    expect(errorCode(wrong.body)).toBe('invalid_credentials');
    // Measured, not asserted (the machine is shared): both paths verify one argon2 hash.
    console.log(
      `login timing: wrong password ${(t1 - t0).toFixed(1)} ms, unknown user ${(t2 - t1).toFixed(1)} ms`,
    );
  });

  it('rejects operator injection in the username with 400', async () => {
    const res = await postJson(`${t.url}/api/auth/login`, { username: { $ne: '' }, password: { $ne: '' } });
    expect(res.status).toBe(400);
    expect(errorCode(res.body)).toBe('invalid_input');
  });

  it('refuses a disabled agent with the same 401', async () => {
    const agent = await createAgent(t, { departments: ['billing'] });
    await t.server.services.accounts.disableUser({ username: agent.user.username });
    const res = await postJson(`${t.url}/api/auth/login`, {
      username: agent.user.username,
      password: agent.password,
    });
    expect(res.status).toBe(401);
    expect(errorCode(res.body)).toBe('invalid_credentials');
  });

  it('throttles attempts per account with 429 and Retry-After', async () => {
    const c = await registerCustomer(t.url);
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 7; i++) {
      const res = await postJson(`${t.url}/api/auth/login`, {
        username: c.user.username,
        password: 'wrong password',
      });
      statuses.push(res.status);
      if (res.status === 429) {
        retryAfter = res.headers.get('retry-after');
        expect(errorCode(res.body)).toBe('rate_limited');
      }
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    // Even the right password waits from this address: the bucket is per (account, address).
    const right = await postJson(`${t.url}/api/auth/login`, {
      username: c.user.username,
      password: c.password,
    });
    expect(right.status).toBe(429);
  });
});

describe('per-address login throttling', () => {
  it('throttles one address across accounts', async () => {
    const s = await startTestServer({ env: { LOGIN_ADDRESS_PER_MINUTE: '1', LOGIN_ADDRESS_BURST: '3' } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        const res = await postJson(`${s.url}/api/auth/login`, {
          username: randomName('ghost'),
          password: 'whatever1',
        });
        statuses.push(res.status);
      }
      expect(statuses).toEqual([401, 401, 401, 429]);
    } finally {
      await s.close();
    }
  });
});

describe('POST /api/auth/refresh', () => {
  it('rotates: the new pair works, the old refresh token is spent', async () => {
    const c = await registerCustomer(t.url);
    const res = await postJson(`${t.url}/api/auth/refresh`, { refreshToken: c.refreshToken });
    expect(res.status).toBe(200);
    const next = res.body as { accessToken: string; refreshToken: string };
    expect(next.refreshToken).not.toBe(c.refreshToken);
    const me = await fetch(`${t.url}/api/me`, { headers: { authorization: `Bearer ${next.accessToken}` } });
    expect(me.status).toBe(200);
    const again = await postJson(`${t.url}/api/auth/refresh`, { refreshToken: next.refreshToken });
    expect(again.status).toBe(200);
  });

  it('on reuse of a spent token revokes every token of that login and ends its sockets', async () => {
    const c = await registerCustomer(t.url);
    // A second login of the same user must survive.
    const other = await postJson(`${t.url}/api/auth/login`, {
      username: c.user.username,
      password: c.password,
    });
    const otherTokens = other.body as { accessToken: string; refreshToken: string };
    const rotated = (await postJson(`${t.url}/api/auth/refresh`, { refreshToken: c.refreshToken })).body as {
      accessToken: string;
      refreshToken: string;
    };
    const socket = await connectSocket(t.url, rotated.accessToken);
    const otherSocket = await connectSocket(t.url, otherTokens.accessToken);
    const disconnected = waitForDisconnect(socket);

    const reuse = await postJson(`${t.url}/api/auth/refresh`, { refreshToken: c.refreshToken });
    expect(reuse.status).toBe(401);
    expect(errorCode(reuse.body)).toBe('token_reused');
    expect(await disconnected).toBe('io server disconnect');
    // The thief's and the owner's current tokens of that login are dead too.
    const current = await postJson(`${t.url}/api/auth/refresh`, { refreshToken: rotated.refreshToken });
    expect(current.status).toBe(401);
    const me = await fetch(`${t.url}/api/me`, {
      headers: { authorization: `Bearer ${rotated.accessToken}` },
    });
    expect(me.status).toBe(401);
    await expect(connectSocket(t.url, rotated.accessToken)).rejects.toThrow('unauthorized');
    // The other login is untouched.
    expect(otherSocket.connected).toBe(true);
    const otherRefresh = await postJson(`${t.url}/api/auth/refresh`, {
      refreshToken: otherTokens.refreshToken,
    });
    expect(otherRefresh.status).toBe(200);
    otherSocket.close();
  });

  it('spends a token once when ten refreshes race with it: one wins, the rest is reuse and ends the login', async () => {
    const c = await registerCustomer(t.url);
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        postJson(`${t.url}/api/auth/refresh`, { refreshToken: c.refreshToken }),
      ),
    );
    const winners = answers.filter((a) => a.status === 200);
    expect(winners).toHaveLength(1);
    expect(answers.filter((a) => a.status === 401).length).toBe(9);
    // The racers after the winner presented a spent token: the winner's new tokens are revoked with the login.
    const next = winners[0]!.body as { refreshToken: string };
    expect((await postJson(`${t.url}/api/auth/refresh`, { refreshToken: next.refreshToken })).status).toBe(
      401,
    );
  });

  it('answers 401 for an unknown token and 400 for a wrong type', async () => {
    const res = await postJson(`${t.url}/api/auth/refresh`, { refreshToken: 'nope' });
    expect(res.status).toBe(401);
    const bad = await postJson(`${t.url}/api/auth/refresh`, { refreshToken: { $ne: '' } });
    expect(bad.status).toBe(400);
    const none = await postJson(`${t.url}/api/auth/refresh`, {});
    expect(none.status).toBe(401);
  });

  it('accepts the cookie from the own origin or an allowed one, and refuses it cross-site with 403', async () => {
    const c = await registerCustomer(t.url);
    const cookie = `sc_refresh=${c.refreshToken}`;
    const foreign = await postJson(
      `${t.url}/api/auth/refresh`,
      {},
      { cookie, origin: 'https://evil.example' },
    );
    expect(foreign.status).toBe(403);
    const noOrigin = await postJson(`${t.url}/api/auth/refresh`, {}, { cookie });
    expect(noOrigin.status).toBe(403);
    const own = await postJson(`${t.url}/api/auth/refresh`, {}, { cookie, origin: t.url });
    expect(own.status).toBe(200);
    expect(refreshCookie(own.headers)?.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('keeps a refresh through the cookie in the cookie: the answer body has no refresh token a page script could read', async () => {
    const c = await registerCustomer(t.url);
    // What a script injected into the page would do: refresh through the cookie and read the answer.
    const res = await postJson(
      `${t.url}/api/auth/refresh`,
      {},
      { origin: t.url, cookie: `sc_refresh=${c.refreshToken}` },
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ accessToken: expect.any(String), user: { id: c.user.id } });
    expect(res.body).not.toHaveProperty('refreshToken');
    const token = refreshCookie(res.headers)?.value ?? '';
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(res.body)).not.toContain(token);
    // A token presented in the body (native clients) is answered in the body.
    const native = await postJson(`${t.url}/api/auth/refresh`, { refreshToken: token });
    expect(native.body).toMatchObject({ refreshToken: refreshCookie(native.headers)?.value });
  });
});

describe('POST /api/auth/logout', () => {
  it('answers 204, revokes the login, ends its sockets and clears the cookie', async () => {
    const c = await registerCustomer(t.url);
    const socket = await connectSocket(t.url, c.accessToken);
    const disconnected = waitForDisconnect(socket);
    const res = await postJson(`${t.url}/api/auth/logout`, { refreshToken: c.refreshToken });
    expect(res.status).toBe(204);
    expect(refreshCookie(res.headers)?.value).toBe('');
    expect(await disconnected).toBe('io server disconnect');
    const refresh = await postJson(`${t.url}/api/auth/refresh`, { refreshToken: c.refreshToken });
    expect(refresh.status).toBe(401);
    const me = await fetch(`${t.url}/api/me`, { headers: { authorization: `Bearer ${c.accessToken}` } });
    expect(me.status).toBe(401);
  });

  it('logs out with the cookie from the own origin only', async () => {
    const c = await registerCustomer(t.url);
    const cookie = `sc_refresh=${c.refreshToken}`;
    const foreign = await postJson(
      `${t.url}/api/auth/logout`,
      {},
      { cookie, origin: 'https://evil.example' },
    );
    expect(foreign.status).toBe(403);
    const me = await fetch(`${t.url}/api/me`, { headers: { authorization: `Bearer ${c.accessToken}` } });
    expect(me.status).toBe(200);
    const own = await postJson(`${t.url}/api/auth/logout`, {}, { cookie, origin: t.url });
    expect(own.status).toBe(204);
    const after = await fetch(`${t.url}/api/me`, { headers: { authorization: `Bearer ${c.accessToken}` } });
    expect(after.status).toBe(401);
  });
});

describe('GET /api/me and /api/departments', () => {
  it('answers the caller, 401 without a token', async () => {
    const c = await registerCustomer(t.url);
    const res = await fetch(`${t.url}/api/me`, { headers: { authorization: `Bearer ${c.accessToken}` } });
    expect(await res.json()).toEqual({ user: c.user });
    expect((await fetch(`${t.url}/api/me`)).status).toBe(401);
    const bad = await fetch(`${t.url}/api/me`, { headers: { authorization: 'Bearer abc.def.ghi' } });
    expect(bad.status).toBe(401);
  });

  it('lists the seeded departments publicly with agentsOnline', async () => {
    const res = await fetch(`${t.url}/api/departments`);
    expect(res.status).toBe(200);
    const { departments } = (await res.json()) as {
      departments: { id: string; name: string; agentsOnline: number }[];
    };
    const byId = Object.fromEntries(departments.map((d) => [d.id, d]));
    expect(byId.billing).toMatchObject({ name: 'Billing Support' });
    expect(byId.technical).toMatchObject({ name: 'Technical Support' });
    expect(byId.account).toMatchObject({ name: 'Account Manager' });
    expect(byId.sales).toMatchObject({ name: 'Sales' });
    expect(byId.hr).toMatchObject({ name: 'HR' });

    const before = byId.hr?.agentsOnline ?? 0;
    const agent = await createAgent(t, { departments: ['hr'] });
    const socket = await connectSocket(t.url, agent.accessToken);
    const second = await connectSocket(t.url, agent.accessToken);
    const after = (await (await fetch(`${t.url}/api/departments`)).json()) as {
      departments: { id: string; agentsOnline: number }[];
    };
    expect(after.departments.find((d) => d.id === 'hr')?.agentsOnline).toBe(before + 1);
    socket.close();
    second.close();
  });
});
