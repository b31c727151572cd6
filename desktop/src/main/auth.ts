// Login, silent login, refresh rotation and logout, all in main: the refresh token never reaches the renderer.
// The HTTP side is the chat client's session layer; this adds the keychain and the agents-only rule.
import { type ApiError, fail, ok, type Result, type User } from '@support-chat/protocol';
import { Session } from '@support-chat/protocol/session';
import type { KeychainStatus, LoginRequest, SessionState, Session as SessionView } from '../common/ipc';
import type { CredentialStore } from './credentials';
import { createLogger } from './logger';
import type { SettingsStore } from './settings';

const log = createLogger('auth');

/** Refresh this long before the access token expires. */
const REFRESH_MARGIN_MS = 60_000;

/** Where a login's refresh token is kept; `username` is null until the login is accepted (agents only). */
interface Account {
  serverUrl: string;
  username: string | null;
  keychain: KeychainStatus;
}

interface LoggedIn {
  session: Session;
  account: Account;
  user: User;
}

export interface AuthDeps {
  fetch?: typeof fetch;
  credentials: CredentialStore;
  settings: SettingsStore;
}

export class AuthService {
  private current: LoggedIn | null = null;
  private restoreError: ApiError | null = null;
  /** Keychain writes in the order the session rotated the token; awaited before answering. */
  private writes: Promise<void> = Promise.resolve();

  constructor(private readonly deps: AuthDeps) {}

  /** A session whose every rotation replaces the kept token, and whose end (refused, logged out) removes it. */
  private open(account: Account, refreshToken?: string): Session {
    return new Session({
      baseUrl: account.serverUrl,
      refreshToken,
      fetch: this.deps.fetch,
      onRefreshToken: (token) => {
        this.writes = this.writes.then(() => this.keep(account, token));
      },
    });
  }

  private async keep(account: Account, token: string | null): Promise<void> {
    const { serverUrl, username } = account;
    if (username === null) return;
    if (token === null) await this.deps.credentials.deleteRefreshToken(serverUrl, username);
    else if (account.keychain === 'available') {
      const saved = await this.deps.credentials.saveRefreshToken(serverUrl, username, token);
      account.keychain = saved ? 'available' : 'unavailable';
    }
  }

  private view(state: LoggedIn): SessionView {
    return { serverUrl: state.account.serverUrl, user: state.user, keychain: state.account.keychain };
  }

  async getSessionState(): Promise<SessionState> {
    // A silent login that failed because the server was unreachable is tried again on each ask.
    if (!this.current && this.restoreError?.code === 'unavailable') await this.restore();
    return {
      session: this.current ? this.view(this.current) : null,
      keychain: this.current?.account.keychain ?? (await this.deps.credentials.availability()),
      restoreError: this.current ? null : this.restoreError,
    };
  }

  async login(request: LoginRequest): Promise<Result<SessionView>> {
    if (this.current) await this.logout();
    // A login kept from before (its silent login failed): revoked and forgotten once this login is accepted.
    const stale = await this.kept();
    const account: Account = { serverUrl: request.serverUrl, username: null, keychain: 'available' };
    const session = this.open(account);
    const answer = await session.login({ username: request.username, password: request.password });
    if (!answer.ok) return answer;
    const { user, refreshToken } = answer.data;
    if (user.role === 'customer') {
      await session.logout();
      return fail('forbidden', 'This app is for support agents. Customers chat on the web page.');
    }
    if (stale) {
      const revoked = await stale.session.logout();
      if (!revoked.ok) log.warn({ code: revoked.error.code }, 'revoking the previous login failed');
      await this.writes;
    }
    account.username = user.username;
    const saved = await this.deps.credentials.saveRefreshToken(
      account.serverUrl,
      user.username,
      refreshToken,
    );
    account.keychain = saved ? 'available' : 'unavailable';
    this.current = { session, account, user };
    this.restoreError = null;
    await this.deps.settings.update({ serverUrl: request.serverUrl, lastUsername: user.username });
    log.info({ userId: user.id, keychain: account.keychain }, 'logged in');
    return ok(this.view(this.current));
  }

  /** The session of the login kept in the keychain, if one is kept. */
  private async kept(): Promise<{ session: Session; account: Account } | null> {
    const { serverUrl, lastUsername } = this.deps.settings.get();
    if (!lastUsername) return null;
    const stored = await this.deps.credentials.readRefreshToken(serverUrl, lastUsername);
    if (!stored) return null;
    const account: Account = { serverUrl, username: lastUsername, keychain: 'available' };
    return { session: this.open(account, stored), account };
  }

  /** Silent login at start: the refresh token from the keychain buys a fresh pair of tokens. */
  async restore(): Promise<SessionView | null> {
    // Deleted, not revoked: the token must not travel to a server URL the app no longer trusts.
    const dropped = this.deps.settings.takeDiscardedLogin();
    if (dropped) await this.deps.credentials.deleteRefreshToken(dropped.serverUrl, dropped.username);
    const kept = await this.kept();
    if (!kept) return null;
    // A refused token is forgotten by the session (and so the keychain); an unreachable server keeps it.
    const me = await kept.session.resume();
    await this.writes;
    if (!me.ok) {
      this.restoreError = me.error;
      log.warn({ code: me.error.code }, 'silent login failed');
      return null;
    }
    this.current = { ...kept, user: me.data.user };
    this.restoreError = null;
    log.info({ userId: me.data.user.id }, 'silent login from the keychain');
    return this.view(this.current);
  }

  /** A valid access token, refreshed (and the rotated refresh token persisted) when close to expiry. */
  async getAccessToken(forceRefresh = false): Promise<Result<{ accessToken: string }>> {
    const state = this.current;
    if (!state) return fail('unauthorized', 'Not logged in.');
    if (forceRefresh) state.session.markStale();
    const refreshed = await state.session.ensureFresh(REFRESH_MARGIN_MS);
    await this.writes;
    const { accessToken, user } = state.session;
    if (refreshed.ok && accessToken) return ok({ accessToken });
    // Still logged in: a transient failure (server down, rate limited) the renderer tries again later.
    if (user && !refreshed.ok) return refreshed;
    log.warn({ userId: state.user.id }, 'refresh refused, session ended');
    if (this.current === state) this.current = null;
    return fail('unauthorized', 'Your session has ended. Please log in again.');
  }

  /** Revokes the login on the server and removes the refresh token from the keychain, even if offline. */
  async logout(): Promise<Result<null>> {
    const state = this.current;
    this.current = null;
    this.restoreError = null;
    // Not logged in (e.g. the silent login could not reach the server): still revoke and forget what is kept.
    const target = state ?? (await this.kept());
    if (target) {
      const revoked = await target.session.logout();
      if (!revoked.ok) log.warn({ code: revoked.error.code }, 'server-side revoke failed');
      await this.writes;
      if (state) log.info({ userId: state.user.id }, 'logged out');
    }
    return ok(null);
  }

  get serverUrl(): string | null {
    return this.current?.account.serverUrl ?? null;
  }
}
