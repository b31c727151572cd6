// A marker that every change open sockets must notice replaces (disable, departments, password, revoked logins),
// so each node's periodic socket re-check costs one point read until something actually changed.
import { randomUUID } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import { raisesUnavailable } from './mongo';

interface MetaDoc {
  _id: string;
  value: string;
  at: Date;
}

const AUTH_EPOCH = 'auth-epoch';

export class AuthEpochStore {
  private readonly meta: Collection<MetaDoc>;

  constructor(db: Db) {
    this.meta = db.collection<MetaDoc>('meta');
  }

  /** Call after the write it announces. A fresh random value (not $inc): concurrent bumps can never cancel out. */
  async bump(): Promise<void> {
    await this.meta.updateOne(
      { _id: AUTH_EPOCH },
      { $set: { value: randomUUID(), at: new Date() } },
      { upsert: true },
    );
  }

  async read(): Promise<string> {
    return (await this.meta.findOne({ _id: AUTH_EPOCH }))?.value ?? '';
  }
}
raisesUnavailable(AuthEpochStore);
