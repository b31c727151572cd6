// Messages: one document per (conversation, seq), written once and never changed. The `_id` is
// "<conversationId>:<seq, 12 digits>", so that the unique `_id` is the seq slot itself and every read by seq is
// a point read (FerretDB scans for anything but `_id` equality). Text is stored only encrypted.
import type { Role } from '@support-chat/protocol';
import { Binary, type Collection, type Db } from 'mongodb';
import type { SideCounts } from './conversations';
import { ensureCollection, isDuplicateKey } from './db';

export interface MessageDoc {
  /** `${conversationId}:${seq padded to 12 digits}`: see messageKey. */
  _id: string;
  /** The message id of the API (24 hex characters). */
  id: string;
  conversationId: string;
  seq: number;
  clientMsgId: string;
  senderId: string;
  senderUsername: string;
  senderRole: Role;
  ciphertext: Binary;
  nonce: Binary;
  keyId: string;
  /** Messages written by each side through this seq (this one included): what unread counts are made of. */
  counts: SideCounts;
  createdAt: Date;
}

const SEQ_DIGITS = 12;

export const messageKey = (conversationId: string, seq: number): string =>
  `${conversationId}:${String(seq).padStart(SEQ_DIGITS, '0')}`;

const countsSchema = {
  bsonType: 'object',
  required: ['customer', 'agents'],
  properties: {
    customer: { bsonType: ['int', 'long', 'double'] },
    agents: { bsonType: ['int', 'long', 'double'] },
  },
};

const schema = {
  bsonType: 'object',
  required: [
    '_id',
    'id',
    'conversationId',
    'seq',
    'clientMsgId',
    'senderId',
    'senderRole',
    'ciphertext',
    'nonce',
    'keyId',
    'counts',
    'createdAt',
  ],
  properties: {
    _id: { bsonType: 'string' },
    conversationId: { bsonType: 'string', pattern: '^[a-f0-9]{24}$' },
    seq: { bsonType: ['int', 'long', 'double'], minimum: 1 },
    clientMsgId: { bsonType: 'string', maxLength: 64 },
    senderRole: { enum: ['customer', 'agent', 'owner'] },
    ciphertext: { bsonType: 'binData' },
    nonce: { bsonType: 'binData' },
    keyId: { bsonType: 'string' },
    counts: countsSchema,
    createdAt: { bsonType: 'date' },
  },
};

export async function ensureMessageCollection(db: Db): Promise<void> {
  await ensureCollection(db, 'messages', schema);
  const messages = db.collection<MessageDoc>('messages');
  await messages.createIndex(
    { conversationId: 1, seq: 1 },
    { unique: true, name: 'conversation_seq_unique' },
  );
  await messages.createIndex(
    { conversationId: 1, clientMsgId: 1 },
    { unique: true, name: 'conversation_clientMsgId_unique' },
  );
}

/** Stored form of the encrypted text's bytes. */
export const toBinary = (bytes: Buffer): Binary => new Binary(bytes);
export const fromBinary = (bin: Binary): Buffer =>
  Buffer.from(bin.buffer.buffer, bin.buffer.byteOffset, bin.buffer.byteLength);

/** How many point reads run at once when reading a range. */
const READ_CONCURRENCY = 32;

export class MessageStore {
  readonly collection: Collection<MessageDoc>;

  constructor(db: Db) {
    this.collection = db.collection<MessageDoc>('messages');
  }

  /** 'duplicate' when the seq slot or the clientMsgId is already taken in that conversation. */
  async insert(doc: MessageDoc): Promise<'inserted' | 'duplicate'> {
    try {
      await this.collection.insertOne(doc);
      return 'inserted';
    } catch (err) {
      if (isDuplicateKey(err)) return 'duplicate';
      throw err;
    }
  }

  findBySeq(conversationId: string, seq: number): Promise<MessageDoc | null> {
    return this.collection.findOne({ _id: messageKey(conversationId, seq) });
  }

  /** The rare path of a retried send whose clientMsgId fell out of the conversation's recent ring. */
  findByClientMsgId(conversationId: string, clientMsgId: string): Promise<MessageDoc | null> {
    return this.collection.findOne({ conversationId, clientMsgId });
  }

  /** Messages with fromSeq <= seq <= toSeq, in seq order (missing ones are left out). */
  async range(conversationId: string, fromSeq: number, toSeq: number): Promise<MessageDoc[]> {
    const out: MessageDoc[] = [];
    for (let start = fromSeq; start <= toSeq; start += READ_CONCURRENCY) {
      const end = Math.min(toSeq, start + READ_CONCURRENCY - 1);
      const batch = await Promise.all(
        Array.from({ length: end - start + 1 }, (_, i) => this.findBySeq(conversationId, start + i)),
      );
      for (const doc of batch) if (doc) out.push(doc);
    }
    return out;
  }
}
