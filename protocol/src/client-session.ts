// A login over HTTP: register, login, resume, logout, and the access token kept fresh with one refresh at a
// time. Used by ChatClient (browsers, Node) and by the desktop main process; knows nothing of sockets.
import { badAnswer, httpErrorOf, isUser, localExpiry, notLoggedIn, unavailable } from './client-util';
import { type ApiError, ErrorCode, type Result } from './errors';
import type { AuthResponse, LoginBody, RegisterBody, User } from './types';

export interface SessionOptions {
  /** e.g. 'http://127.0.0.1:3000'; '' = the page's own origin (browser only). */
  baseUrl: string;
  /**
   * 'cookie' (web page): the server keeps the refresh token in an HttpOnly cookie; this client never sees it.
   * 'body' (desktop, tests; the default): the refresh token travels in JSON bodies and is handed to onRefreshToken.
   */
  tokenTransport?: 'cookie' | 'body';
  /** Body mode: the token to resume with (desktop: from the keychain). */
  refreshToken?: string;
  /** Body mode: called on every rotation, and with null on logout or expiry, so the token can be persisted. */
  onRefreshToken?: (token: string | null) => void;
  /**
   * Tokens managed elsewhere (the desktop app's main process keeps the refresh token): asked for an access token
   * instead of refreshing here. `forceRefresh` when the one held is refused or expiring; null = the login is over;
   * a throw = transient (try again later).
   */
  getAccessToken?: (forceRefresh: boolean) => Promise<string | null>;
  /** Timeout of one HTTP request (default 15000). */
  requestTimeoutMs?: number;
  /** Refresh the access token this long before it expires (default 60 s, at most a quarter of its lifetime). */
  refreshLeadMs?: number;
  /** Node only (tests, benchmarks): headers for HTTP and the WebSocket handshake, e.g. an Origin. */
  extraHeaders?: Record<string, string>;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
}

/** What the owner of a session (ChatClient) hears from it; the desktop main process needs none of it. */
export interface SessionHooks {
  /** The logged-in user changed (login, resume, logout, expiry). */
  user?: (user: User | null) => void;
  /** Another user than the last one is logging in: what belonged to the last one must go first. */
  switched?: () => void;
  /** A login started (login, register); `sameUser` when it is the user of the login before. */
  started?: (sameUser: boolean) => void;
  /** A refresh was refused: the login is over (tokens and user are already forgotten). */
  expired?: (announce: boolean, hadSession: boolean) => void;
  /** Whether to refresh ahead of expiry on a timer (ChatClient: while it wants a connection). */
  keepFresh?: () => boolean;
}

type Method = 'GET' | 'POST';
type Timer = ReturnType<typeof setTimeout>;

/** Errors of a refresh that mean the login is over (anything else is transient: retry later). */
const endsSession = (e: ApiError): boolean =>
  e.code === ErrorCode.unauthorized ||
  e.code === ErrorCode.tokenReused ||
  e.code === ErrorCode.invalidCredentials ||
  e.code === ErrorCode.forbidden ||
  e.code === ErrorCode.invalidInput;

/** Web Locks serialise cookie refreshes across tabs (two tabs presenting one token would look like reuse). */
function withRefreshLock<T>(fn: () => Promise<T>): Promise<T> {
  const locks = (
    globalThis as { navigator?: { locks?: { request: (name: string, cb: () => Promise<T>) => Promise<T> } } }
  ).navigator?.locks;
  return typeof locks?.request === 'function' ? locks.request('support-chat-refresh', fn) : fn();
}

export class Session {
  readonly baseUrl: string;
  private readonly cookieMode: boolean;
  private _user: User | null = null;
  /** Kept across the end of a login (not a logout), so a re-login of the same user carries on. */
  private lastUserId: string | null = null;
  private _accessToken: string | null = null;
  private accessExpiresAt: number | null = null;
  private refreshToken: string | null;
  private refreshing: Promise<Result<null>> | null = null;
  private refreshTimer: Timer | undefined;
  /** The access token held was refused: the next use refreshes first. */
  private stale = false;
  /** Bumped when a login starts or ends, so answers that arrive later for the old login are ignored. */
  private gen = 0;

