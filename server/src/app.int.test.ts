import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectSocket, emitAck, registerCustomer, startTestServer, type TestServer } from '../test/helpers';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
});

describe('HTTP error shape', () => {
  it('answers unknown API paths with a JSON 404', async () => {
    const res = await fetch(`${t.url}/api/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
  });

  it('answers a wrong method with a JSON 405 and Allow', async () => {
    const res = await fetch(`${t.url}/api/auth/login`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toContain('POST');
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(await res.json()).toEqual({ error: { code: 'method_not_allowed', message: expect.any(String) } });
  });

  it('answers malformed JSON with 400 invalid_input, never a stack', async () => {
    const res = await fetch(`${t.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"username": ',
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('invalid_input');
    expect(JSON.stringify(body)).not.toMatch(/at .*\.ts|Error:/);
  });

  it('answers a body over the limit with 413', async () => {
    const res = await fetch(`${t.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'x'.repeat(200_000), password: 'y' }),
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
  });

  it('answers a non-JSON body with 400', async () => {
    const res = await fetch(`${t.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'username=a',
    });
    expect(res.status).toBe(400);
  });
});

describe('socket handshake', () => {
  it('refuses a socket without a token with "unauthorized"', async () => {
    await expect(connectSocket(t.url, null)).rejects.toThrow('unauthorized');
  });

  it('refuses a bad token with "unauthorized"', async () => {
    await expect(connectSocket(t.url, 'not.a.token')).rejects.toThrow('unauthorized');
  });

  it('accepts a customer with a valid access token', async () => {
    const customer = await registerCustomer(t.url);
    const socket = await connectSocket(t.url, customer.accessToken);
    expect(socket.connected).toBe(true);
    socket.close();
  });
});

describe('graceful close', () => {
  it('stops accepting, waits for in-flight writes, then closes sockets and the database', async () => {
    const s = await startTestServer();
    const customer = await registerCustomer(s.url);
    const socket = await connectSocket(s.url, customer.accessToken);
    let finishWrite!: () => void;
    const write = s.server.lifecycle.trackWrite(
      new Promise<void>((resolve) => {
        finishWrite = resolve;
      }),
    );
    const events: string[] = [];
    socket.on('disconnect', () => events.push('socket closed'));
    const closing = s.server.close().then(() => events.push('closed'));
    // New connections are refused while the write is still running.
    await expect(fetch(`${s.url}/api/health`)).rejects.toThrow();
    expect(s.server.lifecycle.closing).toBe(true);
    expect(events).toEqual([]);
    events.push('write finished');
    finishWrite();
    await write;
    await closing;
    expect(events.slice(0, 1)).toEqual(['write finished']);
    expect(events).toContain('closed');
    await s.close();
  });
});

describe('one http.Server for Koa and Socket.IO', () => {
  it('leaves Socket.IO long-polling to Socket.IO: a polling client works and Koa never answers its requests', async () => {
    const c = await registerCustomer(t.url);
    const socket = await connectSocket(t.url, c.accessToken, { transports: ['polling'] });
    try {
      // Several round trips, each answered on a held long-poll request.
      for (const department of ['billing', 'technical', 'billing']) {
        const opened = await emitAck(socket, 'conversation:open', { department });
        expect(opened.ok).toBe(true);
      }
      expect(socket.io.engine.transport.name).toBe('polling');
    } finally {
      socket.close();
    }
  });
});
