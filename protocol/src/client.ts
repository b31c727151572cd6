// The typed chat client shared by the web page, the desktop renderer, tests and benchmarks. Runs in browsers and
// Node 20 (fetch, timers, crypto only). Delivery: at-least-once sends with one clientMsgId per message, and a
// sync by seq after every (re)connect, so the UI sees every message exactly once and in order.
import { io, type Socket } from 'socket.io-client';
import { SeqTracker } from './client-seqs';
import { httpErrorOf, isResult, localExpiry, newClientMsgId, unavailable } from './client-util';
import { type ApiError, ErrorCode, type Result } from './errors';
import {
  ClientEvent,
  type ConversationReadEvent,
  type PresenceEvent,
  ServerEvent,
  type TypingEvent,
  UNAUTHORIZED,
} from './events';
import { MAX_SYNC_MESSAGES } from './limits';
import { decideRetry, Outbox, type OutboxItem } from './outbox';
import { describeIssues, messageText, objectId } from './schemas';
import type {
  AuthResponse,
  ConversationSummary,
  Department,
  DepartmentAgent,
  LoginBody,
  Message,
  RegisterBody,
  User,
} from './types';

export { newClientMsgId } from './client-util';
export type { OutboxItem, OutboxStatus } from './outbox';
export { Timeline, type TimelineEntry } from './timeline';

export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'offline';

export interface ChatClientOptions {
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
  /** Default ['websocket', 'polling']: WebSocket first, long-polling as the fallback. */
  transports?: ('websocket' | 'polling')[];
  /** Acknowledgement timeout of one attempt (default 5000); sends are retried with backoff until acknowledged. */
  sendTimeoutMs?: number;
  /** Timeout of one HTTP request (default 15000). */
  requestTimeoutMs?: number;
  /** First reconnection delay (default 500 ms), doubling up to reconnectDelayMaxMs (default 5000 ms). */
  reconnectDelayMs?: number;
  reconnectDelayMaxMs?: number;
  /** Refresh the access token this long before it expires (default 60 s, at most a quarter of its lifetime). */
  refreshLeadMs?: number;
  /** Node only (tests, benchmarks): headers for HTTP and the WebSocket handshake, e.g. an Origin. */
  extraHeaders?: Record<string, string>;
}

export interface ClientEventMap {
  state: ConnectionState;
  /** Live and synced messages, each (conversationId, seq) once. */
  message: Message;
  conversation: ConversationSummary;
  read: ConversationReadEvent;
  typing: TypingEvent;
  presence: PresenceEvent;
  /** The login is over (refresh refused): show the login form. */
  sessionExpired: undefined;
  /** Pending and failed sends changed (snapshots, oldest first). */
  outbox: OutboxItem[];
  /** The logged-in user changed (login, resume, logout, expiry). */
  user: User | null;
}

type Listener = (payload: never) => void;
type Timer = ReturnType<typeof setTimeout>;

/** After this many failed attempts in a row, 'reconnecting' shows as 'offline' (retries continue). */
const OFFLINE_AFTER_FAILURES = 3;
/** A live `typing: true` is re-sent at most this often per conversation. */
const TYPING_INTERVAL_MS = 2000;
/** How long a seq gap in live messages may last before a sync fills it (a racing broadcast may still come). */
const GAP_SYNC_DELAY_MS = 300;
const SYNC_CONCURRENCY = 4;

const notLoggedIn = (): ApiError => ({ code: ErrorCode.unauthorized, message: 'You are not logged in.' });
const badAnswer = (): ApiError => ({
  code: ErrorCode.internal,
  message: 'Unexpected answer from the server.',
});

/** Errors of a refresh that mean the login is over (anything else is transient: retry later). */
const endsSession = (e: ApiError): boolean =>
  e.code === ErrorCode.unauthorized ||
  e.code === ErrorCode.tokenReused ||
  e.code === ErrorCode.invalidCredentials ||
  e.code === ErrorCode.forbidden ||
  e.code === ErrorCode.invalidInput;

