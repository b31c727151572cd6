// Login, silent login, refresh rotation and logout, all in main: the refresh token never reaches the renderer.
import {
  type ApiError,
  type AuthResponse,
  type AuthTokens,
  fail,
  ok,
  type Result,
  type User,
} from '@support-chat/protocol';
import type { KeychainStatus, LoginRequest, Session, SessionState } from '../common/ipc';
import type { CredentialStore } from './credentials';
import { createLogger } from './logger';
import type { SettingsStore } from './settings';

const log = createLogger('auth');

/** Refresh this long before the access token expires. */
const REFRESH_MARGIN_MS = 60_000;
/** When a token carries no readable `exp`, assume the shortest lifetime the server may use. */
const FALLBACK_LIFETIME_MS = 5 * 60_000;

/** Reads `exp` of a JWT without verifying it (the server verifies); only to know when to refresh. */
export const accessTokenExpiry = (token: string, issuedAt: number): number => {
  try {
    const payload = token.split('.')[1];
    if (!payload) return issuedAt + FALLBACK_LIFETIME_MS;
    const json = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown };
    if (typeof json.exp === 'number') return json.exp * 1000;
  } catch {
    // Not a JWT: fall through to the conservative default.
  }
  return issuedAt + FALLBACK_LIFETIME_MS;
};

interface LoggedIn {
  serverUrl: string;
  user: User;
  accessToken: string;
  accessExpiresAt: number;
  refreshToken: string;
  keychain: KeychainStatus;
}

export interface AuthDeps {
  fetch: typeof fetch;
  credentials: CredentialStore;
  settings: SettingsStore;
  now?: () => number;
}

const unreachable = (serverUrl: string): Result<never> =>
  fail('unavailable', `Cannot reach the server at ${serverUrl}. Check the address and your connection.`);

export class AuthService {
  private current: LoggedIn | null = null;
  private refreshing: Promise<Result<LoggedIn>> | null = null;
  private restoreError: ApiError | null = null;
  private readonly now: () => number;

  constructor(private readonly deps: AuthDeps) {
    this.now = deps.now ?? Date.now;
  }

