// The website widget against a real server and database (SPEC §10, SECURITY.md "Website widget"): every identity
// token rule, the site's departments, the frame's framing policy, the credential's rotation and revocation, what
// agents see, and that identifying after chatting anonymously keeps the conversation.
import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectSocket,
  createAgent,
  emitAck,
  postJson,
  registerCustomer,
  startTestServer,
  type TestServer,
} from '../../../test/helpers';

const SHOP = 'http://localhost:5555';
let t: TestServer;
const secrets: Record<string, string> = {};

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

const sign = (site: string, claims: Record<string, unknown>, opts: { iat?: number; exp?: number } = {}) => {
  const iat = opts.iat ?? now();
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(iat)
    .setExpirationTime(opts.exp ?? iat + 600)
    .sign(Buffer.from(secrets[site] as string, 'utf8'));
};

async function createSite(id: string, identity: 'off' | 'optional' | 'required', departments = ['billing']) {
  const created = await t.server.services.widget.admin.createSite({
    id,
    name: `Shop ${id}`,
    origins: [SHOP, 'https://shop.example'],
    departments,
    identity,
  });
  if (!created.ok) throw new Error(created.error.message);
  secrets[id] = created.data.secret;
}

interface Session {
  user: { id: string; username: string };
  accessToken: string;
  credential?: string;
  verified: boolean;
  name: string | null;
  email: string | null;
}

const api = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  postJson(`${t.url}/api/widget${path}`, body, headers);

async function visitor(site: string, details: { name?: string; email?: string } = {}): Promise<Session> {
  const res = await api('/sessions', { site, ...details });
  expect(res.status).toBe(201);
  return res.body as Session;
}

async function identify(site: string, token: string, credential?: string) {
  return api('/identify', { site, token, ...(credential ? { credential } : {}) });
}

beforeAll(async () => {
  t = await startTestServer({ env: { REGISTER_RATE_PER_HOUR: '100000' } });
  await createSite('shop', 'optional', ['billing', 'technical']);
  await createSite('strict', 'required');
  await createSite('anon', 'off');
}, 120_000);

afterAll(async () => {
  await t?.close();
});

describe('site and frame', () => {
  it('describes the site with its departments only, and refuses unknown sites', async () => {
    const res = await fetch(`${t.url}/api/widget/sites/shop`);
    const { site } = (await res.json()) as { site: { departments: { id: string }[]; identity: string } };
    expect(site.departments.map((d) => d.id)).toEqual(['billing', 'technical']);
    expect(site.identity).toBe('optional');
    expect(JSON.stringify(site)).not.toContain('secret');
    expect((await fetch(`${t.url}/api/widget/sites/nope`)).status).toBe(404);
  });

  it('lets only the site’s origins frame the widget', async () => {
    const res = await fetch(`${t.url}/widget/frame?site=shop`);
    // Built or not, the policy is on the answer for a known site.
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain(`frame-ancestors ${SHOP} https://shop.example`);
    expect(csp).not.toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-frame-options')).toBeNull();
    const unknown = await fetch(`${t.url}/widget/frame?site=nope`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('x-frame-options')).toBe('DENY');
    // The customer page itself stays unframable.
    expect((await fetch(`${t.url}/`)).headers.get('content-security-policy')).toContain(
      "frame-ancestors 'none'",
    );
  });

  it('refuses sites with non-https origins (http only on loopback)', async () => {
    const admin = t.server.services.widget.admin;
    for (const origin of [
      'http://shop.example',
      'https://shop.example/path',
      'ftp://x',
      'javascript:alert(1)',
    ]) {
      const r = await admin.createSite({
        id: 'bad',
        name: 'Bad',
        origins: [origin],
        departments: [],
        identity: 'off',
      });
      expect(r.ok, origin).toBe(false);
    }
  });
});

