// Token buckets shared by every server process through Redis (one Lua script: refill, take, expire, atomically).
// While Redis is unreachable or slow, each process falls back to its own in-memory buckets with the same limits:
// a user can then get at most N times the limit across N nodes for the length of the outage, never unlimited,
// and no request waits for Redis.

import { createLogger } from '../log';
import type { RedisClient } from './connection-redis';
import { type BucketOptions, MemoryRateLimiter, type RateLimiter, type TakeResult } from './ratelimit';

const log = createLogger('ratelimit-redis');

// Redis's own clock (TIME) so that nodes with skewed clocks share one notion of "now".
const TAKE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1])
local at = tonumber(b[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local retry = 0
if tokens >= cost then
  tokens = tokens - cost
else
  retry = math.ceil((cost - tokens) / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate) + 1000)
return retry
`;

export interface RedisBucketOptions extends BucketOptions {
  /** Names the limit in the key: `<prefix>:rl:<name>:<key>`. */
  name: string;
  prefix?: string;
  /** Beyond this the answer comes from the local fallback (default 100 ms). */
  timeoutMs?: number;
}

export class RedisRateLimiter implements RateLimiter {
  private readonly local: MemoryRateLimiter;
  private readonly keyPrefix: string;
  private readonly ratePerMs: string;
  private readonly burst: string;
  private readonly timeoutMs: number;
  private sha: string | null = null;
  private degraded = false;

  constructor(
    private readonly redis: RedisClient,
    opts: RedisBucketOptions,
  ) {
    this.local = new MemoryRateLimiter(opts);
    this.keyPrefix = `${opts.prefix ?? 'support-chat'}:rl:${opts.name}:`;
    this.ratePerMs = String(opts.ratePerSecond / 1000);
    this.burst = String(opts.burst);
    this.timeoutMs = opts.timeoutMs ?? 100;
  }

  async take(key: string, cost = 1): Promise<TakeResult> {
    if (!this.redis.isReady) return this.fallback(key, cost, 'not connected');
    try {
      const retry = Number(await this.run(this.keyPrefix + key, String(cost)));
      if (this.degraded) {
        this.degraded = false;
        log.info('shared rate limits restored');
      }
      return retry > 0 ? { ok: false, retryAfterMs: retry } : { ok: true };
    } catch (err) {
      return this.fallback(key, cost, (err as Error).message);
    }
  }

  private async run(key: string, cost: string): Promise<unknown> {
    const client = this.redis.withCommandOptions({ timeout: this.timeoutMs });
    const args = { keys: [key], arguments: [this.ratePerMs, this.burst, cost] };
    if (this.sha) {
      try {
        return await client.evalSha(this.sha, args);
      } catch (err) {
        // A restarted Redis has an empty script cache.
        if (!(err as Error).message.startsWith('NOSCRIPT')) throw err;
      }
    }
    this.sha = String(await client.scriptLoad(TAKE_SCRIPT));
    return client.evalSha(this.sha, args);
  }

  private fallback(key: string, cost: number, why: string): TakeResult {
    if (!this.degraded) {
      this.degraded = true;
      log.warn({ why }, 'redis unavailable: rate limits are per process until it is back');
    }
    return this.local.takeSync(key, cost);
  }
}