const isMessage = (m: unknown): m is Message =>
  typeof m === 'object' &&
  m !== null &&
  typeof (m as Message).conversationId === 'string' &&
  Number.isInteger((m as Message).seq) &&
  typeof (m as Message).clientMsgId === 'string';

const isUser = (u: unknown): u is User =>
  typeof u === 'object' &&
  u !== null &&
  typeof (u as User).id === 'string' &&
  typeof (u as User).role === 'string';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Web Locks serialise cookie refreshes across tabs (two tabs presenting one token would look like reuse). */
function withRefreshLock<T>(fn: () => Promise<T>): Promise<T> {
  const locks = (
    globalThis as { navigator?: { locks?: { request: (name: string, cb: () => Promise<T>) => Promise<T> } } }
  ).navigator?.locks;
  return typeof locks?.request === 'function' ? locks.request('support-chat-refresh', fn) : fn();
}

export class ChatClient {
  private readonly baseUrl: string;
  private readonly cookieMode: boolean;
  private readonly sendTimeoutMs: number;
  private _user: User | null = null;
  private lastUserId: string | null = null;
  private _state: ConnectionState = 'idle';
  private _accessToken: string | null = null;
  private accessExpiresAt: number | null = null;
  private refreshToken: string | null;
  private refreshing: Promise<Result<null>> | null = null;
  private refreshTimer: Timer | undefined;
  /** Bumped when a login ends, so answers that arrive later for the old login are ignored. */
  private sessionGen = 0;
  private socket: Socket | null = null;
  private wantConnected = false;
  private everConnected = false;
  private needFreshToken = false;
  private unauthorizedStreak = 0;
  private failedAttempts = 0;
  private reconnectTimer: Timer | undefined;
  private readonly listeners = new Map<keyof ClientEventMap, Set<Listener>>();
  private readonly outbox: Outbox;
  private readonly seqs = new SeqTracker();
  private readonly syncs = new Map<string, Promise<void>>();
  private readonly syncAgain = new Set<string>();
  private readonly gapTimers = new Map<string, Timer>();
  private readonly typingState = new Map<string, { lastTrueAt: number; on: boolean }>();

  constructor(private readonly opts: ChatClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.cookieMode = opts.tokenTransport === 'cookie';
    this.refreshToken = this.cookieMode ? null : (opts.refreshToken ?? null);
    this.sendTimeoutMs = opts.sendTimeoutMs ?? 5000;
    this.outbox = new Outbox({
      newId: newClientMsgId,
      transmit: (item) => this.transmit(item),
      onSent: (message) => this.deliver(message),
      onChange: (items) => this.emit('outbox', items),
    });
  }

  get user(): User | null {
    return this._user;
  }

  get state(): ConnectionState {
    return this._state;
  }

  get accessToken(): string | null {
    return this._accessToken;
  }

  /** Pending and failed sends, oldest first. */
  get outboxItems(): OutboxItem[] {
    return this.outbox.items;
  }

  // ---------------------------------------------------------------- events

