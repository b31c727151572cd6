// The server: one http.Server carrying Koa (HTTP API, web page) and Socket.IO, over one database connection.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Router } from '@koa/router';
import Koa from 'koa';
import { Server } from 'socket.io';
import type { Config } from './config';
import { authRouter } from './http/auth/router';
import { jsonBody } from './http/body';
import { conversationsRouter } from './http/conversations/router';
import { departmentsRouter } from './http/departments/router';
import { errorMiddleware } from './http/errors';
import { healthRouter } from './http/health/router';
import { meRouter } from './http/me/router';
import { securityHeaders, webPage } from './http/web/static';
import { createLogger } from './log';
import { errorsTotal, httpRequestDuration } from './metrics';
import { connectScaleOut } from './realtime/adapter';
import { type ChatIo, createAllowRequest, installRealtimeAuth, type RealtimeAuth } from './realtime/auth';
import { registerRealtime } from './realtime/index';
import { AccountService, type PresenceSource } from './services/accounts';
import { AuthService, type AuthServiceOptions } from './services/auth';
import { connectStore, type Store } from './store/db';
import { seedDepartments } from './store/departments';

const log = createLogger('app');

export interface Services {
  auth: AuthService;
  accounts: AccountService;
}

/** Everything the transport layers (ours and the chat helper's) are built from. */
export interface AppDeps {
  config: Config;
  store: Store;
  services: Services;
  io: ChatIo;
  realtime: RealtimeAuth;
  /** agentsOnline for GET /api/departments; the chat layer may replace it with its presence service. */
  presence: PresenceSource;
  /** Wrap every durable write so graceful shutdown waits for it: `await deps.trackWrite(insert(...))`. */
  trackWrite<T>(write: Promise<T>): Promise<T>;
  /** True once shutdown began; handlers may refuse new work. */
  readonly closing: boolean;
}

export interface ChatServer {
  httpServer: http.Server;
  io: ChatIo;
  store: Store;
  services: Services;
  deps: AppDeps;
  /** Base URL once listening, e.g. http://127.0.0.1:3000 */
  url: string | null;
  listen(): Promise<string>;
  /** Graceful: stop accepting, finish in-flight writes, close sockets, close the database (if ours). */
  close(): Promise<void>;
}

export interface CreateServerOptions {
  /** Use this store instead of connecting (it is then not closed by close()). */
  store?: Store;
  /** How long close() waits for in-flight writes. */
  drainTimeoutMs?: number;
  /** Shared (e.g. Redis) login throttles for several processes; default: in-memory token buckets. */
  loginThrottles?: AuthServiceOptions;
}

/** Tracks in-flight writes so shutdown can wait for them. */
function createWriteTracker() {
  const pending = new Set<Promise<unknown>>();
  return {
    track<T>(write: Promise<T>): Promise<T> {
      pending.add(write);
      const done = () => pending.delete(write);
      write.then(done, done);
      return write;
    },
    async drain(timeoutMs: number): Promise<boolean> {
      const deadline = Date.now() + timeoutMs;
      while (pending.size > 0 && Date.now() < deadline) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.allSettled([...pending]),
          new Promise((r) => {
            timer = setTimeout(r, Math.max(0, deadline - Date.now()));
          }),
        ]);
        clearTimeout(timer);
      }
      return pending.size === 0;
    },
    get size() {
      return pending.size;
    },
  };
}

