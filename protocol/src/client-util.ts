// Small helpers of the chat client that run the same in browsers and Node: ids, JWT expiry, HTTP error mapping,
// answer checks and the event emitter.
import { type ApiError, ErrorCode } from './errors';
import type { Message, Note, User } from './types';

/** A UUIDv4: crypto.randomUUID where it exists (secure contexts), else built from getRandomValues. */
export function newClientMsgId(): string {
  const c = (
    globalThis as {
      crypto?: { randomUUID?: () => string; getRandomValues?: <T extends Uint8Array>(b: T) => T };
    }
  ).crypto;
  if (typeof c?.randomUUID === 'function') {
    try {
      return c.randomUUID();
    } catch {
      // insecure context: fall through
    }
  }
  const b = new Uint8Array(16);
  if (typeof c?.getRandomValues === 'function') c.getRandomValues(b);
  else for (let i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The `exp` and `iat` claims of a JWT, read without verifying (only to plan the refresh). */
export function readJwtTimes(token: string): { exp: number; iat?: number } | null {
  const part = token.split('.')[1];
  if (!part) return null;
  try {
    const b64 = part
      .replace(/-/g, '+')
      .replace(/_/g, '/')
      .padEnd(Math.ceil(part.length / 4) * 4, '=');
    const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes)) as { exp?: unknown; iat?: unknown };
    if (typeof claims.exp !== 'number') return null;
    return { exp: claims.exp, iat: typeof claims.iat === 'number' ? claims.iat : undefined };
  } catch {
    return null;
  }
}

/**
 * When, on this client's clock, an access token received at `receivedAt` expires. Uses the lifetime
 * (exp - iat) when present so that a skewed client clock does not matter.
 */
export function localExpiry(token: string, receivedAt: number): number | null {
  const t = readJwtTimes(token);
  if (!t) return null;
  if (t.iat !== undefined && t.exp > t.iat) return receivedAt + (t.exp - t.iat) * 1000;
  return t.exp * 1000;
}

const codeByStatus: Record<number, ErrorCode> = {
  400: ErrorCode.invalidInput,
  401: ErrorCode.unauthorized,
  403: ErrorCode.forbidden,
  404: ErrorCode.notFound,
  409: ErrorCode.conflict,
  413: ErrorCode.tooLarge,
  429: ErrorCode.rateLimited,
  500: ErrorCode.internal,
};

const knownCodes: ReadonlySet<string> = new Set(Object.values(ErrorCode));

/** An HTTP error answer as an ApiError: the server's `{error}` body when it has one, else from the status. */
export function httpErrorOf(status: number, body: unknown, retryAfterHeader: string | null): ApiError {
  const raw = (body as { error?: Partial<ApiError> } | null)?.error;
  const code =
    raw && typeof raw.code === 'string' && knownCodes.has(raw.code)
      ? (raw.code as ErrorCode)
      : (codeByStatus[status] ?? (status >= 500 ? ErrorCode.unavailable : ErrorCode.invalidInput));
  const error: ApiError = {
    code,
    message:
      raw && typeof raw.message === 'string' && raw.message
        ? raw.message
        : status >= 500
          ? 'The server is not available right now. Please try again.'
          : `The request failed (HTTP ${status}).`,
  };
  if (raw && Array.isArray(raw.issues)) error.issues = raw.issues;
  if (code === ErrorCode.rateLimited) {
    const seconds = retryAfterHeader ? Number(retryAfterHeader) : Number.NaN;
    error.retryAfterMs =
      typeof raw?.retryAfterMs === 'number'
        ? raw.retryAfterMs
        : Number.isFinite(seconds)
          ? seconds * 1000
          : 1000;
  }
  return error;
}

export const unavailable = (message = 'Cannot reach the server. Check your connection.'): ApiError => ({
  code: ErrorCode.unavailable,
  message,
});

export const badAnswer = (): ApiError => ({
  code: ErrorCode.internal,
  message: 'Unexpected answer from the server.',
});

export const notLoggedIn = (): ApiError => ({
  code: ErrorCode.unauthorized,
  message: 'You are not logged in.',
});

/** A shape check for acknowledgements coming off the wire. */
export function isResult(x: unknown): x is { ok: boolean; data?: unknown; error?: ApiError } {
  if (typeof x !== 'object' || x === null || typeof (x as { ok?: unknown }).ok !== 'boolean') return false;
  const r = x as { ok: boolean; error?: { code?: unknown; message?: unknown } };
  return r.ok || (typeof r.error?.code === 'string' && typeof r.error?.message === 'string');
}

export const isMessage = (m: unknown): m is Message =>
  typeof m === 'object' &&
  m !== null &&
  typeof (m as Message).conversationId === 'string' &&
  Number.isInteger((m as Message).seq) &&
  typeof (m as Message).clientMsgId === 'string';

export const isNote = (n: unknown): n is Note =>
  typeof n === 'object' &&
  n !== null &&
  typeof (n as Note).conversationId === 'string' &&
  Number.isInteger((n as Note).noteSeq) &&
  typeof (n as Note).text === 'string' &&
  typeof (n as Note).clientMsgId === 'string';

export const isUser = (u: unknown): u is User =>
  typeof u === 'object' &&
  u !== null &&
  typeof (u as User).id === 'string' &&
  typeof (u as User).role === 'string';

type Listener = (payload: never) => void;

/** Typed listeners per event; a listener that throws does not keep the event from the others. */
export class Emitter<M> {
  private readonly listeners = new Map<keyof M, Set<Listener>>();

  on<K extends keyof M>(event: K, cb: (payload: M[K]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    const listener = cb as Listener;
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  has(event: keyof M): boolean {
    return (this.listeners.get(event)?.size ?? 0) > 0;
  }

  emit<K extends keyof M>(event: K, payload: M[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const cb of [...set]) {
      try {
        (cb as (p: M[K]) => void)(payload);
      } catch (err) {
        // Surface it as an uncaught error instead of breaking delivery to the other listeners.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}
