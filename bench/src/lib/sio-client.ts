// A minimal Socket.IO v4 client over WebSocket only (Engine.IO v4), so the load generator costs far less CPU per
// message than the server it measures: frames are pre-encoded strings and only the parts we need are parsed.
import { RECONNECT_BACKOFF } from '@support-chat/protocol/client';
import WebSocket from 'ws';

export interface SioClientOptions {
  /** http://127.0.0.1:port */
  url: string;
  /** Sent in the namespace CONNECT packet, e.g. `{ token }`. */
  auth: Record<string, unknown>;
  /** Reconnect after an unexpected close with the shipped client's backoff (RECONNECT_BACKOFF) unless given. */
  reconnect?: boolean;
  reconnectDelayMs?: number;
  reconnectDelayMaxMs?: number;
  /** A server event, as the JSON text after the `42` prefix: `["message:created",{...}]`. */
  onEvent?: (json: string) => void;
  onConnect?: () => void;
  /** `reason` is 'closed' (transport gone), 'unauthorized' or 'server' (server disconnect). */
  onDisconnect?: (reason: string) => void;
}

type AckCallback = (json: string | null) => void;

const ENGINE_OPEN = '0';
const ENGINE_CLOSE = '1';
const ENGINE_PING = '2';
const ENGINE_MESSAGE = '4';

export class SioClient {
  private ws: WebSocket | null = null;
  private nextAckId = 0;
  private readonly acks = new Map<number, AckCallback>();
  private attempts = 0;
  private closedByUs = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  connected = false;
  connects = 0;

  constructor(private readonly opts: SioClientOptions) {}

  open(): void {
    this.closedByUs = false;
    const wsUrl = `${this.opts.url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
    const ws = new WebSocket(wsUrl, { perMessageDeflate: false });
    this.ws = ws;
    ws.on('message', (data, isBinary) => {
      if (!isBinary) this.onFrame(data.toString());
    });
    ws.on('close', () => this.onClose('closed'));
    // 'error' is always followed by 'close'; handling it keeps the process alive.
    ws.on('error', () => {});
  }

  /** Resolves on the first successful namespace connect, rejects on `unauthorized` or a close before it. */
  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const prevConnect = this.opts.onConnect;
      const prevDisconnect = this.opts.onDisconnect;
      const restore = () => {
        this.opts.onConnect = prevConnect;
        this.opts.onDisconnect = prevDisconnect;
      };
      this.opts.onConnect = () => {
        restore();
        prevConnect?.();
        resolve();
      };
      this.opts.onDisconnect = (reason) => {
        if (this.opts.reconnect && reason !== 'unauthorized') return; // keep trying
        restore();
        prevDisconnect?.(reason);
        reject(new Error(`connect failed: ${reason}`));
      };
      this.open();
    });
  }

  close(): void {
    this.closedByUs = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.ws?.close();
    this.ws = null;
  }

  /** Sends `42<ackId><body>` where body is the pre-encoded `["event",payload]`. Returns false when offline. */
  sendRaw(body: string, ack?: AckCallback): boolean {
    if (!this.connected || !this.ws) return false;
    if (ack) {
      const id = this.nextAckId++;
      this.acks.set(id, ack);
      this.ws.send(`42${id}${body}`);
    } else {
      this.ws.send(`42${body}`);
    }
    return true;
  }

  emit(event: string, payload: unknown, ack?: AckCallback): boolean {
    return this.sendRaw(JSON.stringify([event, payload]), ack);
  }

  /** emit with an ack, parsed; rejects when offline or when the connection drops before the answer. */
  request<T = unknown>(event: string, payload: unknown, timeoutMs = 30_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${event}: no ack within ${timeoutMs} ms`)), timeoutMs);
      const sent = this.emit(event, payload, (json) => {
        clearTimeout(timer);
        if (json === null) reject(new Error(`${event}: disconnected before the ack`));
        else resolve((JSON.parse(json) as unknown[])[0] as T);
      });
      if (!sent) {
        clearTimeout(timer);
        reject(new Error(`${event}: not connected`));
      }
    });
  }

  private onFrame(frame: string): void {
    const type = frame[0];
    if (type === ENGINE_PING) {
      this.ws?.send('3');
      return;
    }
    if (type === ENGINE_OPEN) {
      this.ws?.send(`40${JSON.stringify(this.opts.auth)}`);
      return;
    }
    if (type === ENGINE_CLOSE) {
      this.ws?.close();
      return;
    }
    if (type !== ENGINE_MESSAGE) return;
    const sioType = frame[1];
    if (sioType === '2') {
      this.opts.onEvent?.(frame.slice(2));
    } else if (sioType === '3') {
      let i = 2;
      while (i < frame.length && frame.charCodeAt(i) >= 48 && frame.charCodeAt(i) <= 57) i++;
      const id = Number(frame.slice(2, i));
      const cb = this.acks.get(id);
      if (cb) {
        this.acks.delete(id);
        cb(frame.slice(i));
      }
    } else if (sioType === '0') {
      this.connected = true;
      this.connects++;
      this.attempts = 0;
      this.opts.onConnect?.();
    } else if (sioType === '4') {
      // CONNECT_ERROR: 'unauthorized' is final; anything else (e.g. 'unavailable') is retried with backoff.
      const reason = frame.includes('unauthorized') ? 'unauthorized' : 'connect_error';
      if (reason === 'unauthorized') this.closedByUs = true;
      this.ws?.removeAllListeners('close');
      this.ws?.close();
      this.onClose(reason);
    } else if (sioType === '1') {
      this.ws?.close();
      this.onClose('server');
    }
  }

  private onClose(reason: string): void {
    const wasConnected = this.connected;
    this.connected = false;
    const pending = [...this.acks.values()];
    this.acks.clear();
    for (const cb of pending) cb(null);
    if (this.ws) {
      this.ws.removeAllListeners('close');
      this.ws.on('error', () => {});
      this.ws = null;
    }
    if (wasConnected || reason !== 'closed' || !this.opts.reconnect) this.opts.onDisconnect?.(reason);
    if (!this.closedByUs && this.opts.reconnect && reason !== 'unauthorized') this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer) return;
    // As socket.io-client's manager does it: the delay doubles per attempt up to the cap, then is spread by ±jitter.
    const base = this.opts.reconnectDelayMs ?? RECONNECT_BACKOFF.firstDelayMs;
    const max = this.opts.reconnectDelayMaxMs ?? RECONNECT_BACKOFF.maxDelayMs;
    const raw = Math.min(base * 2 ** this.attempts, max);
    this.attempts++;
    const delay = raw * (1 - RECONNECT_BACKOFF.jitter + Math.random() * 2 * RECONNECT_BACKOFF.jitter);
    this.reconnectTimer = setTimeout(
      () => {
        this.reconnectTimer = null;
        if (!this.closedByUs) this.open();
      },
      Math.min(delay, max),
    );
  }
}

/** The `clientMsgId` inside a pre-encoded or received message frame, without parsing the JSON. */
export function clientMsgIdOf(json: string): string | null {
  const at = json.indexOf('"clientMsgId":"');
  return at < 0 ? null : json.slice(at + 15, at + 51);
}

/** The event name of a `["event",...]` frame. */
export function eventOf(json: string): string {
  return json.slice(2, json.indexOf('"', 2));
}
