// Scale-out: with REDIS_URL, the Socket.IO Redis Streams adapter carries every room emit to the sockets on every
// node, and the same Redis holds the shared rate limits (messages, typing, opens, logins) and presence. Without
// it, nothing changes: Socket.IO's in-memory adapter, per-process limits, presence counted from the sockets.
// Redis going away never stops a node: commands wait in the client's offline queue or fall back to local
// answers, and what a client missed live is filled by its conversation:sync after reconnecting.
import { createAdapter } from '@socket.io/redis-streams-adapter';
import type { Server } from 'socket.io';
import type { Config } from '../config';
import { createLogger } from '../log';
import {
  createRedisClient,
  installRedisRejectionGuard,
  type RedisClient,
} from '../services/connection-redis';
import { RedisPresence } from '../services/presence-redis';
import type { RateLimiterFactory } from '../services/ratelimit';
import { RedisRateLimiter } from '../services/ratelimit-redis';

const log = createLogger('scale-out');

export interface ScaleOut {
  /** Command connection for rate limits and presence (the adapter publishes through it too). */
  redis: RedisClient;
  /** This process's id in presence records. */
  nodeId: string;
  /** Shared presence, and every rate limit (messages, typing, opens, logins), for the services. */
  presence: RedisPresence;
  rateLimiters: RateLimiterFactory;
  /** Installs the Streams adapter on the server (before it accepts connections). */
  attach(io: Server): void;
  /** After io.close(): leaves presence and closes the connection. */
  close(): Promise<void>;
}

export interface ScaleOutOptions {
  /** How long the boot waits for Redis before going on without it (it keeps reconnecting). */
  connectWaitMs?: number;
  /** Key, stream and channel prefix, so that several deployments (or test files) can share one Redis. */
  prefix?: string;
}

type ScaleOutConfig = Pick<Config, 'redisUrl'>;

/** Null without REDIS_URL. Connects (waiting at most a few seconds: a node also starts while Redis is down). */
export async function connectScaleOut(
  config: ScaleOutConfig,
  opts: ScaleOutOptions = {},
): Promise<ScaleOut | null> {
  if (!config.redisUrl) return null;
  installRedisRejectionGuard();
  const nodeId = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  const prefix = opts.prefix ?? 'support-chat';
  const redis = createRedisClient(config.redisUrl, `support-chat-${nodeId}`);
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

  const presence = new RedisPresence(redis, { nodeId, prefix });
  const limiter: RateLimiterFactory = (name, o) => new RedisRateLimiter(redis, { ...o, name, prefix });
  return {
    redis,
    nodeId,
    presence,
    rateLimiters: limiter,
    attach(io) {
      io.adapter(
        createAdapter(redis, {
          streamName: `${prefix}:socket.io`,
          channelPrefix: `${prefix}:socket.io`,
          // Returns within a second of shutdown instead of holding the process for the default 5 s.
          blockTimeInMs: 1000,
          // Our payloads are JSON: skips the per-emit scan for binary data.
          onlyPlaintext: true,
        }),
      );
      log.info({ nodeId, ready: redis.isReady }, 'socket.io redis streams adapter installed');
    },
    async close() {
      await presence.stop();
      await redis.close().catch(() => redis.destroy());
    },
  };
}
