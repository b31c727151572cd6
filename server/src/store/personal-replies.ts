// Each agent's own canned replies (SPEC §12), beside the departments' (canned-replies.ts). Templates the agent
// wrote for themselves, not conversation content: kept in clear like the departments' ones.
import { type Collection, type Db, ObjectId } from 'mongodb';
import { ensureCollection, isDuplicateKey, raisesUnavailable } from './mongo';
import { toObjectId } from './users';

export interface PersonalReplyDoc {
  _id: ObjectId;
  ownerId: string;
  shortcut: string;
  title: string;
  text: string;
  createdAt: Date;
}

/** More than anyone types from memory; keeps one agent's list a bounded read. */
export const MAX_PERSONAL_REPLIES = 200;

const schema = {
  bsonType: 'object',
  required: ['ownerId', 'shortcut', 'title', 'text'],
  properties: {
    ownerId: { bsonType: 'string', maxLength: 24 },
    shortcut: { bsonType: 'string', maxLength: 32 },
    title: { bsonType: 'string', maxLength: 100 },
    text: { bsonType: 'string', maxLength: 8000 },
  },
};

export async function ensurePersonalReplyCollection(db: Db): Promise<void> {
  await ensureCollection(db, 'personal_replies', schema);
  await db
    .collection('personal_replies')
    .createIndex({ ownerId: 1, shortcut: 1 }, { unique: true, name: 'owner_shortcut_unique' });
}

export class PersonalReplyStore {
  private readonly replies: Collection<PersonalReplyDoc>;

  constructor(db: Db) {
    this.replies = db.collection<PersonalReplyDoc>('personal_replies');
  }

  /** Null when the agent has a reply with this shortcut already. */
  async insert(input: Omit<PersonalReplyDoc, '_id' | 'createdAt'>): Promise<PersonalReplyDoc | null> {
    const doc: PersonalReplyDoc = { _id: new ObjectId(), ...input, createdAt: new Date() };
    try {
      await this.replies.insertOne(doc);
      return doc;
    } catch (err) {
      if (isDuplicateKey(err)) return null;
      throw err;
    }
  }

  list(ownerId: string): Promise<PersonalReplyDoc[]> {
    return this.replies.find({ ownerId }).sort({ shortcut: 1 }).limit(MAX_PERSONAL_REPLIES).toArray();
  }

  count(ownerId: string): Promise<number> {
    return this.replies.countDocuments({ ownerId });
  }

  /** The deleted reply, or null when the agent has none with this id. */
  async delete(ownerId: string, id: string): Promise<PersonalReplyDoc | null> {
    const oid = toObjectId(id);
    return oid ? this.replies.findOneAndDelete({ _id: oid, ownerId }) : null;
  }
}
raisesUnavailable(PersonalReplyStore);
