import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectSocket,
  registerCustomer,
  startTestServer,
  type TestServer,
  testSecrets,
} from '../../../test/helpers';
import { createServer } from '../../app';
import { loadConfig } from '../../config';
import { startEmbeddedDb } from '../../store/embedded';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
});

describe('health and readiness', () => {
  it('GET /api/health answers 200', async () => {
    const res = await fetch(`${t.url}/api/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('GET /api/ready answers 200 while the database answers', async () => {
    const res = await fetch(`${t.url}/api/ready`);
    expect(res.status).toBe(200);
  });

  it('GET /api/ready answers 503 when the database is gone; health stays 200 and nothing crashes', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'support-chat-ready-'));
    const db = await startEmbeddedDb({ dir });
    const config = loadConfig({
      NODE_ENV: 'test',
      PORT: '0',
      DATA_DIR: dir,
      MONGO_URI: db.uri,
      DB_NAME: 'ready_test',
      ...testSecrets(),
    });
    const server = await createServer(config);
    try {
      const url = await server.listen();
      expect((await fetch(`${url}/api/ready`)).status).toBe(200);
      await db.stop();
      const started = Date.now();
      const res = await fetch(`${url}/api/ready`);
      const elapsed = Date.now() - started;
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ error: { code: 'unavailable', message: expect.any(String) } });
      console.log(`/api/ready answered 503 after ${elapsed} ms with the database down`);
      expect((await fetch(`${url}/api/health`)).status).toBe(200);
      // A login during the outage is an error answer, not a crash.
      const login = await fetch(`${url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'someone', password: 'whatever1' }),
      });
      expect(login.status).toBe(503);
      expect(((await login.json()) as { error: { code: string } }).error.code).toBe('unavailable');
    } finally {
      await server.close();
      await db.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('GET /metrics', () => {
  it('exposes connections, messages, ack latency and errors in Prometheus format', async () => {
    const c = await registerCustomer(t.url);
    const socket = await connectSocket(t.url, c.accessToken);
    const res = await fetch(`${t.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/support_chat_socket_connections\{role="customer"\} [1-9]/);
    expect(text).toContain('support_chat_messages_total');
    expect(text).toContain('support_chat_ack_latency_seconds');
    expect(text).toContain('support_chat_errors_total');
    expect(text).toContain('support_chat_http_request_duration_seconds');
    socket.close();
  });

  it('needs the bearer token when METRICS_TOKEN is set', async () => {
    const s = await startTestServer({ env: { METRICS_TOKEN: 'metrics-secret' } });
    try {
      expect((await fetch(`${s.url}/metrics`)).status).toBe(401);
      for (const wrong of [
        'Bearer metrics-secreT',
        'Bearer metrics-secret-and-more',
        'Basic metrics-secret',
      ]) {
        const res = await fetch(`${s.url}/metrics`, { headers: { authorization: wrong } });
        expect(res.status).toBe(401);
        expect(await res.text()).not.toContain('nodejs_version');
      }
      const ok = await fetch(`${s.url}/metrics`, { headers: { authorization: 'Bearer metrics-secret' } });
      expect(ok.status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('is off in production without METRICS_TOKEN (404, nothing exposed), on with it', async () => {
    const off = await startTestServer({ env: { NODE_ENV: 'production' } });
    try {
      const res = await fetch(`${off.url}/metrics`);
      expect(res.status).toBe(404);
      expect(await res.text()).not.toMatch(/support_chat_|nodejs_version/);
    } finally {
      await off.close();
    }
    const on = await startTestServer({ env: { NODE_ENV: 'production', METRICS_TOKEN: 'metrics-secret' } });
    try {
      expect((await fetch(`${on.url}/metrics`)).status).toBe(401);
      const res = await fetch(`${on.url}/metrics`, { headers: { authorization: 'Bearer metrics-secret' } });
      expect(res.status).toBe(200);
    } finally {
      await on.close();
    }
  });
});
