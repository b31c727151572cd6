/// <reference types="node" />
// The transport against a real Socket.IO server on port 0 (no chat behind it): acknowledgements with a
// timeout, handshakes refused for their token, a login refused for good, a socket the server ends.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { afterEach, describe, expect, it } from 'vitest';
import { type ConnectionState, Transport, type TransportHooks } from './client-transport';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** A server that accepts the handshake token 'good'; it echoes conversation:open as a Result, answers
 * conversation:read with junk and conversation:sync never. */
async function server() {
  const http = createServer();
  const io = new Server(http);
  io.use((socket, next) => {
    const { token } = socket.handshake.auth;
    if (token === 'crowded') return next(new Error('too_many_connections'));
    next(token === 'good' ? undefined : new Error('unauthorized'));
  });
  io.on('connection', (socket) => {
    socket.on('conversation:open', (payload, ack) => ack({ ok: true, data: payload }));
    socket.on('conversation:read', (_payload, ack) => ack('not a result'));
    socket.on('conversation:sync', () => {});
  });
  await new Promise<void>((ok) => http.listen(0, '127.0.0.1', ok));
  closers.push(() => new Promise((ok) => io.close(() => ok())));
  return { io, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` };
}

function transport(url: string, token: () => string) {
  const seen = {
    tokenRefused: 0,
    loginRefused: 0,
    connected: [] as boolean[],
    states: [] as ConnectionState[],
    refused: [] as (string | null)[],
  };
  let onState: (s: ConnectionState) => void = () => {};
  let onRefused: (reason: string | null) => void = () => {};
  let loginGone: () => void = () => {};
  const loginRefused = new Promise<void>((resolve) => {
    loginGone = resolve;
  });
  const hooks: TransportHooks = {
    token: async () => token(),
    tokenRefused: () => seen.tokenRefused++,
    loginRefused: () => {
      seen.loginRefused++;
      t.halt('offline');
      loginGone();
    },
    connected: (reconnect) => seen.connected.push(reconnect),
    offline: () => {},
    state: (s) => {
      seen.states.push(s);
      onState(s);
    },
    refused: (reason) => {
      seen.refused.push(reason);
      onRefused(reason);
    },
    events: {},
  };
  const t = new Transport(
    { baseUrl: url, sendTimeoutMs: 200, reconnectDelayMs: 10, reconnectDelayMaxMs: 20 },
    hooks,
  );
  closers.push(async () => t.halt('idle'));
  const reaches = (state: ConnectionState) =>
    new Promise<void>((resolve) => {
      onState = (s) => s === state && resolve();
    });
  const refusal = () =>
    new Promise<string | null>((resolve) => {
      onRefused = resolve;
    });
  return { t, seen, reaches, loginRefused, refusal };
}

describe('Transport', () => {
  it('answers through acknowledgements: the Result, bad_answer for junk, unavailable after the timeout', async () => {
    const { url } = await server();
    const { t, seen } = transport(url, () => 'good');
    expect(await t.whenConnected(50)).toBe(false);
    t.connect();
    expect(await t.whenConnected()).toBe(true);
    expect(seen.connected).toEqual([false]);
    const echo = { department: 'billing' };
    expect(await t.ask('conversation:open', echo)).toEqual({ ok: true, data: echo });
    const junk = await t.ask('conversation:read', { conversationId: 'c', seq: 1 });
    expect(!junk.ok && junk.error.code).toBe('internal_error');
    const silence = await t.ask('conversation:sync', { conversationId: 'c', afterSeq: 0 });
    expect(!silence.ok && silence.error).toEqual({
      code: 'unavailable',
      message: 'The server did not answer in time.',
    });
    t.halt('idle');
    const offline = await t.ask('conversation:open', echo);
    expect(!offline.ok && offline.error.code).toBe('unavailable');
    expect(seen.states).toEqual(['connecting', 'connected', 'idle']);
  });

  it('on a refused token asks for a fresh one, and connects with it', async () => {
    const { url } = await server();
    let token = 'stale';
    const { t, seen } = transport(url, () => {
      const now = token;
      token = 'good';
      return now;
    });
    t.connect();
    expect(await t.whenConnected()).toBe(true);
    expect(seen.tokenRefused).toBe(1);
  });

  it('says once why the server refuses more sockets, keeps trying, and clears it when one connects', async () => {
    const { url } = await server();
    let token = 'crowded';
    const { t, seen, refusal } = transport(url, () => token);
    const told = refusal();
    t.connect();
    expect(await told).toBe('too_many_connections');
    expect(seen.refused).toEqual(['too_many_connections']);
    token = 'good'; // another tab closed
    expect(await t.whenConnected()).toBe(true);
    expect(seen.refused).toEqual(['too_many_connections', null]);
    expect(seen.tokenRefused).toBe(0);
  });

  it('gives up on a login whose fresh tokens are refused again and again', async () => {
    const { url } = await server();
    const { t, seen, loginRefused } = transport(url, () => 'revoked');
    t.connect();
    await loginRefused;
    expect([seen.tokenRefused, seen.loginRefused]).toEqual([3, 1]);
    expect(t.wanted).toBe(false);
    expect(seen.states).toEqual(['connecting', 'offline']);
  });

  it('comes back after the server ends the socket, with a fresh token', async () => {
    const { io, url } = await server();
    const { t, seen, reaches } = transport(url, () => 'good');
    t.connect();
    expect(await t.whenConnected()).toBe(true);
    const back = reaches('connected');
    io.disconnectSockets();
    await back;
    expect(seen.tokenRefused).toBe(1);
    expect(seen.connected).toEqual([false, true]);
    expect(seen.states).toEqual(['connecting', 'connected', 'reconnecting', 'connected']);
  });
});
