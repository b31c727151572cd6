// AuthService against the real server: login, keychain, rotation, silent login, logout revocation.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createAgent,
  postJson,
  registerCustomer,
  startTestServer,
  type TestServer,
} from '../../../server/test/helpers';
import { AuthService } from './auth';
import { CredentialStore, type Keychain } from './credentials';
import { SettingsStore } from './settings';
import { FakeKeychain } from './test/fakes';

let server: TestServer;
const dirs: string[] = [];

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** One "installation": a userData folder and a keychain; each call of `app()` is a fresh start of the app. */
const installation = (keychain: Keychain | null) => {
  const userData = mkdtempSync(path.join(os.tmpdir(), 'desktop-auth-'));
  dirs.push(userData);
  const app = async () => {
    const settings = SettingsStore.inDirectory(userData);
    await settings.load();
    const credentials = new CredentialStore(async () => keychain);
    return { auth: new AuthService({ fetch, credentials, settings }), settings };
  };
  const files = () =>
    readdirSync(userData, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => readFileSync(path.join(e.parentPath, e.name), 'utf8'))
      .join('\n');
  return { app, files };
};

const newAgent = async () => {
  const agent = await createAgent(server, { departments: ['billing'] });
  // The helper logged in once; that login is not the app's, so revoke it.
  await postJson(`${server.url}/api/auth/logout`, { refreshToken: agent.refreshToken });
  return agent;
};

const me = (accessToken: string) =>
  fetch(`${server.url}/api/me`, { headers: { authorization: `Bearer ${accessToken}` } }).then(
    (r) => r.status,
  );

const refreshStatusAt = async (url: string, refreshToken: string) =>
  (await postJson(`${url}/api/auth/refresh`, { refreshToken })).status;
const refreshStatus = (refreshToken: string) => refreshStatusAt(server.url, refreshToken);

