// Keyed token buckets. The interface is asynchronous so that a shared (Redis) implementation can replace the
// in-memory one for several server processes without touching the callers.
import type { Config } from '../config';

export type TakeResult = { ok: true } | { ok: false; retryAfterMs: number };

export interface RateLimiter {
  /** Takes `cost` tokens (default 1) from the bucket of `key`, or says how long until they are there. */
  take(key: string, cost?: number): Promise<TakeResult>;
}

export interface BucketOptions {
  /** Refill rate. */
  ratePerSecond: number;
  /** Bucket size: how many can be taken at once after a quiet period. */
  burst: number;
  /** Upper bound on remembered keys; full buckets are forgotten first. */
  maxKeys?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** In-process token buckets; `now` is injectable so tests need not wait. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly ratePerMs: number;
  private readonly burst: number;
  private readonly maxKeys: number;

  constructor(
    opts: BucketOptions,
    private readonly now: () => number = Date.now,
  ) {
    if (!(opts.ratePerSecond > 0) || !(opts.burst >= 1)) throw new Error('rate must be > 0 and burst >= 1');
    this.ratePerMs = opts.ratePerSecond / 1000;
    this.burst = opts.burst;
    this.maxKeys = opts.maxKeys ?? 100_000;
  }

  takeSync(key: string, cost = 1): TakeResult {
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= this.maxKeys) this.evict(now);
      bucket = { tokens: this.burst, at: now };
      this.buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.at) * this.ratePerMs);
      bucket.at = now;
    }
    if (bucket.tokens >= cost) {
      bucket.tokens -= cost;
      return { ok: true };
    }
    return { ok: false, retryAfterMs: Math.max(1, Math.ceil((cost - bucket.tokens) / this.ratePerMs)) };
  }

  take(key: string, cost = 1): Promise<TakeResult> {
    return Promise.resolve(this.takeSync(key, cost));
  }

  /** Forgets buckets that have refilled (they behave exactly like new ones); then the oldest if still full. */
  private evict(now: number): void {
    for (const [key, b] of this.buckets) {
      if (b.tokens + (now - b.at) * this.ratePerMs >= this.burst) this.buckets.delete(key);
    }
    if (this.buckets.size >= this.maxKeys) {
      const drop = Math.ceil(this.maxKeys / 10);
      let n = 0;
      for (const key of this.buckets.keys()) {
        if (n++ >= drop) break;
        this.buckets.delete(key);
      }
    }
  }

  get size(): number {
    return this.buckets.size;
  }
}

/** Builds a named limiter: per process by default, shared through Redis when several processes serve one site. */
export type RateLimiterFactory = (name: string, opts: BucketOptions) => RateLimiter;

export const memoryRateLimiters: RateLimiterFactory = (_name, opts) => new MemoryRateLimiter(opts);

/** Login attempts per address, per (account, address) and per account (a ceiling); registrations per address. */
export interface AuthThrottles {
  address: RateLimiter;
  accountAddress: RateLimiter;
  account: RateLimiter;
  register: RateLimiter;
}

export function authThrottles(
  config: Pick<
    Config,
    | 'loginAccountPerMinute'
    | 'loginAccountBurst'
    | 'loginAccountCeilingPerMinute'
    | 'loginAccountCeilingBurst'
    | 'loginAddressPerMinute'
    | 'loginAddressBurst'
    | 'registerRatePerHour'
  >,
  limiter: RateLimiterFactory,
): AuthThrottles {
  return {
    accountAddress: limiter('login-account-address', {
      ratePerSecond: config.loginAccountPerMinute / 60,
      burst: config.loginAccountBurst,
    }),
    account: limiter('login-account', {
      ratePerSecond: config.loginAccountCeilingPerMinute / 60,
      burst: config.loginAccountCeilingBurst,
    }),
    address: limiter('login-address', {
      ratePerSecond: config.loginAddressPerMinute / 60,
      burst: config.loginAddressBurst,
    }),
    register: limiter('register-address', {
      ratePerSecond: config.registerRatePerHour / 3600,
      burst: Math.max(1, Math.ceil(config.registerRatePerHour)),
    }),
  };
}

/** The socket events' buckets, charged per user before an event does anything. */
export interface ChatLimits {
  message: RateLimiter;
  typing: RateLimiter;
  open: RateLimiter;
  /** Every other client event, a wide guard against one user flooding the database with reads. */
  events: RateLimiter;
}

export function chatLimits(
  config: Pick<Config, 'messageRatePerSecond' | 'messageBurst' | 'typingRatePerSecond' | 'openRatePerMinute'>,
  limiter: RateLimiterFactory,
): ChatLimits {
  return {
    message: limiter('message', { ratePerSecond: config.messageRatePerSecond, burst: config.messageBurst }),
    typing: limiter('typing', {
      ratePerSecond: config.typingRatePerSecond,
      burst: Math.max(3, Math.ceil(config.typingRatePerSecond * 2)),
    }),
    open: limiter('open', {
      ratePerSecond: config.openRatePerMinute / 60,
      burst: Math.max(5, Math.ceil(config.openRatePerMinute / 3)),
    }),
    events: limiter('events', {
      ratePerSecond: Math.max(50, config.messageRatePerSecond * 5),
      burst: Math.max(100, config.messageBurst * 5),
    }),
  };
}
