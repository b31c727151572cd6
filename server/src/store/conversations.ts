// Conversations: one document per (customer, department). Besides the state (status, assignee) it holds a
// monotonic cache of the conversation's counters (lastSeq, per-side message counts, read cursors) so that a
// summary and its unread counts are one point read. The design is documented in services/messages.ts.
//
// FerretDB v1 (our embedded database) only pushes `_id` equality down to SQLite; every other filter scans the
// collection. So the hot paths here are `_id` lookups: a conversation's `_id` is derived from
// (customerId, department), which makes "open" a point read and the unique pair a property of the `_id` itself.
import { createHash } from 'node:crypto';
import type { Role } from '@support-chat/protocol';
import type { Binary, Collection, Db } from 'mongodb';
import { ensureCollection, isDuplicateKey, raisesUnavailable } from './mongo';

export type Side = 'customer' | 'agents';

export interface SideCounts {
  customer: number;
  agents: number;
}

/** The newest message, in its encrypted form (decrypted only when a summary is built). */
export interface LastMessageDoc {
  /** First field on purpose: `$max` on this sub-document compares `seq` first. */
  seq: number;
  senderRole: Role;
  senderId: string;
  ciphertext: Binary;
  nonce: Binary;
  keyId: string;
  createdAt: Date;
}

export interface ConversationDoc {
  /** 24 hex characters derived from (customerId, department): see conversationIdFor. */
  _id: string;
  customerId: string;
  customerUsername: string;
  department: string;
  status: 'open' | 'resolved';
  assigneeId: string | null;
  /** Since when it waits in the department queue (null while assigned); the queue is served oldest first. */
  waitingSince: Date | null;
  /** Highest seq whose message is stored and applied here (may trail the messages by an in-flight send). */
  lastSeq: number;
  /** Messages written by each side, through lastSeq. */
  counts: SideCounts;
  /** Each side's read cursor. */
  readSeq: SideCounts;
  /** The other side's message count at each side's cursor: unread = counts[other] - readCounts[side]. */
  readCounts: SideCounts;
  /** Each agent's own cursor (the department's cursor is readSeq.agents). */
  agentReadSeq: Record<string, number>;
  lastMessage?: LastMessageDoc;
  createdAt: Date;
  updatedAt: Date;
}

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
  required: ['_id', 'customerId', 'department', 'status', 'lastSeq', 'counts', 'readSeq', 'readCounts'],
  properties: {
    _id: { bsonType: 'string', pattern: '^[a-f0-9]{24}$' },
    customerId: { bsonType: 'string' },
    customerUsername: { bsonType: 'string' },
    department: { bsonType: 'string', maxLength: 32 },
    status: { enum: ['open', 'resolved'] },
    assigneeId: { bsonType: ['string', 'null'] },
    lastSeq: { bsonType: ['int', 'long', 'double'], minimum: 0 },
    counts: countsSchema,
    readSeq: countsSchema,
    readCounts: countsSchema,
  },
};

/** Creates the conversations collection with its indexes (idempotent). */
export async function ensureConversationCollections(db: Db): Promise<void> {
  await ensureCollection(db, 'conversations', schema);
  const conversations = db.collection<ConversationDoc>('conversations');
  await conversations.createIndex(
    { customerId: 1, department: 1 },
    { unique: true, name: 'customer_department_unique' },
  );
  await conversations.createIndex({ department: 1, updatedAt: -1 }, { name: 'department_updatedAt' });
  await conversations.createIndex({ assigneeId: 1 }, { name: 'assigneeId' });
}

/** The conversation id of a (customer, department) pair: 96 bits of SHA-256, in the id format of the API. */
export const conversationIdFor = (customerId: string, department: string): string =>
  createHash('sha256').update(`${customerId}\n${department}`).digest('hex').slice(0, 24);

/** A new conversation, waiting in its department's queue: the one place that knows every field it starts with. */
export const newConversationDoc = (
  customer: { id: string; username: string },
  department: string,
  now: Date,
): ConversationDoc => ({
  _id: conversationIdFor(customer.id, department),
  customerId: customer.id,
  customerUsername: customer.username,
  department,
  status: 'open',
  assigneeId: null,
  waitingSince: now,
  lastSeq: 0,
  counts: { customer: 0, agents: 0 },
  readSeq: { customer: 0, agents: 0 },
  readCounts: { customer: 0, agents: 0 },
  agentReadSeq: {},
  createdAt: now,
  updatedAt: now,
});

const sideKey = (side: Side) => side;

export class ConversationStore {
  private readonly collection: Collection<ConversationDoc>;

  constructor(db: Db) {
    this.collection = db.collection<ConversationDoc>('conversations');
  }

