// What every store module shares: collections with validators, duplicate-key detection, and turning a driver's
// outage errors into StoreUnavailableError.
import { type Db, type Document, MongoError, MongoServerError } from 'mongodb';
import { createLogger } from '../log';
import { StoreUnavailableError } from './errors';

const log = createLogger('store');

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

/**
 * A unique index refused a write: a duplicate key, or (FerretDB v1, on an update) an InternalError carrying SQLite's
 * "UNIQUE constraint failed".
 */
export const isUniqueViolation = (err: unknown): boolean =>
  isDuplicateKey(err) || (err instanceof MongoServerError && /UNIQUE constraint failed/.test(err.message));

// Any error of the driver or the server is a database condition the client may retry (an outage, a failover, a
// busy embedded database). Duplicate keys a store expects it handles itself; the rest arrive here too.
const rethrow = (err: unknown): never => {
  throw err instanceof MongoError ? new StoreUnavailableError({ cause: err }) : err;
};

/** Wraps every method of a repository class once, so that an outage leaves it only as StoreUnavailableError. */
export function raisesUnavailable(repository: { prototype: object }): void {
  const proto = repository.prototype;
  for (const name of Object.getOwnPropertyNames(proto)) {
    const method = Object.getOwnPropertyDescriptor(proto, name)?.value;
    if (name === 'constructor' || typeof method !== 'function') continue;
    Object.defineProperty(proto, name, {
      configurable: true,
      writable: true,
      value(this: unknown, ...args: unknown[]) {
        try {
          const result = method.apply(this, args);
          return result instanceof Promise ? result.catch(rethrow) : result;
        } catch (err) {
          return rethrow(err);
        }
      },
    });
  }
}
