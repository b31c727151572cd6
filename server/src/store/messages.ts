// Messages: one document per (conversation, seq), written once and never changed. The `_id` is
// "<conversationId>:<seq, 12 digits>", so that the unique `_id` is the seq slot itself and every read by seq is
// a point read (FerretDB scans for anything but `_id` equality). Text is stored only encrypted.
import type { Role, SystemEvent } from '@support-chat/protocol';
import { Binary, type Collection, type Db, MongoBulkWriteError } from 'mongodb';
import type { LastMessageDoc, SideCounts } from './conversations';
import { GroupCommit } from './group-commit';
import { ensureCollection, isDuplicateKey, raisesUnavailable } from './mongo';
import { PointReads } from './point-reads';

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
  /** Files sent with it (SPEC §11): their ids, and their descriptions sealed (bound to "<conversation>:<seq>:attachments"). */
  attachmentIds?: string[];
  attachments?: { ciphertext: Binary; nonce: Binary };
  /** When the text is empty: what previews show ("sent a photo"), sealed like the text. */
  preview?: { ciphertext: Binary; nonce: Binary };
  /**
   * A system message (SPEC §12): written by the server, counted for neither side. `system` (department ids and
   * names, conversation ids: no free text) is kept in clear so that a sender on another process can read a transfer
   * from the slot it collided with; the text is sealed like any message's.
   */
  kind?: 'system';
  system?: SystemEvent;
}

export const SEQ_DIGITS = 12;

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
/** The conversation's copy of its newest message, still encrypted. */
export const lastMessageOf = (doc: MessageDoc): LastMessageDoc => ({
  seq: doc.seq,
  senderRole: doc.senderRole,
  senderId: doc.senderId,
  ciphertext: doc.preview?.ciphertext ?? doc.ciphertext,
  nonce: doc.preview?.nonce ?? doc.nonce,
  keyId: doc.keyId,
  createdAt: doc.createdAt,
  ...(doc.kind ? { kind: doc.kind } : {}),
});

export const toBinary = (bytes: Buffer): Binary => new Binary(bytes);
export const fromBinary = (bin: Binary): Buffer =>
  Buffer.from(bin.buffer.buffer, bin.buffer.byteOffset, bin.buffer.byteLength);

/** How far back findRetried reads by `_id` before asking the index, and how many reads at once. */
const RETRY_LOOKBACK = 16;
const RETRY_READS = 4;

/** Upper bound of one batched insert. */
const MAX_INSERT_BATCH = 256;

type InsertOutcome = 'inserted' | 'duplicate';

/** Each document's outcome of an unordered insert that failed in part; throws when the whole batch failed. */
function insertOutcomes(err: unknown, size: number): (InsertOutcome | Error)[] {
  if (size === 1 && isDuplicateKey(err)) return ['duplicate'];
  if (!(err instanceof MongoBulkWriteError)) throw err;
  const list = (Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors]).filter(Boolean);
  // No per-document errors (e.g. a write concern error): the whole batch failed; retries are safe.
  if (list.length === 0) throw err;
  const failed = new Map(list.map((w) => [w.index, w]));
  return Array.from({ length: size }, (_, i) => {
    const e = failed.get(i);
    if (e === undefined) return 'inserted';
    return e.code === 11000 ? 'duplicate' : new Error(e.errmsg ?? 'write error');
  });
}

/** At most one message per conversation in a batch: one that fails never leaves a gap behind a later one. */
const oneConversationEach = (waiting: readonly MessageDoc[]): boolean[] => {
  const seen = new Set<string>();
  return waiting.map((doc) => !seen.has(doc.conversationId) && Boolean(seen.add(doc.conversationId)));
};

/** How many point reads run at once when reading a range. */
const READ_CONCURRENCY = 32;
/**
 * FerretDB v1 answers an `_id` point read in ~1.6 ms but evaluates any other filter by scanning the collection
 * (~45 us a document): a range query beats n point reads while the collection holds under ~35 n documents.
 */
const SCAN_BREAK_EVEN = 30;
const COUNT_TTL_MS = 30_000;