  on<K extends keyof ClientEventMap>(event: K, cb: (payload: ClientEventMap[K]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    const listener = cb as Listener;
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  private emit<K extends keyof ClientEventMap>(event: K, payload: ClientEventMap[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const cb of [...set]) {
      try {
        (cb as (p: ClientEventMap[K]) => void)(payload);
      } catch (err) {
        // A broken listener must not break delivery to the others; surface it as an uncaught error.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  private setState(state: ConnectionState): void {
    if (this._state === state) return;
    this._state = state;
    this.emit('state', state);
  }

  /** Resolves true once connected, false after `timeoutMs` or when the client stops trying. */
  whenConnected(timeoutMs = 10_000): Promise<boolean> {
    if (this.socket?.connected && this._state === 'connected') return Promise.resolve(true);
    if (!this.wantConnected) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (value: boolean) => {
        clearTimeout(timer);
        off();
        resolve(value);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      const off = this.on('state', (s) => {
        if (s === 'connected') done(true);
        else if (s === 'idle' || (s === 'offline' && !this.wantConnected)) done(false);
      });
    });
  }

  // ---------------------------------------------------------------- HTTP

  private async request<T>(
    method: 'GET' | 'POST',
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
      const res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        credentials: init.cookie ? 'include' : 'same-origin',
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
      return { ok: false, error: unavailable() };
    } finally {
      clearTimeout(timer);
    }
  }

  /** An authenticated request: refreshes first when the access token is (nearly) expired, and once on a 401. */
  private async authed<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Result<T>> {
    if (!this._accessToken || this.expiresWithin(5000)) {
      const r = await this.refresh();
      if (!r.ok) return r;
    }
    const gen = this.sessionGen;
    const res = await this.request<T>(method, path, { body, auth: true });
    if (res.ok || res.error.code !== ErrorCode.unauthorized || gen !== this.sessionGen) return res;
    const r = await this.refresh();
    if (!r.ok) return r;
    return this.request<T>(method, path, { body, auth: true });
  }

  // ---------------------------------------------------------------- session

  async register(body: RegisterBody): Promise<Result<AuthResponse>> {
    const r = await this.request<AuthResponse>('POST', '/api/auth/register', {
      body,
      cookie: this.cookieMode,
    });
    return r.ok ? this.startSession(r.data) : r;
  }

  async login(body: LoginBody): Promise<Result<AuthResponse>> {
    const r = await this.request<AuthResponse>('POST', '/api/auth/login', { body, cookie: this.cookieMode });
    return r.ok ? this.startSession(r.data) : r;
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

  /** Revokes the login on the server, disconnects, and forgets the tokens (locally even when the server is unreachable). */
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
    this.endSession();
    this.outbox.failAll({ code: ErrorCode.unauthorized, message: 'Logged out before the message was sent.' });
    this.seqs.clear();
    this.lastUserId = null;
    this.disconnect();
    return result;
  }

  private startSession(data: AuthResponse): Result<AuthResponse> {
    if (!isUser(data?.user) || typeof data.accessToken !== 'string') return { ok: false, error: badAnswer() };
    const wasConnected = this.socket !== null;
    const sameUser = this.lastUserId === data.user.id;
    if (this._user && this._user.id !== data.user.id) this.endSession();
    this.sessionGen++;
    this.setAccessToken(data.accessToken);
    this.needFreshToken = false;
    if (!this.cookieMode && typeof data.refreshToken === 'string') this.setRefreshToken(data.refreshToken);
    this.setUser(data.user);
    // A socket of another user must not carry on; the same user's socket picks up the new token on reconnect.
    if (!sameUser && wasConnected) {
      this.closeSocket();
      if (this.wantConnected) this.openSocket();
    }
    // The web page never holds the refresh token, not even in memory.
    return { ok: true, data: this.cookieMode ? { ...data, refreshToken: '' } : data };
  }

  private setUser(user: User): void {
    if (this.lastUserId !== null && this.lastUserId !== user.id) {
      this.outbox.failAll({ code: ErrorCode.forbidden, message: 'Another user logged in.' });
      this.seqs.clear();
    }
    this.lastUserId = user.id;
    this._user = user;
    this.emit('user', user);
  }

  private setRefreshToken(token: string | null): void {
    if (this.cookieMode || this.refreshToken === token) return;
    this.refreshToken = token;
    this.opts.onRefreshToken?.(token);
  }

  private setAccessToken(token: string): void {
    this._accessToken = token;
    this.accessExpiresAt = localExpiry(token, Date.now());
    this.scheduleRefresh();
  }

  private expiresWithin(ms: number): boolean {
    return this.accessExpiresAt !== null && this.accessExpiresAt - Date.now() < ms;
  }

  /** Tokens and user forgotten; the outbox and seqs stay (a re-login of the same user carries on). */
  private endSession(): void {
    this.sessionGen++;
    clearTimeout(this.refreshTimer);
    this._accessToken = null;
    this.accessExpiresAt = null;
    this.setRefreshToken(null);
    if (this._user) {
      this._user = null;
      this.emit('user', null);
    }
  }

  /** The refresh was refused: the login is over. */
  private expireSession(announce: boolean): void {
    const hadSession = this._user !== null || this._accessToken !== null || this.refreshToken !== null;
    this.endSession();
    this.wantConnected = false;
    clearTimeout(this.reconnectTimer);
    this.closeSocket();
    this.outbox.setOnline(false);
    this.setState(hadSession || this._state !== 'idle' ? 'offline' : 'idle');
    if (announce && hadSession) this.emit('sessionExpired', undefined);
  }

  /** One refresh at a time: with rotation, two concurrent ones would spend the same token twice. */
  private refresh(announce = true): Promise<Result<null>> {
    if (!this.refreshing) {
      this.refreshing = this.runRefresh(announce).finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  private async runRefresh(announce: boolean): Promise<Result<null>> {
    const gen = this.sessionGen;
    if (this.opts.getAccessToken) return this.refreshFromProvider(this.opts.getAccessToken, gen, announce);
    if (!this.cookieMode && !this.refreshToken) return { ok: false, error: notLoggedIn() };
    const res = await withRefreshLock(() =>
      this.request<{ accessToken?: unknown; refreshToken?: unknown }>('POST', '/api/auth/refresh', {
        body: this.cookieMode ? {} : { refreshToken: this.refreshToken },
        cookie: this.cookieMode,
      }),
    );
    if (gen !== this.sessionGen) return { ok: false, error: notLoggedIn() };
    if (!res.ok) {
      if (endsSession(res.error)) this.expireSession(announce);
      return res;
    }
    if (typeof res.data?.accessToken !== 'string') return { ok: false, error: badAnswer() };
    if (typeof res.data.refreshToken === 'string') this.setRefreshToken(res.data.refreshToken);
    this.setAccessToken(res.data.accessToken);
    this.needFreshToken = false;
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
    if (gen !== this.sessionGen) return { ok: false, error: notLoggedIn() };
    if (token === null) {
      this.expireSession(announce);
      return { ok: false, error: notLoggedIn() };
    }
    this.setAccessToken(token);
    this.needFreshToken = false;
    return { ok: true, data: null };
  }

  /** While connected, refresh ahead of expiry so reconnects never wait for a refresh. */
  private scheduleRefresh(delayMs?: number): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    if (!this.wantConnected || this.accessExpiresAt === null) return;
    let delay = delayMs;
    if (delay === undefined) {
      const left = this.accessExpiresAt - Date.now();
      const lead = Math.min(this.opts.refreshLeadMs ?? 60_000, left / 4);
      delay = Math.max(0, left - lead);
    }
    const gen = this.sessionGen;
    this.refreshTimer = setTimeout(async () => {
      const r = await this.refresh();
      // Transient failure (server down): try again soon; the reconnect path refreshes too.
      if (!r.ok && gen === this.sessionGen && !endsSession(r.error)) this.scheduleRefresh(5000);
    }, delay);
  }

  // ---------------------------------------------------------------- socket

  /** Connects (and keeps reconnecting) the real-time socket; needs a login or a resumable one. */
  connect(): void {
    if (this.wantConnected) return;
    this.wantConnected = true;
    this.failedAttempts = 0;
    this.unauthorizedStreak = 0;
    this.setState(this.everConnected ? 'reconnecting' : 'connecting');
    this.scheduleRefresh();
    this.openSocket();
  }

  disconnect(): void {
    this.wantConnected = false;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.refreshTimer);
    for (const t of this.gapTimers.values()) clearTimeout(t);
    this.gapTimers.clear();
    this.closeSocket();
    this.outbox.setOnline(false);
    this.setState('idle');
  }

  private closeSocket(): void {
    const socket = this.socket;
    if (!socket) return;
    this.socket = null;
    socket.removeAllListeners();
    socket.io.removeAllListeners();
    socket.disconnect();
  }

  private openSocket(): void {
    clearTimeout(this.reconnectTimer);
    if (!this.wantConnected) return;
    const socket = this.socket ?? this.createSocket();
    if (!socket.connected) socket.connect();
  }

  private retryLater(delayMs?: number): void {
    clearTimeout(this.reconnectTimer);
    if (!this.wantConnected) return;
    const base = this.opts.reconnectDelayMs ?? 500;
    const max = this.opts.reconnectDelayMaxMs ?? 5000;
    const delay =
      delayMs ?? Math.min(max, base * 2 ** Math.min(this.failedAttempts, 10)) * (0.75 + Math.random() * 0.5);
    this.reconnectTimer = setTimeout(() => this.openSocket(), delay);
  }

  private createSocket(): Socket {
    let origin: string | undefined;
    if (this.baseUrl) {
      try {
        origin = new URL(this.baseUrl).origin;
      } catch {
        origin = this.baseUrl;
      }
    }
    const socket = io(origin, {
      path: '/socket.io',
      transports: this.opts.transports ?? ['websocket', 'polling'],
      tryAllTransports: true,
      forceNew: true,
      autoConnect: false,
      reconnectionDelay: this.opts.reconnectDelayMs ?? 500,
      reconnectionDelayMax: this.opts.reconnectDelayMaxMs ?? 5000,
      randomizationFactor: 0.5,
      timeout: 10_000,
      ...(this.opts.extraHeaders ? { extraHeaders: this.opts.extraHeaders } : {}),
      // Called for every handshake, so reconnects always carry the newest token (refreshed first if stale).
      auth: (cb) => {
        const gen = this.sessionGen;
        void this.tokenForHandshake().then((token) => {
          if (gen === this.sessionGen && this.socket === socket) cb({ token });
        });
      },
    });
    socket.on('connect', () => this.onConnect());
    socket.on('disconnect', (reason) => this.onDisconnect(reason));
    socket.on('connect_error', (err) => this.onConnectError(socket, err));
    socket.on(ServerEvent.messageCreated, (p: { message?: unknown }) => {
      if (isMessage(p?.message)) this.deliver(p.message);
    });
    socket.on(ServerEvent.conversationUpdated, (p: { conversation?: ConversationSummary }) => {
      if (p?.conversation) this.emit('conversation', p.conversation);
    });
    socket.on(ServerEvent.conversationRead, (p: ConversationReadEvent) => this.emit('read', p));
    socket.on(ServerEvent.typing, (p: TypingEvent) => this.emit('typing', p));
    socket.on(ServerEvent.presence, (p: PresenceEvent) => this.emit('presence', p));
    this.socket = socket;
    return socket;
  }

  private async tokenForHandshake(): Promise<string> {
    if (this.needFreshToken || !this._accessToken || this.expiresWithin(10_000)) await this.refresh();
    return this._accessToken ?? '';
  }

  private onConnect(): void {
    const reconnect = this.everConnected;
    this.everConnected = true;
    this.failedAttempts = 0;
    this.unauthorizedStreak = 0;
    this.setState('connected');
    // Order matters: first the sends waiting since the outage, then what others wrote meanwhile.
    this.outbox.setOnline(true);
    void this.syncAll();
    if (reconnect && (this.listeners.get('conversation')?.size ?? 0) > 0) void this.refreshSummaries();
  }

  private onDisconnect(reason: string): void {
    this.outbox.setOnline(false);
    if (!this.wantConnected) return;
    this.setState(this.failedAttempts >= OFFLINE_AFTER_FAILURES ? 'offline' : 'reconnecting');
    // The server ended it (token expiry, logout elsewhere, access change): the manager will not retry on its
    // own. Refresh first: a revoked login then ends here instead of reconnecting until the token expires.
    if (reason === 'io server disconnect') {
      this.needFreshToken = true;
      this.retryLater(0);
    }
  }

  private onConnectError(socket: Socket, err: Error): void {
    if (!this.wantConnected || this.socket !== socket) return;
    this.failedAttempts++;
    this.outbox.setOnline(false);
    if (err.message === UNAUTHORIZED) {
      // A fresh token refused again and again means the login is no longer accepted.
      if (++this.unauthorizedStreak > 3) {
        this.expireSession(true);
        return;
      }
      this.needFreshToken = true;
      this.retryLater(this.unauthorizedStreak === 1 ? 0 : undefined);
    } else if (!socket.active) {
      // Refused by a server middleware for another reason: the manager will not retry by itself.
      this.retryLater();
    }
    const trying = this.everConnected ? 'reconnecting' : 'connecting';
    this.setState(this.failedAttempts >= OFFLINE_AFTER_FAILURES ? 'offline' : trying);
  }

  /** Emits an event and waits for its acknowledgement; a timeout or a lost connection is `unavailable`. */
  private async ask<T>(event: string, payload: unknown, waitForConnection = true): Promise<Result<T>> {
    if (!this.socket?.connected) {
      if (!waitForConnection || !(await this.whenConnected(this.sendTimeoutMs)))
        return {
          ok: false,
          error: unavailable('Not connected to the server. Try again when the connection is back.'),
        };
    }
    const socket = this.socket;
    if (!socket?.connected) return { ok: false, error: unavailable() };
    return new Promise((resolve) => {
      socket.timeout(this.sendTimeoutMs).emit(event, payload, (err: Error | null, res: unknown) => {
        if (err) {
          const lost = /disconnected/.test(err.message);
          resolve({
            ok: false,
            error: unavailable(
              lost
                ? 'The connection was lost before the server answered.'
                : 'The server did not answer in time.',
            ),
          });
        } else resolve(isResult(res) ? (res as Result<T>) : { ok: false, error: badAnswer() });
      });
    });
  }

  private async askConversation(event: string, payload: unknown): Promise<Result<ConversationSummary>> {
    const r = await this.ask<{ conversation: ConversationSummary }>(event, payload);
    if (!r.ok) return r;
    return r.data?.conversation ? { ok: true, data: r.data.conversation } : { ok: false, error: badAnswer() };
  }

  // ---------------------------------------------------------------- messages and sync

  private deliver(message: Message): void {
    const id = message.conversationId;
    if (!this.seqs.see(id, message.seq)) return;
    this.emit('message', message);
    if (this.seqs.isTracked(id) && this.seqs.hasGap(id) && !this.gapTimers.has(id)) {
      this.gapTimers.set(
        id,
        setTimeout(() => {
          this.gapTimers.delete(id);
          if (this.seqs.hasGap(id)) void this.syncConversation(id);
        }, GAP_SYNC_DELAY_MS),
      );
    }
  }

  private async transmit(item: OutboxItem): Promise<Result<Message>> {
    const r = await this.ask<{ message: Message }>(
      ClientEvent.messageSend,
      { conversationId: item.conversationId, clientMsgId: item.clientMsgId, text: item.text },
      false,
    );
    if (!r.ok) return r;
    return isMessage(r.data?.message)
      ? { ok: true, data: r.data.message }
      : { ok: false, error: badAnswer() };
  }

  /** Fetches every message after the held floor, page after page, and hands the new ones to the UI. */
  private syncConversation(conversationId: string): Promise<void> {
    const running = this.syncs.get(conversationId);
    if (running) {
      this.syncAgain.add(conversationId);
      return running;
    }
    const run = (async () => {
      let after = this.seqs.floor(conversationId);
      let failures = 0;
      while (this.socket?.connected && this.seqs.isTracked(conversationId)) {
        const r = await this.ask<{ messages: Message[] }>(
          ClientEvent.conversationSync,
          { conversationId, afterSeq: after },
          false,
        );
        if (!r.ok) {
          // Transient (database down, timeout): a few tries here; every reconnect syncs again anyway.
          if (decideRetry(r.error, ++failures).kind === 'fail' || failures > 5) return;
          await sleep(Math.min(5000, 250 * 2 ** failures));
          continue;
        }
        const page = Array.isArray(r.data?.messages) ? r.data.messages.filter(isMessage) : [];
        for (const m of page) this.deliver(m);
        if (page.length < MAX_SYNC_MESSAGES) return;
        after = page[page.length - 1]!.seq;
      }
    })().finally(() => {
      this.syncs.delete(conversationId);
      if (this.syncAgain.delete(conversationId)) void this.syncConversation(conversationId);
    });
    this.syncs.set(conversationId, run);
    return run;
  }

  private async syncAll(): Promise<void> {
    const queue = this.seqs.tracked();
    const worker = async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) await this.syncConversation(id);
    };
    await Promise.all(Array.from({ length: SYNC_CONCURRENCY }, worker));
  }