  constructor(
    private readonly opts: SessionOptions,
    private readonly hooks: SessionHooks = {},
  ) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.cookieMode = opts.tokenTransport === 'cookie';
    this.refreshToken = this.cookieMode ? null : (opts.refreshToken ?? null);
  }

  get user(): User | null {
    return this._user;
  }

  get accessToken(): string | null {
    return this._accessToken;
  }

  // ---------------------------------------------------------------- HTTP

  async request<T>(
    method: Method,
    path: string,
    init: { body?: unknown; auth?: boolean; cookie?: boolean } = {},
  ): Promise<Result<T>> {
    const headers: Record<string, string> = { accept: 'application/json', ...this.opts.extraHeaders };
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    if (init.auth && this._accessToken) headers.authorization = `Bearer ${this._accessToken}`;
    const controller = typeof AbortController === 'function' ? new AbortController() : null;
    const timer = controller
      ? setTimeout(() => controller.abort(), this.opts.requestTimeoutMs ?? 15_000)
      : undefined;
    try {
      const res = await (this.opts.fetch ?? fetch)(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        credentials: init.cookie ? 'include' : 'same-origin',
        // The API never redirects; following one would carry a password or token to another address.
        redirect: 'error',
        signal: controller?.signal,
      });
      const text = await res.text();
      let body: unknown = null;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        body = null;
      }
      if (!res.ok) return { ok: false, error: httpErrorOf(res.status, body, res.headers.get('retry-after')) };
      return { ok: true, data: body as T };
    } catch {
      // A typed-in server address (desktop) is worth repeating; the page talks to its own origin.
      return {
        ok: false,
        error: unavailable(
          this.baseUrl
            ? `Cannot reach the server at ${this.baseUrl}. Check the address and your connection.`
            : undefined,
        ),
      };
    } finally {
      clearTimeout(timer);
    }
  }

  /** An authenticated request: refreshes first when the access token is (nearly) expired, and once on a 401. */
  async authed<T>(method: Method, path: string, body?: unknown): Promise<Result<T>> {
    if (!this._accessToken || this.expiresWithin(5000)) {
      const r = await this.refresh();
      if (!r.ok) return r;
    }
    const gen = this.gen;
    const res = await this.request<T>(method, path, { body, auth: true });
    if (res.ok || res.error.code !== ErrorCode.unauthorized || gen !== this.gen) return res;
    const r = await this.refresh();
    if (!r.ok) return r;
    return this.request<T>(method, path, { body, auth: true });
  }

  // ---------------------------------------------------------------- login

  async register(body: RegisterBody): Promise<Result<AuthResponse>> {
    const r = await this.request<AuthResponse>('POST', '/api/auth/register', {
      body,
      cookie: this.cookieMode,
    });
    return r.ok ? this.start(r.data) : r;
  }

  async login(body: LoginBody): Promise<Result<AuthResponse>> {
    const r = await this.request<AuthResponse>('POST', '/api/auth/login', { body, cookie: this.cookieMode });
    return r.ok ? this.start(r.data) : r;
  }

  /** Picks up a login from before (cookie, or the refresh token given in the options), then loads the user. */
  async resume(): Promise<Result<{ user: User }>> {
    const r = await this.refresh(false);
    if (!r.ok) return r;
    const me = await this.authed<{ user: User }>('GET', '/api/me');
    if (!me.ok) return me;
    if (!isUser(me.data?.user)) return { ok: false, error: badAnswer() };
    this.setUser(me.data.user);
    return { ok: true, data: { user: me.data.user } };
  }

  /** Revokes the login on the server and forgets the tokens (locally even when the server is unreachable). */
  async logout(): Promise<Result<null>> {
    if (this.refreshing) await this.refreshing;
    let result: Result<null> = { ok: true, data: null };
    if (this.cookieMode || this.refreshToken) {
      const r = await this.request<null>('POST', '/api/auth/logout', {
        body: this.cookieMode ? {} : { refreshToken: this.refreshToken },
        auth: true,
        cookie: this.cookieMode,
      });
      // A login that is already over on the server is logged out as far as the user is concerned.
      if (!r.ok && !endsSession(r.error)) result = r;
    }
    this.end();
    this.lastUserId = null;
    return result;
  }

  private start(data: AuthResponse): Result<AuthResponse> {
    if (!isUser(data?.user) || typeof data.accessToken !== 'string') return { ok: false, error: badAnswer() };
    const sameUser = this.lastUserId === data.user.id;
    if (this._user && this._user.id !== data.user.id) this.end();
    this.gen++;
    this.setAccessToken(data.accessToken);
    if (!this.cookieMode && typeof data.refreshToken === 'string') this.setRefreshToken(data.refreshToken);
    this.setUser(data.user);
    this.hooks.started?.(sameUser);
    // The web page never holds the refresh token, not even in memory.
    return { ok: true, data: this.cookieMode ? { ...data, refreshToken: '' } : data };
  }

  private setUser(user: User): void {
    if (this.lastUserId !== null && this.lastUserId !== user.id) this.hooks.switched?.();
    this.lastUserId = user.id;
    this._user = user;
    this.hooks.user?.(user);
  }

  private setRefreshToken(token: string | null): void {
    if (this.cookieMode || this.refreshToken === token) return;
    this.refreshToken = token;
    this.opts.onRefreshToken?.(token);
  }

  private setAccessToken(token: string): void {
    this._accessToken = token;
    this.accessExpiresAt = localExpiry(token, Date.now());
    this.stale = false;
    this.scheduleRefresh();
  }

  private expiresWithin(ms: number): boolean {
    return this.accessExpiresAt !== null && this.accessExpiresAt - Date.now() < ms;
  }

  /** Tokens and user forgotten; lastUserId stays (a re-login of the same user carries on). */
  private end(): void {
    this.gen++;
    clearTimeout(this.refreshTimer);
    this._accessToken = null;
    this.accessExpiresAt = null;
    this.setRefreshToken(null);
    if (this._user) {
      this._user = null;
      this.hooks.user?.(null);
    }
  }

  /** The login is over (a refresh was refused, or the server keeps refusing the tokens it gave). */
  expire(announce: boolean): void {
    const hadSession = this._user !== null || this._accessToken !== null || this.refreshToken !== null;
    this.end();
    this.hooks.expired?.(announce, hadSession);
  }

  // ---------------------------------------------------------------- refresh

  /** The access token held was refused by the server: the next ensureFresh refreshes whatever its expiry. */
  markStale(): void {
    this.stale = true;
  }

  /** Refreshes when the access token was refused, is missing or expires within `marginMs`. */
  ensureFresh(marginMs: number): Promise<Result<null>> {
    if (this.stale || !this._accessToken || this.expiresWithin(marginMs)) return this.refresh();
    return Promise.resolve({ ok: true, data: null });
  }

  /** The token for a socket handshake; null when the login changed meanwhile (that handshake must not go on). */
  async handshakeToken(): Promise<string | null> {
    const gen = this.gen;
    await this.ensureFresh(10_000);
    return gen === this.gen ? (this._accessToken ?? '') : null;
  }

  /** One refresh at a time: with rotation, two concurrent ones would spend the same token twice. */
  refresh(announce = true): Promise<Result<null>> {
    if (!this.refreshing) {
      this.refreshing = this.runRefresh(announce).finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  private async runRefresh(announce: boolean): Promise<Result<null>> {
    const gen = this.gen;
    if (this.opts.getAccessToken) return this.refreshFromProvider(this.opts.getAccessToken, gen, announce);
    if (!this.cookieMode && !this.refreshToken) return { ok: false, error: notLoggedIn() };
    const res = await withRefreshLock(() =>
      this.request<{ accessToken?: unknown; refreshToken?: unknown }>('POST', '/api/auth/refresh', {
        body: this.cookieMode ? {} : { refreshToken: this.refreshToken },
        cookie: this.cookieMode,
      }),
    );
    if (gen !== this.gen) return { ok: false, error: notLoggedIn() };
    if (!res.ok) {
      if (endsSession(res.error)) this.expire(announce);
      return res;
    }
    if (typeof res.data?.accessToken !== 'string') return { ok: false, error: badAnswer() };
    if (typeof res.data.refreshToken === 'string') this.setRefreshToken(res.data.refreshToken);
    this.setAccessToken(res.data.accessToken);
    return { ok: true, data: null };
  }

  private async refreshFromProvider(
    provider: (forceRefresh: boolean) => Promise<string | null>,
    gen: number,
    announce: boolean,
  ): Promise<Result<null>> {
    let token: string | null;
    try {
      token = await provider(this._accessToken !== null);
    } catch {
      return { ok: false, error: unavailable() };
    }
    if (gen !== this.gen) return { ok: false, error: notLoggedIn() };
    if (token === null) {
      this.expire(announce);
      return { ok: false, error: notLoggedIn() };
    }
    this.setAccessToken(token);
    return { ok: true, data: null };
  }

  /** While the owner wants it (connected), refresh ahead of expiry so reconnects never wait for a refresh. */
  scheduleRefresh(delayMs?: number): void {
    this.cancelRefresh();
    if (!this.hooks.keepFresh?.() || this.accessExpiresAt === null) return;
    let delay = delayMs;
    if (delay === undefined) {
      const left = this.accessExpiresAt - Date.now();
      const lead = Math.min(this.opts.refreshLeadMs ?? 60_000, left / 4);
      delay = Math.max(0, left - lead);
    }
    const gen = this.gen;
    this.refreshTimer = setTimeout(async () => {
      const r = await this.refresh();
      // Transient failure (server down): try again soon; the reconnect path refreshes too.
      if (!r.ok && gen === this.gen && !endsSession(r.error)) this.scheduleRefresh(5000);
    }, delay);
  }

  cancelRefresh(): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
  }
}
