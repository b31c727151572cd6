// Users: customers, agents and owners. Usernames and emails are unique case-insensitively via lowercased copies,
// usernames also on their confusable skeleton (lookalikes share one).
import type { Role } from '@support-chat/protocol';
import { type Collection, type Db, ObjectId } from 'mongodb';
import unhomoglyph from 'unhomoglyph';
import { createLogger } from '../log';
import { ensureCollection, isDuplicateKey, raisesUnavailable } from './mongo';
import { PointReads } from './point-reads';

const log = createLogger('users');

export interface UserDoc {
  _id: ObjectId;
  username: string;
  usernameLower: string;
  /** Confusable skeleton of the username, unique: lookalike names share one. */
  usernameSkeleton: string;
  email: string;
  emailLower: string;
  passwordHash: string;
  role: Role;
  departments: string[];
  disabled: boolean;
  /** Bumped on any change that open sockets must notice (disable, departments, password). */
  version: number;
  /**
   * Customers: the departments they have a conversation with (so that a reconnect follows their presence without
   * reading conversations). Absent on accounts older than the field: worked out once and written then.
   */
  conversationDepartments?: string[];
  /**
   * Customers: conversations that passed to them from a visitor who identified as them (SPEC §10), by department.
   * Their `_id` derives from the visitor, so they are found here; every other conversation's id derives from the
   * customer and the department (store/conversations.ts).
   */
  conversationIds?: Record<string, string>;
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
    usernameSkeleton: { bsonType: 'string' },
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
  await backfillSkeletons(users);
  await users.createIndex({ usernameSkeleton: 1 }, { unique: true, name: 'usernameSkeleton_unique' });
  await users.createIndex({ role: 1, departments: 1 }, { name: 'role_departments' });
}

/** Lowercase form used for uniqueness and lookups. */
export const lowerKey = (s: string): string => s.normalize('NFC').toLowerCase();

const prototypes = (s: string) => unhomoglyph(s.normalize('NFD')).normalize('NFD');
/**
 * UTS #39 skeleton over NFKC and case folding: mapped before folding too, so capitals of other scripts (Greek
 * Κ, Cyrillic К) meet Latin K, and after, so that the folded forms meet theirs.
 */
export const usernameSkeleton = (s: string): string =>
  prototypes(prototypes(s.normalize('NFKC')).toUpperCase().toLowerCase()).toLowerCase();

/**
 * Users from before skeletons get theirs once, at startup (idempotent: only those without one). Lookalikes that
 * already exist keep their names: the later of each is keyed apart by its id, and logged.
 */
async function backfillSkeletons(users: Collection<UserDoc>): Promise<void> {
  const missing = await users
    .find({ usernameSkeleton: { $exists: false } }, { projection: { username: 1 } })
    .sort({ _id: 1 })
    .toArray();
  if (missing.length === 0) return;
  const taken = new Set(
    (
      await users
        .find({ usernameSkeleton: { $exists: true } }, { projection: { usernameSkeleton: 1 } })
        .toArray()
    ).map((u) => u.usernameSkeleton),
  );
  for (const user of missing) {
    let key = usernameSkeleton(user.username);
    if (taken.has(key)) {
      log.warn({ userId: user._id.toHexString() }, 'existing username looks like an older one; kept');
      key = `${key}#${user._id.toHexString()}`;
    }
    taken.add(key);
    await users.updateOne(
      { _id: user._id, usernameSkeleton: { $exists: false } },
      { $set: { usernameSkeleton: key } },
    );
  }
  log.info({ count: missing.length }, 'username skeletons added');
}

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
    usernameSkeleton: usernameSkeleton(input.username),
    emailLower: lowerKey(input.email),
    disabled: false,
    version: 1,
    ...(input.role === 'customer' ? { conversationDepartments: [] } : {}),
    createdAt: now,
    updatedAt: now,
  };
};

export interface UserState {
  role: Role;
  departments: string[];
  disabled: boolean;
}

/** What a staff account change may set; every change bumps `version` (open sockets notice). */
type UserChange = Partial<Pick<UserDoc, 'passwordHash' | 'disabled' | 'departments'>>;

export class UserStore {
  private readonly users: Collection<UserDoc>;
  /** Handshakes read users by id: those waiting at once leave as one query. */
  private readonly byId: PointReads<ObjectId, UserDoc>;

  constructor(db: Db) {
    this.users = db.collection<UserDoc>('users');
    this.byId = new PointReads(this.users);
  }

  /** Inserts a new account; a taken username or email is answered, not thrown. */
  async insert(doc: UserDoc): Promise<'inserted' | 'username_taken' | 'email_taken'> {
    try {
      await this.users.insertOne(doc);
      return 'inserted';
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const byName = await this.users.findOne(
        { $or: [{ usernameLower: doc.usernameLower }, { usernameSkeleton: doc.usernameSkeleton }] },
        { projection: { _id: 1 } },
      );
      return byName ? 'username_taken' : 'email_taken';
    }
  }

  /** Many new accounts at once (tools that fabricate load; they pick unique names). */
  async insertMany(docs: UserDoc[]): Promise<void> {
    if (docs.length) await this.users.insertMany(docs);
  }

