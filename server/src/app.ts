// The composition root: the only place that knows how the parts fit. It builds the store, then the services,
// then the transports (HTTP routers and Socket.IO on one http.Server), once and in that order.
import http from 'node:http';
import type { Config } from './config';
import { adminRouter } from './http/admin/router';
import { createHttpApp, listen } from './http/app';
import { attachmentsRouter } from './http/attachments/router';
import { authRouter } from './http/auth/router';
import { conversationsRouter } from './http/conversations/router';
import { departmentsRouter } from './http/departments/router';
import { healthRouter } from './http/health/router';
import { meRouter } from './http/me/router';
import { widgetRouter } from './http/widget/router';
import { ServerLifecycle } from './lifecycle';
import { createLogger } from './log';
import { watchMessageBatches } from './metrics';
import type { ScaleOut } from './realtime/adapter';
import { type ChatIo, installRealtimeAuth, type RealtimeAuth } from './realtime/auth';
import { createSocketServer, registerRealtime } from './realtime/index';
import { roomNotifier, socketPresence } from './realtime/notifier';
import { createServices, type Services } from './services/index';
import { connectStore, type Store } from './store/db';

const log = createLogger('app');

export interface ChatServer {
  httpServer: http.Server;
  io: ChatIo;
  config: Config;
  store: Store;
  services: Services;
  realtime: RealtimeAuth;
  lifecycle: ServerLifecycle;
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
  /** Redis-backed presence, limits and adapter; default: connected from config.redisUrl (none without it). */
  scaleOut?: ScaleOut | null;
}

const requireMongoUri = ({ mongoUri }: Config): string => {
  if (!mongoUri) throw new Error('createServer needs config.mongoUri or opts.store');
  return mongoUri;
};

export async function createServer(config: Config, opts: CreateServerOptions = {}): Promise<ChatServer> {
  const store = opts.store ?? (await connectStore(requireMongoUri(config), config.dbName));
  const seeded = await store.departments.seed();
  if (seeded > 0) log.info({ count: seeded }, 'default departments seeded');
  // The Redis client is loaded only for a scaled-out deployment (a quarter of a second of a single node's start).
  const scaleOut =
    opts.scaleOut !== undefined
      ? opts.scaleOut
      : config.redisUrl
        ? await (await import('./realtime/adapter')).connectScaleOut(config)
        : null;

  // Socket.IO keeps its path and hands every other request to the listeners the server has when it attaches; a
  // listener added later would answer Socket.IO's long-polls too (a 404, then engine.io's own write crashes). So
  // the server's one listener exists now and calls Koa once the transports are built.
  let handleHttp: http.RequestListener = (_req, res) => {
    res.statusCode = 503;
    res.end();
  };
  const httpServer = http.createServer((req, res) => handleHttp(req, res));
  const io = createSocketServer(httpServer, config);
  scaleOut?.attach(io);

  const services = createServices(store, config, {
    presence: scaleOut?.presence ?? socketPresence(io),
    notifier: roomNotifier(io),
    rateLimiters: scaleOut?.rateLimiters,
  });
  const { auth, accounts, conversations, messages, presence, live } = services;
  watchMessageBatches(() => store.messages.insertBatches);
  // Summaries a crash left behind their messages are repaired before anyone reads them.
  await live.repairDirty();
  // The inbox index of older conversations (once), and the counts from the open conversations.
  await services.inbox.start();
  if (scaleOut) {
    // The other nodes drop their copy of a conversation whose state this one changed (and the reverse).
    live.onChanged = (id, read) => io.serverSideEmit('conversation:changed', id, read ?? null);
    io.on('conversation:changed', (id, read) => live.invalidate(id, read ?? undefined));
    // A transfer is acknowledged once every node holds the new department (SPEC §12); the adapter gives up on a
    // silent node after its requests timeout (5 s).
    live.onMoved = async (id) => {
      try {
        await io.serverSideEmitWithAck('conversation:moved', id);
      } catch (err) {
        log.warn(
          { err: (err as Error).message, conversationId: id },
          'a node did not confirm a transfer in time',
        );
      }
    };
    io.on('conversation:moved', (id, done) => {
      live.refresh(id).then(
        () => done(true),
        (err: Error) => {
          log.warn({ err: err.message, conversationId: id }, 'transferred conversation not read again');
          done(false);
        },
      );
    });
  }

  const lifecycle = new ServerLifecycle();
  const app = createHttpApp(
    config,
    [
      healthRouter({
        lifecycle,
        databaseAnswers: (ms) => store.ping(ms),
        metricsToken: config.metricsToken,
        metricsEnabled: config.metricsEnabled,
      }),
      authRouter(auth, lifecycle, config),
      meRouter(auth),
      departmentsRouter(auth, accounts, presence),
      widgetRouter({ auth, widget: services.widget, conversations, lifecycle }, config),
      conversationsRouter(auth, conversations, messages, services.inbox),
      adminRouter(auth, services.owner, services.reports),
    ],
    [attachmentsRouter(auth, services.attachments)],
  );
  services.attachments.startCleanup();

  handleHttp = app.callback();
  const realtime = installRealtimeAuth(io, auth, config);
  registerRealtime(io, services, realtime, lifecycle);

  const server: ChatServer = {
    httpServer,
    io,
    config,
    store,
    services,
    realtime,
    lifecycle,
    url: null,
    async listen() {
      server.url = await listen(httpServer, config);
      return server.url;
    },
    async close() {
      if (lifecycle.closing) return;
      lifecycle.closing = true;
      const drainMs = opts.drainTimeoutMs ?? 10_000;
      // 1. stop accepting new connections (open ones keep going until step 3)
      const stopped = new Promise<void>((resolve) => httpServer.close(() => resolve()));
      httpServer.closeIdleConnections();
      // 2. let in-flight writes finish
      if (!(await lifecycle.drain(drainMs)))
        log.warn({ pending: lifecycle.pendingWrites }, 'shutdown: some writes did not finish');
      // 3. close sockets, then remaining HTTP connections
      realtime.stop();
      io.disconnectSockets(true);
      await new Promise<void>((resolve) => io.close(() => resolve()));
      await lifecycle.drain(drainMs);
      services.attachments.stopCleanup();
      // 4. write the summaries of what was acknowledged (the messages themselves are stored already)
      await live
        .close()
        .catch((err: Error) =>
          log.warn({ err: err.message }, 'shutdown: summaries not written (the next start repairs them)'),
        );
      await scaleOut?.close();
      httpServer.closeAllConnections();
      await stopped;
      // 5. close the database
      if (!opts.store) await store.close();
      log.info('server closed');
    },
  };
  return server;
}