describe('AuthService against the real server', () => {
  it('logs in, keeps only the refresh token in the keychain, rotates it, logs in silently, and revokes it on logout', async () => {
    const agent = await newAgent();
    const keychain = new FakeKeychain();
    const install = installation(keychain);
    const { auth } = await install.app();

    const login = await auth.login({
      serverUrl: server.url,
      username: agent.user.username,
      password: agent.password,
    });
    expect(login.ok).toBe(true);
    if (!login.ok) return;
    expect(login.data).toEqual({ serverUrl: server.url, user: agent.user, keychain: 'available' });

    const account = `SupportChat/${server.url}|${agent.user.username.toLowerCase()}`;
    const firstRefresh = keychain.entries.get(account)!;
    expect(firstRefresh).toBeTruthy();
    expect([...keychain.entries.keys()]).toEqual([account]);
    expect([...keychain.entries.values()].join()).not.toContain(agent.password);
    // The session given to the renderer and the settings file carry no token and no password.
    expect(JSON.stringify(login.data)).not.toContain(firstRefresh);
    expect(install.files()).not.toContain(firstRefresh);
    expect(install.files()).not.toContain(agent.password);

    const token = await auth.getAccessToken();
    expect(token.ok && (await me(token.data.accessToken))).toBe(200);

    // Rotation: a forced refresh spends the old token and persists the new one.
    const rotated = await auth.getAccessToken(true);
    expect(rotated.ok).toBe(true);
    const secondRefresh = keychain.entries.get(account)!;
    expect(secondRefresh).not.toBe(firstRefresh);

    // Concurrent refreshes share one request: no spent token is presented, so the login survives.
    const many = await Promise.all(Array.from({ length: 5 }, () => auth.getAccessToken(true)));
    expect(many.every((r) => r.ok)).toBe(true);
    expect(new Set(many.map((r) => (r.ok ? r.data.accessToken : '')))).toHaveProperty('size', 1);
    const thirdRefresh = keychain.entries.get(account)!;
    expect(many[0]!.ok && (await me((many[0] as { data: { accessToken: string } }).data.accessToken))).toBe(
      200,
    );

    // A restart: a new AuthService over the same keychain and settings logs in silently.
    const restarted = (await install.app()).auth;
    const session = await restarted.restore();
    expect(session?.user.id).toBe(agent.user.id);
    const fourthRefresh = keychain.entries.get(account)!;
    expect(fourthRefresh).not.toBe(thirdRefresh);
    expect((await restarted.getSessionState()).session?.user.username).toBe(agent.user.username);

    // Logout: gone from the keychain and revoked on the server.
    expect((await restarted.logout()).ok).toBe(true);
    expect(keychain.entries.size).toBe(0);
    expect(await refreshStatus(fourthRefresh)).toBe(401);
    expect((await restarted.getSessionState()).session).toBeNull();
    expect(await (await install.app()).auth.restore()).toBeNull();
  });

  it('without a keychain: logs in for this run only and keeps nothing on disk', async () => {
    const agent = await newAgent();
    const install = installation(null);
    const { auth } = await install.app();
    const login = await auth.login({
      serverUrl: server.url,
      username: agent.user.username,
      password: agent.password,
    });
    expect(login.ok && login.data.keychain).toBe('unavailable');
    expect((await auth.getSessionState()).keychain).toBe('unavailable');
    const token = await auth.getAccessToken(true);
    expect(token.ok && (await me(token.data.accessToken))).toBe(200);
    expect(install.files()).not.toMatch(/refresh|password/i);
    expect(install.files()).not.toContain(agent.password);
    // Next start: nothing to log in with.
    expect(await (await install.app()).auth.restore()).toBeNull();
    await auth.logout();
  });

  it('forgets a refresh token the server refuses, and says why', async () => {
    const agent = await newAgent();
    const keychain = new FakeKeychain();
    const install = installation(keychain);
    const { auth } = await install.app();
    await auth.login({ serverUrl: server.url, username: agent.user.username, password: agent.password });
    const [stored] = [...keychain.entries.values()];
    // Revoked elsewhere (e.g. an owner disabled the login): the silent login must fail cleanly.
    await postJson(`${server.url}/api/auth/logout`, { refreshToken: stored });
    const restarted = (await install.app()).auth;
    expect(await restarted.restore()).toBeNull();
    expect(keychain.entries.size).toBe(0);
    const state = await restarted.getSessionState();
    expect(state.session).toBeNull();
    expect(state.restoreError?.code).toBeTruthy();
  });

  it('refuses customers (this is the agent console) and revokes their login', async () => {
    const customer = await registerCustomer(server.url);
    const keychain = new FakeKeychain();
    const { auth } = await installation(keychain).app();
    const login = await auth.login({
      serverUrl: server.url,
      username: customer.user.username,
      password: customer.password,
    });
    expect(login.ok ? 'ok' : login.error.code).toBe('forbidden');
    expect(keychain.entries.size).toBe(0);
  });

  it('a new login revokes and forgets the login kept from before, on another server or the same one', async () => {
    const other = await startTestServer();
    try {
      const agentA = await createAgent(other, { departments: ['billing'] });
      const keychain = new FakeKeychain();
      const install = installation(keychain);
      const first = await install.app();
      const onA = await first.auth.login({
        serverUrl: other.url,
        username: agentA.user.username,
        password: agentA.password,
      });
      expect(onA.ok).toBe(true);
      const [tokenA] = [...keychain.entries.values()];

      // A failed login keeps what is kept.
      const wrong = await (await install.app()).auth.login({
        serverUrl: server.url,
        username: agentA.user.username,
        password: 'wrong-password',
      });
      expect(wrong.ok).toBe(false);
      expect([...keychain.entries.values()]).toEqual([tokenA]);

      // Same server, same user, after a restart without a silent login: the old token is revoked, the new kept.
      const again = await (await install.app()).auth.login({
        serverUrl: other.url,
        username: agentA.user.username,
        password: agentA.password,
      });
      expect(again.ok).toBe(true);
      expect(await refreshStatusAt(other.url, tokenA as string)).toBe(401);
      const [tokenA2] = [...keychain.entries.values()];
      expect(keychain.entries.size).toBe(1);
      expect(tokenA2).not.toBe(tokenA);

      // Server A goes away: the silent login fails, the agent logs in to another server instead.
      await other.close();
      const restarted = (await install.app()).auth;
      expect(await restarted.restore()).toBeNull();
      expect((await restarted.getSessionState()).restoreError?.code).toBe('unavailable');
      const agentB = await newAgent();
      const onB = await restarted.login({
        serverUrl: server.url,
        username: agentB.user.username,
        password: agentB.password,
      });
      expect(onB.ok).toBe(true);
      expect([...keychain.entries.keys()]).toEqual([
        `SupportChat/${server.url}|${agentB.user.username.toLowerCase()}`,
      ]);
    } finally {
      await other.close();
    }
  });

  it('deletes (never sends) the token kept for a saved server URL that the rule no longer allows', async () => {
    const keychain = new FakeKeychain();
    const install = installation(keychain);
    const { settings } = await install.app();
    await settings.update({ serverUrl: 'http://chat.example.com', lastUsername: 'ann' });
    await keychain.setPassword('SupportChat', 'http://chat.example.com|ann', 'old-refresh-token');
    const restarted = (await install.app()).auth;
    expect(await restarted.restore()).toBeNull();
    expect(keychain.entries.size).toBe(0);
  });

  it('answers wrong passwords and unreachable servers with clear errors', async () => {
    const agent = await newAgent();
    const { auth } = await installation(new FakeKeychain()).app();
    const wrong = await auth.login({
      serverUrl: server.url,
      username: agent.user.username,
      password: 'wrong-password',
    });
    expect(wrong.ok ? 'ok' : wrong.error.code).toBe('invalid_credentials');
    const nowhere = await auth.login({ serverUrl: 'http://127.0.0.1:1', username: 'x', password: 'y' });
    expect(nowhere.ok ? 'ok' : nowhere.error.code).toBe('unavailable');
  });
});