  private async refreshSummaries(): Promise<void> {
    const r = await this.conversations();
    if (r.ok) for (const c of r.data) this.emit('conversation', c);
  }

  // ---------------------------------------------------------------- public API

  async departments(): Promise<Result<Department[]>> {
    const r = await this.request<{ departments: Department[] }>('GET', '/api/departments', { auth: true });
    if (!r.ok) return r;
    return Array.isArray(r.data?.departments)
      ? { ok: true, data: r.data.departments }
      : { ok: false, error: badAnswer() };
  }

  async conversations(): Promise<Result<ConversationSummary[]>> {
    const r = await this.authed<{ conversations: ConversationSummary[] }>('GET', '/api/conversations');
    if (!r.ok) return r;
    return Array.isArray(r.data?.conversations)
      ? { ok: true, data: r.data.conversations }
      : { ok: false, error: badAnswer() };
  }

  /** The agents of one of the caller's departments (agents only): whom a conversation can be assigned to. */
  async departmentAgents(department: string): Promise<Result<DepartmentAgent[]>> {
    const r = await this.authed<{ agents: DepartmentAgent[] }>(
      'GET',
      `/api/departments/${encodeURIComponent(department)}/agents`,
    );
    if (!r.ok) return r;
    return Array.isArray(r.data?.agents)
      ? { ok: true, data: r.data.agents }
      : { ok: false, error: badAnswer() };
  }

