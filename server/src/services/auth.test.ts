import argon2 from 'argon2';
import { describe, expect, it } from 'vitest';
import { ARGON2_OPTIONS, hashPassword } from './auth';
import { MemoryRateLimiter } from './ratelimit';

describe('password hashing', () => {
  it('uses argon2id with at least OWASP parameters (m=19 MiB, t=2, p=1) and verifies', async () => {
    const samples: number[] = [];
    let hash = '';
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      hash = await hashPassword('correct horse battery staple');
      samples.push(performance.now() - t0);
    }
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(ARGON2_OPTIONS.memoryCost).toBeGreaterThanOrEqual(19_456);
    expect(await argon2.verify(hash, 'correct horse battery staple')).toBe(true);
    expect(await argon2.verify(hash, 'wrong')).toBe(false);
    samples.sort((a, b) => a - b);
    // Measured, not asserted.
    console.log(
      `argon2id hash (m=19456,t=2,p=1): median ${samples[2]?.toFixed(1)} ms, min ${samples[0]?.toFixed(1)} ms`,
    );
  });
});

describe('login throttle (token bucket)', () => {
  it('allows the burst, then answers with a retry time', async () => {
    const throttle = new MemoryRateLimiter({ ratePerSecond: 1, burst: 3 });
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await throttle.take('k'));
    expect(results.slice(0, 3).every((r) => r.ok)).toBe(true);
    const last = results[3];
    expect(last?.ok).toBe(false);
    if (last && !last.ok) expect(last.retryAfterMs).toBeGreaterThan(0);
    expect((await throttle.take('other')).ok).toBe(true);
  });
});
