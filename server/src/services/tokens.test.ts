import { describe, expect, it } from 'vitest';
import { decodeAccessToken, hashRefreshToken, newRefreshToken, signAccessToken } from './tokens';

const secret = Buffer.alloc(48, 3);
const claims = { sub: 'a'.repeat(24), sid: 'session1', role: 'customer' as const };

describe('access tokens', () => {
  it('round-trips and carries sub, sid, role, exp <= 15 min', () => {
    const { token, exp } = signAccessToken(secret, claims, 900);
    const decoded = decodeAccessToken(secret, token);
    expect(decoded).toMatchObject({ ...claims, exp });
    expect(exp - (decoded?.iat ?? 0)).toBe(900);
  });

  it('rejects expiry, another key, tampering, alg none and junk', () => {
    const now = Math.floor(Date.now() / 1000);
    expect(decodeAccessToken(secret, signAccessToken(secret, claims, 60, now - 120).token)).toBeNull();
    expect(decodeAccessToken(Buffer.alloc(48, 4), signAccessToken(secret, claims, 60).token)).toBeNull();
    const [h, p, s] = signAccessToken(secret, claims, 60).token.split('.');
    const elevated = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(p ?? '', 'base64url').toString()), role: 'owner' }),
    ).toString('base64url');
    expect(decodeAccessToken(secret, `${h}.${elevated}.${s}`)).toBeNull();
    const none = Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url');
    expect(decodeAccessToken(secret, `${none}.${p}.`)).toBeNull();
    // The same signature bytes spelled with padding or the +/ alphabet.
    const sig = s ?? '';
    expect(decodeAccessToken(secret, `${h}.${p}.${sig}=`)).toBeNull();
    expect(
      decodeAccessToken(secret, `${h}.${p}.${Buffer.from(sig, 'base64url').toString('base64')}`),
    ).toBeNull();
    for (const junk of [undefined, null, 42, {}, '', 'a.b', 'a.b.c.d', 'x'.repeat(5000)]) {
      expect(decodeAccessToken(secret, junk)).toBeNull();
    }
  });
});

describe('refresh tokens', () => {
  it('are 32 random bytes in base64url, stored as SHA-256 hex', () => {
    const t = newRefreshToken();
    expect(Buffer.from(t, 'base64url')).toHaveLength(32);
    expect(newRefreshToken()).not.toBe(t);
    expect(hashRefreshToken(t)).toMatch(/^[a-f0-9]{64}$/);
    expect(hashRefreshToken(t)).not.toContain(t);
  });
});
