// The database's own capacity for what one chat message needs: one findOneAndUpdate on the conversation (seq and
// unread counter, last message) and one insert of the encrypted message. Forked by the `db` scenario; several
// writer processes can run side by side so that the driver is not what limits the number.
import { randomBytes, randomUUID } from 'node:crypto';
import { Binary, MongoClient, ObjectId } from 'mongodb';
import { Samples } from './lib/stats';

export interface DbRunRequest {
  probe: 'db-run';
  uri: string;
  dbName: string;
  conversationIds: string[];
  concurrency: number;
  durationMs: number;
  warmupMs: number;
}

export interface DbRunAnswer {
  probe: 'db-run';
  messages: number;
  seconds: number;
  latencies: Float64Array | number[];
  errors: number;
}

/** Same shapes as the chat server's documents, with ~100 bytes of ciphertext like a short chat line. */
export async function runDbWriters(req: Omit<DbRunRequest, 'probe'>): Promise<Omit<DbRunAnswer, 'probe'>> {
  const client = new MongoClient(req.uri, { maxPoolSize: Math.max(10, req.concurrency) });
  await client.connect();
  const db = client.db(req.dbName);
  const conversations = db.collection('conversations');
  const messages = db.collection('messages');
  const senderId = new ObjectId();
  const latencies = new Samples();
  let counting = false;
  let done = false;
  let count = 0;
  let errors = 0;

  const writeOne = async (conversationId: ObjectId) => {
    const now = new Date();
    const ciphertext = new Binary(randomBytes(100));
    const updated = await conversations.findOneAndUpdate(
      { _id: conversationId },
      {
        $inc: { lastSeq: 1, 'unread.agents': 1 },
        $set: {
          status: 'open',
          updatedAt: now,
          lastMessage: { senderRole: 'customer', createdAt: now, keyId: 'k1', ciphertext },
        },
      },
      { returnDocument: 'after' },
    );
    const seq = (updated as { lastSeq: number } | null)?.lastSeq;
    if (!seq) throw new Error('conversation missing');
    await messages.insertOne({
      conversationId,
      seq,
      senderId,
      senderRole: 'customer',
      senderName: 'bench-customer',
      clientMsgId: randomUUID(),
      keyId: 'k1',
      nonce: new Binary(randomBytes(12)),
      ciphertext,
      createdAt: now,
    });
  };

  const ids = req.conversationIds.map((id) => new ObjectId(id));
  const loop = async (i: number) => {
    const conversationId = ids[i % ids.length] as ObjectId;
    while (!done) {
      const t0 = performance.now();
      try {
        await writeOne(conversationId);
        if (counting) {
          count++;
          latencies.add(performance.now() - t0);
        }
      } catch {
        errors++;
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
  return { messages: count, seconds, latencies: Array.from(latencies.values()), errors };
}

/** Creates the two collections with the chat server's unique indexes and `n` conversations. */
export async function prepareDb(uri: string, dbName: string, n: number): Promise<string[]> {
  const client = new MongoClient(uri);
  await client.connect();
  try {
    const db = client.db(dbName);
    await db.dropDatabase();
    const conversations = db.collection('conversations');
    const messages = db.collection('messages');
    await conversations.createIndex({ customerId: 1, department: 1 }, { unique: true });
    await messages.createIndex({ conversationId: 1, seq: 1 }, { unique: true });
    await messages.createIndex({ conversationId: 1, clientMsgId: 1 }, { unique: true });
    const now = new Date();
    const docs = Array.from({ length: n }, () => ({
      _id: new ObjectId(),
      customerId: new ObjectId(),
      department: 'billing',
      status: 'open',
      assigneeId: null,
      lastSeq: 0,
      unread: { customer: 0, agents: 0 },
      readSeq: { customer: 0, agents: 0 },
      lastMessage: null,
      createdAt: now,
      updatedAt: now,
    }));
    await conversations.insertMany(docs);
    return docs.map((d) => d._id.toHexString());
  } finally {
    await client.close();
  }
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
