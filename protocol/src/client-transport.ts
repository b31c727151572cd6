// The real-time connection of a ChatClient: one Socket.IO socket kept connected (reconnects with backoff, every
// handshake with the newest token) and requests answered through acknowledgements with a timeout.
import { io, type Socket } from 'socket.io-client';
import { badAnswer, isResult, unavailable } from './client-util';
import type { Result } from './errors';
import {
  type AckData,
  type ClientEventName,
  type EventPayload,
  TOO_MANY_CONNECTIONS,
  UNAUTHORIZED,
} from './events';

export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'offline';

export interface TransportOptions {
  baseUrl: string;
  /** Default ['websocket', 'polling']: WebSocket first, long-polling as the fallback. */
  transports?: ('websocket' | 'polling')[];
  /** Acknowledgement timeout of one attempt (default 5000); sends are retried with backoff until acknowledged. */
  sendTimeoutMs?: number;
  /** First reconnection delay (default RECONNECT_BACKOFF), doubling up to reconnectDelayMaxMs. */
  reconnectDelayMs?: number;
  reconnectDelayMaxMs?: number;
  extraHeaders?: Record<string, string>;
}

export interface TransportHooks {
  /** The access token for a handshake; null when the login changed meanwhile (that handshake is dropped). */
  token: () => Promise<string | null>;
  /** The server refused or ended the socket, likely for its token: refresh before the next handshake. */
  tokenRefused: () => void;
  /** Fresh tokens are refused again and again: the login is no longer accepted. */
  loginRefused: () => void;
  connected: (reconnect: boolean) => void;
  /** The connection is down (sends wait). */
  offline: () => void;
  state: (state: ConnectionState) => void;
  /** Why the server refuses new sockets (too_many_connections), or null once one connects. */
  refused: (reason: string | null) => void;
  /** Server → client events, listened to on every socket. */
  events: Record<string, (payload: never) => void>;
  /** More handshake fields (an agent's availability), read at every handshake. */
  handshake?: () => Record<string, string>;
}

type Timer = ReturnType<typeof setTimeout>;

/**
 * How a dropped connection is retried: the first attempt after about `firstDelayMs`, each next delay doubled up to
 * `maxDelayMs`, each one spread by ±`jitter` so a restarted server is not met by every client at once.
 */
export const RECONNECT_BACKOFF = { firstDelayMs: 500, maxDelayMs: 5000, jitter: 0.5 } as const;

/** After this many failed attempts in a row, 'reconnecting' shows as 'offline' (retries continue). */
const OFFLINE_AFTER_FAILURES = 3;

export class Transport {
  private readonly sendTimeoutMs: number;
  private socket: Socket | null = null;
  private wantConnected = false;
  private everConnected = false;
  private unauthorizedStreak = 0;
  private failedAttempts = 0;
  private reconnectTimer: Timer | undefined;
  private _state: ConnectionState = 'idle';
  private refusedFor: string | null = null;
  private readonly stateWaiters = new Set<(state: ConnectionState) => void>();

  constructor(
    private readonly opts: TransportOptions,
    private readonly hooks: TransportHooks,
  ) {
    this.sendTimeoutMs = opts.sendTimeoutMs ?? 5000;
  }

  get state(): ConnectionState {
    return this._state;
  }

  /** Whether the owner asked to be connected (and has not disconnected or lost the login since). */
  get wanted(): boolean {
    return this.wantConnected;
  }

  get connected(): boolean {
    return this.socket?.connected ?? false;
  }

  private setState(state: ConnectionState): void {
    if (this._state === state) return;
    this._state = state;
    for (const waiter of [...this.stateWaiters]) waiter(state);
    this.hooks.state(state);
  }