  /** A page of stored messages, oldest first, all with seq < before (the newest page without before). */
  async history(
    conversationId: string,
    opts: { before?: number; limit?: number } = {},
  ): Promise<Result<Message[]>> {
    const query = new URLSearchParams();
    if (opts.before !== undefined) query.set('before', String(opts.before));
    if (opts.limit !== undefined) query.set('limit', String(opts.limit));
    const qs = query.toString();
    const r = await this.authed<{ messages: Message[] }>(
      'GET',
      `/api/conversations/${encodeURIComponent(conversationId)}/messages${qs ? `?${qs}` : ''}`,
    );
    if (!r.ok) return r;
    return Array.isArray(r.data?.messages)
      ? { ok: true, data: r.data.messages }
      : { ok: false, error: badAnswer() };
  }

  openConversation(department: string): Promise<Result<ConversationSummary>> {
    return this.askConversation(ClientEvent.conversationOpen, { department });
  }

  /**
   * Queues a message. It is sent when connected, in order per conversation, retried with the same clientMsgId
   * until acknowledged; `done` settles with the stored message or the error that failed it.
   */
  send(conversationId: string, text: string): OutboxItem {
    const parsedId = objectId.safeParse(conversationId);
    const parsedText = messageText.safeParse(text);
    if (!parsedId.success || !parsedText.success) {
      const error = (parsedText.success ? parsedId.error : parsedText.error)!;
      return this.outbox.rejected(conversationId, text, {
        code: ErrorCode.invalidInput,
        message: parsedText.success
          ? 'Unknown conversation.'
          : `The message ${error.issues[0]?.message ?? 'is not valid'}.`,
        issues: describeIssues(error),
      });
    }
    this.setTyping(conversationId, false);
    return this.outbox.enqueue(conversationId, parsedText.data);
  }

