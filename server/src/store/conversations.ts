// Conversations: one document per (customer, department). Besides the state (status, assignee) it holds a
// monotonic cache of the conversation's counters (lastSeq, per-side message counts, read cursors) so that a
// summary and its unread counts are one point read. The design is documented in services/messages.ts.
//
// FerretDB v1 (our embedded database) only pushes `_id` equality down to SQLite; every other filter scans the
// collection. So the hot paths here are `_id` lookups: a conversation's `_id` is derived from
// (customerId, department), which makes "open" a point read and the unique pair a property of the `_id` itself.
import { createHash } from 'node:crypto';
import type { Role } from '@support-chat/protocol';
import { type Binary, type Collection, type Db, MongoBulkWriteError } from 'mongodb';
import { ensureCollection, isDuplicateKey, isUniqueViolation, raisesUnavailable } from './mongo';
import { PointReads } from './point-reads';

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
  /** A system message (SPEC §12). */
  kind?: 'system';
}

/**
 * The conversation's current episode (SPEC §13: from the customer message that opens or reopens it to its resolve),
 * kept for the report facts. Every field is always present and only moves forward (null -> date), in this order, so
 * that `$max` on the whole sub-document keeps the latest state whichever process writes it, late or twice.
 */
export interface EpisodeDoc {
  /** Seq of the episode's first customer message. */
  startSeq: number;
  startedAt: Date;
  /** The first agent reply of the episode. */
  respondedAt: Date | null;
  /** Resolved. */
  endedAt: Date | null;
}

/** The later of two states of episodes (a newer episode, or the same one further on). */
export function laterEpisode(a?: EpisodeDoc, b?: EpisodeDoc): EpisodeDoc | undefined {
  if (!a || !b) return a ?? b;
  if (a.startSeq !== b.startSeq) return a.startSeq > b.startSeq ? a : b;
  const rank = (e: EpisodeDoc) => (e.endedAt ? 2 : 0) + (e.respondedAt ? 1 : 0);
  return rank(b) > rank(a) ? b : a;
}

/** What agents see of a website customer beside the username. */
export interface CustomerDetails {
  name: string | null;
  email: string | null;
  verified: boolean;
}