describe('visitors', () => {
  it('chat anonymously in the site’s departments only', async () => {
    const v = await visitor('shop', { name: 'Ada', email: 'ada@example.test' });
    expect(v.credential).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(v.verified).toBe(false);
    const socket = await connectSocket(t.url, v.accessToken);
    try {
      const open = await emitAck<{ conversation: { id: string } }>(socket, 'conversation:open', {
        department: 'billing',
      });
      expect(open.ok).toBe(true);
      const other = await emitAck(socket, 'conversation:open', { department: 'sales' });
      expect(other).toMatchObject({ ok: false, error: { code: 'not_found' } });
    } finally {
      socket.disconnect();
    }
  });

  it('open sockets from the chat server’s own origin only: the shop’s origin gets no handshake', async () => {
    const v = await visitor('shop');
    await expect(connectSocket(t.url, v.accessToken, { extraHeaders: { Origin: SHOP } })).rejects.toThrow();
    await expect(
      connectSocket(t.url, v.accessToken, { transports: ['polling'], extraHeaders: { Origin: SHOP } }),
    ).rejects.toThrow();
    const own = await connectSocket(t.url, v.accessToken, { extraHeaders: { Origin: t.url } });
    own.disconnect();
  });

  it('cannot log in with a password (they have none)', async () => {
    const v = await visitor('shop');
    for (const password of ['', '!widget-customer', 'password123'])
      expect(
        (await postJson(`${t.url}/api/auth/login`, { username: v.user.username, password: password || 'x' }))
          .status,
      ).toBe(401);
  });

  it('are refused with identity required, and cannot send anything', async () => {
    const res = await api('/sessions', { site: 'strict' });
    expect(res.status).toBe(403);
    expect(JSON.stringify(res.body)).not.toContain('accessToken');
  });

  it('exchange their credential, rotated with a grace for tabs refreshing at once', async () => {
    const rotating = await startTestServer({ env: { WIDGET_CREDENTIAL_ROTATE_SEC: '0' } });
    try {
      const created = await rotating.server.services.widget.admin.createSite({
        id: 'rot',
        name: 'Rot',
        origins: [SHOP],
        departments: [],
        identity: 'off',
      });
      expect(created.ok).toBe(true);
      const start = await postJson(`${rotating.url}/api/widget/sessions`, { site: 'rot' });
      const first = (start.body as Session).credential as string;
      const [a, b] = await Promise.all([
        postJson(`${rotating.url}/api/widget/token`, { site: 'rot', credential: first }),
        postJson(`${rotating.url}/api/widget/token`, { site: 'rot', credential: first }),
      ]);
      expect([a.status, b.status]).toEqual([200, 200]);
      const fresh = [a, b].map((r) => (r.body as Session).credential).filter(Boolean);
      expect(fresh).toHaveLength(1);
      // The replacement works; another site's widget cannot use it.
      const next = await postJson(`${rotating.url}/api/widget/token`, { site: 'rot', credential: fresh[0] });
      expect(next.status).toBe(200);
      const foreign = await postJson(`${rotating.url}/api/widget/token`, {
        site: 'other',
        credential: fresh[0],
      });
      expect(foreign.status).toBe(401);
    } finally {
      await rotating.close();
    }
  });

  it('keep the credential in a partitioned HttpOnly cookie too, honoured only from the frame’s own origin', async () => {
    const res = await fetch(`${t.url}/api/widget/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ site: 'shop' }),
    });
    expect(res.status).toBe(201);
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(
      /^sc_widget_shop=[A-Za-z0-9_-]{43}; Max-Age=\d+; Path=\/api\/widget; HttpOnly; Secure; SameSite=None; Partitioned$/,
    );
    const pair = cookie.split(';')[0] as string;
    const own = await api('/token', { site: 'shop' }, { cookie: pair, origin: t.url });
    expect(own.status).toBe(200);
    // Another page sending it (a form post from anywhere, or the shop page itself) gets nothing.
    for (const origin of [SHOP, 'https://evil.example']) {
      expect((await api('/token', { site: 'shop' }, { cookie: pair, origin })).status, origin).toBe(401);
    }
    expect((await api('/token', { site: 'shop' }, { cookie: pair })).status).toBe(401);
    // A refused copy in the body (another tab rotated it) leaves the cookie alone; a refused cookie is dropped.
    const stale = await api(
      '/token',
      { site: 'shop', credential: 'x'.repeat(43) },
      { cookie: pair, origin: t.url },
    );
    expect(stale.status).toBe(401);
    expect(stale.headers.get('set-cookie')).toBeNull();
    const refused = await api(
      '/token',
      { site: 'shop' },
      { cookie: `sc_widget_shop=${'y'.repeat(43)}`, origin: t.url },
    );
    expect(refused.status).toBe(401);
    expect(refused.headers.get('set-cookie')).toMatch(/^sc_widget_shop=; Max-Age=0;/);
  });

  it('lose their credential on logout and when the owner disables them', async () => {
    const v = await visitor('shop');
    expect((await api('/token', { site: 'shop', credential: v.credential })).status).toBe(200);
    expect((await api('/logout', { site: 'shop', credential: v.credential })).status).toBe(204);
    expect((await api('/token', { site: 'shop', credential: v.credential })).status).toBe(401);

    const w = await visitor('shop');
    const disabled = await t.server.services.accounts.disableUser({ username: w.user.username });
    expect(disabled.ok).toBe(true);
    expect((await api('/token', { site: 'shop', credential: w.credential })).status).toBe(401);
  });

  it('count against the registration throttle of their address', async () => {
    const limited = await startTestServer({ env: { REGISTER_RATE_PER_HOUR: '2' } });
    try {
      await limited.server.services.widget.admin.createSite({
        id: 'few',
        name: 'Few',
        origins: [SHOP],
        departments: [],
        identity: 'off',
      });
      const statuses = [];
      for (let i = 0; i < 3; i++)
        statuses.push((await postJson(`${limited.url}/api/widget/sessions`, { site: 'few' })).status);
      expect(statuses).toEqual([201, 201, 429]);
    } finally {
      await limited.close();
    }
  });
});

describe('identity tokens', () => {
  it('a valid token makes a verified customer; each (site, sub) is one customer', async () => {
    const token = await sign('strict', { sub: 'cust-1', name: 'Grace', email: 'grace@example.test' });
    const first = await identify('strict', token);
    expect(first.status).toBe(200);
    const a = first.body as Session;
    expect(a).toMatchObject({ verified: true, name: 'Grace', email: 'grace@example.test' });
    const again = (await identify('strict', await sign('strict', { sub: 'cust-1' }))).body as Session;
    expect(again.user.id).toBe(a.user.id);
    const other = (await identify('strict', await sign('strict', { sub: 'cust-2' }))).body as Session;
    expect(other.user.id).not.toBe(a.user.id);
  });

  it('refuses every bad token, and nothing is created for them', async () => {
    const users = () => t.server.store.db.collection('users').countDocuments();
    const before = await users();
    const good = await sign('strict', { sub: 'x' });
    const [h, p] = good.split('.') as [string, string, string];
    const rsa = await generateKeyPair('RS256');
    const bad: Record<string, string> = {
      forged: await new SignJWT({ sub: 'x' })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(Buffer.from('not-the-site-secret-at-all-000000')),
      otherSite: await sign('shop', { sub: 'x' }),
      expired: await sign('strict', { sub: 'x' }, { iat: now() - 1200, exp: now() - 600 }),
      overLongLived: await sign('strict', { sub: 'x' }, { iat: now(), exp: now() + 3601 }),
      algNone: `${b64({ alg: 'none', typ: 'JWT' })}.${p}.`,
      hs512: await new SignJWT({ sub: 'x' })
        .setProtectedHeader({ alg: 'HS512' })
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(Buffer.from(secrets.strict as string, 'utf8')),
      rs256: await new SignJWT({ sub: 'x' })
        .setProtectedHeader({ alg: 'RS256' })
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(rsa.privateKey),
      noIat: await new SignJWT({ sub: 'x' })
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime('10m')
        .sign(Buffer.from(secrets.strict as string, 'utf8')),
      noSub: await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(Buffer.from(secrets.strict as string, 'utf8')),
      tamperedPayload: `${h}.${b64({ sub: 'admin', iat: now(), exp: now() + 60 })}.${good.split('.')[2]}`,
    };
    for (const [kind, token] of Object.entries(bad)) {
      const res = await identify('strict', token);
      expect(res.status, kind).toBe(401);
      expect(JSON.stringify(res.body), kind).not.toContain('accessToken');
    }
    // Not a compact JWT at all (padding, alphabet variants): refused by the schema.
    const signature = good.split('.')[2] as string;
    const last = signature.at(-1) as string;
    // 32 bytes in 43 characters: the last one carries 2 unused bits; a variant decodes to the same bytes.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const strayBits = alphabet[alphabet.indexOf(last) ^ 1] as string;
    const variants = [
      `${h}.${p}.${Buffer.from(signature, 'base64url').toString('base64')}`,
      `${h}.${p}.${signature.slice(0, -1)}${strayBits}`,
      `${good}.x`,
      'a'.repeat(5000),
    ];
    for (const token of variants) {
      const res = await identify('strict', token);
      expect([400, 401], token.slice(0, 20)).toContain(res.status);
    }
    expect(await users()).toBe(before);
  });

  it('a token signed with the secret before a rotation is refused after it', async () => {
    const old = await sign('strict', { sub: 'rot-1' });
    const rotated = await t.server.services.widget.admin.rotateSecret('strict');
    if (!rotated.ok) throw new Error(rotated.error.message);
    expect((await identify('strict', old)).status).toBe(401);
    secrets.strict = rotated.data.secret;
    expect((await identify('strict', await sign('strict', { sub: 'rot-1' }))).status).toBe(200);
  });

  it('is refused where identity is off', async () => {
    expect((await identify('anon', await sign('anon', { sub: 'x' }))).status).toBe(403);
  });
});

describe('identifying after chatting anonymously', () => {
  it('keeps the conversation (the visitor becomes the customer), and a second device sees the same history', async () => {
    const agent = await createAgent(t, { departments: ['billing'] });
    const v = await visitor('shop', { name: 'Anon' });
    const socket = await connectSocket(t.url, v.accessToken);
    let conversationId: string;
    try {
      const open = await emitAck<{ conversation: { id: string } }>(socket, 'conversation:open', {
        department: 'billing',
      });
      if (!open.ok) throw new Error(open.error.message);
      conversationId = open.data.conversation.id;
      const sent = await emitAck(socket, 'message:send', {
        conversationId,
        clientMsgId: crypto.randomUUID(),
        text: 'hello before signing in',
      });
      expect(sent.ok).toBe(true);
    } finally {
      socket.disconnect();
    }
    expect(
      (
        await api(
          '/page',
          { department: 'billing', pageUrl: `${SHOP}/products/42` },
          { authorization: `Bearer ${v.accessToken}` },
        )
      ).status,
    ).toBe(204);
    // A page of another site is not recorded.
    expect(
      (
        await api(
          '/page',
          { department: 'billing', pageUrl: 'https://evil.example/' },
          { authorization: `Bearer ${v.accessToken}` },
        )
      ).status,
    ).toBe(400);

    const token = await sign('shop', { sub: 'alice', name: 'Alice', email: 'alice@example.test' });
    const who = (await identify('shop', token, v.credential)).body as Session;
    expect(who.user.id).toBe(v.user.id);
    expect(who.verified).toBe(true);

    // Another browser: a fresh visitor that identifies as alice becomes her, history included.
    const other = await visitor('shop');
    const same = (await identify('shop', await sign('shop', { sub: 'alice' }), other.credential))
      .body as Session;
    expect(same.user.id).toBe(v.user.id);
    const history = await fetch(`${t.url}/api/conversations/${conversationId}/messages`, {
      headers: { authorization: `Bearer ${same.accessToken}` },
    });
    const { messages } = (await history.json()) as { messages: { text: string }[] };
    expect(messages.map((m) => m.text)).toEqual(['hello before signing in']);
    // The other browser's anonymous visitor lost its login to the verified one.
    expect((await api('/token', { site: 'shop', credential: other.credential })).status).toBe(401);

    // What agents see beside the conversation; customers may not ask.
    const profile = await fetch(`${t.url}/api/conversations/${conversationId}/visitor`, {
      headers: { authorization: `Bearer ${agent.accessToken}` },
    });
    expect(profile.status).toBe(200);
    const { visitor: seen } = (await profile.json()) as { visitor: Record<string, unknown> };
    expect(seen).toMatchObject({
      site: { id: 'shop', name: 'Shop shop' },
      username: v.user.username,
      verified: true,
      name: 'Alice',
      email: 'alice@example.test',
      pageUrl: `${SHOP}/products/42`,
    });
    expect((seen.linked as { username: string }[]).map((l) => l.username)).toEqual([other.user.username]);
    const asCustomer = await fetch(`${t.url}/api/conversations/${conversationId}/visitor`, {
      headers: { authorization: `Bearer ${same.accessToken}` },
    });
    expect(asCustomer.status).toBe(403);
  });
});

describe('a visitor who identifies as a customer who already exists (SPEC §10 merge rule)', () => {
  interface Summary {
    id: string;
    department: string;
    lastSeq: number;
  }
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const listOf = async (token: string) =>
    (
      (await (await fetch(`${t.url}/api/conversations`, { headers: bearer(token) })).json()) as {
        conversations: Summary[];
      }
    ).conversations;
  const historyOf = async (token: string, id: string) => {
    const res = await fetch(`${t.url}/api/conversations/${id}/messages`, { headers: bearer(token) });
    expect(res.status).toBe(200);
    return ((await res.json()) as { messages: { seq: number; text: string }[] }).messages;
  };
  /** Opens the department's conversation on a new socket of this login and writes each text into it. */
  async function chat(token: string, department: string, ...texts: string[]): Promise<string> {
    const socket = await connectSocket(t.url, token);
    try {
      const open = await emitAck<{ conversation: { id: string } }>(socket, 'conversation:open', {
        department,
      });
      if (!open.ok) throw new Error(open.error.message);
      for (const text of texts) {
        const sent = await emitAck(socket, 'message:send', {
          conversationId: open.data.conversation.id,
          clientMsgId: crypto.randomUUID(),
          text,
        });
        if (!sent.ok) throw new Error(sent.error.message);
      }
      return open.data.conversation.id;
    } finally {
      socket.disconnect();
    }
  }

  it('passes each conversation the customer has none of; keeps and links the others; nothing lost, seqs unchanged', async () => {
    const agent = await createAgent(t, { departments: ['billing', 'technical'] });
    // Bob on his laptop: identified, with a billing conversation.
    const laptop = await visitor('shop');
    const bob = (await identify('shop', await sign('shop', { sub: 'bob', name: 'Bob' }), laptop.credential))
      .body as Session;
    const bobBilling = await chat(bob.accessToken, 'billing', 'bob: invoice?');
    // A socket of Bob's that is open before the hand-over (its handshake knew nothing of it).
    const before = await connectSocket(t.url, bob.accessToken);

    // On his phone, not signed in yet: a visitor writes to billing and technical, then identifies as Bob.
    const phone = await visitor('shop', { name: 'Phone Bob' });
    const phoneBilling = await chat(phone.accessToken, 'billing', 'phone: invoice again');
    const phoneTechnical = await chat(phone.accessToken, 'technical', 'phone: broken', 'phone: still broken');
    expect(
      (
        await api(
          '/page',
          { department: 'technical', pageUrl: `${SHOP}/help` },
          { authorization: `Bearer ${phone.accessToken}` },
        )
      ).status,
    ).toBe(204);
    const merged = (await identify('shop', await sign('shop', { sub: 'bob' }), phone.credential))
      .body as Session;
    expect(merged.user.id).toBe(bob.user.id);

    try {
      // Technical passed to Bob: the same conversation, its messages and seqs as they were.
      const mine = await listOf(merged.accessToken);
      expect(mine.map((c) => [c.department, c.id]).sort()).toEqual(
        [
          ['billing', bobBilling],
          ['technical', phoneTechnical],
        ].sort(),
      );
      expect((await historyOf(merged.accessToken, phoneTechnical)).map((m) => [m.seq, m.text])).toEqual([
        [1, 'phone: broken'],
        [2, 'phone: still broken'],
      ]);
      // Opening technical finds it, on a new login's socket and on the socket opened before the hand-over; the next
      // message takes the next seq.
      expect(await chat(merged.accessToken, 'technical', 'bob: from the phone')).toBe(phoneTechnical);
      const reopened = await emitAck<{ conversation: { id: string } }>(before, 'conversation:open', {
        department: 'technical',
      });
      expect(reopened.ok && reopened.data.conversation.id).toBe(phoneTechnical);
      expect((await historyOf(bob.accessToken, phoneTechnical)).map((m) => m.seq)).toEqual([1, 2, 3]);

      // Billing: Bob had one, so the phone's stays the visitor's (agents still see it, and the link both ways).
      expect((await historyOf(agent.accessToken, phoneBilling)).map((m) => m.text)).toEqual([
        'phone: invoice again',
      ]);
      expect((await historyOf(bob.accessToken, bobBilling)).map((m) => m.text)).toEqual(['bob: invoice?']);
      const profileOf = async (id: string) =>
        (
          (await (
            await fetch(`${t.url}/api/conversations/${id}/visitor`, { headers: bearer(agent.accessToken) })
          ).json()) as {
            visitor: {
              username: string;
              verified: boolean;
              pageUrl: string | null;
              linked: { username: string }[];
            };
          }
        ).visitor;
      const technical = await profileOf(phoneTechnical);
      expect(technical).toMatchObject({
        username: bob.user.username,
        verified: true,
        pageUrl: `${SHOP}/help`,
      });
      expect(technical.linked.map((l) => l.username)).toEqual([phone.user.username]);
      const billing = await profileOf(phoneBilling);
      expect(billing).toMatchObject({ username: phone.user.username, verified: false });
      expect(billing.linked.map((l) => l.username)).toEqual([bob.user.username]);
      // Agents' listing shows technical under Bob now.
      const agentList = (await listOf(agent.accessToken)) as (Summary & { customer: object })[];
      expect(agentList.find((c) => c.id === phoneTechnical)?.customer).toMatchObject({
        id: bob.user.id,
        name: 'Bob',
        verified: true,
      });
    } finally {
      before.disconnect();
    }
  });

  it('an open of the customer racing the hand-over leaves one conversation per department, and loses nothing', async () => {
    const first = await visitor('shop');
    const carol = (await identify('shop', await sign('shop', { sub: 'carol' }), first.credential))
      .body as Session;
    const socket = await connectSocket(t.url, carol.accessToken);
    try {
      for (let round = 0; round < 3; round++) {
        const department = round % 2 ? 'technical' : 'billing';
        const phone = await visitor('shop');
        const text = `phone ${round}`;
        const phoneConversation = await chat(phone.accessToken, department, text);
        const [opened] = await Promise.all([
          emitAck<{ conversation: { id: string } }>(socket, 'conversation:open', { department }),
          identify('shop', await sign('shop', { sub: 'carol' }), phone.credential),
        ]);
        if (!opened.ok) throw new Error(opened.error.message);
        const mine = (await listOf(carol.accessToken)).filter((c) => c.department === department);
        expect(mine).toHaveLength(1);
        expect(mine[0]?.id).toBe(opened.data.conversation.id);
        // The phone's message is in Carol's conversation (passed) or in the visitor's own (kept), never lost.
        const agent = await createAgent(t, { departments: [department] });
        expect((await historyOf(agent.accessToken, phoneConversation)).map((m) => m.text)).toEqual([text]);
      }
    } finally {
      socket.disconnect();
    }
  });
});

describe('what agents see in conversation summaries', () => {
  it('the name, email and verification of the website customer, live as they change', async () => {
    const agent = await createAgent(t, { departments: ['technical'] });
    const agentSocket = await connectSocket(t.url, agent.accessToken);
    const updates: { id: string; customer: Record<string, unknown> }[] = [];
    agentSocket.on('conversation:updated', (p: { conversation: (typeof updates)[number] }) =>
      updates.push(p.conversation),
    );
    const summaryOf = async (id: string) => {
      const res = await fetch(`${t.url}/api/conversations`, {
        headers: { authorization: `Bearer ${agent.accessToken}` },
      });
      const { conversations } = (await res.json()) as { conversations: (typeof updates)[number][] };
      return conversations.find((c) => c.id === id)?.customer;
    };
    const nextUpdate = (id: string, name: unknown) =>
      expect
        .poll(() => updates.filter((u) => u.id === id).at(-1)?.customer.name, { timeout: 10_000 })
        .toBe(name);
    try {
      const v = await visitor('shop', { name: 'Dana', email: 'dana@example.test' });
      const customerSocket = await connectSocket(t.url, v.accessToken);
      const open = await emitAck<{ conversation: { id: string; customer: Record<string, unknown> } }>(
        customerSocket,
        'conversation:open',
        { department: 'technical' },
      );
      customerSocket.disconnect();
      if (!open.ok) throw new Error(open.error.message);
      const id = open.data.conversation.id;
      expect(await summaryOf(id)).toEqual({
        id: v.user.id,
        username: v.user.username,
        name: 'Dana',
        email: 'dana@example.test',
        verified: false,
      });
      // The visitor's own form, then the shop's token: agents' summaries follow at once.
      const details = await api(
        '/details',
        { name: 'Dana K.' },
        { authorization: `Bearer ${v.accessToken}` },
      );
      expect(details.status).toBe(204);
      await nextUpdate(id, 'Dana K.');
      expect(await summaryOf(id)).toMatchObject({
        name: 'Dana K.',
        email: 'dana@example.test',
        verified: false,
      });
      await identify('shop', await sign('shop', { sub: 'dana', name: 'Dana Kim' }), v.credential);
      await nextUpdate(id, 'Dana Kim');
      expect(await summaryOf(id)).toMatchObject({
        name: 'Dana Kim',
        email: 'dana@example.test',
        verified: true,
      });

      // A conversation from before summaries carried these gets them at its next open.
      await t.server.store.db
        .collection('conversations')
        .updateOne({ _id: id as never }, { $unset: { customerDetails: '' } });
      t.server.services.live.invalidate(id);
      const identified = (await identify('shop', await sign('shop', { sub: 'dana' }))).body as Session;
      const again = await connectSocket(t.url, identified.accessToken);
      const reopened = await emitAck<{ conversation: { customer: Record<string, unknown> } }>(
        again,
        'conversation:open',
        { department: 'technical' },
      );
      again.disconnect();
      expect(reopened.ok && reopened.data.conversation.customer).toMatchObject({
        name: 'Dana Kim',
        verified: true,
      });

      // A customer of the chat page has none of these.
      const pageCustomer = await registerCustomer(t.url);
      const s = await connectSocket(t.url, pageCustomer.accessToken);
      const own = await emitAck<{ conversation: { customer: Record<string, unknown> } }>(
        s,
        'conversation:open',
        {
          department: 'technical',
        },
      );
      s.disconnect();
      expect(own.ok && own.data.conversation.customer).toEqual({
        id: pageCustomer.user.id,
        username: pageCustomer.user.username,
        name: null,
        email: null,
        verified: null,
      });
    } finally {
      agentSocket.disconnect();
    }
  });
});
