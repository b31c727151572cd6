// Canned replies of a department (SPEC §12), managed by the owner: `{shortcut, title, text}` with placeholders.
// Owner-written templates, not conversation content, so they are kept in clear.
import { type Collection, type Db, ObjectId } from 'mongodb';
import { ensureCollection, isDuplicateKey, raisesUnavailable } from './mongo';
import { toObjectId } from './users';

export interface CannedReplyDoc {
  _id: ObjectId;
  department: string;
  shortcut: string;
  title: string;
  text: string;
  createdAt: Date;
}

const schema = {
  bsonType: 'object',
  required: ['department', 'shortcut', 'title', 'text'],
  properties: {
    department: { bsonType: 'string', maxLength: 32 },
    shortcut: { bsonType: 'string', maxLength: 32 },
    title: { bsonType: 'string', maxLength: 100 },
    text: { bsonType: 'string', maxLength: 8000 },
  },
};

export async function ensureCannedReplyCollection(db: Db): Promise<void> {
  await ensureCollection(db, 'canned_replies', schema);
  await db
    .collection('canned_replies')
    .createIndex({ department: 1, shortcut: 1 }, { unique: true, name: 'department_shortcut_unique' });
}

export class CannedReplyStore {
  private readonly replies: Collection<CannedReplyDoc>;

  constructor(db: Db) {
    this.replies = db.collection<CannedReplyDoc>('canned_replies');
  }

  /** Null when the department has a reply with this shortcut already. */
  async insert(input: Omit<CannedReplyDoc, '_id' | 'createdAt'>): Promise<CannedReplyDoc | null> {
    const doc: CannedReplyDoc = { _id: new ObjectId(), ...input, createdAt: new Date() };
    try {
      await this.replies.insertOne(doc);
      return doc;
    } catch (err) {
      if (isDuplicateKey(err)) return null;
      throw err;
    }
  }

  /** A department's replies (or every department's), by shortcut. */
  list(department?: string): Promise<CannedReplyDoc[]> {
    return this.replies
      .find(department ? { department } : {})
      .sort({ department: 1, shortcut: 1 })
      .toArray();
  }

  /** The deleted reply, or null when there was none with this id. */
  async delete(id: string): Promise<CannedReplyDoc | null> {
    const oid = toObjectId(id);
    return oid ? this.replies.findOneAndDelete({ _id: oid }) : null;
  }
}
raisesUnavailable(CannedReplyStore);
