// Scale-out: with REDIS_URL, the Socket.IO Redis Streams adapter carries every room emit to the sockets on every
// node, and the same Redis connection serves the shared rate limits and presence. Without it, nothing changes
// (Socket.IO's in-memory adapter). Redis going away never stops a node: clients reconnect in the background,
// commands wait in the offline queue, and what was missed live is filled by the clients' conversation:sync.
import { createAdapter } from '@socket.io/redis-streams-adapter';
import {
  ClientClosedError,
  ClientOfflineError,
  ConnectionTimeoutError,
  createClient,
  ErrorReply,
  ReconnectStrategyError,
  SocketClosedUnexpectedlyError,
  TimeoutError,
} from 'redis';
import type { Server } from 'socket.io';
import { createLogger } from '../log';

const log = createLogger('scale-out');

export type RedisClient = ReturnType<typeof createRedisClient>;

export interface ScaleOut {
  /** Command connection for rate limits and presence (the adapter publishes through it too). */
  redis: RedisClient;
  /** This process's id in presence records. */
  nodeId: string;
  close(): Promise<void>;
}

export interface ScaleOutOptions {
  /** How long the boot waits for Redis before going on without it (it keeps reconnecting). */
  connectWaitMs?: number;
  /** Stream and channel names, so that several deployments (or test files) can share one Redis. */
  prefix?: string;
}

/** Backoff 50 ms doubling to 2 s with jitter; never gives up (a node outlives any Redis outage). */
const reconnectStrategy = (retries: number): number =>
  Math.min(50 * 2 ** retries, 2000) + Math.random() * 100;

export function createRedisClient(url: string, name: string) {
  const client = createClient({
    url,
    name,
    socket: { reconnectStrategy, connectTimeout: 2000 },
    // Detects a half-open connection (Redis host gone without a FIN) within seconds.
    pingInterval: 5000,
  });
  let down = false;
  // Without an 'error' listener a failed connection would be thrown and end the process.
  client.on('error', (err: Error) => {
    if (!down) log.warn({ client: name, err: err.message }, 'redis unavailable; retrying in the background');
    down = true;
  });
  client.on('ready', () => {
    if (down) log.info({ client: name }, 'redis connection restored');
    down = false;
  });
  return client;
}

const isRedisError = (reason: unknown): boolean =>
  reason instanceof SocketClosedUnexpectedlyError ||
  reason instanceof ClientClosedError ||
  reason instanceof ClientOfflineError ||
  reason instanceof ConnectionTimeoutError ||
  reason instanceof ReconnectStrategyError ||
  reason instanceof TimeoutError ||
  reason instanceof ErrorReply;

let guardInstalled = false;

/**
 * The adapter fires some Redis commands without awaiting them (PUBLISH of fetchSockets requests, its initial
 * SUBSCRIBE); one in flight when Redis drops would be an unhandled rejection, which ends a Node process. This
 * logs exactly those (Redis client errors); anything else keeps Node's default (throw) unless another handler
 * (main.ts logs them) is installed.
 */
function installRejectionGuard(): void {
  if (guardInstalled) return;
  guardInstalled = true;
  process.on('unhandledRejection', (reason) => {
    if (isRedisError(reason)) {
      log.warn({ err: (reason as Error).message }, 'redis command failed while the connection was down');
      return;
    }
    if (process.listenerCount('unhandledRejection') === 1) throw reason;
  });
}

/** Null without a URL: the in-memory adapter stays and every limit and count is per process. */
export async function setupScaleOut(
  io: Server,
  redisUrl: string | null,
  opts: ScaleOutOptions = {},
): Promise<ScaleOut | null> {
  if (!redisUrl) return null;
  installRejectionGuard();
  const nodeId = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  const redis = createRedisClient(redisUrl, `support-chat-${nodeId}`);
  const connected = redis.connect().then(
    () => true,
    (err: Error) => {
      log.error({ err: err.message }, 'redis connect failed');
      return false;
    },
  );
  const waitMs = opts.connectWaitMs ?? 5000;
  let timer: NodeJS.Timeout | undefined;
  const ready = await Promise.race([
    connected,
    new Promise<false>((r) => {
      timer = setTimeout(() => r(false), waitMs);
    }),
  ]);
  clearTimeout(timer);
  if (!ready) log.warn({ waitMs }, 'redis not reachable at start; serving this node alone until it is');

  const prefix = opts.prefix ?? 'support-chat';
  io.adapter(
    createAdapter(redis, {
      streamName: `${prefix}:socket.io`,
      channelPrefix: `${prefix}:socket.io`,
      // Returns within a second of shutdown instead of holding the process for the default 5 s.
      blockTimeInMs: 1000,
      // Our payloads are JSON; skips the per-emit scan for binary.
      onlyPlaintext: true,
    }),
  );
  log.info({ nodeId, ready }, 'socket.io redis streams adapter installed');

  return {
    redis,
    nodeId,
    async close() {
      // io.close() (called by the server before this) stops the adapter's own duplicated connections.
      await redis.close().catch(() => redis.destroy());
    },
  };
}
