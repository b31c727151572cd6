// Internal notes (SPEC §12): agents only, kept apart from the messages so that nothing a customer reads (the
// conversation's summary, its seq, its counts) ever changes because of one. One document per (conversation,
// noteSeq), written once; its `_id` is "<conversationId>:n<noteSeq, 12 digits>", so the unique `_id` is the noteSeq
// slot (the same gap-free scheme as messages: services/notes.ts) and every read by noteSeq is a point read.
// `note_heads` keeps each conversation's highest noteSeq as a hint (it may trail after a crash; readers probe on).
import type { Binary, Collection, Db } from 'mongodb';
import { SEQ_DIGITS } from './messages';
import { ensureCollection, isDuplicateKey, raisesUnavailable } from './mongo';

export interface NoteDoc {
  _id: string;
  /** The note id of the API (24 hex characters). */
  id: string;
  conversationId: string;
  noteSeq: number;
  clientMsgId: string;
  authorId: string;
  authorUsername: string;
  ciphertext: Binary;
  nonce: Binary;
  keyId: string;
  createdAt: Date;
}

interface NoteHeadDoc {
  _id: string;
  last: number;
}

export const noteKey = (conversationId: string, noteSeq: number): string =>
  `${conversationId}:n${String(noteSeq).padStart(SEQ_DIGITS, '0')}`;

const schema = {
  bsonType: 'object',
  required: [
    '_id',
    'id',
    'conversationId',
    'noteSeq',
    'clientMsgId',
    'authorId',
    'ciphertext',
    'nonce',
    'keyId',
    'createdAt',
  ],
  properties: {
    _id: { bsonType: 'string' },
    conversationId: { bsonType: 'string', pattern: '^[a-f0-9]{24}$' },
    noteSeq: { bsonType: ['int', 'long', 'double'], minimum: 1 },
    clientMsgId: { bsonType: 'string', maxLength: 64 },
    ciphertext: { bsonType: 'binData' },
    nonce: { bsonType: 'binData' },
    keyId: { bsonType: 'string' },
    createdAt: { bsonType: 'date' },
  },
};

export async function ensureNoteCollections(db: Db): Promise<void> {
  await ensureCollection(db, 'notes', schema);
  await db
    .collection('notes')
    .createIndex(
      { conversationId: 1, clientMsgId: 1 },
      { unique: true, name: 'conversation_clientMsgId_unique' },
    );
  await ensureCollection(db, 'note_heads', { bsonType: 'object', required: ['_id', 'last'] });
}

/** Point reads of a range in flight at once. */
const READ_CONCURRENCY = 16;

export class NoteStore {
  private readonly notes: Collection<NoteDoc>;
  private readonly heads: Collection<NoteHeadDoc>;

  constructor(db: Db) {
    this.notes = db.collection<NoteDoc>('notes');
    this.heads = db.collection<NoteHeadDoc>('note_heads');
  }

  /** 'duplicate' when the noteSeq slot or the clientMsgId is taken in that conversation already. */
  async insert(doc: NoteDoc): Promise<'inserted' | 'duplicate'> {
    try {
      await this.notes.insertOne(doc);
      return 'inserted';
    } catch (err) {
      if (isDuplicateKey(err)) return 'duplicate';
      throw err;
    }
  }

  findBySeq(conversationId: string, noteSeq: number): Promise<NoteDoc | null> {
    return this.notes.findOne({ _id: noteKey(conversationId, noteSeq) });
  }

  /** The slow path of a retry (a scan on FerretDB; notes are few). */
  findByClientMsgId(conversationId: string, clientMsgId: string): Promise<NoteDoc | null> {
    return this.notes.findOne({ conversationId, clientMsgId });
  }

  /** The highest noteSeq known to be stored (a hint that may trail: callers probe on from it). */
  async head(conversationId: string): Promise<number> {
    return (await this.heads.findOne({ _id: conversationId }))?.last ?? 0;
  }

  /** Moves the hint forward (never back). */
  async advanceHead(conversationId: string, noteSeq: number): Promise<void> {
    await this.heads.updateOne({ _id: conversationId }, { $max: { last: noteSeq } }, { upsert: true });
  }

  /** Notes with fromSeq <= noteSeq <= toSeq in order, by point reads (missing ones left out). */
  async range(conversationId: string, fromSeq: number, toSeq: number): Promise<NoteDoc[]> {
    const out: NoteDoc[] = [];
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
raisesUnavailable(NoteStore);
