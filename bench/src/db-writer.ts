// The database's own capacity for what one chat message needs: one findOneAndUpdate on the conversation (seq and
// unread counter, last message) and one insert of the encrypted message. Forked by the `db` scenario; several
// writer processes can run side by side so that the driver is not what limits the number.
// The `hotpath` scenario also runs it as bare message inserts: an insertOne loop per writer, or group commit (one
// insertMany of whatever the writers left waiting, as soon as the previous one returned).
import { randomBytes, randomUUID } from 'node:crypto';
import { messageKey, seedConversations } from '@support-chat/server/testkit';
import { Binary, MongoClient, ObjectId } from 'mongodb';
import { GroupCommit, insertOutcomes } from './lib/group-commit';
import { Samples } from './lib/stats';

export interface DbRunRequest {
  probe: 'db-run';
  uri: string;
  dbName: string;
  conversationIds: string[];
  concurrency: number;
  durationMs: number;
  warmupMs: number;
  /**
   * pair (default): findOneAndUpdate + insertOne per message; insertOne: only the message insert, each loop
   * waiting for its own; group: each loop enqueues its insert and one flusher sends whatever is waiting as one
   * unordered insertMany as soon as the previous one returned (group commit, no timer).
   */
  mode?: DbMode;
}

export type DbMode = 'pair' | 'insertOne' | 'group';

export interface DbRunAnswer {
  probe: 'db-run';
  messages: number;
  seconds: number;
  latencies: Float64Array | number[];
  errors: number;
  /** group mode: insertMany calls and documents in them (warmup included), for the mean batch size */
  batches?: number;
  batchItems?: number;
  /** the first few distinct error messages */
  errorSamples: string[];
}

/**
 * The conversations are the chat server's own (testkit); the message has its shape (string `_id`
 * "<conversation>:<seq>", ~100 bytes of ciphertext); the writes are the
 * textbook pair: `$inc` the conversation's seq and counter returning the new seq, then insert the message.
 */
export async function runDbWriters(req: Omit<DbRunRequest, 'probe'>): Promise<Omit<DbRunAnswer, 'probe'>> {
  const client = new MongoClient(req.uri, { maxPoolSize: Math.max(10, req.concurrency) });
  await client.connect();
  const db = client.db(req.dbName);
  const conversations = db.collection<{ _id: string; lastSeq: number }>('conversations');
  const messages = db.collection<Record<string, unknown> & { _id: string }>('messages');
  const senderId = new ObjectId().toHexString();
  const latencies = new Samples();
  let counting = false;
  let done = false;
  let count = 0;
  let errors = 0;
  const errorSamples = new Set<string>();

  const mode = req.mode ?? 'pair';
  const nextSeq = new Map<string, number>();
  const messageDoc = (conversationId: string, seq: number, ciphertext: Binary, nonce: Binary, now: Date) => ({
    _id: messageKey(conversationId, seq),
    id: new ObjectId().toHexString(),
    conversationId,
    seq,
    clientMsgId: randomUUID(),
    senderId,
    senderUsername: 'bench-customer',
    senderRole: 'customer',
    ciphertext,
    nonce,
    keyId: 'k1',
    counts: { customer: seq, agents: 0 },
    createdAt: now,
  });
  const group = new GroupCommit<Record<string, unknown> & { _id: string }, true>(async (docs) => {
    try {
      await messages.insertMany(docs, { ordered: false });
      return docs.map(() => true as const);
    } catch (err) {
      return insertOutcomes(err, docs.length);
    }
  });
  /** Only the message insert (seq from memory: each loop owns its conversations). */
  const insertOnly = async (conversationId: string) => {
    const seq = (nextSeq.get(conversationId) ?? 0) + 1;
    const doc = messageDoc(
      conversationId,
      seq,
      new Binary(randomBytes(100)),
      new Binary(randomBytes(12)),
      new Date(),
    );
    if (mode === 'group') await group.enqueue(doc);
    else await messages.insertOne(doc);
    nextSeq.set(conversationId, seq);
  };

  const writeOne = async (conversationId: string) => {
    if (mode !== 'pair') return insertOnly(conversationId);
    const now = new Date();
    const ciphertext = new Binary(randomBytes(100));
    const nonce = new Binary(randomBytes(12));
    const updated = await conversations.findOneAndUpdate(
      { _id: conversationId },
      {
        $inc: { lastSeq: 1, 'counts.customer': 1 },
        $set: {
          status: 'open',
          updatedAt: now,
          lastMessage: { senderRole: 'customer', senderId, ciphertext, nonce, keyId: 'k1', createdAt: now },
        },
      },
      { returnDocument: 'after' },
    );
    const seq = updated?.lastSeq;
    if (!seq) throw new Error('conversation missing');
    await messages.insertOne(messageDoc(conversationId, seq, ciphertext, nonce, now));
  };

  // Each loop owns its own conversations: no two writes to one conversation at once (FerretDB v1's
  // findAndModify is a read then a separate write, so concurrent $inc on one document can lose an update).
  const loop = async (i: number) => {
    const mine = req.conversationIds.filter((_, idx) => idx % req.concurrency === i);
    let k = 0;
    while (!done && mine.length > 0) {
      const conversationId = mine[k++ % mine.length] as string;
      const t0 = performance.now();
      try {
        await writeOne(conversationId);
        if (counting) {
          count++;
          latencies.add(performance.now() - t0);
        }
      } catch (err) {
        errors++;
        if (errorSamples.size < 3) errorSamples.add((err as Error).message.slice(0, 160));
      }
    }
  };

  const loops = Array.from({ length: req.concurrency }, (_, i) => loop(i));
  await new Promise((r) => setTimeout(r, req.warmupMs));
  counting = true;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, req.durationMs));
  counting = false;
  const seconds = (performance.now() - t0) / 1000;
  done = true;
  await Promise.all(loops);
  await client.close();
  return {
    messages: count,
    batches: group.batches,
    batchItems: group.items,
    seconds,
    latencies: Array.from(latencies.values()),
    errors,
    errorSamples: [...errorSamples],
  };
}

/** A fresh database with the chat server's collections and indexes and `n` conversations, made by the server. */
export async function prepareDb(uri: string, dbName: string, n: number): Promise<string[]> {
  await dropDb(uri, dbName);
  return seedConversations({ mongoUri: uri, dbName, count: n, department: 'billing' });
}

export async function dropDb(uri: string, dbName: string): Promise<void> {
  const client = new MongoClient(uri);
  await client.connect();
  await client.db(dbName).dropDatabase();
  await client.close();
}

if (process.send && process.argv[1]?.endsWith('db-writer.ts')) {
  process.on('message', (msg: DbRunRequest) => {
    if (msg?.probe !== 'db-run') return;
    runDbWriters(msg).then(
      (answer) => {
        process.send?.({ probe: 'db-run', ...answer });
      },
      (err: Error) => process.send?.({ probe: 'db-run', error: err.message }),
    );
  });
}
