import { describe, expect, it } from 'vitest';
import { MemoryRateLimiter } from './ratelimit';

const clock = () => {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
};

describe('MemoryRateLimiter', () => {
  it('allows a burst, then refuses with the time until the next token', async () => {
    const c = clock();
    const limiter = new MemoryRateLimiter({ ratePerSecond: 10, burst: 20 }, c.now);
    for (let i = 0; i < 20; i++) expect((await limiter.take('u1')).ok).toBe(true);
    const refused = await limiter.take('u1');
    expect(refused).toEqual({ ok: false, retryAfterMs: 100 });
    c.advance(100);
    expect((await limiter.take('u1')).ok).toBe(true);
    expect((await limiter.take('u1')).ok).toBe(false);
  });

  it('keeps keys apart: one flooding key does not affect another', async () => {
    const c = clock();
    const limiter = new MemoryRateLimiter({ ratePerSecond: 1, burst: 2 }, c.now);
    await limiter.take('a');
    await limiter.take('a');
    expect((await limiter.take('a')).ok).toBe(false);
    expect((await limiter.take('b')).ok).toBe(true);
  });

  it('refills up to the burst only, and charges a cost', async () => {
    const c = clock();
    const limiter = new MemoryRateLimiter({ ratePerSecond: 2, burst: 4 }, c.now);
    expect((await limiter.take('k', 4)).ok).toBe(true);
    c.advance(60_000);
    expect((await limiter.take('k', 4)).ok).toBe(true);
    expect(await limiter.take('k', 3)).toEqual({ ok: false, retryAfterMs: 1500 });
  });

  it('forgets refilled buckets when it reaches its key limit', async () => {
    const c = clock();
    const limiter = new MemoryRateLimiter({ ratePerSecond: 1, burst: 1, maxKeys: 10 }, c.now);
    for (let i = 0; i < 10; i++) await limiter.take(`k${i}`);
    c.advance(5_000);
    await limiter.take('new');
    expect(limiter.size).toBe(1);
    for (let i = 0; i < 30; i++) await limiter.take(`x${i}`);
    expect(limiter.size).toBeLessThanOrEqual(10);
  });
});