  /** Every customer's email by id: only for the one-time inbox migration at start (a scan of the users). */
  async customerEmails(): Promise<Map<string, string>> {
    const emails = new Map<string, string>();
    for await (const u of this.users.find({ role: 'customer' }, { projection: { email: 1 } }))
      emails.set(u._id.toHexString(), u.email);
    return emails;
  }

  /** Users read by id so far and the queries they took. */
  get readStats(): { batches: number; items: number } {
    return this.byId.stats;
  }

  findById(id: string): Promise<UserDoc | null> {
    const oid = toObjectId(id);
    return oid ? this.byId.get(oid) : Promise.resolve(null);
  }

  /** Records that a customer has a conversation with this department (idempotent). */
  async addConversationDepartment(id: string, department: string): Promise<void> {
    const oid = toObjectId(id);
    if (oid) await this.users.updateOne({ _id: oid }, { $addToSet: { conversationDepartments: department } });
  }

  /**
   * Records a conversation that passed to this customer from a visitor (and its department among theirs); the
   * visitor no longer has it.
   */
  async recordPassedConversation(
    from: string,
    to: string,
    department: string,
    conversationId: string,
  ): Promise<void> {
    const fromOid = toObjectId(from);
    const toOid = toObjectId(to);
    if (toOid)
      await this.users.updateOne(
        { _id: toOid },
        {
          $set: { [`conversationIds.${department}`]: conversationId },
          $addToSet: { conversationDepartments: department },
        },
      );
    if (fromOid)
      await this.users.updateOne({ _id: fromOid }, { $pull: { conversationDepartments: department } });
  }

  /**
   * A transfer moved the customer's conversation from one department to another (SPEC §12): the account records it
   * under its new department, and a new id for the old one (a later open there makes a new conversation).
   */
  async recordTransfer(
    customerId: string,
    move: { from: string; to: string; conversationId: string; nextFromId: string },
  ): Promise<void> {
    const oid = toObjectId(customerId);
    if (!oid) return;
    await this.users.updateOne(
      { _id: oid },
      {
        $set: {
          [`conversationIds.${move.to}`]: move.conversationId,
          [`conversationIds.${move.from}`]: move.nextFromId,
        },
        $addToSet: { conversationDepartments: move.to },
      },
    );
    await this.users.updateOne({ _id: oid }, { $pull: { conversationDepartments: move.from } });
  }

  /** The record for an account from before it existed (worked out from its conversations); never overwrites one. */
  async initConversationDepartments(id: string, departments: readonly string[]): Promise<void> {
    const oid = toObjectId(id);
    if (!oid) return;
    await this.users.updateOne(
      { _id: oid, conversationDepartments: { $exists: false } },
      { $set: { conversationDepartments: [...departments] } },
    );
  }

  findByUsername(username: string): Promise<UserDoc | null> {
    return this.users.findOne({ usernameLower: lowerKey(username) });
  }

  /** An agent or owner account (the accounts the owner manages). */
  findStaff(username: string): Promise<UserDoc | null> {
    return this.users.findOne({ usernameLower: lowerKey(username), role: { $in: ['agent', 'owner'] } });
  }

  listAgents(): Promise<UserDoc[]> {
    return this.users.find({ role: 'agent' }).sort({ usernameLower: 1 }).toArray();
  }

  /** The enabled agents of one department, by username. */
  async departmentAgents(department: string): Promise<{ id: string; username: string }[]> {
    const docs = await this.users
      .find({ role: 'agent', departments: department, disabled: false })
      .sort({ usernameLower: 1 })
      .toArray();
    return docs.map((d) => ({ id: d._id.toHexString(), username: d.username }));
  }

  /** An enabled agent account that belongs to the department, or null. */
  async findAgentOfDepartment(
    agentId: string,
    department: string,
  ): Promise<{ id: string; username: string } | null> {
    const doc = await this.findById(agentId);
    if (!doc || doc.disabled || doc.role !== 'agent' || !doc.departments.includes(department)) return null;
    return { id: doc._id.toHexString(), username: doc.username };
  }

  async update(id: ObjectId, change: UserChange): Promise<void> {
    await this.users.updateOne(
      { _id: id },
      { $set: { ...change, updatedAt: new Date() }, $inc: { version: 1 } },
    );
  }

  /** Replaces an agent's departments; null when there is no such agent. */
  setAgentDepartments(username: string, departments: string[]): Promise<UserDoc | null> {
    return this.users.findOneAndUpdate(
      { usernameLower: lowerKey(username), role: 'agent' },
      { $set: { departments, updatedAt: new Date() }, $inc: { version: 1 } },
      { returnDocument: 'after' },
    );
  }

  /** Role, departments and disabled flag of many users in one query (socket re-checks). */
  async states(ids: readonly string[]): Promise<Map<string, UserState>> {
    const oids = ids.map(toObjectId).filter((x): x is ObjectId => x !== null);
    const docs = await this.users
      .find({ _id: { $in: oids } }, { projection: { role: 1, departments: 1, disabled: 1 } })
      .toArray();
    return new Map(
      docs.map((d) => [
        d._id.toHexString(),
        { role: d.role, departments: d.departments, disabled: d.disabled },
      ]),
    );
  }
}
raisesUnavailable(UserStore);
