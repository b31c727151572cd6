// A marker that every change open sockets must notice replaces (disable, departments, password, revoked logins),
// so each node's periodic socket re-check costs one point read until something actually changed.
import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';

interface MetaDoc {
  _id: string;
  value: string;
  at: Date;
}

const AUTH_EPOCH = 'auth-epoch';
const meta = (db: Db) => db.collection<MetaDoc>('meta');

/** Call after the write it announces. A fresh random value (not $inc): concurrent bumps can never cancel out. */
export async function bumpAuthEpoch(db: Db): Promise<void> {
  await meta(db).updateOne(
    { _id: AUTH_EPOCH },
    { $set: { value: randomUUID(), at: new Date() } },
    { upsert: true },
  );
}

export async function readAuthEpoch(db: Db): Promise<string> {
  return (await meta(db).findOne({ _id: AUTH_EPOCH }))?.value ?? '';
}
