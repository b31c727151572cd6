// Satisfaction ratings (SPEC §12): one per resolved episode of a conversation, by its customer. The `_id` is
// "<conversationId>:<episode's first customer seq, 12 digits>", so "once per resolution" is the unique `_id` itself
// and the rating of a conversation's latest episode is one point read. The comment is stored only encrypted.
import type { Binary, Collection, Db } from 'mongodb';
import { SEQ_DIGITS } from './messages';
import { ensureCollection, isDuplicateKey, raisesUnavailable } from './mongo';

export interface RatingDoc {
  _id: string;
  conversationId: string;
  episodeSeq: number;
  department: string;
  customerId: string;
  /** The assignee when it was rated (credited in the reports). */
  agentId: string | null;
  rating: number;
  comment: { ciphertext: Binary; nonce: Binary; keyId: string } | null;
  createdAt: Date;
}

export const ratingKey = (conversationId: string, episodeSeq: number): string =>
  `${conversationId}:${String(episodeSeq).padStart(SEQ_DIGITS, '0')}`;

const schema = {
  bsonType: 'object',
  required: ['_id', 'conversationId', 'episodeSeq', 'department', 'customerId', 'rating', 'createdAt'],
  properties: {
    _id: { bsonType: 'string' },
    conversationId: { bsonType: 'string', pattern: '^[a-f0-9]{24}$' },
    episodeSeq: { bsonType: ['int', 'long', 'double'], minimum: 1 },
    department: { bsonType: 'string', maxLength: 32 },
    rating: { bsonType: ['int', 'long', 'double'], minimum: 1, maximum: 5 },
    createdAt: { bsonType: 'date' },
  },
};

export async function ensureRatingCollection(db: Db): Promise<void> {
  await ensureCollection(db, 'ratings', schema);
}

export class RatingStore {
  private readonly ratings: Collection<RatingDoc>;

  constructor(db: Db) {
    this.ratings = db.collection<RatingDoc>('ratings');
  }

  /** False when this episode is rated already. */
  async insert(doc: RatingDoc): Promise<boolean> {
    try {
      await this.ratings.insertOne(doc);
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  find(conversationId: string, episodeSeq: number): Promise<RatingDoc | null> {
    return this.ratings.findOne({ _id: ratingKey(conversationId, episodeSeq) });
  }
}
raisesUnavailable(RatingStore);
