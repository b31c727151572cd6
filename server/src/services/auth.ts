// Authentication: customer registration, login, refresh-token rotation with reuse detection, logout, and
// turning an access token into the AuthUser every transport relies on.
import { ErrorCode, fail, ok, type Result, type Role, type User } from '@support-chat/protocol';
import argon2 from 'argon2';
import type { Config } from '../config';
import { createLogger } from '../log';
import type { Store } from '../store/db';
import type { RevokeReason, SessionDoc } from '../store/tokens';
import { lowerKey, newUserDoc, type UserDoc, type UserState } from '../store/users';
import { KeyedQueue } from './keyed-queue';
import type { AuthThrottles } from './ratelimit';
import {
  type AccessClaims,
  decodeAccessToken,
  hashRefreshToken,
  newRefreshToken,
  newSessionDoc,
  signAccessToken,
} from './tokens';

export type { AccessClaims } from './tokens';

const log = createLogger('auth');

/** Who is calling, as every transport sees it (ctx.state.user, socket.data.user). */
export interface AuthUser {
  id: string;
  username: string;
  role: Role;
  departments: string[];
  /** The login session (one per login); logout and token reuse end it. */
  sessionId: string;
  /** Customers: the departments they have a conversation with, when the account records them (store/users.ts). */
  conversationDepartments?: readonly string[];
  /** Customers: conversations passed to them from a visitor, by department (store/users.ts). */
  conversationIds?: Readonly<Record<string, string>>;
}

export interface Tokens {
  accessToken: string;
  refreshToken: string;
  /** Access token expiry, seconds since the epoch. */
  accessTokenExp: number;
}

export interface AuthResult extends Tokens {
  user: User;
}

