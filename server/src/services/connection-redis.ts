// The Redis connection of a scaled-out deployment (REDIS_URL): one client per purpose, each reconnecting forever
// in the background, so that a Redis outage degrades a node (local limits, local presence, no cross-node
// delivery until it is back) but never stops it.
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
import { createLogger } from '../log';

const log = createLogger('redis');

export type RedisClient = ReturnType<typeof createRedisClient>;

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
    // Bounds what waits for Redis during a long outage (cross-node emits); beyond it they fail fast, and the
    // clients' conversation:sync fills what was not delivered live.
    commandsQueueMaxLength: 20_000,
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

export const isRedisError = (reason: unknown): boolean =>
  reason instanceof SocketClosedUnexpectedlyError ||
  reason instanceof ClientClosedError ||
  reason instanceof ClientOfflineError ||
  reason instanceof ConnectionTimeoutError ||
  reason instanceof ReconnectStrategyError ||
  reason instanceof TimeoutError ||
  reason instanceof ErrorReply;

let guardInstalled = false;

/**
 * The Socket.IO adapter fires some Redis commands without awaiting them (PUBLISH of fetchSockets requests, its
 * first SUBSCRIBE); one in flight when Redis drops would be an unhandled rejection, which ends a Node process.
 * This logs exactly those (Redis client errors); anything else keeps Node's default (throw) unless another
 * handler is installed (main.ts logs them).
 */
export function installRedisRejectionGuard(): void {
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