export async function createServer(config: Config, opts: CreateServerOptions = {}): Promise<ChatServer> {
  const ownsStore = !opts.store;
  if (!opts.store && !config.mongoUri) throw new Error('createServer needs config.mongoUri or opts.store');
  const store = opts.store ?? (await connectStore(config.mongoUri as string, config.dbName));
  const seeded = await seedDepartments(store.db);
  if (seeded > 0) log.info({ count: seeded }, 'default departments seeded');

  // REDIS_URL: Streams adapter, shared rate limits and presence (realtime/adapter.ts); null without it.
  const scaleOut = await connectScaleOut(config);
  const auth = new AuthService(store, config, opts.loginThrottles ?? scaleOut?.auth);
  const accounts = new AccountService(store, auth);
  const services: Services = { auth, accounts };
  const writes = createWriteTracker();
  let closing = false;

  const app = new Koa({ proxy: config.trustProxy });
  const httpServer = http.createServer();
  const io: ChatIo = new Server(httpServer, {
    path: '/socket.io',
    serveClient: false,
    maxHttpBufferSize: config.maxSocketPayloadBytes,
    allowRequest: createAllowRequest(config),
    // Browsers on configured origins may use polling cross-origin; the Origin check itself is allowRequest.
    cors: config.allowedOrigins.length ? { origin: config.allowedOrigins, credentials: false } : undefined,
    pingInterval: 20_000,
    pingTimeout: 20_000,
  });
  scaleOut?.attach(io);
  const realtime = installRealtimeAuth(io, { config, store, auth });

  const deps: AppDeps = {
    config,
    store,
    services,
    io,
    realtime,
    presence: scaleOut?.presence ?? realtime,
    trackWrite: (w) => writes.track(w),
    get closing() {
      return closing;
    },
  };
  if (scaleOut) Object.assign(deps, { chat: scaleOut.chat });

  app.use(async (ctx, next) => {
    const started = process.hrtime.bigint();
    // CORS only for configured extra origins (e.g. the desktop renderer); the own origin needs none.
    const origin = ctx.get('origin');
    if (origin && config.allowedOrigins.includes(origin) && ctx.path.startsWith('/api/')) {
      ctx.set('Access-Control-Allow-Origin', origin);
      ctx.set('Vary', 'Origin');
      ctx.set('Access-Control-Allow-Credentials', 'true');
      if (ctx.method === 'OPTIONS') {
        ctx.set('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
        ctx.set('Access-Control-Allow-Headers', 'Authorization, Content-Type');
        ctx.set('Access-Control-Max-Age', '600');
        ctx.status = 204;
        return;
      }
    }
    try {
      await next();
    } finally {
      const route =
        (ctx as unknown as { _matchedRoute?: string })._matchedRoute ??
        (ctx.path.startsWith('/api') ? 'api-other' : 'static');
      httpRequestDuration.observe(
        { method: ctx.method, route: String(route), status: String(ctx.status) },
        Number(process.hrtime.bigint() - started) / 1e9,
      );
    }
  });
  app.use(securityHeaders);
  app.use(errorMiddleware);
  app.on('apiError', (err: { code: string }) => errorsTotal.inc({ source: 'http', code: err.code }));
  app.use(jsonBody(config.maxHttpBodyBytes));

  const routers: Router[] = [
    healthRouter(deps),
    authRouter(deps),
    meRouter(deps),
    departmentsRouter(deps),
    conversationsRouter(deps),
  ];
  for (const router of routers) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  app.use(webPage(config.webDistDir));

  registerRealtime(io, deps);
  httpServer.on('request', app.callback());

  const server: ChatServer = {
    httpServer,
    io,
    store,
    services,
    deps,
    url: null,
    listen() {
      return new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        // A reconnect storm of thousands overflows Node's default accept backlog (511): dropped SYNs wait for
        // TCP's 1-2-4 s retries. 4096 (capped by the kernel's somaxconn) took 100% back 16 -> 13 s for 5k clients.
        httpServer.listen({ port: config.port, host: config.host, backlog: 4096 }, () => {
          httpServer.off('error', reject);
          const { port } = httpServer.address() as AddressInfo;
          const host = config.host.includes(':') ? `[${config.host}]` : config.host;
          server.url = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${port}`;
          resolve(server.url);
        });
      });
    },
    async close() {
      if (closing) return;
      closing = true;
      const drainMs = opts.drainTimeoutMs ?? 10_000;
      // 1. stop accepting new connections (open ones keep going until step 3)
      const stopped = new Promise<void>((resolve) => httpServer.close(() => resolve()));
      httpServer.closeIdleConnections();
      // 2. let in-flight writes finish
      if (!(await writes.drain(drainMs)))
        log.warn({ pending: writes.size }, 'shutdown: some writes did not finish');
      // 3. close sockets, then remaining HTTP connections
      realtime.stop();
      io.disconnectSockets(true);
      await new Promise<void>((resolve) => io.close(() => resolve()));
      await writes.drain(drainMs);
      await scaleOut?.close();
      httpServer.closeAllConnections();
      await stopped;
      // 4. close the database
      if (ownsStore) await store.close();
      log.info('server closed');
    },
  };
  return server;
}