/** OWASP's minimum for argon2id: 19 MiB, 2 iterations, 1 lane. */
export const ARGON2_OPTIONS = {
  type: argon2.argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

export const hashPassword = (password: string): Promise<string> => argon2.hash(password, ARGON2_OPTIONS);

export const toUser = (doc: Pick<UserDoc, '_id' | 'username' | 'role' | 'departments'>): User => ({
  id: doc._id.toHexString(),
  username: doc.username,
  role: doc.role,
  departments: doc.role === 'customer' ? [] : [...doc.departments],
});

export type SessionRevokedListener = (
  sessionIds: string[],
  reason: NonNullable<SessionDoc['revokedReason']>,
) => void;

export class AuthService {
  private readonly listeners = new Set<SessionRevokedListener>();
  private dummyHash: Promise<string> | null = null;
  private readonly refreshQueue = new KeyedQueue();

  constructor(
    private readonly store: Pick<Store, 'users' | 'sessions' | 'authEpoch'>,
    private readonly config: Config,
    private readonly throttles: AuthThrottles,
  ) {
    // Ready before the first unknown-user login, so that one is not slower than the rest.
    void this.getDummyHash();
  }

  /** Called after sessions are revoked here (logout, reuse, disable) so their sockets can be ended. */
  onSessionsRevoked(listener: SessionRevokedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async register(
    input: { username: string; email: string; password: string },
    address: string,
  ): Promise<Result<AuthResult>> {
    // Charged before any work, taken or not: it bounds account farming and probing which emails exist.
    const allowed = await this.chargeRegistration(address);
    if (!allowed.ok) return allowed;
    // Public registration only ever creates customers.
    const doc = newUserDoc({
      username: input.username,
      email: input.email,
      passwordHash: await hashPassword(input.password),
      role: 'customer',
      departments: [],
    });
    const inserted = await this.store.users.insert(doc);
    if (inserted === 'username_taken')
      return fail(ErrorCode.usernameTaken, 'That username, or one that looks like it, is taken');
    if (inserted === 'email_taken') return fail(ErrorCode.emailTaken, 'An account with that email exists');
    log.info({ userId: doc._id.toHexString() }, 'customer registered');
    return ok({ user: toUser(doc), ...(await this.startSession(doc)) });
  }

  /** One new account from this address (registration, a widget visitor): rate limited per address. */
  async chargeRegistration(address: string): Promise<Result<null>> {
    const allowed = await this.throttles.register.take(`register:addr:${address}`);
    if (allowed.ok) return ok(null);
    log.warn({ address }, 'registration throttled');
    return fail(ErrorCode.rateLimited, 'Too many new accounts from this address; try again later', {
      retryAfterMs: allowed.retryAfterMs,
    });
  }

  async login(input: { username: string; password: string }, address: string): Promise<Result<AuthResult>> {
    const key = lowerKey(input.username).slice(0, 64);
    const near = await Promise.all([
      this.throttles.address.take(`login:addr:${address}`),
      this.throttles.accountAddress.take(`login:acct-addr:${key}:${address}`),
    ]);
    // Only attempts let through from their own address count toward the account's ceiling: one noisy address
    // cannot use it up for the owner.
    const all = near.every((r) => r.ok)
      ? [...near, await this.throttles.account.take(`login:acct:${key}`)]
      : near;
    const waits = all.flatMap((r) => (r.ok ? [] : [r.retryAfterMs]));
    if (waits.length > 0) {
      log.warn({ address }, 'login throttled');
      return fail(ErrorCode.rateLimited, 'Too many login attempts; try again later', {
        retryAfterMs: Math.max(...waits),
      });
    }
    const doc = await this.store.users.findByUsername(key);
    // Unknown users cost one argon2 verification too, so both failures answer in about the same time.
    const hash = doc?.passwordHash ?? (await this.getDummyHash());
    let valid = false;
    try {
      valid = await argon2.verify(hash, input.password);
    } catch {
      valid = false;
    }
    if (!doc || !valid || doc.disabled) {
      // The typed username is left out: people type passwords into it.
      log.warn({ address, userId: doc?._id.toHexString() ?? null }, 'login failed');
      return fail(ErrorCode.invalidCredentials, 'Wrong username or password');
    }
    log.info({ userId: doc._id.toHexString(), role: doc.role }, 'logged in');
    return ok({ user: toUser(doc), ...(await this.startSession(doc)) });
  }

  /** Exchanges a refresh token for new tokens. A spent token is reuse: the whole login is revoked. */
  async refresh(refreshToken: string): Promise<Result<AuthResult>> {
    const hash = hashRefreshToken(refreshToken);
    // Spending the token must happen once even where findOneAndUpdate is not atomic (FerretDB v1).
    return this.refreshQueue.run(hash, () => this.exchange(hash));
  }

  private async exchange(hash: string): Promise<Result<AuthResult>> {
    const now = new Date();
    const claimed = await this.store.sessions.spendRefreshToken(hash);
    if (!claimed) {
      const known = await this.store.sessions.findRefreshToken(hash);
      const session = known ? await this.store.sessions.findSession(known.sessionId) : null;
      if (known && session && !session.revokedAt) {
        log.warn(
          { userId: known.userId.toHexString(), sessionId: known.sessionId },
          'refresh token reuse; login revoked',
        );
        await this.revokeSessions({ sessionId: known.sessionId }, 'reuse');
        return fail(ErrorCode.tokenReused, 'This session was ended for safety; please log in again');
      }
      // Unknown, or a login already ended (logout, earlier reuse): nothing more to revoke.
      return fail(ErrorCode.unauthorized, 'Invalid refresh token');
    }
    if (claimed.expiresAt <= now) return fail(ErrorCode.unauthorized, 'Refresh token expired');
    const session = await this.store.sessions.findSession(claimed.sessionId);
    if (!session || session.revokedAt || session.expiresAt <= now) {
      return fail(ErrorCode.unauthorized, 'Session ended; please log in again');
    }
    const user = await this.store.users.findById(claimed.userId.toHexString());
    if (!user || user.disabled) return fail(ErrorCode.unauthorized, 'Session ended; please log in again');
    const tokens = await this.issueTokens(user, session);
    return ok({ user: toUser(user), ...tokens });
  }

  /** Revokes the login the refresh token belongs to. Unknown tokens are a no-op (logout is idempotent). */
  async logout(refreshToken: string): Promise<void> {
    const known = await this.store.sessions.findRefreshToken(hashRefreshToken(refreshToken));
    if (!known) return;
    await this.revokeSessions({ sessionId: known.sessionId }, 'logout');
    log.info({ userId: known.userId.toHexString(), sessionId: known.sessionId }, 'logged out');
  }

  /** Ends every login of a user (disable, password reset). */
  async revokeUserSessions(userId: string, reason: 'disabled' | 'password'): Promise<void> {
    const doc = await this.store.users.findById(userId);
    if (doc) await this.revokeSessions({ userId: doc._id }, reason);
  }

  /** Signature, expiry and that the login was not revoked. */
  async verifyAccessToken(token: unknown): Promise<AccessClaims | null> {
    const claims = decodeAccessToken(this.config.secretKey, token);
    if (!claims) return null;
    return (await this.sessionLive(claims)) ? claims : null;
  }

  /** The login behind the claims exists, is not revoked and belongs to their user. */
  private async sessionLive(claims: AccessClaims): Promise<boolean> {
    const session = await this.store.sessions.findSession(claims.sid);
    return Boolean(session && !session.revokedAt && session.userId.toHexString() === claims.sub);
  }

  /** The caller behind an access token, or null for a missing, bad, expired or revoked one or a disabled user. */
  async authenticate(token: unknown): Promise<{ user: AuthUser; claims: AccessClaims } | null> {
    const claims = decodeAccessToken(this.config.secretKey, token);
    if (!claims) return null;
    // The login and the user are read at once (one round trip's wait, not two: a reconnect storm is made of these).
    const [live, doc] = await Promise.all([this.sessionLive(claims), this.store.users.findById(claims.sub)]);
    if (!live || !doc || doc.disabled || doc.role !== claims.role) return null;
    return {
      claims,
      user: {
        ...toUser(doc),
        sessionId: claims.sid,
        ...(doc.role === 'customer' && doc.conversationDepartments
          ? { conversationDepartments: doc.conversationDepartments }
          : {}),
        ...(doc.role === 'customer' && doc.conversationIds ? { conversationIds: doc.conversationIds } : {}),
      },
    };
  }

  private getDummyHash(): Promise<string> {
    this.dummyHash ??= hashPassword(newRefreshToken());
    return this.dummyHash;
  }

  private async startSession(user: UserDoc): Promise<Tokens> {
    const now = new Date();
    const session = newSessionDoc(user._id, this.config.refreshTokenTtlSec, now);
    await this.store.sessions.insertSession(session);
    // Housekeeping without TTL indexes (not available everywhere): drop this user's expired tokens.
    await this.store.sessions.deleteExpiredTokens(user._id, now);
    return this.issueTokens(user, session);
  }

  private async issueTokens(user: UserDoc, session: SessionDoc): Promise<Tokens> {
    const refreshToken = newRefreshToken();
    const now = new Date();
    await this.store.sessions.insertRefreshToken({
      _id: hashRefreshToken(refreshToken),
      sessionId: session._id,
      userId: user._id,
      spent: false,
      createdAt: now,
      // A refresh token never outlives its login.
      expiresAt: session.expiresAt,
    });
    const { token, exp } = signAccessToken(
      this.config.secretKey,
      { sub: user._id.toHexString(), sid: session._id, role: user.role },
      this.config.accessTokenTtlSec,
    );
    return { accessToken: token, refreshToken, accessTokenExp: exp };
  }

  /** The auth epoch: it moves whenever open sockets may need a re-check (store/auth-epoch.ts). */
  authEpoch(): Promise<string> {
    return this.store.authEpoch.read();
  }

  /** What open sockets are checked against: their users' current state and which of their logins are live. */
  async socketStates(
    userIds: readonly string[],
    sessionIds: readonly string[],
  ): Promise<{ users: Map<string, UserState>; liveSessions: Set<string> }> {
    const [users, liveSessions] = await Promise.all([
      this.store.users.states(userIds),
      this.store.sessions.liveIds(sessionIds),
    ]);
    return { users, liveSessions };
  }

  private async revokeSessions(
    filter: Parameters<Store['sessions']['revoke']>[0],
    reason: RevokeReason,
  ): Promise<void> {
    const ids = await this.store.sessions.revoke(filter, reason);
    if (ids.length === 0) return;
    for (const listener of this.listeners) {
      try {
        listener(ids, reason);
      } catch (err) {
        log.error({ err }, 'session revoked listener failed');
      }
    }
  }
}