  findById(id: string): Promise<ConversationDoc | null> {
    return this.collection.findOne({ _id: id });
  }

  /** Many new conversations at once (tools that fabricate load). */
  async insertMany(docs: ConversationDoc[]): Promise<void> {
    if (docs.length) await this.collection.insertMany(docs);
  }

  /** Inserts a new conversation; null when it already exists (a racing open won). */
  async insert(doc: ConversationDoc): Promise<ConversationDoc | null> {
    try {
      await this.collection.insertOne(doc);
      return doc;
    } catch (err) {
      if (isDuplicateKey(err)) return null;
      throw err;
    }
  }

  /**
   * Folds one stored message into the cache. Every field only moves forward (`$max`), so applying messages
   * out of order, twice, or late (after a crash) always converges on the state at the highest seq.
   */
  applyMessage(
    id: string,
    m: { seq: number; counts: SideCounts; clientMsgId: string; lastMessage: LastMessageDoc; reopen: boolean },
  ): Promise<ConversationDoc | null> {
    return this.collection.findOneAndUpdate(
      { _id: id },
      {
        $max: {
          lastSeq: m.seq,
          'counts.customer': m.counts.customer,
          'counts.agents': m.counts.agents,
          lastMessage: m.lastMessage,
          updatedAt: m.lastMessage.createdAt,
        },
        ...(m.reopen ? { $set: { status: 'open' as const } } : {}),
      },
      { returnDocument: 'after' },
    );
  }

  /** Moves a side's cursor forward (never back) together with the other side's count at that cursor. */
  markRead(
    id: string,
    side: Side,
    seq: number,
    otherCountAtSeq: number,
    agentId: string | null,
  ): Promise<ConversationDoc | null> {
    return this.collection.findOneAndUpdate(
      { _id: id },
      {
        $max: {
          [`readSeq.${sideKey(side)}`]: seq,
          [`readCounts.${sideKey(side)}`]: otherCountAtSeq,
          ...(agentId ? { [`agentReadSeq.${agentId}`]: seq } : {}),
        },
      },
      { returnDocument: 'after' },
    );
  }

  /**
   * Sets the assignee when the current one is one of `expected` (compare-and-set), and the status if given.
   * Returns the new document, or null when the conversation changed meanwhile.
   */
  setAssignee(
    id: string,
    expected: (string | null)[] | 'any',
    assigneeId: string | null,
    opts: { requireStatus?: 'open' | 'resolved'; now: Date },
  ): Promise<ConversationDoc | null> {
    const filter: Record<string, unknown> = { _id: id };
    if (expected !== 'any') filter.assigneeId = { $in: expected };
    if (opts.requireStatus) filter.status = opts.requireStatus;
    return this.collection.findOneAndUpdate(
      filter,
      { $set: { assigneeId, waitingSince: assigneeId ? null : opts.now, updatedAt: opts.now } },
      { returnDocument: 'after' },
    );
  }

  /** Changes the status when it is `from`; null when it was not (already changed). */
  setStatus(id: string, from: 'open' | 'resolved', to: 'open' | 'resolved', now: Date) {
    return this.collection.findOneAndUpdate(
      { _id: id, status: from },
      { $set: { status: to, updatedAt: now } },
      { returnDocument: 'after' },
    );
  }

  /** Conversations of these departments, most recent activity first. */
  listByDepartments(departments: readonly string[]): Promise<ConversationDoc[]> {
    if (departments.length === 0) return Promise.resolve([]);
    return this.collection
      .find({ department: { $in: [...departments] } })
      .sort({ updatedAt: -1 })
      .toArray();
  }

  /** Point reads (fast on every server) for a customer's conversations, one per department. */
  async findByIds(ids: readonly string[]): Promise<ConversationDoc[]> {
    const docs = await Promise.all(ids.map((id) => this.findById(id)));
    return docs.filter((d): d is ConversationDoc => d !== null);
  }

  /** Open conversations assigned to each of these agents (agents with none are absent). */
  async openCountByAssignee(agentIds: readonly string[]): Promise<Map<string, number>> {
    const rows = await this.collection
      .aggregate<{ _id: string; n: number }>([
        { $match: { status: 'open', assigneeId: { $in: [...agentIds] } } },
        { $group: { _id: '$assigneeId', n: { $sum: 1 } } },
      ])
      .toArray();
    return new Map(rows.map((r) => [r._id, r.n]));
  }

  /** The department queue, oldest first. */
  waiting(department: string, limit: number): Promise<ConversationDoc[]> {
    return this.collection
      .find({ department, status: 'open', assigneeId: null })
      .sort({ waitingSince: 1, createdAt: 1, _id: 1 })
      .limit(limit)
      .toArray();
  }
}
raisesUnavailable(ConversationStore);
