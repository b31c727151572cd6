import { afterEach, describe, expect, it, vi } from 'vitest';
import { httpErrorOf, isResult, localExpiry, newClientMsgId, readJwtTimes } from './client-util';
import { clientMsgId } from './schemas';

const b64url = (o: unknown) =>
  btoa(String.fromCharCode(...new TextEncoder().encode(JSON.stringify(o))))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
const jwt = (claims: unknown) => `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(claims)}.signature`;

describe('newClientMsgId', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('makes UUIDs the server accepts', () => {
    const ids = new Set(Array.from({ length: 100 }, newClientMsgId));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(clientMsgId.safeParse(id).success).toBe(true);
  });

  it('falls back to getRandomValues where randomUUID is missing (insecure browser contexts)', () => {
    const real = globalThis.crypto;
    vi.stubGlobal('crypto', { getRandomValues: (b: Uint8Array) => real.getRandomValues(b) });
    const id = newClientMsgId();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(clientMsgId.safeParse(id).success).toBe(true);
  });
});

describe('JWT times', () => {
  it('reads exp and iat without verifying, and returns null for garbage', () => {
    expect(readJwtTimes(jwt({ sub: 'u', exp: 2000, iat: 1100 }))).toEqual({ exp: 2000, iat: 1100 });
    expect(readJwtTimes(jwt({ sub: 'ü', exp: 5 }))).toEqual({ exp: 5, iat: undefined });
    expect(readJwtTimes('nope')).toBeNull();
    expect(readJwtTimes('a.!!!.c')).toBeNull();
    expect(readJwtTimes(jwt({ sub: 'u' }))).toBeNull();
  });

  it('plans expiry on the local clock from the lifetime, so clock skew does not matter', () => {
    // Server clock an hour ahead: exp - iat is still 900 s.
    const serverNow = 1_700_003_600;
    expect(localExpiry(jwt({ exp: serverNow + 900, iat: serverNow }), 1_000_000)).toBe(1_000_000 + 900_000);
    expect(localExpiry(jwt({ exp: 1234 }), 0)).toBe(1_234_000);
    expect(localExpiry('x', 0)).toBeNull();
  });
});

describe('httpErrorOf', () => {
  it('keeps the server error body', () => {
    const e = httpErrorOf(409, { error: { code: 'username_taken', message: 'Taken.' } }, null);
    expect(e).toEqual({ code: 'username_taken', message: 'Taken.' });
  });

  it('maps statuses when the body is not an error body', () => {
    expect(httpErrorOf(404, null, null).code).toBe('not_found');
    expect(httpErrorOf(502, '<html>', null).code).toBe('unavailable');
    expect(httpErrorOf(500, null, null).code).toBe('internal_error');
    expect(httpErrorOf(418, { error: { code: 'teapot', message: 'x' } }, null).code).toBe('invalid_input');
  });

  it('carries retryAfterMs from the body or the Retry-After header', () => {
    expect(httpErrorOf(429, null, '3').retryAfterMs).toBe(3000);
    expect(
      httpErrorOf(429, { error: { code: 'rate_limited', message: 'x', retryAfterMs: 250 } }, '3')
        .retryAfterMs,
    ).toBe(250);
  });

  it('recognises results on the wire', () => {
    expect(isResult({ ok: true, data: {} })).toBe(true);
    expect(isResult({ ok: false, error: { code: 'x', message: 'y' } })).toBe(true);
    expect(isResult({ ok: false })).toBe(false);
    expect(isResult('ok')).toBe(false);
  });
});
