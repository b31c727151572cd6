// The Redis-backed pieces against a real redis-server: shared token buckets and presence across "nodes" (separate
// clients), their fallbacks while Redis is down, and the Streams adapter carrying a room emit between two servers.
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Server } from 'socket.io';
import { io as ioClient } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectScaleOut } from '../../src/realtime/adapter';
import { createRedisClient, type RedisClient } from '../../src/services/connection-redis';
import { RedisPresence } from '../../src/services/presence-redis';
import { authThrottles } from '../../src/services/ratelimit';
import { RedisRateLimiter } from '../../src/services/ratelimit-redis';
import { startRedis, type TestRedis, waitUntil } from './redis';

let dir: string;
let redis: TestRedis;
const clients: RedisClient[] = [];

const client = async (name: string) => {
  const c = createRedisClient(redis.url, name);
  clients.push(c);
  await c.connect();
  return c;
};

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'redis-services-'));
  redis = await startRedis(dir);
});

afterAll(async () => {
  for (const c of clients) if (c.isOpen) c.destroy();
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('RedisRateLimiter', () => {
  it('shares one bucket between nodes and says when to retry', async () => {
    const prefix = `t${Date.now()}`;
    // Refill so slow that nothing comes back during the test.
    const opts = { name: 'msg', prefix, ratePerSecond: 0.01, burst: 5 };
    const a = new RedisRateLimiter(await client('a'), opts);
    const b = new RedisRateLimiter(await client('b'), opts);
    const results = [];
    for (let i = 0; i < 6; i++) results.push(await (i % 2 ? b : a).take('user-1'));
    expect(results.slice(0, 5).every((r) => r.ok)).toBe(true);
    const last = results[5];
    expect(last?.ok).toBe(false);
    if (last && !last.ok) expect(last.retryAfterMs).toBeGreaterThan(1000);
    // Another key has its own bucket.
    expect((await a.take('user-2')).ok).toBe(true);
  });

  it('falls back to per-process buckets while Redis is down, then shares again', async () => {
    const prefix = `f${Date.now()}`;
    const opts = { name: 'msg', prefix, ratePerSecond: 0.01, burst: 3 };
    const c = await client('fallback');
    const limiter = new RedisRateLimiter(c, opts);
    expect((await limiter.take('u')).ok).toBe(true);
    await redis.stop();
    await waitUntil('client to notice', () => !c.isReady);
    const started = Date.now();
    // The local bucket is fresh (burst 3): three pass, the fourth is limited, and nothing waits for Redis.
    const local = [];
    for (let i = 0; i < 4; i++) local.push(await limiter.take('u'));
    expect(local.map((r) => r.ok)).toEqual([true, true, true, false]);
    expect(Date.now() - started).toBeLessThan(1000);
    await redis.restart();
    await waitUntil('client to reconnect', () => c.isReady);
    // Redis restarted empty (and without our script): the shared bucket starts full again.
    const shared = [];
    for (let i = 0; i < 4; i++) shared.push(await limiter.take('u'));
    expect(shared.map((r) => r.ok)).toEqual([true, true, true, false]);
  });
});

describe('RedisPresence', () => {
  it('counts distinct agents over every node, and forgets a node whose heartbeat stops', async () => {
    const prefix = `p${Date.now()}`;
    const a = new RedisPresence(await client('pa'), { nodeId: 'node-a', prefix, heartbeatMs: 100 });
    const bClient = await client('pb');
    const b = new RedisPresence(bClient, { nodeId: 'node-b', prefix, heartbeatMs: 100 });
    a.connect('agent-1', ['billing', 'sales']);
    b.connect('agent-2', ['billing']);
    b.connect('agent-1', ['billing']); // the same agent on two nodes counts once
    await waitUntil(
      'both nodes to be visible',
      async () => (await a.agentsOnline(['billing'])).billing === 2,
    );
    expect(await b.agentsOnline(['billing', 'sales', 'hr'])).toEqual({ billing: 2, sales: 1, hr: 0 });
    expect(await b.onlineAgents('billing')).toEqual(['agent-1', 'agent-2']);

    a.disconnect('agent-1', ['billing', 'sales']);
    await waitUntil('agent-1 to stay online through node b', async () => {
      const online = await a.agentsOnline(['billing', 'sales']);
      return online.billing === 2 && online.sales === 0;
    });

    // Node b dies without a goodbye (like SIGKILL): its entries lapse with its heartbeat.
    bClient.destroy();
    await waitUntil('node b to drop out', async () => (await a.agentsOnline(['billing'])).billing === 0);
    await a.stop();
  });

  it('answers with its own node while Redis is down and republishes after Redis restarts empty', async () => {
    const prefix = `r${Date.now()}`;
    const c = await client('pr');
    const p = new RedisPresence(c, { nodeId: 'node-r', prefix, heartbeatMs: 100 });
    p.connect('agent-9', ['hr']);
    await waitUntil('presence written', async () => (await p.agentsOnline(['hr'])).hr === 1);
    await redis.stop();
    await waitUntil('client to notice', () => !c.isReady);
    expect(await p.agentsOnline(['hr'])).toEqual({ hr: 1 });
    p.connect('agent-8', ['hr']);
    await redis.restart();
    await waitUntil('client to reconnect', () => c.isReady);
    const other = new RedisPresence(await client('pr2'), { nodeId: 'node-s', prefix, heartbeatMs: 100 });
    await waitUntil(
      'the restarted Redis to know both agents',
      async () => (await other.agentsOnline(['hr'])).hr === 2,
    );
    await p.stop();
    await other.stop();
  });
});

const limits = {
  loginAccountPerMinute: 10,
  loginAccountBurst: 10,
  loginAccountCeilingPerMinute: 100,
  loginAccountCeilingBurst: 100,
  loginAddressPerMinute: 60,
  loginAddressBurst: 60,
  registerRatePerHour: 10,
};

describe('connectScaleOut', () => {
  it('returns null without REDIS_URL', async () => {
    expect(await connectScaleOut({ redisUrl: null, ...limits })).toBeNull();
  });

  it('shares the registration throttle between nodes, as every other limit', async () => {
    const prefix = `r${Date.now()}`;
    const nodes = [
      await connectScaleOut({ redisUrl: redis.url }, { prefix }),
      await connectScaleOut({ redisUrl: redis.url }, { prefix }),
    ];
    try {
      const [a, b] = nodes.map((n) => {
        if (!n) throw new Error('no scale-out');
        return authThrottles({ ...limits, registerRatePerHour: 3 }, n.rateLimiters).register;
      });
      const key = 'register:addr:203.0.113.7';
      const results = [];
      for (let i = 0; i < 4; i++) results.push(await (i % 2 ? b : a)?.take(key));
      expect(results.map((r) => r?.ok)).toEqual([true, true, true, false]);
    } finally {
      for (const n of nodes) await n?.close();
    }
  });

  it('carries a room emit from one server to a socket on another', async () => {
    const prefix = `s${Date.now()}`;
    const start = async () => {
      const httpServer = http.createServer();
      const io = new Server(httpServer);
      const scale = await connectScaleOut({ redisUrl: redis.url, ...limits }, { prefix });
      scale?.attach(io);
      await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
      io.on('connection', (s) => s.join('department:billing'));
      const { port } = httpServer.address() as AddressInfo;
      return { io, scale, url: `http://127.0.0.1:${port}` };
    };
    const a = await start();
    const b = await start();
    const socket = ioClient(b.url, { transports: ['websocket'], reconnection: false });
    try {
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      // The emit must go through Redis: the socket is on server b, the emit on server a.
      const received = new Promise<unknown>((resolve) => socket.once('hello', resolve));
      await waitUntil(
        'b to be joined',
        async () => (await b.io.in('department:billing').fetchSockets()).length === 1,
      );
      a.io.to('department:billing').emit('hello', { from: 'a' });
      expect(await received).toEqual({ from: 'a' });
    } finally {
      socket.close();
      for (const s of [a, b]) {
        await new Promise<void>((r) => s.io.close(() => r()));
        await s.scale?.close();
      }
    }
  });
});
