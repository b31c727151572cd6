// Login sessions and their refresh tokens. Tokens are stored only as SHA-256 hashes (the _id).
import type { Collection, Db, ObjectId } from 'mongodb';
import type { AuthEpochStore } from './auth-epoch';
import { ensureCollection, raisesUnavailable } from './mongo';
import { PointReads } from './point-reads';

/** One login (one device/browser). Revoking it ends every token and socket of that login. */
export interface SessionDoc {
  _id: string;
  userId: ObjectId;
  createdAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
  revokedReason: 'logout' | 'reuse' | 'disabled' | 'password' | null;
}

export interface RefreshTokenDoc {
  /** hex SHA-256 of the token */
  _id: string;
  sessionId: string;
  userId: ObjectId;
  /** Set once the token was exchanged; presenting it again is reuse. */
  spent: boolean;
  createdAt: Date;
  expiresAt: Date;
}

export async function ensureTokenCollections(db: Db): Promise<void> {
  await ensureCollection(db, 'sessions', {
    bsonType: 'object',
    required: ['_id', 'userId', 'createdAt', 'expiresAt'],
    properties: { _id: { bsonType: 'string' }, userId: { bsonType: 'objectId' } },
  });
  await ensureCollection(db, 'refreshTokens', {
    bsonType: 'object',
    required: ['_id', 'sessionId', 'userId', 'spent', 'expiresAt'],
    properties: {
      _id: { bsonType: 'string' },
      sessionId: { bsonType: 'string' },
      spent: { bsonType: 'bool' },
    },
  });
  await db.collection('sessions').createIndex({ userId: 1 }, { name: 'userId' });
  await db.collection('refreshTokens').createIndex({ sessionId: 1 }, { name: 'sessionId' });
  await db.collection('refreshTokens').createIndex({ expiresAt: 1 }, { name: 'expiresAt' });
}

export type RevokeReason = NonNullable<SessionDoc['revokedReason']>;

/** Logins and their refresh tokens. */
export class SessionStore {
  private readonly sessions: Collection<SessionDoc>;
  /** Handshakes read their login by id: those waiting at once leave as one query. */
  private readonly sessionsById: PointReads<string, SessionDoc>;
  private readonly refreshTokens: Collection<RefreshTokenDoc>;

  constructor(
    db: Db,
    private readonly authEpoch: AuthEpochStore,
  ) {
    this.sessions = db.collection<SessionDoc>('sessions');
    this.sessionsById = new PointReads(this.sessions);
    this.refreshTokens = db.collection<RefreshTokenDoc>('refreshTokens');
  }

  async insertSession(session: SessionDoc): Promise<void> {
    await this.sessions.insertOne(session);
  }

  async insertSessions(sessions: SessionDoc[]): Promise<void> {
    if (sessions.length) await this.sessions.insertMany(sessions);
  }

  findSession(id: string): Promise<SessionDoc | null> {
    return this.sessionsById.get(id);
  }

  async insertRefreshToken(token: RefreshTokenDoc): Promise<void> {
    await this.refreshTokens.insertOne(token);
  }

  findRefreshToken(hash: string): Promise<RefreshTokenDoc | null> {
    return this.refreshTokens.findOne({ _id: hash });
  }

  /** Marks an unspent token spent; its document as it was, or null when it was unknown or spent already. */
  spendRefreshToken(hash: string): Promise<RefreshTokenDoc | null> {
    return this.refreshTokens.findOneAndUpdate(
      { _id: hash, spent: false },
      { $set: { spent: true } },
      { returnDocument: 'before' },
    );
  }

  /** Housekeeping without TTL indexes (not available everywhere). */
  async deleteExpiredTokens(userId: ObjectId, now: Date): Promise<void> {
    await this.refreshTokens.deleteMany({ userId, expiresAt: { $lt: now } });
  }

  /** Revokes the matching live sessions and spends their refresh tokens; returns the revoked session ids. */
  async revoke(
    filter: { sessionId: string } | { userId: ObjectId },
    reason: RevokeReason,
  ): Promise<string[]> {
    const query = 'sessionId' in filter ? { _id: filter.sessionId } : { userId: filter.userId };
    const live = await this.sessions
      .find({ ...query, revokedAt: null }, { projection: { _id: 1 } })
      .toArray();
    const ids = live.map((s) => s._id);
    if (ids.length === 0) return [];
    await this.sessions.updateMany(
      { _id: { $in: ids } },
      { $set: { revokedAt: new Date(), revokedReason: reason } },
    );
    await this.refreshTokens.updateMany({ sessionId: { $in: ids } }, { $set: { spent: true } });
    await this.authEpoch.bump();
    return ids;
  }

  /** Which of these sessions are still live (not revoked), in one query. */
  async liveIds(ids: readonly string[]): Promise<Set<string>> {
    const docs = await this.sessions
      .find({ _id: { $in: [...ids] } }, { projection: { revokedAt: 1 } })
      .toArray();
    return new Set(docs.filter((s) => !s.revokedAt).map((s) => s._id));
  }
}
raisesUnavailable(SessionStore);
