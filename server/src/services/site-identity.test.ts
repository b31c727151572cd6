// The identity token rules at their edges (the refusals over HTTP are in http/widget/widget.int.test.ts).
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { verifyIdentityToken } from './site-identity';

const secret = Buffer.from('a-site-secret-of-thirty-two-byte', 'utf8');
const NOW = 1_800_000_000;

const sign = (claims: Record<string, unknown>, iat: number, exp: number, key = secret) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt(iat).setExpirationTime(exp).sign(key);

describe('verifyIdentityToken', () => {
  it('accepts exactly one hour of lifetime, not a second more', async () => {
    const ok = await verifyIdentityToken(secret, await sign({ sub: 'c1' }, NOW, NOW + 3600), NOW);
    expect(ok).toEqual({ ok: true, identity: { sub: 'c1', name: null, email: null } });
    const long = await verifyIdentityToken(secret, await sign({ sub: 'c1' }, NOW, NOW + 3601), NOW);
    expect(long).toEqual({ ok: false, reason: 'lifetime' });
  });

  it('refuses expired tokens and tokens issued in the future beyond the clock skew', async () => {
    expect(await verifyIdentityToken(secret, await sign({ sub: 'c1' }, NOW - 700, NOW - 100), NOW)).toEqual({
      ok: false,
      reason: 'expired',
    });
    expect((await verifyIdentityToken(secret, await sign({ sub: 'c1' }, NOW + 30, NOW + 600), NOW)).ok).toBe(
      true,
    );
    expect(await verifyIdentityToken(secret, await sign({ sub: 'c1' }, NOW + 120, NOW + 600), NOW)).toEqual({
      ok: false,
      reason: 'not_yet_valid',
    });
  });

  it('refuses a signature in a non-canonical encoding that decodes to the same bytes', async () => {
    const token = await sign({ sub: 'c1' }, NOW, NOW + 60);
    const [h, p, sig] = token.split('.') as [string, string, string];
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const variant = `${sig.slice(0, -1)}${alphabet[alphabet.indexOf(sig.at(-1) as string) ^ 1]}`;
    expect(Buffer.from(variant, 'base64url').equals(Buffer.from(sig, 'base64url'))).toBe(true);
    expect(await verifyIdentityToken(secret, `${h}.${p}.${variant}`, NOW)).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });

  it('keeps sub exactly, name and email only when they are sensible text', async () => {
    const r = await verifyIdentityToken(
      secret,
      await sign({ sub: ' c2 ', name: 'Zoë', email: 'not an email' }, NOW, NOW + 60),
      NOW,
    );
    expect(r).toEqual({ ok: true, identity: { sub: ' c2 ', name: 'Zoë', email: null } });
    const noSub = await verifyIdentityToken(secret, await sign({ sub: '  ' }, NOW, NOW + 60), NOW);
    expect(noSub.ok).toBe(false);
  });

  it('names the refusal for a wrong key and for another algorithm', async () => {
    const wrong = await sign({ sub: 'c1' }, NOW, NOW + 60, Buffer.from('another-secret-another-secret-xx'));
    expect(await verifyIdentityToken(secret, wrong, NOW)).toEqual({ ok: false, reason: 'signature' });
    const hs384 = await new SignJWT({ sub: 'c1' })
      .setProtectedHeader({ alg: 'HS384' })
      .setIssuedAt(NOW)
      .setExpirationTime(NOW + 60)
      .sign(secret);
    expect(await verifyIdentityToken(secret, hs384, NOW)).toEqual({ ok: false, reason: 'algorithm' });
  });
});