  /** Sends a failed item again (same clientMsgId). */
  retrySend(clientMsgId: string): OutboxItem | null {
    return this.outbox.retry(clientMsgId);
  }

  /** Drops a failed item from the outbox. */
  discardSend(clientMsgId: string): boolean {
    return this.outbox.discard(clientMsgId);
  }

  markRead(conversationId: string, seq: number): Promise<Result<ConversationSummary>> {
    return this.askConversation(ClientEvent.conversationRead, { conversationId, seq });
  }

  /** Throttled: `true` goes out at most every 2 s per conversation, `false` only after a `true`. */
  setTyping(conversationId: string, isTyping: boolean): void {
    const socket = this.socket;
    const st = this.typingState.get(conversationId) ?? { lastTrueAt: Number.NEGATIVE_INFINITY, on: false };
    this.typingState.set(conversationId, st);
    const now = Date.now();
    if (isTyping) {
      if (now - st.lastTrueAt < TYPING_INTERVAL_MS) return;
      st.lastTrueAt = now;
      st.on = true;
    } else {
      if (!st.on) return;
      st.on = false;
      st.lastTrueAt = Number.NEGATIVE_INFINITY;
    }
    if (socket?.connected) socket.emit(ClientEvent.typing, { conversationId, isTyping }, () => {});
  }

