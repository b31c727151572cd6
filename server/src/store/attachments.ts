// Attachments (SPEC §11): one document per file in `attachments`, its content in `attachment_chunks` like GridFS,
// every chunk sealed on its own (AES-256-GCM, file id, part and chunk number bound). A chunk's `_id` is
// "<fileId>:<part>:<n, 6 digits>", so that every read of a chunk is a point read (FerretDB scans for anything else).
import { Binary, type Collection, type Db } from 'mongodb';
import { ensureCollection, raisesUnavailable } from './mongo';

/** `f`: the file as stored (images: re-encoded); `t`: the thumbnail of an image. */
export type AttachmentPartName = 'f' | 't';

export interface AttachmentPart {
  size: number;
  chunks: number;
  contentType: string;
  width?: number;
  height?: number;
}

export interface AttachmentDoc {
  /** The attachment id of the API (24 hex characters). */
  _id: string;
  conversationId: string;
  uploaderId: string;
  /** The file name, sealed (bound to the id). */
  name: Binary;
  nameNonce: Binary;
  keyId: string;
  /** `uploading` until every chunk is stored; only `ready` ones are served or sent. */
  state: 'uploading' | 'ready';
  file: AttachmentPart | null;
  thumb: AttachmentPart | null;
  /** The send (clientMsgId) that took it: set once, so no other message can carry it. */
  clientMsgId: string | null;
  /** A stored message refers to it (then it is kept). */
  sent: boolean;
  createdAt: Date;
}

export interface ChunkDoc {
  _id: string;
  data: Binary;
  nonce: Binary;
  keyId: string;
}

export const CHUNK_DIGITS = 6;

export const chunkKey = (fileId: string, part: AttachmentPartName, n: number): string =>
  `${fileId}:${part}:${String(n).padStart(CHUNK_DIGITS, '0')}`;

const partSchema = {
  bsonType: ['object', 'null'],
  properties: {
    size: { bsonType: ['int', 'long', 'double'], minimum: 0 },
    chunks: { bsonType: ['int', 'long', 'double'], minimum: 0 },
    contentType: { bsonType: 'string' },
  },
};

const schema = {
  bsonType: 'object',
  required: [
    '_id',
    'conversationId',
    'uploaderId',
    'name',
    'nameNonce',
    'keyId',
    'state',
    'sent',
    'createdAt',
  ],
  properties: {
    _id: { bsonType: 'string', pattern: '^[a-f0-9]{24}$' },
    conversationId: { bsonType: 'string', pattern: '^[a-f0-9]{24}$' },
    uploaderId: { bsonType: 'string' },
    name: { bsonType: 'binData' },
    nameNonce: { bsonType: 'binData' },
    keyId: { bsonType: 'string' },
    state: { enum: ['uploading', 'ready'] },
    file: partSchema,
    thumb: partSchema,
    clientMsgId: { bsonType: ['string', 'null'] },
    sent: { bsonType: 'bool' },
    createdAt: { bsonType: 'date' },
  },
};

const chunkSchema = {
  bsonType: 'object',
  required: ['_id', 'data', 'nonce', 'keyId'],
  properties: {
    _id: { bsonType: 'string' },
    data: { bsonType: 'binData' },
    nonce: { bsonType: 'binData' },
    keyId: { bsonType: 'string' },
  },
};

export async function ensureAttachmentCollections(db: Db): Promise<void> {
  await ensureCollection(db, 'attachments', schema);
  await ensureCollection(db, 'attachment_chunks', chunkSchema);
  // The cleanup's query (MongoDB uses it; FerretDB scans, which is fine for a query every few minutes).
  await db
    .collection<AttachmentDoc>('attachments')
    .createIndex({ sent: 1, createdAt: 1 }, { name: 'unsent_by_age' });
}

export class AttachmentStore {
  private readonly files: Collection<AttachmentDoc>;
  private readonly chunks: Collection<ChunkDoc>;

  constructor(db: Db) {
    this.files = db.collection<AttachmentDoc>('attachments');
    this.chunks = db.collection<ChunkDoc>('attachment_chunks');
  }

  async create(doc: AttachmentDoc): Promise<void> {
    await this.files.insertOne(doc);
  }

  async putChunk(fileId: string, part: AttachmentPartName, n: number, sealed: Omit<ChunkDoc, '_id'>) {
    await this.chunks.insertOne({ _id: chunkKey(fileId, part, n), ...sealed });
  }

  getChunk(fileId: string, part: AttachmentPartName, n: number): Promise<ChunkDoc | null> {
    return this.chunks.findOne({ _id: chunkKey(fileId, part, n) });
  }

  /** Every chunk is stored: the file may be served and sent. */
  async finish(id: string, file: AttachmentPart, thumb: AttachmentPart | null): Promise<void> {
    await this.files.updateOne({ _id: id }, { $set: { state: 'ready', file, thumb } });
  }

  find(id: string): Promise<AttachmentDoc | null> {
    return this.files.findOne({ _id: id });
  }

  /**
   * Takes a ready file of this conversation and uploader for the send `clientMsgId`: one it already took (a retry),
   * or a free one uploaded after `notBefore` (older ones are about to be cleaned up). The document, or null.
   */
  claim(
    id: string,
    owner: { conversationId: string; uploaderId: string },
    clientMsgId: string,
    notBefore: Date,
  ): Promise<AttachmentDoc | null> {
    return this.files.findOneAndUpdate(
      {
        _id: id,
        conversationId: owner.conversationId,
        uploaderId: owner.uploaderId,
        state: 'ready',
        $or: [{ clientMsgId }, { clientMsgId: null, createdAt: { $gt: notBefore } }],
      },
      { $set: { clientMsgId } },
      { returnDocument: 'after' },
    );
  }

  /** Gives back what a failed send took. */
  async unclaim(ids: readonly string[], clientMsgId: string): Promise<void> {
    await Promise.all(
      ids.map((id) =>
        this.files.updateOne({ _id: id, clientMsgId, sent: false }, { $set: { clientMsgId: null } }),
      ),
    );
  }

  async markSent(ids: readonly string[]): Promise<void> {
    await Promise.all(ids.map((id) => this.files.updateOne({ _id: id }, { $set: { sent: true } })));
  }

  /** Files no stored message is known to hold, created before `cutoff`. */
  unsentBefore(cutoff: Date, limit = 500): Promise<AttachmentDoc[]> {
    return this.files
      .find({ sent: false, createdAt: { $lt: cutoff } })
      .limit(limit)
      .toArray();
  }

  /** The file and every chunk of it (chunks first: a document without chunks is still found and removed again). */
  async remove(id: string): Promise<void> {
    await this.chunks.deleteMany({ _id: { $gte: `${id}:`, $lt: `${id};` } });
    await this.files.deleteOne({ _id: id });
  }
}
raisesUnavailable(AttachmentStore);

export const toBinary = (bytes: Buffer): Binary => new Binary(bytes);