export interface ConversationDoc {
  /** 24 hex characters derived from (customerId, department): see conversationIdFor. */
  _id: string;
  customerId: string;
  customerUsername: string;
  /**
   * The website widget's customers (SPEC §10): their name, email and whether the shop verified them, kept here so
   * that a summary needs no other read (null for the chat page's customers; absent on conversations from before the
   * field, filled at their next open). Written when the conversation is made or passed and whenever the customer's
   * details change.
   */
  customerDetails?: CustomerDetails | null;
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
  /** The current (or last) episode, for the reports; absent before the first customer message. */
  episode?: EpisodeDoc;
  /** The inbox index keys written for it (store/inbox.ts); absent until its first are written. */
  inboxKeys?: string[];
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
  customer: { id: string; username: string; details?: CustomerDetails | null },
  department: string,
  now: Date,
): ConversationDoc => ({
  _id: conversationIdFor(customer.id, department),
  customerId: customer.id,
  customerUsername: customer.username,
  customerDetails: customer.details ?? null,
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

/** A conversation's newest stored message, as its summary keeps it. */
export interface LastFold {
  seq: number;
  counts: SideCounts;
  lastMessage: LastMessageDoc;
}

/** What a summary write moves forward: the newest message, and read cursors with the other side's count there. */
export interface SummaryFold {
  id: string;
  last?: LastFold;
  read?: Partial<Record<Side, { seq: number; otherCount: number }>>;
  /** Agents' own cursors. */
  agentRead?: Record<string, number>;
  /** The episode as the report facts moved it (started, responded, ended). */
  episode?: EpisodeDoc;
  /** The inbox keys just written for it (set, not maxed: the writer wrote these keys before). */
  inboxKeys?: string[];
}

const maxFields = (f: SummaryFold): Record<string, unknown> => {
  const max: Record<string, unknown> = {};
  if (f.last) {
    max.lastSeq = f.last.seq;
    max['counts.customer'] = f.last.counts.customer;
    max['counts.agents'] = f.last.counts.agents;
    max.lastMessage = f.last.lastMessage;
    max.updatedAt = f.last.lastMessage.createdAt;
  }
  for (const side of ['customer', 'agents'] as const) {
    const r = f.read?.[side];
    if (!r) continue;
    max[`readSeq.${side}`] = r.seq;
    max[`readCounts.${side}`] = r.otherCount;
  }
  for (const [agentId, seq] of Object.entries(f.agentRead ?? {})) max[`agentReadSeq.${agentId}`] = seq;
  if (f.episode) max.episode = f.episode;
  return max;
};

/**
 * Most statements in one bulk write of updates or deletes. FerretDB v1.24 never answers an update command whose
 * statements pass roughly 16 KiB (seen: 100 summary updates of ~250 bytes hung, 40 did not), and holds the
 * database while it waits; several smaller commands cost little more.
 */
const BULK_CHUNK = 32;

function* chunks<T>(ops: readonly T[]): Generator<T[]> {
  for (let i = 0; i < ops.length; i += BULK_CHUNK) yield ops.slice(i, i + BULK_CHUNK);
}

/** A conversation whose summary may trail its messages (see markDirty). */
export interface DirtyMark {
  _id: string;
  /** The token of the mark (the marking process's id and a per-write part). */
  owner: string;
  at: Date;
}

/**
 * The newer of two copies of one conversation: `fresh` (just read or written) gives the state (status, assignee),
 * and each counter comes from whichever copy is further, since counters only move forward and a copy held in
 * memory may be ahead of the database by summaries not written yet.
 */
export function mergeConversation(fresh: ConversationDoc, known: ConversationDoc): ConversationDoc {
  const out: ConversationDoc = { ...fresh };
  if (known.lastSeq > fresh.lastSeq) {
    out.lastSeq = known.lastSeq;
    out.counts = known.counts;
    out.lastMessage = known.lastMessage;
  }
  if (known.updatedAt > fresh.updatedAt) out.updatedAt = known.updatedAt;
  out.readSeq = { ...fresh.readSeq };
  out.readCounts = { ...fresh.readCounts };
  for (const side of ['customer', 'agents'] as const) {
    if (known.readSeq[side] > fresh.readSeq[side]) {
      out.readSeq[side] = known.readSeq[side];
      out.readCounts[side] = known.readCounts[side];
    }
  }
  out.agentReadSeq = { ...fresh.agentReadSeq };
  for (const [agentId, seq] of Object.entries(known.agentReadSeq ?? {}))
    if (seq > (out.agentReadSeq[agentId] ?? 0)) out.agentReadSeq[agentId] = seq;
  const episode = laterEpisode(fresh.episode, known.episode);
  if (episode) out.episode = episode;
  // A write's result names no inbox keys when the conversation's are derived (indexed by the migration): unchanged.
  if (!out.inboxKeys && known.inboxKeys) out.inboxKeys = known.inboxKeys;
  return out;
}

export class ConversationStore {
  private readonly collection: Collection<ConversationDoc>;
  /** Conversations read by id (a cold start's syncs, a customer's handshake): those waiting at once go as one query. */
  private readonly byId: PointReads<string, ConversationDoc>;
  private readonly dirty: Collection<DirtyMark>;

  constructor(db: Db) {
    this.collection = db.collection<ConversationDoc>('conversations');
    this.byId = new PointReads(this.collection);
    this.dirty = db.collection<DirtyMark>('conversation_dirty');
  }

  findById(id: string): Promise<ConversationDoc | null> {
    return this.byId.get(id);
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
   * Passes a conversation from one customer to another (a visitor who identified as a verified customer, SPEC §10):
   * the document and its messages stay where they are, only the customer changes. 'taken' when the other customer
   * has a conversation with the department already (the unique (customer, department) index refuses, so a racing
   * open of theirs and this pass never both win); null when the conversation is not `from`'s (any more).
   */
  async passToCustomer(
    id: string,
    from: string,
    to: { id: string; username: string; details: CustomerDetails },
  ): Promise<ConversationDoc | 'taken' | null> {
    try {
      return await this.collection.findOneAndUpdate(
        { _id: id, customerId: from },
        {
          $set: { customerId: to.id, customerUsername: to.username, customerDetails: to.details },
        },
        { returnDocument: 'after' },
      );
    } catch (err) {
      if (isUniqueViolation(err)) return 'taken';
      throw err;
    }
  }

  /** The customer's details as agents see them (their conversation's copy); null when not the customer's. */
  setCustomerDetails(
    id: string,
    customerId: string,
    details: CustomerDetails | null,
  ): Promise<ConversationDoc | null> {
    return this.collection.findOneAndUpdate(
      { _id: id, customerId },
      { $set: { customerDetails: details } },
      { returnDocument: 'after' },
    );
  }

  /**
   * The customer's conversation with a department found by its fields (a scan on FerretDB): only for the rare race of
   * an open with a pass of a visitor's conversation to this customer.
   */
  findByCustomer(customerId: string, department: string): Promise<ConversationDoc | null> {
    return this.collection.findOne({ customerId, department });
  }

  /**
   * Folds one stored message into the document and returns it (the repair of a summary that trails its
   * messages). Every field only moves forward (`$max`): see foldSummaries.
   */
  applyMessage(id: string, last: LastFold): Promise<ConversationDoc | null> {
    return this.collection.findOneAndUpdate(
      { _id: id },
      { $max: maxFields({ id, last }) },
      {
        returnDocument: 'after',
      },
    );
  }

  /**
   * Writes many conversations' summaries in one round trip (one unordered bulkWrite). Every field only moves
   * forward (`$max`), so folds applied out of order, twice, or late (after a crash) always converge on the state at
   * the highest seq and the furthest cursors, whichever process wrote them.
   */
  async foldSummaries(folds: readonly SummaryFold[]): Promise<void> {
    const ops = folds
      .map((f) => ({ id: f.id, max: maxFields(f), keys: f.inboxKeys }))
      .filter((f) => Object.keys(f.max).length > 0 || f.keys)
      .map((f) => ({
        updateOne: {
          filter: { _id: f.id },
          update: {
            ...(Object.keys(f.max).length > 0 ? { $max: f.max } : {}),
            ...(f.keys ? { $set: { inboxKeys: f.keys } } : {}),
          },
        },
      }));
    for (const chunk of chunks(ops)) await this.collection.bulkWrite(chunk, { ordered: false });
  }

  /**
   * Records that these conversations may have messages their summary does not show yet, so that a start after a
   * crash repairs exactly them (SPEC §14); written before the first such message is acknowledged. `token` names
   * this mark, so that clearing it never removes a newer one.
   */
  async markDirty(ids: readonly string[], token: string): Promise<void> {
    if (ids.length === 0) return;
    const at = new Date();
    const ops = ids.map((id) => ({
      updateOne: { filter: { _id: id }, update: { $set: { owner: token, at } }, upsert: true },
    }));
    for (const chunk of chunks(ops)) {
      try {
        await this.dirty.bulkWrite(chunk, { ordered: false });
      } catch (err) {
        // Two processes marking one conversation at once: an upsert that is read-then-insert (FerretDB) loses with
        // a duplicate key. The mark exists now, so the same upsert again updates it.
        if (!(err instanceof MongoBulkWriteError)) throw err;
        const failed = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
        if (failed.length === 0 || failed.some((w) => w.code !== 11000)) throw err;
        await this.dirty.bulkWrite(
          failed.map((w) => chunk[w.index] as (typeof chunk)[number]),
          { ordered: false },
        );
      }
    }
  }

  /** Removes dirty marks whose summaries are written: each only while it is still the mark named by its token. */
  async clearDirty(marks: readonly { id: string; token: string }[]): Promise<void> {
    if (marks.length === 0) return;
    const ops = marks.map((m) => ({ deleteOne: { filter: { _id: m.id, owner: m.token } } }));
    for (const chunk of chunks(ops)) await this.dirty.bulkWrite(chunk, { ordered: false });
  }

  /** The conversations marked dirty (a small collection: only those with unwritten summaries). */
  listDirty(): Promise<DirtyMark[]> {
    return this.dirty.find({}).toArray();
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

  /** Changes the status when it is `from`; null when it was not (already changed). `episode`: its new state too. */
  setStatus(id: string, from: 'open' | 'resolved', to: 'open' | 'resolved', now: Date, episode?: EpisodeDoc) {
    return this.collection.findOneAndUpdate(
      { _id: id, status: from },
      { $set: { status: to, updatedAt: now, ...(episode ? { episode } : {}) } },
      { returnDocument: 'after' },
    );
  }

  /**
   * Hands the conversation to another department's queue (a transfer, SPEC §12): open, held by nobody, waiting from
   * `now`. Null when it is not in `from` (any more); 'taken' when the customer has a conversation with `to` already
   * (the unique (customer, department) index refuses, so a racing open and this move never both win).
   */
  async moveDepartment(
    id: string,
    from: string,
    to: string,
    now: Date,
  ): Promise<ConversationDoc | 'taken' | null> {
    try {
      return await this.collection.findOneAndUpdate(
        { _id: id, department: from },
        { $set: { department: to, status: 'open', assigneeId: null, waitingSince: now, updatedAt: now } },
        { returnDocument: 'after' },
      );
    } catch (err) {
      if (isUniqueViolation(err)) return 'taken';
      throw err;
    }
  }

  /** A customer's conversations, one per department (point reads, which leave together). */
  async findByIds(ids: readonly string[]): Promise<ConversationDoc[]> {
    const docs = await Promise.all(ids.map((id) => this.findById(id)));
    return docs.filter((d): d is ConversationDoc => d !== null);
  }

  /** About how many conversations exist (the collection's count, no scan), for progress. */
  estimatedCount(): Promise<number> {
    return this.collection.estimatedDocumentCount();
  }

  /** Every conversation, in batches: only for the one-time migrations at start. */
  async *scanAll(batchSize: number): AsyncGenerator<ConversationDoc[]> {
    let batch: ConversationDoc[] = [];
    for await (const doc of this.collection.find({}).sort({ _id: 1 }).batchSize(batchSize)) {
      batch.push(doc);
      if (batch.length === batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length) yield batch;
  }
}
raisesUnavailable(ConversationStore);
