// The owner console's API against a real server and database: every endpoint refuses other roles, validates with
// the API's messages, does what it says (an agent it creates logs in; one it disables loses their socket) and
// leaves an audit entry naming the owner, without passwords or secrets.
import { randomUUID } from 'node:crypto';
import type { AdminAgent, AuditEntry } from '@support-chat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectSocket,
  createAgent,
  postJson,
  randomName,
  registerCustomer,
  type Session,
  startTestServer,
  type TestServer,
  waitForDisconnect,
} from '../../../test/helpers';

let t: TestServer;
let ownerToken: string;
let agent: Session;
let customer: Session;

// biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field with expect
type Json = any;

async function call(
  method: string,
  path: string,
  token: string | null,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${t.url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}
const asOwner = (method: string, path: string, body?: unknown) => call(method, path, ownerToken, body);

const login = (username: string, password: string) =>
  postJson(`${t.url}/api/auth/login`, { username, password });

async function lastAudit(): Promise<AuditEntry> {
  const res = await asOwner('GET', '/api/admin/audit?limit=1');
  expect(res.status).toBe(200);
  return res.body.entries[0];
}

beforeAll(async () => {
  t = await startTestServer({ env: { USER_RECHECK_MS: '300' } });
  const ownerName = randomName('owner');
  const password = `pw-${randomUUID()}`;
  const created = await t.server.services.owner.createOwner(
    { kind: 'cli', osUser: 'test' },
    { username: ownerName, email: `${ownerName}@example.test`, password },
  );
  expect(created.ok).toBe(true);
  const res = await login(ownerName, password);
  expect(res.status).toBe(200);
  expect((res.body as Session).user.role).toBe('owner');
  ownerToken = (res.body as Session).accessToken;
  agent = await createAgent(t, { departments: ['billing'] });
  customer = await registerCustomer(t.url);
});
afterAll(async () => {
  await t?.close();
});

const ENDPOINTS: [string, string, unknown?][] = [
  ['GET', '/api/admin/departments'],
  ['POST', '/api/admin/departments', { id: 'x-dept', name: 'X' }],
  ['PATCH', '/api/admin/departments/billing', { name: 'Hacked' }],
  ['GET', '/api/admin/agents'],
  ['POST', '/api/admin/agents', { username: 'x', email: 'x@x.x', password: 'xxxxxxxx', departments: ['hr'] }],
  ['POST', '/api/admin/agents/0123456789abcdef01234567/disable', {}],
  ['POST', '/api/admin/agents/0123456789abcdef01234567/enable', {}],
  ['POST', '/api/admin/agents/0123456789abcdef01234567/password', { password: 'xxxxxxxx' }],
  ['PUT', '/api/admin/agents/0123456789abcdef01234567/departments', { departments: ['hr'] }],
  ['GET', '/api/admin/sites'],
  ['POST', '/api/admin/sites', { id: 'evil', name: 'Evil', origins: ['https://evil.example'] }],
  ['PATCH', '/api/admin/sites/evil', { identity: 'off' }],
  ['POST', '/api/admin/sites/evil/rotate-secret', {}],
  ['POST', '/api/admin/sites/evil/end-sessions', {}],
  ['GET', '/api/admin/canned-replies'],
  ['POST', '/api/admin/canned-replies', { department: 'hr', shortcut: 'x', title: 'x', text: 'x' }],
  ['DELETE', '/api/admin/canned-replies/0123456789abcdef01234567'],
  ['GET', '/api/admin/audit'],
];

describe('who may use /api/admin', () => {
  it('answers 401 without a token and 403 to agents and customers on every endpoint, changing nothing', async () => {
    const before = (await asOwner('GET', '/api/admin/audit?limit=200')).body.entries.length;
    for (const [method, path, body] of ENDPOINTS) {
      const anonymous = await call(method, path, null, body);
      expect(anonymous.status, `${method} ${path} anonymous`).toBe(401);
      expect(anonymous.body.error.code).toBe('unauthorized');
      for (const who of [agent, customer]) {
        const res = await call(method, path, who.accessToken, body);
        expect(res.status, `${method} ${path} as ${who.user.role}`).toBe(403);
        expect(res.body.error.code).toBe('forbidden');
      }
    }
    expect((await asOwner('GET', '/api/admin/departments')).body.departments).not.toContainEqual(
      expect.objectContaining({ id: 'x-dept' }),
    );
    expect((await asOwner('GET', '/api/admin/audit?limit=200')).body.entries.length).toBe(before);
  });

  it('honours no cookie: a cross-site request with a cookie but no bearer token is 401', async () => {
    const res = await call(
      'POST',
      '/api/admin/departments',
      null,
      { id: 'csrf', name: 'CSRF' },
      {
        origin: 'https://evil.example',
        cookie: 'sc_refresh=whatever',
      },
    );
    expect(res.status).toBe(401);
  });
});

describe('departments', () => {
  it('creates and renames a department, audited; validation and conflicts as the API answers them', async () => {
    const created = await asOwner('POST', '/api/admin/departments', { id: 'returns', name: 'Returns' });
    expect(created.status).toBe(201);
    expect(created.body.department).toEqual({ id: 'returns', name: 'Returns' });
    expect(await lastAudit()).toMatchObject({
      action: 'department.create',
      target: 'returns',
      actor: { kind: 'owner', username: expect.stringMatching(/^owner_/) },
    });
    expect((await asOwner('POST', '/api/admin/departments', { id: 'returns', name: 'Again' })).status).toBe(
      409,
    );

    const bad = await asOwner('POST', '/api/admin/departments', { id: 'Bad Id', name: '' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_input');
    expect(bad.body.error.issues).toContainEqual({
      path: 'id',
      message: 'must be 2-32 lowercase letters, digits or dashes, starting with a letter',
    });
    const extra = await asOwner('POST', '/api/admin/departments', { id: 'ok-id', name: 'Ok', role: 'owner' });
    expect(extra.status).toBe(400);
    const operator = await asOwner('PATCH', '/api/admin/departments/returns', { name: { $ne: '' } });
    expect(operator.status).toBe(400);

    const renamed = await asOwner('PATCH', '/api/admin/departments/returns', { name: 'Returns & Refunds' });
    expect(renamed.status).toBe(200);
    expect(await lastAudit()).toMatchObject({
      action: 'department.rename',
      target: 'returns',
      details: { name: 'Returns & Refunds' },
    });
    const listed = (await fetch(`${t.url}/api/departments`).then((r) => r.json())) as {
      departments: { id: string; name: string }[];
    };
    expect(listed.departments).toContainEqual(
      expect.objectContaining({ id: 'returns', name: 'Returns & Refunds' }),
    );
    expect((await asOwner('PATCH', '/api/admin/departments/nope', { name: 'N' })).status).toBe(404);
  });
});

describe('agents', () => {
  it('creates an agent who logs in; disable ends their socket and logins, enable lets them back', async () => {
    const username = randomName('newagent');
    const password = `pw-${randomUUID()}`;
    const created = await asOwner('POST', '/api/admin/agents', {
      username,
      email: `${username}@example.test`,
      password,
      departments: ['billing', 'sales'],
    });
    expect(created.status).toBe(201);
    const a = created.body.agent as AdminAgent;
    expect(a).toMatchObject({ username, role: 'agent', departments: ['billing', 'sales'], disabled: false });
    const audit = await lastAudit();
    expect(audit).toMatchObject({ action: 'agent.create', target: username });
    expect(JSON.stringify(audit)).not.toContain(password);

    const session = await login(username, password);
    expect(session.status).toBe(200);
    const socket = await connectSocket(t.url, (session.body as Session).accessToken);
    const ended = waitForDisconnect(socket);
    const disabled = await asOwner('POST', `/api/admin/agents/${a.id}/disable`, {});
    expect(disabled.status).toBe(200);
    expect(disabled.body.agent.disabled).toBe(true);
    await ended;
    expect((await login(username, password)).status).toBe(401);
    expect(await lastAudit()).toMatchObject({ action: 'user.disable', target: username });

    expect((await asOwner('POST', `/api/admin/agents/${a.id}/enable`)).status).toBe(200);
    expect((await login(username, password)).status).toBe(200);

    const next = `pw-${randomUUID()}`;
    expect((await asOwner('POST', `/api/admin/agents/${a.id}/password`, { password: 'short' })).status).toBe(
      400,
    );
    expect((await asOwner('POST', `/api/admin/agents/${a.id}/password`, { password: next })).status).toBe(
      200,
    );
    expect((await login(username, password)).status).toBe(401);
    expect((await login(username, next)).status).toBe(200);
    const resetAudit = await lastAudit();
    expect(resetAudit).toMatchObject({ action: 'user.reset_password', target: username });
    expect(JSON.stringify(resetAudit)).not.toContain(next);

    const moved = await asOwner('PUT', `/api/admin/agents/${a.id}/departments`, { departments: ['hr'] });
    expect(moved.status).toBe(200);
    expect(moved.body.agent.departments).toEqual(['hr']);
    expect(
      (await asOwner('PUT', `/api/admin/agents/${a.id}/departments`, { departments: ['nope'] })).status,
    ).toBe(404);
    expect((await asOwner('PUT', `/api/admin/agents/${a.id}/departments`, { departments: [] })).status).toBe(
      400,
    );
    const list = await asOwner('GET', '/api/admin/agents');
    expect(list.body.agents).toContainEqual(expect.objectContaining({ id: a.id, departments: ['hr'] }));
  });

  it('refuses taken names, unknown departments, bad ids, and non-agents by id', async () => {
    const taken = await asOwner('POST', '/api/admin/agents', {
      username: agent.user.username,
      email: 'other@example.test',
      password: 'long enough',
      departments: ['billing'],
    });
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe('username_taken');
    const unknown = await asOwner('POST', '/api/admin/agents', {
      username: randomName('a'),
      email: `${randomName('a')}@example.test`,
      password: 'long enough',
      departments: ['nope'],
    });
    expect(unknown.status).toBe(404);
    const badName = await asOwner('POST', '/api/admin/agents', {
      username: 'x',
      email: 'not-an-email',
      password: 'long enough',
      departments: ['billing'],
    });
    expect(badName.status).toBe(400);
    expect(badName.body.error.issues).toEqual(
      expect.arrayContaining([
        { path: 'username', message: 'must be at least 3 characters' },
        { path: 'email', message: 'must be an email address' },
      ]),
    );
    expect((await asOwner('POST', '/api/admin/agents/not-an-id/disable', {})).status).toBe(400);
    // A customer is not an agent: the console does not reach them through the agents endpoints.
    expect((await asOwner('POST', `/api/admin/agents/${customer.user.id}/disable`, {})).status).toBe(404);
  });
});

describe('sites', () => {
  it('creates a site (secret once), rotates its secret and ends its sessions, audited without secrets', async () => {
    const bad = await asOwner('POST', '/api/admin/sites', {
      id: 'shop',
      name: 'Shop',
      origins: ['http://shop.example'],
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.error)).toMatch(/not an origin like https:\/\/shop\.example/);

    const created = await asOwner('POST', '/api/admin/sites', {
      id: 'shop',
      name: 'Shop',
      origins: ['https://shop.example'],
      departments: ['billing'],
      identity: 'required',
    });
    expect(created.status).toBe(201);
    expect(created.body.site).toMatchObject({ id: 'shop', identity: 'required', departments: ['billing'] });
    expect(created.body.secret).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(
      (await asOwner('POST', '/api/admin/sites', { id: 'shop', name: 'S', origins: ['https://a.b'] })).status,
    ).toBe(409);

    const listed = await asOwner('GET', '/api/admin/sites');
    expect(JSON.stringify(listed.body)).not.toContain(created.body.secret);
    expect(listed.body.sites).toContainEqual(expect.objectContaining({ id: 'shop' }));

    const rotated = await asOwner('POST', '/api/admin/sites/shop/rotate-secret', {});
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(created.body.secret);
    expect((await asOwner('POST', '/api/admin/sites/none/rotate-secret', {})).status).toBe(404);
    expect((await asOwner('POST', '/api/admin/sites/shop/end-sessions', {})).body).toEqual({ sessions: 0 });

    const entries = (await asOwner('GET', '/api/admin/audit?limit=3')).body.entries as AuditEntry[];
    expect(entries.map((e) => e.action)).toEqual(['site.end_sessions', 'site.rotate_secret', 'site.create']);
    const raw = await t.server.store.db.collection('audit_log').find({}).toArray();
    expect(JSON.stringify(raw)).not.toContain(created.body.secret);
    expect(JSON.stringify(raw)).not.toContain(rotated.body.secret);
  });
});

describe('editing a site', () => {
  it('changes origins, departments and identity, checked as at creation; framing follows at once; audited', async () => {
    const created = await asOwner('POST', '/api/admin/sites', {
      id: 'garden',
      name: 'Garden',
      origins: ['http://localhost:7001'],
      departments: ['billing'],
      identity: 'optional',
    });
    expect(created.status).toBe(201);
    const frameAncestors = async () => {
      const res = await fetch(`${t.url}/widget/frame?site=garden`);
      await res.body?.cancel();
      return /frame-ancestors ([^;]*)/.exec(res.headers.get('content-security-policy') ?? '')?.[1];
    };
    expect(await frameAncestors()).toBe('http://localhost:7001');

    // The API's own messages for what creation refuses too.
    const refusals: [unknown, number, RegExp][] = [
      [{ origins: ['http://garden.example'] }, 400, /not an origin like https:\/\/shop\.example/],
      [{ origins: [] }, 400, /at least one origin/],
      [{ departments: ['nope'] }, 404, /No such department: nope/],
      [{ identity: 'sometimes' }, 400, /identity/],
      [{}, 400, /nothing to change/],
      [{ secret: 'x' }, 400, /secret/],
    ];
    for (const [body, status, message] of refusals) {
      const res = await asOwner('PATCH', '/api/admin/sites/garden', body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(JSON.stringify(res.body.error), JSON.stringify(body)).toMatch(message);
    }
    expect((await asOwner('PATCH', '/api/admin/sites/none', { identity: 'off' })).status).toBe(404);

    const changed = await asOwner('PATCH', '/api/admin/sites/garden', {
      origins: ['https://garden.example', 'https://www.garden.example/'],
      departments: ['billing', 'technical'],
    });
    expect(changed.status).toBe(200);
    expect(changed.body.site).toMatchObject({
      id: 'garden',
      name: 'Garden',
      origins: ['https://garden.example', 'https://www.garden.example'],
      departments: ['billing', 'technical'],
      identity: 'optional',
    });
    expect(await frameAncestors()).toBe('https://garden.example https://www.garden.example');
    const info = (await (await fetch(`${t.url}/api/widget/sites/garden`)).json()) as {
      site: { departments: { id: string }[] };
    };
    expect(info.site.departments.map((d) => d.id)).toEqual(['billing', 'technical']);
    const audit = await lastAudit();
    expect(audit).toMatchObject({
      action: 'site.update',
      target: 'garden',
      details: { origins: ['https://garden.example', 'https://www.garden.example/'] },
    });
  });

  it('requiring identity ends the anonymous visitors’ widget logins, and their credentials stop working', async () => {
    await asOwner('POST', '/api/admin/sites', {
      id: 'orchard',
      name: 'Orchard',
      origins: ['https://orchard.example'],
      identity: 'optional',
    });
    const started = await postJson(`${t.url}/api/widget/sessions`, { site: 'orchard' });
    expect(started.status).toBe(201);
    const v = started.body as { accessToken: string; credential: string };
    const socket = await connectSocket(t.url, v.accessToken);
    const ended = waitForDisconnect(socket, 15_000);
    const changed = await asOwner('PATCH', '/api/admin/sites/orchard', { identity: 'required' });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ site: { identity: 'required' }, visitorSessionsEnded: 1 });
    expect(await ended).toBe('io server disconnect');
    expect(
      (await postJson(`${t.url}/api/widget/token`, { site: 'orchard', credential: v.credential })).status,
    ).toBe(401);
    expect((await postJson(`${t.url}/api/widget/sessions`, { site: 'orchard' })).status).toBe(403);
  });
});

describe('canned replies', () => {
  it('adds, lists per department and deletes replies; duplicates and unknown departments refused', async () => {
    const body = {
      department: 'billing',
      shortcut: 'refund',
      title: 'Refund',
      text: 'Hi {customer.name}, …',
    };
    const created = await asOwner('POST', '/api/admin/canned-replies', body);
    expect(created.status).toBe(201);
    expect(created.body.reply).toMatchObject(body);
    expect((await asOwner('POST', '/api/admin/canned-replies', body)).status).toBe(409);
    expect((await asOwner('POST', '/api/admin/canned-replies', { ...body, department: 'nope' })).status).toBe(
      404,
    );
    const bad = await asOwner('POST', '/api/admin/canned-replies', {
      ...body,
      shortcut: 'Bad Shortcut',
      text: '',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues).toContainEqual({ path: 'text', message: 'must not be empty' });

    const billing = await asOwner('GET', '/api/admin/canned-replies?department=billing');
    expect(billing.body.replies).toEqual([created.body.reply]);
    expect((await asOwner('GET', '/api/admin/canned-replies?department=hr')).body.replies).toEqual([]);
    expect((await asOwner('GET', '/api/admin/canned-replies?department[$ne]=x')).status).toBe(400);

    const id = created.body.reply.id as string;
    expect((await asOwner('DELETE', `/api/admin/canned-replies/${id}`)).status).toBe(200);
    expect((await asOwner('DELETE', `/api/admin/canned-replies/${id}`)).status).toBe(404);
    expect(await lastAudit()).toMatchObject({ action: 'canned_reply.delete', target: 'billing/refund' });
  });
});

describe('audit log', () => {
  it('pages newest first and validates its query', async () => {
    const first = (await asOwner('GET', '/api/admin/audit?limit=2')).body.entries as AuditEntry[];
    expect(first).toHaveLength(2);
    const next = (await asOwner('GET', `/api/admin/audit?limit=2&before=${first[1]?.id}`)).body
      .entries as AuditEntry[];
    expect((next[0]?.at ?? '') <= (first[1]?.at ?? '')).toBe(true);
    expect(next.map((e) => e.id)).not.toContain(first[0]?.id);
    expect((await asOwner('GET', '/api/admin/audit?limit=0')).status).toBe(400);
    expect((await asOwner('GET', '/api/admin/audit?limit=5&x=1')).status).toBe(400);
  });
});