export class MessageStore {
  private readonly collection: Collection<MessageDoc>;
  /** Messages read by `_id` (the tail probes of cold conversations, retries): those waiting at once go as one query. */
  private readonly byId: PointReads<string, MessageDoc>;
  private serverKind: Promise<'mongodb' | 'ferretdb'> | null = null;
  /** Inserts waiting for the one in flight leave together (see insert). */
  private readonly inserts = new GroupCommit<MessageDoc, InsertOutcome>(
    async (docs) => {
      try {
        if (docs.length === 1) await this.collection.insertOne(docs[0] as MessageDoc);
        else await this.collection.insertMany(docs, { ordered: false });
        return docs.map(() => 'inserted' as const);
      } catch (err) {
        return insertOutcomes(err, docs.length);
      }
    },
    { take: oneConversationEach, maxBatch: MAX_INSERT_BATCH },
  );
  private count: { value: number; at: number } | null = null;

  constructor(
    private readonly db: Db,
    /** How range() reads: decided per call ('auto'), or forced (tests cover both paths). */
    private readonly strategy: 'auto' | 'points' | 'range' = 'auto',
  ) {
    this.collection = db.collection<MessageDoc>('messages');
    this.byId = new PointReads(this.collection);
  }

  /**
   * 'duplicate' when the seq slot or the clientMsgId is already taken in that conversation. Group commit (SPEC
   * §14): inserts that arrive while one is in flight leave together as one unordered insertMany (one round trip
   * and one database transaction for many messages, at most one per conversation); each gets its own answer.
   */
  insert(doc: MessageDoc): Promise<InsertOutcome> {
    return this.inserts.enqueue(doc);
  }

  /** Batches written and the messages in them, for the metrics. */
  get insertBatches(): { batches: number; items: number } {
    return { batches: this.inserts.batches, items: this.inserts.items };
  }

  findBySeq(conversationId: string, seq: number): Promise<MessageDoc | null> {
    return this.byId.get(messageKey(conversationId, seq));
  }

  /**
   * The stored message of a retried send. A retry is nearly always of one of the newest messages, so point
   * reads back from `fromSeq` come first (FerretDB scans for any filter but `_id`), then the unique index.
   */
  async findRetried(
    conversationId: string,
    clientMsgId: string,
    fromSeq: number,
  ): Promise<MessageDoc | null> {
    for (let top = fromSeq; top >= 1 && top > fromSeq - RETRY_LOOKBACK; top -= RETRY_READS) {
      const seqs = Array.from({ length: Math.min(RETRY_READS, top) }, (_, i) => top - i);
      const docs = await Promise.all(seqs.map((seq) => this.findBySeq(conversationId, seq)));
      const hit = docs.find((d) => d?.clientMsgId === clientMsgId);
      if (hit) return hit;
    }
    return this.findByClientMsgId(conversationId, clientMsgId);
  }

  /** The slow path of findRetried (a scan on FerretDB). */
  findByClientMsgId(conversationId: string, clientMsgId: string): Promise<MessageDoc | null> {
    return this.collection.findOne({ conversationId, clientMsgId });
  }

  private kind(): Promise<'mongodb' | 'ferretdb'> {
    this.serverKind ??= this.db
      .admin()
      .command({ buildInfo: 1 })
      .then((info) => (info.ferretdbVersion ? ('ferretdb' as const) : ('mongodb' as const)))
      .catch(() => {
        this.serverKind = null;
        return 'ferretdb' as const;
      });
    return this.serverKind;
  }

  private async approximateCount(): Promise<number> {
    if (this.count && Date.now() - this.count.at < COUNT_TTL_MS) return this.count.value;
    const value = await this.collection.estimatedDocumentCount();
    this.count = { value, at: Date.now() };
    return value;
  }

  /** Messages with fromSeq <= seq <= toSeq, in seq order (missing ones are left out). */
  async range(conversationId: string, fromSeq: number, toSeq: number): Promise<MessageDoc[]> {
    const n = toSeq - fromSeq + 1;
    if (n <= 0) return [];
    const useRange =
      this.strategy === 'range' ||
      (this.strategy === 'auto' &&
        ((await this.kind()) === 'mongodb' || (await this.approximateCount()) < n * SCAN_BREAK_EVEN));
    if (useRange) {
      // The zero-padded `_id`s sort like their seqs, so one `_id` range is the whole page (indexed on MongoDB).
      return this.collection
        .find({ _id: { $gte: messageKey(conversationId, fromSeq), $lte: messageKey(conversationId, toSeq) } })
        .sort({ _id: 1 })
        .toArray();
    }
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
raisesUnavailable(MessageStore);