  private async post<T>(serverUrl: string, path: string, body: unknown, token?: string): Promise<Result<T>> {
    let response: Response;
    try {
      response = await this.deps.fetch(`${serverUrl}${path}`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json',
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
        redirect: 'error',
        signal: AbortSignal.timeout(15_000),
      });
    } catch {
      return unreachable(serverUrl);
    }
    if (response.status === 204) return ok(null as T);
    let json: unknown = null;
    try {
      json = await response.json();
    } catch {
      // An empty or non-JSON body is handled below by status.
    }
    if (response.ok) return ok(json as T);
    const error = (json as { error?: ApiError } | null)?.error;
    if (error && typeof error.code === 'string') return { ok: false, error };
    return fail(
      response.status === 401 ? 'unauthorized' : 'unavailable',
      `The server answered ${response.status}.`,
    );
  }

  private session(state: LoggedIn): Session {
    return { serverUrl: state.serverUrl, user: state.user, keychain: state.keychain };
  }

  async getSessionState(): Promise<SessionState> {
    // A silent login that failed because the server was unreachable is tried again on each ask.
    if (!this.current && this.restoreError?.code === 'unavailable') await this.restore();
    return {
      session: this.current ? this.session(this.current) : null,
      keychain: this.current?.keychain ?? (await this.deps.credentials.availability()),
      restoreError: this.current ? null : this.restoreError,
    };
  }

  async login(request: LoginRequest): Promise<Result<Session>> {
    if (this.current) await this.logout();
    const answer = await this.post<AuthResponse>(request.serverUrl, '/api/auth/login', {
      username: request.username,
      password: request.password,
    });
    if (!answer.ok) return answer;
    const { user, accessToken, refreshToken } = answer.data;
    if (user.role === 'customer') {
      await this.post(request.serverUrl, '/api/auth/logout', { refreshToken });
      return fail('forbidden', 'This app is for support agents. Customers chat on the web page.');
    }
    const saved = await this.deps.credentials.saveRefreshToken(
      request.serverUrl,
      user.username,
      refreshToken,
    );
    this.current = {
      serverUrl: request.serverUrl,
      user,
      accessToken,
      accessExpiresAt: accessTokenExpiry(accessToken, this.now()),
      refreshToken,
      keychain: saved ? 'available' : 'unavailable',
    };
    this.restoreError = null;
    await this.deps.settings.update({ serverUrl: request.serverUrl, lastUsername: user.username });
    log.info({ userId: user.id, keychain: this.current.keychain }, 'logged in');
    return ok(this.session(this.current));
  }

  /** Silent login at start: the refresh token from the keychain buys a fresh pair of tokens. */
  async restore(): Promise<Session | null> {
    const { serverUrl, lastUsername } = this.deps.settings.get();
    if (!lastUsername) return null;
    const stored = await this.deps.credentials.readRefreshToken(serverUrl, lastUsername);
    if (!stored) return null;
    const tokens = await this.post<AuthTokens>(serverUrl, '/api/auth/refresh', { refreshToken: stored });
    if (!tokens.ok) {
      this.restoreError = tokens.error;
      // A refused token is dead for good: forget it. An unreachable server keeps it for the next try.
      if (tokens.error.code !== 'unavailable' && tokens.error.code !== 'rate_limited') {
        await this.deps.credentials.deleteRefreshToken(serverUrl, lastUsername);
      }
      log.warn({ code: tokens.error.code }, 'silent login failed');
      return null;
    }
    const saved = await this.deps.credentials.saveRefreshToken(
      serverUrl,
      lastUsername,
      tokens.data.refreshToken,
    );
    const me = await this.get<{ user: User }>(serverUrl, '/api/me', tokens.data.accessToken);
    if (!me.ok) {
      this.restoreError = me.error;
      return null;
    }
    this.current = {
      serverUrl,
      user: me.data.user,
      accessToken: tokens.data.accessToken,
      accessExpiresAt: accessTokenExpiry(tokens.data.accessToken, this.now()),
      refreshToken: tokens.data.refreshToken,
      keychain: saved ? 'available' : 'unavailable',
    };
    this.restoreError = null;
    log.info({ userId: me.data.user.id }, 'silent login from the keychain');
    return this.session(this.current);
  }

  private async get<T>(serverUrl: string, path: string, token: string): Promise<Result<T>> {
    try {
      const response = await this.deps.fetch(`${serverUrl}${path}`, {
        headers: { Accept: 'application/json', Authorization: `Bearer ${token}` },
        redirect: 'error',
        signal: AbortSignal.timeout(15_000),
      });
      const json = (await response.json().catch(() => null)) as { error?: ApiError } | null;
      if (response.ok) return ok(json as T);
      return json?.error
        ? { ok: false, error: json.error }
        : fail('unavailable', `The server answered ${response.status}.`);
    } catch {
      return unreachable(serverUrl);
    }
  }

  /** A valid access token, refreshed (and the rotated refresh token persisted) when close to expiry. */
  async getAccessToken(forceRefresh = false): Promise<Result<{ accessToken: string }>> {
    const state = this.current;
    if (!state) return fail('unauthorized', 'Not logged in.');
    if (!forceRefresh && state.accessExpiresAt - this.now() > REFRESH_MARGIN_MS) {
      return ok({ accessToken: state.accessToken });
    }
    const refreshed = await this.refresh();
    return refreshed.ok ? ok({ accessToken: refreshed.data.accessToken }) : refreshed;
  }

  /** One refresh at a time: two concurrent ones would present a spent token and revoke the whole login. */
  private refresh(): Promise<Result<LoggedIn>> {
    if (!this.refreshing) {
      this.refreshing = this.doRefresh().finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  private async doRefresh(): Promise<Result<LoggedIn>> {
    const state = this.current;
    if (!state) return fail('unauthorized', 'Not logged in.');
    const tokens = await this.post<AuthTokens>(state.serverUrl, '/api/auth/refresh', {
      refreshToken: state.refreshToken,
    });
    if (this.current !== state) return fail('unauthorized', 'Logged out.');
    if (!tokens.ok) {
      if (tokens.error.code !== 'unavailable' && tokens.error.code !== 'rate_limited') {
        log.warn({ userId: state.user.id, code: tokens.error.code }, 'refresh refused, session ended');
        await this.deps.credentials.deleteRefreshToken(state.serverUrl, state.user.username);
        this.current = null;
        return fail('unauthorized', 'Your session has ended. Please log in again.');
      }
      return tokens;
    }
    const saved =
      state.keychain === 'available' &&
      (await this.deps.credentials.saveRefreshToken(
        state.serverUrl,
        state.user.username,
        tokens.data.refreshToken,
      ));
    const next: LoggedIn = {
      ...state,
      accessToken: tokens.data.accessToken,
      accessExpiresAt: accessTokenExpiry(tokens.data.accessToken, this.now()),
      refreshToken: tokens.data.refreshToken,
      keychain: saved ? 'available' : 'unavailable',
    };
    this.current = next;
    return ok(next);
  }

  /** Revokes the login on the server and removes the refresh token from the keychain, even if offline. */
  async logout(): Promise<Result<null>> {
    const state = this.current;
    const { serverUrl, lastUsername } = this.deps.settings.get();
    this.current = null;
    this.restoreError = null;
    if (state) {
      const revoked = await this.post(state.serverUrl, '/api/auth/logout', {
        refreshToken: state.refreshToken,
      });
      if (!revoked.ok)
        log.warn({ userId: state.user.id, code: revoked.error.code }, 'server-side revoke failed');
      await this.deps.credentials.deleteRefreshToken(state.serverUrl, state.user.username);
      log.info({ userId: state.user.id }, 'logged out');
    } else if (lastUsername) {
      // Not logged in (e.g. the silent login could not reach the server): still revoke and forget what is kept.
      const stored = await this.deps.credentials.readRefreshToken(serverUrl, lastUsername);
      if (stored) await this.post(serverUrl, '/api/auth/logout', { refreshToken: stored });
      await this.deps.credentials.deleteRefreshToken(serverUrl, lastUsername);
    }
    return ok(null);
  }

  get serverUrl(): string | null {
    return this.current?.serverUrl ?? null;
  }
}