  claim(conversationId: string): Promise<Result<ConversationSummary>> {
    return this.askConversation(ClientEvent.conversationClaim, { conversationId });
  }

  release(conversationId: string): Promise<Result<ConversationSummary>> {
    return this.assign(conversationId, null);
  }

  assign(conversationId: string, agentId: string | null): Promise<Result<ConversationSummary>> {
    return this.askConversation(ClientEvent.conversationAssign, { conversationId, agentId });
  }

  resolve(conversationId: string): Promise<Result<ConversationSummary>> {
    return this.askConversation(ClientEvent.conversationResolve, { conversationId });
  }

  reopen(conversationId: string): Promise<Result<ConversationSummary>> {
    return this.askConversation(ClientEvent.conversationReopen, { conversationId });
  }

  /** One page of messages with seq > afterSeq (max 500); new ones are also emitted as 'message'. */
  async sync(conversationId: string, afterSeq: number): Promise<Result<Message[]>> {
    const r = await this.ask<{ messages: Message[] }>(ClientEvent.conversationSync, {
      conversationId,
      afterSeq,
    });
    if (!r.ok) return r;
    if (!Array.isArray(r.data?.messages)) return { ok: false, error: badAnswer() };
    const page = r.data.messages.filter(isMessage);
    for (const m of page) this.deliver(m);
    return { ok: true, data: page };
  }

  /**
   * The UI holds every message of this conversation up to `highestSeq` (best: Timeline.contiguousSeq): it is
   * synced now and after every reconnect. Only the first call counts; the client then advances the seq itself
   * as it emits messages, so calling it again on every update is harmless.
   */
  track(conversationId: string, highestSeq: number): void {
    if (this.seqs.isTracked(conversationId)) return;
    this.seqs.track(conversationId, highestSeq);
    if (this.socket?.connected) void this.syncConversation(conversationId);
  }

  /** Stops syncing a conversation the UI no longer shows. */
  untrack(conversationId: string): void {
    this.seqs.untrack(conversationId);
  }
}