  /** Resolves true once connected, false after `timeoutMs` or when the client stops trying. */
  whenConnected(timeoutMs = 10_000): Promise<boolean> {
    if (this.socket?.connected && this._state === 'connected') return Promise.resolve(true);
    if (!this.wantConnected) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (value: boolean) => {
        clearTimeout(timer);
        this.stateWaiters.delete(waiter);
        resolve(value);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      const waiter = (s: ConnectionState) => {
        if (s === 'connected') done(true);
        else if (s === 'idle' || (s === 'offline' && !this.wantConnected)) done(false);
      };
      this.stateWaiters.add(waiter);
    });
  }

  /** Connects and keeps reconnecting until halted. */
  connect(): void {
    if (this.wantConnected) return;
    this.wantConnected = true;
    this.failedAttempts = 0;
    this.unauthorizedStreak = 0;
    this.setState(this.everConnected ? 'reconnecting' : 'connecting');
    this.openSocket();
  }

  /** Stops trying and closes the socket, ending in `state` ('idle' on disconnect, 'offline' on a lost login). */
  halt(state: ConnectionState): void {
    this.wantConnected = false;
    clearTimeout(this.reconnectTimer);
    this.closeSocket();
    this.setState(state);
  }

  /** Another user logged in: a socket of the old one must not carry on (the new one connects if wanted). */
  renew(): void {
    if (!this.socket) return;
    this.closeSocket();
    this.openSocket();
  }

  /** Emits an event and waits for its acknowledgement; a timeout or a lost connection is `unavailable`. */
  async ask<E extends ClientEventName>(
    event: E,
    payload: EventPayload<E>,
    waitForConnection = true,
  ): Promise<Result<AckData<E>>> {
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
        } else resolve(isResult(res) ? (res as Result<AckData<E>>) : { ok: false, error: badAnswer() });
      });
    });
  }

  /** Fire and forget (typing): only when connected, the acknowledgement ignored. */
  tell<E extends ClientEventName>(event: E, payload: EventPayload<E>): void {
    if (this.socket?.connected) this.socket.emit(event, payload, () => {});
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
    const base = this.opts.reconnectDelayMs ?? RECONNECT_BACKOFF.firstDelayMs;
    const max = this.opts.reconnectDelayMaxMs ?? RECONNECT_BACKOFF.maxDelayMs;
    const delay =
      delayMs ??
      Math.min(max, base * 2 ** Math.min(this.failedAttempts, 10)) *
        (1 - RECONNECT_BACKOFF.jitter + Math.random() * 2 * RECONNECT_BACKOFF.jitter);
    this.reconnectTimer = setTimeout(() => this.openSocket(), delay);
  }

  private createSocket(): Socket {
    let origin: string | undefined;
    const baseUrl = this.opts.baseUrl.replace(/\/+$/, '');
    if (baseUrl) {
      try {
        origin = new URL(baseUrl).origin;
      } catch {
        origin = baseUrl;
      }
    }
    const socket = io(origin, {
      path: '/socket.io',
      transports: this.opts.transports ?? ['websocket', 'polling'],
      tryAllTransports: true,
      forceNew: true,
      autoConnect: false,
      reconnectionDelay: this.opts.reconnectDelayMs ?? RECONNECT_BACKOFF.firstDelayMs,
      reconnectionDelayMax: this.opts.reconnectDelayMaxMs ?? RECONNECT_BACKOFF.maxDelayMs,
      randomizationFactor: RECONNECT_BACKOFF.jitter,
      timeout: 10_000,
      ...(this.opts.extraHeaders ? { extraHeaders: this.opts.extraHeaders } : {}),
      // Called for every handshake, so reconnects always carry the newest token (refreshed first if stale).
      auth: (cb) => {
        void this.hooks.token().then((token) => {
          if (token !== null && this.socket === socket) cb({ ...this.hooks.handshake?.(), token });
        });
      },
    });
    socket.on('connect', () => this.onConnect());
    socket.on('disconnect', (reason) => this.onDisconnect(reason));
    socket.on('connect_error', (err) => this.onConnectError(socket, err));
    for (const [event, handler] of Object.entries(this.hooks.events))
      socket.on(event, handler as (payload: unknown) => void);
    this.socket = socket;
    return socket;
  }

  private onConnect(): void {
    const reconnect = this.everConnected;
    this.everConnected = true;
    this.failedAttempts = 0;
    this.unauthorizedStreak = 0;
    this.setRefused(null);
    this.setState('connected');
    this.hooks.connected(reconnect);
  }

  private onDisconnect(reason: string): void {
    this.hooks.offline();
    if (!this.wantConnected) return;
    this.setState(this.failedAttempts >= OFFLINE_AFTER_FAILURES ? 'offline' : 'reconnecting');
    // The server ended it (token expiry, logout elsewhere, access change): the manager will not retry on its
    // own. Refresh first: a revoked login then ends here instead of reconnecting until the token expires.
    if (reason === 'io server disconnect') {
      this.hooks.tokenRefused();
      this.retryLater(0);
    }
  }

  private setRefused(reason: string | null): void {
    if (this.refusedFor === reason) return;
    this.refusedFor = reason;
    this.hooks.refused(reason);
  }

  private onConnectError(socket: Socket, err: Error): void {
    if (!this.wantConnected || this.socket !== socket) return;
    this.failedAttempts++;
    this.hooks.offline();
    if (err.message === UNAUTHORIZED) {
      // A fresh token refused again and again means the login is no longer accepted.
      if (++this.unauthorizedStreak > 3) {
        this.hooks.loginRefused();
        return;
      }
      this.hooks.tokenRefused();
      this.retryLater(this.unauthorizedStreak === 1 ? 0 : undefined);
    } else if (!socket.active) {
      // Refused by a server middleware for another reason: the manager will not retry by itself.
      if (err.message === TOO_MANY_CONNECTIONS) this.setRefused(err.message);
      this.retryLater();
    }
    const trying = this.everConnected ? 'reconnecting' : 'connecting';
    this.setState(this.failedAttempts >= OFFLINE_AFTER_FAILURES ? 'offline' : trying);
  }
}
