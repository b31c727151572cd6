// A shop's identity token (SPEC §10): an HS256 JWT signed with the site's secret, `{sub, name?, email?, iat, exp}`,
// `exp - iat` at most an hour. jose verifies the signature (WebCrypto's HMAC verify compares in constant time) and
// refuses every other algorithm, `none` included; the rest is checked here, before and after.
import { MAX_IDENTITY_TOKEN_LIFETIME_SEC } from '@support-chat/protocol';
import { errors, jwtVerify } from 'jose';

export interface ShopIdentity {
  sub: string;
  name: string | null;
  email: string | null;
}

/** Why a token is refused (logged; the caller hears one `unauthorized`). */
export type IdentityRefusal =
  | 'malformed'
  | 'algorithm'
  | 'signature'
  | 'expired'
  | 'lifetime'
  | 'claims'
  | 'not_yet_valid';

/** Issued-at this far in the future is accepted (clocks of the shop and of the chat server differ a little). */
const CLOCK_SKEW_SEC = 60;
const PART = /^[A-Za-z0-9_-]+$/;

const canonical = (part: string): boolean =>
  PART.test(part) && Buffer.from(part, 'base64url').toString('base64url') === part;

const text = (value: unknown, max: number): string | null =>
  typeof value === 'string' && value.trim().length > 0 && value.length <= max && !value.includes('\0')
    ? value.normalize('NFC').trim()
    : null;

export async function verifyIdentityToken(
  secret: Uint8Array,
  token: string,
  nowSec = Math.floor(Date.now() / 1000),
): Promise<{ ok: true; identity: ShopIdentity } | { ok: false; reason: IdentityRefusal }> {
  const parts = token.split('.');
  if (token.length > 4096 || parts.length !== 3) return { ok: false, reason: 'malformed' };
  // Only the canonical encoding is the token: no padding, no +/ alphabet, no stray low bits (SECURITY.md).
  if (!parts.every(canonical)) return { ok: false, reason: 'malformed' };
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, secret, {
      algorithms: ['HS256'],
      requiredClaims: ['sub', 'iat', 'exp'],
      currentDate: new Date(nowSec * 1000),
    }));
  } catch (err) {
    if (err instanceof errors.JWTExpired) return { ok: false, reason: 'expired' };
    if (err instanceof errors.JOSEAlgNotAllowed) return { ok: false, reason: 'algorithm' };
    if (err instanceof errors.JWSSignatureVerificationFailed) return { ok: false, reason: 'signature' };
    if (err instanceof errors.JWTClaimValidationFailed) return { ok: false, reason: 'claims' };
    return { ok: false, reason: 'malformed' };
  }
  const { iat, exp } = payload;
  if (typeof iat !== 'number' || typeof exp !== 'number' || !Number.isFinite(iat) || !Number.isFinite(exp))
    return { ok: false, reason: 'claims' };
  if (exp - iat > MAX_IDENTITY_TOKEN_LIFETIME_SEC || exp <= iat) return { ok: false, reason: 'lifetime' };
  if (iat > nowSec + CLOCK_SKEW_SEC) return { ok: false, reason: 'not_yet_valid' };
  // The shop's own id, opaque: kept exactly as sent (" 42" and "42" are two customers of the shop's, not ours to merge).
  const sub =
    typeof payload.sub === 'string' &&
    payload.sub.trim() !== '' &&
    payload.sub.length <= 200 &&
    !payload.sub.includes('\0')
      ? payload.sub
      : null;
  if (!sub) return { ok: false, reason: 'claims' };
  const email = text(payload.email, 254);
  return {
    ok: true,
    identity: {
      sub,
      name: text(payload.name, 100),
      email: email && /^[^\s@]+@[^\s@]+$/.test(email) ? email : null,
    },
  };
}
