// The one MongoDB connection: typed collections, indexes, validators where the server supports them.
import { type Collection, type Db, type Document, MongoClient, MongoServerError } from 'mongodb';
import { createLogger } from '../log';
import { ensureConversationCollections } from './conversations';
import { type DepartmentDoc, ensureDepartmentCollections } from './departments';
import { ensureTokenCollections, type RefreshTokenDoc, type SessionDoc } from './tokens';
import { ensureUserCollections, type UserDoc } from './users';

const log = createLogger('store');

export interface Store {
  client: MongoClient;
  db: Db;
  users: Collection<UserDoc>;
  departments: Collection<DepartmentDoc>;
  sessions: Collection<SessionDoc>;
  refreshTokens: Collection<RefreshTokenDoc>;
  /** True when the database answers within `timeoutMs`. */
  ping(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

let validatorFallbackLogged = false;

/**
 * Creates the collection with a $jsonSchema validator; servers without validators (FerretDB v1) get the
 * collection without it, and the application-level zod checks remain the guard. Idempotent.
 */
export async function ensureCollection(db: Db, name: string, jsonSchema: Document): Promise<void> {
  const existing = await db.listCollections({ name }, { nameOnly: true }).toArray();
  if (existing.length > 0) return;
  try {
    await db.createCollection(name, { validator: { $jsonSchema: jsonSchema }, validationLevel: 'moderate' });
  } catch (err) {
    if (err instanceof MongoServerError && err.codeName === 'NamespaceExists') return;
    if (!validatorFallbackLogged) {
      validatorFallbackLogged = true;
      log.info(
        { reason: (err as Error).message.slice(0, 200) },
        'database has no $jsonSchema validators; validation is application-level',
      );
    }
    try {
      await db.createCollection(name);
    } catch (err2) {
      if (!(err2 instanceof MongoServerError && err2.codeName === 'NamespaceExists')) throw err2;
    }
  }
}

/** True for E11000 duplicate-key errors (unique indexes). */
export const isDuplicateKey = (err: unknown): boolean =>
  err instanceof MongoServerError && (err.code === 11000 || err.code === 11001);

export interface ConnectOptions {
  /** How long to wait for the first connection. */
  serverSelectionTimeoutMS?: number;
}

export async function connectStore(uri: string, dbName: string, opts: ConnectOptions = {}): Promise<Store> {
  const client = new MongoClient(uri, {
    serverSelectionTimeoutMS: opts.serverSelectionTimeoutMS ?? 5_000,
    retryWrites: false,
    appName: 'support-chat',
  });
  await client.connect();
  const db = client.db(dbName);
  await ensureUserCollections(db);
  await ensureDepartmentCollections(db);
  await ensureTokenCollections(db);
  await ensureConversationCollections(db);
  log.info({ dbName }, 'database connected');

  return {
    client,
    db,
    users: db.collection<UserDoc>('users'),
    departments: db.collection<DepartmentDoc>('departments'),
    sessions: db.collection<SessionDoc>('sessions'),
    refreshTokens: db.collection<RefreshTokenDoc>('refreshTokens'),
    async ping(timeoutMs = 1000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      try {
        return await Promise.race([
          db.command({ ping: 1 }, { timeoutMS: timeoutMs }).then(
            () => true,
            () => false,
          ),
          timeout,
        ]);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      await client.close();
    },
  };
}
