// Access tokens (HS256 JWT, node:crypto only) and opaque refresh tokens (random 32 bytes, stored as SHA-256).
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Role } from '@support-chat/protocol';
import type { SessionDoc } from '../store/tokens';

export interface AccessClaims {
  /** user id */
  sub: string;
  /** login session id */
  sid: string;
  role: Role;
  iat: number;
  exp: number;
}

const b64url = (buf: Buffer | string) => Buffer.from(buf).toString('base64url');
const HEADER = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

export function signAccessToken(
  secret: Buffer,
  claims: { sub: string; sid: string; role: Role },
  ttlSec: number,
  nowSec = Math.floor(Date.now() / 1000),
): { token: string; exp: number } {
  const exp = nowSec + ttlSec;
  const payload = b64url(
    JSON.stringify({ sub: claims.sub, sid: claims.sid, role: claims.role, iat: nowSec, exp }),
  );
  const signature = createHmac('sha256', secret).update(`${HEADER}.${payload}`).digest('base64url');
  return { token: `${HEADER}.${payload}.${signature}`, exp };
}

const ROLES: readonly string[] = ['customer', 'agent', 'owner'];

/** Signature, algorithm and expiry only; revocation is checked by the auth service. */
export function decodeAccessToken(
  secret: Buffer,
  token: unknown,
  nowSec = Math.floor(Date.now() / 1000),
): AccessClaims | null {
  if (typeof token !== 'string' || token.length > 2048) return null;
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const [header, payload, signature] = parts as [string, string, string];
  // Only our exact header is accepted, which rules out alg=none and algorithm confusion.
  if (header !== HEADER) return null;
  const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, 'base64url');
  // Buffer's decoder forgives padding, the +/ alphabet and stray low bits: only our own encoding is the token.
  if (given.toString('base64url') !== signature) return null;
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  let claims: Record<string, unknown>;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
  const { sub, sid, role, iat, exp } = claims;
  if (
    typeof sub !== 'string' ||
    typeof sid !== 'string' ||
    typeof role !== 'string' ||
    !ROLES.includes(role)
  ) {
    return null;
  }
  if (typeof exp !== 'number' || typeof iat !== 'number' || exp <= nowSec) return null;
  return { sub, sid, role: role as Role, iat, exp };
}

/** 32 random bytes, base64url: what the client holds. */
export const newRefreshToken = (): string => randomBytes(32).toString('base64url');
/** What the database holds. */
export const hashRefreshToken = (token: string): string => createHash('sha256').update(token).digest('hex');
/** Login session ids: random, unguessable, safe in room names. */
export const newSessionId = (): string => randomBytes(16).toString('base64url');

/** A new login of `userId`, valid for `ttlSec`. */
export const newSessionDoc = (
  userId: SessionDoc['userId'],
  ttlSec: number,
  now = new Date(),
): SessionDoc => ({
  _id: newSessionId(),
  userId,
  createdAt: now,
  expiresAt: new Date(now.getTime() + ttlSec * 1000),
  revokedAt: null,
  revokedReason: null,
});
