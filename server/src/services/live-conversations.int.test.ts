// LiveConversations against a real database: a reload of a conversation (another node's invalidation) that read the
// database before a state write of this process landed must not bring the older state back; a sync that folds a
// message into the copy before its sender does must not cost the episode the message started.
import { randomBytes } from 'node:crypto';
import { Binary, type Db, MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  type ConversationDoc,
  ensureConversationCollections,
  newConversationDoc,
} from '../store/conversations';
import { openStore, type Store } from '../store/db';
import { type MessageDoc, messageKey } from '../store/messages';
import { LiveConversations } from './live-conversations';
import { ReportFacts } from './report-facts';

const dbName = `live_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
let client: MongoClient;
let db: Db;
let store: Store;

beforeAll(async () => {
  client = new MongoClient(inject('mongoUri'));
  await client.connect();
  db = client.db(dbName);
  await ensureConversationCollections(db);
  store = openStore(db);
});

afterAll(async () => {
  await db.dropDatabase();
  await client.close();
});

describe('a reload racing a state write of this process', () => {
  it('keeps the write: the reload read before it landed gives counters only', async () => {
    // The real store; its reads of one conversation can be held back after they read (the race, made certain).
    let hold: Promise<void> | null = null;
    const conversations = Object.create(store.conversations) as Store['conversations'];
    conversations.findById = async (id: string): Promise<ConversationDoc | null> => {
      const doc = await store.conversations.findById(id);
      if (hold) await hold;
      return doc;
    };
    // Its reads of messages (a load's look past the summary) too, once they are reached.
    let holdTail: Promise<void> | null = null;
    let tailReached = () => {};
    const messages = Object.create(store.messages) as Store['messages'];
    messages.findBySeq = async (id: string, seq: number) => {
      const found = await store.messages.findBySeq(id, seq);
      if (holdTail) {
        tailReached();
        await holdTail;
      }
      return found;
    };
    const live = new LiveConversations({ ...store, conversations, messages });
    const doc = newConversationDoc(
      { id: randomBytes(12).toString('hex'), username: 'c' },
      'billing',
      new Date(),
    );
    await live.insert(doc);

    let release = () => {};
    hold = new Promise<void>((r) => (release = r));
    // Another node changed it: this one reads it again, and that read is answered with the state before ...
    const reloading = live.refresh(doc._id);
    // ... this process's transfer, which lands first.
    const moved = await live.moveDepartment(doc._id, 'billing', 'technical', new Date());
    expect(moved).toMatchObject({ department: 'technical' });
    hold = null;
    release();
    await reloading;
    expect((await live.findById(doc._id))?.department).toBe('technical');
    // Same for an invalidation's background load and a claim.
    hold = new Promise<void>((r) => (release = r));
    live.invalidate(doc._id);
    await live.setAssignee(doc._id, [null], 'a'.repeat(24), { now: new Date() });
    hold = null;
    release();
    expect(await live.findById(doc._id)).toMatchObject({
      department: 'technical',
      assigneeId: 'a'.repeat(24),
    });
    // And a write that lands after the load's read returned, while it still looks for messages past the summary (the
    // copy was dropped by the invalidation before the read: seen in the multinode transfer test, the ack named the
    // old department).
    const reached = new Promise<void>((r) => (tailReached = r));
    holdTail = new Promise<void>((r) => (release = r));
    live.invalidate(doc._id);
    const loading = live.findById(doc._id); // the invalidation's load
    await reached;
    const again = await live.moveDepartment(doc._id, 'technical', 'sales', new Date());
    expect(again).toMatchObject({ department: 'sales' });
    holdTail = null;
    release();
    expect((await loading)?.department).toBe('sales');
    expect((await live.findById(doc._id))?.department).toBe('sales');
  });
});

describe('a sync racing the sender of a message', () => {
  it("starts the message's episode and counts it, also when the sync folded the message into the copy first", async () => {
    const facts = new ReportFacts(store, 'UTC');
    const live = new LiveConversations(store, { facts });
    const customerId = randomBytes(12).toString('hex');
    const conv = newConversationDoc({ id: customerId, username: 'c' }, 'billing', new Date());
    await live.insert(conv);
    const message: MessageDoc = {
      _id: messageKey(conv._id, 1),
      id: randomBytes(12).toString('hex'),
      conversationId: conv._id,
      seq: 1,
      clientMsgId: crypto.randomUUID(),
      senderId: customerId,
      senderUsername: 'c',
      senderRole: 'customer',
      ciphertext: new Binary(Buffer.alloc(16)),
      nonce: new Binary(Buffer.alloc(12)),
      keyId: 'k1',
      counts: { customer: 1, agents: 0 },
      createdAt: new Date(),
    };
    // The sender's insert landed; before the sender folds it in, a sync looks past the summary and finds it.
    expect(await store.messages.insert(message)).toBe('inserted');
    expect((await live.findWithTail(conv._id))?.lastSeq).toBe(1);
    // Then the sender.
    const after = live.messageStored(message, 'help', true);
    expect(after?.episode).toMatchObject({ startSeq: 1, endedAt: null });
    // Resolved, the episode ends (what lets the customer rate it), and the reports count the message and the episode.
    const resolved = await live.resolve(conv._id, new Date());
    expect(resolved?.status).toBe('resolved');
    expect(resolved?.episode?.endedAt).toBeInstanceOf(Date);
    await live.flush();
    const [day] = await store.reports.find([`billing|${facts.days.dayOf(message.createdAt)}`]);
    expect(day).toMatchObject({ started: 1, resolved: 1, messages: { customer: 1, agents: 0 } });
    // A retry of the same message (answered from the stored one) counts nothing more.
    live.messageStored(message, 'help', false);
    await live.flush();
    const [again] = await store.reports.find([`billing|${facts.days.dayOf(message.createdAt)}`]);
    expect(again).toMatchObject({ started: 1, messages: { customer: 1, agents: 0 } });
  });
});
