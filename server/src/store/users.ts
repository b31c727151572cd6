// Users: customers, agents and owners. Usernames and emails are unique case-insensitively via lowercased copies.

import type { Role } from '@support-chat/protocol';
import { type Collection, type Db, ObjectId } from 'mongodb';
import { ensureCollection } from './db';

export interface UserDoc {
  _id: ObjectId;
  username: string;
  usernameLower: string;
  email: string;
  emailLower: string;
  passwordHash: string;
  role: Role;
  departments: string[];
  disabled: boolean;
  /** Bumped on any change that open sockets must notice (disable, departments, password). */
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

const schema = {
  bsonType: 'object',
  required: [
    'username',
    'usernameLower',
    'email',
    'emailLower',
    'passwordHash',
    'role',
    'departments',
    'disabled',
  ],
  properties: {
    username: { bsonType: 'string', maxLength: 64 },
    usernameLower: { bsonType: 'string', maxLength: 64 },
    email: { bsonType: 'string', maxLength: 254 },
    emailLower: { bsonType: 'string', maxLength: 254 },
    passwordHash: { bsonType: 'string' },
    role: { enum: ['customer', 'agent', 'owner'] },
    departments: { bsonType: 'array', items: { bsonType: 'string' } },
    disabled: { bsonType: 'bool' },
    version: { bsonType: ['int', 'long', 'double'] },
  },
};

export async function ensureUserCollections(db: Db): Promise<void> {
  await ensureCollection(db, 'users', schema);
  const users = db.collection<UserDoc>('users');
  await users.createIndex({ usernameLower: 1 }, { unique: true, name: 'usernameLower_unique' });
  await users.createIndex({ emailLower: 1 }, { unique: true, name: 'emailLower_unique' });
  await users.createIndex({ role: 1, departments: 1 }, { name: 'role_departments' });
}

/** Lowercase form used for uniqueness and lookups. */
export const lowerKey = (s: string): string => s.normalize('NFC').toLowerCase();

export const toObjectId = (id: string): ObjectId | null =>
  ObjectId.isValid(id) && /^[a-f0-9]{24}$/.test(id) ? new ObjectId(id) : null;

export const newUserId = (): ObjectId => new ObjectId();

/** A new, enabled account document: the one place that knows every field a user starts with. */
export const newUserDoc = (input: {
  username: string;
  email: string;
  passwordHash: string;
  role: Role;
  departments: string[];
}): UserDoc => {
  const now = new Date();
  return {
    _id: newUserId(),
    ...input,
    usernameLower: lowerKey(input.username),
    emailLower: lowerKey(input.email),
    disabled: false,
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
};

export interface UserState {
  role: Role;
  departments: string[];
  disabled: boolean;
}

/** Role, departments and disabled flag of many users in one query (socket re-checks). */
export async function findUserStates(
  users: Collection<UserDoc>,
  ids: readonly string[],
): Promise<Map<string, UserState>> {
  const oids = ids.map(toObjectId).filter((x): x is ObjectId => x !== null);
  const docs = await users
    .find({ _id: { $in: oids } }, { projection: { role: 1, departments: 1, disabled: 1 } })
    .toArray();
  return new Map(
    docs.map((d) => [
      d._id.toHexString(),
      { role: d.role, departments: d.departments, disabled: d.disabled },
    ]),
  );
}

export const findUserById = (users: Collection<UserDoc>, id: string): Promise<UserDoc | null> => {
  const oid = toObjectId(id);
  return oid ? users.findOne({ _id: oid }) : Promise.resolve(null);
};
