// The design-limit relay (issue 9): a minimal Socket.IO server that does exactly the storage work of SPEC §14 and
// nothing else. Seq from memory per conversation; AES-256-GCM of the text; message inserts group-committed (one
// unordered insertMany of whatever is waiting, at most one message per conversation per batch, sent as soon as the
// previous write returned, no timer); the ack after the batch's write; `message:created` to the agents' room; the
// conversation summaries in bulkWrites, either after every batch (LIMIT_SUMMARIES=batch: the flusher writes them
// before it takes the next batch) or coalesced per 100 ms (LIMIT_SUMMARIES=coalesced). No auth, no validation.
// The documents have the chat server's shapes; its conversations are seeded with the testkit at start
// (LIMIT_CONVERSATIONS per department of LIMIT_DEPARTMENTS), handed out in order to the customers that open one.
// Same wire events and tokens as relay.ts, so the load generators drive it unchanged. Reports its port over IPC.
import { createCipheriv, randomBytes } from 'node:crypto';
import { lastMessageOf, messageKey, seedConversations } from '@support-chat/server/testkit';
import { type AnyBulkWriteOperation, Binary, MongoClient, ObjectId } from 'mongodb';
import type { Server } from 'socket.io';
import { GroupCommit, insertOutcomes } from './lib/group-commit';
import { type Ack, hostRelay, type RelayUser } from './lib/relay-host';

interface LimitConversation {
  id: string;
  customerId: string;
  department: string;
  lastSeq: number;
  counts: { customer: number; agents: number };
}

interface Send {
  conversation: LimitConversation;
  user: RelayUser;
  clientMsgId: string;
  text: string;
  ack: Ack;
}

const uri = process.env.MONGO_URI ?? 'mongodb://127.0.0.1:27017';
const dbName = process.env.DB_NAME ?? `bench_limit_${process.pid}`;
const summariesMode = process.env.LIMIT_SUMMARIES === 'coalesced' ? 'coalesced' : 'batch';
const departments = (process.env.LIMIT_DEPARTMENTS ?? 'billing').split(',').filter(Boolean);
const perDepartment = Number(process.env.LIMIT_CONVERSATIONS ?? 100);
const COALESCE_MS = 100;

const key = randomBytes(32);
const KEY_ID = 'k1';

function encrypt(text: string, conversationId: string, seq: number) {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(`${conversationId}:${seq}`));
  const body = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
  return { ciphertext: new Binary(Buffer.concat([body, cipher.getAuthTag()])), nonce: new Binary(nonce) };
}

const client = new MongoClient(uri, { maxPoolSize: 4 });
await client.connect();
const db = client.db(dbName);
await db.dropDatabase();
const pools = new Map<string, string[]>();
for (const d of departments) {
  pools.set(d, await seedConversations({ mongoUri: uri, dbName, count: perDepartment, department: d }));
}
const messages = db.collection<Record<string, unknown> & { _id: string }>('messages');
const conversationsColl = db.collection<{ _id: string }>('conversations');

const conversations = new Map<string, LimitConversation>();
const byOpener = new Map<string, LimitConversation>();

// ---- summaries: what the conversation document gets after its messages are stored ----

type SummaryUpdate = AnyBulkWriteOperation<{ _id: string }>;
const dirty = new Map<string, Record<string, unknown>>();

const summaryOp = (id: string, max: Record<string, unknown>): SummaryUpdate => ({
  updateOne: { filter: { _id: id }, update: { $max: max } },
});

/** The summary write in flight, awaited before the database is dropped at the end. */
let summaryWrite: Promise<void> = Promise.resolve();

/** Summary updates per bulkWrite: FerretDB never answers an update command of ~16 KiB or more (the server chunks too). */
const SUMMARY_CHUNK = 32;

function writeSummaries(ops: SummaryUpdate[]): Promise<void> {
  if (ops.length === 0) return Promise.resolve();
  summaryWrite = (async () => {
    for (let i = 0; i < ops.length; i += SUMMARY_CHUNK) {
      await conversationsColl.bulkWrite(ops.slice(i, i + SUMMARY_CHUNK), { ordered: false });
    }
  })().catch((err: Error) => console.error(`summary write failed: ${err.message}`));
  return summaryWrite;
}

let coalescer: NodeJS.Timeout | undefined;
if (summariesMode === 'coalesced') {
  let writing = false;
  coalescer = setInterval(() => {
    if (writing || dirty.size === 0) return;
    const ops = [...dirty].map(([id, max]) => summaryOp(id, max));
    dirty.clear();
    writing = true;
    writeSummaries(ops).finally(() => {
      writing = false;
    });
  }, COALESCE_MS);
}

// ---- the message path ----

let io: Server;

const commit = new GroupCommit<Send, true>(
  async (batch) => {
    const now = new Date();
    const docs = batch.map((s) => {
      const c = s.conversation;
      const seq = c.lastSeq + 1;
      const side = s.user.role === 'customer' ? 'customer' : 'agents';
      const counts = { ...c.counts, [side]: c.counts[side] + 1 };
      const { ciphertext, nonce } = encrypt(s.text, c.id, seq);
      return {
        _id: messageKey(c.id, seq),
        id: new ObjectId().toHexString(),
        conversationId: c.id,
        seq,
        clientMsgId: s.clientMsgId,
        senderId: s.user.id,
        senderUsername: `${s.user.role}-${s.user.id}`,
        senderRole: s.user.role,
        ciphertext,
        nonce,
        keyId: KEY_ID,
        counts,
        createdAt: now,
      };
    });
    let outcomes: (true | Error)[];
    try {
      await messages.insertMany(docs, { ordered: false });
      outcomes = docs.map(() => true);
    } catch (err) {
      outcomes = insertOutcomes(err, docs.length);
    }
    const ops: SummaryUpdate[] = [];
    const createdAt = now.toISOString();
    batch.forEach((s, i) => {
      const doc = docs[i] as (typeof docs)[number];
      if (outcomes[i] !== true) {
        // its seq was not used: the conversation's next message gets it (no gap)
        s.ack({ ok: false, error: { code: 'unavailable', message: (outcomes[i] as Error).message } });
        return;
      }
      const c = s.conversation;
      c.lastSeq = doc.seq;
      c.counts = doc.counts;
      const message = {
        id: doc.id,
        conversationId: c.id,
        seq: doc.seq,
        sender: { id: s.user.id, username: doc.senderUsername, role: s.user.role },
        text: s.text,
        clientMsgId: s.clientMsgId,
        createdAt,
      };
      s.ack({ ok: true, data: { message } });
      io.to(`department:${c.department}`).emit('message:created', { message });
      const max = {
        lastSeq: doc.seq,
        'counts.customer': doc.counts.customer,
        'counts.agents': doc.counts.agents,
        lastMessage: lastMessageOf(doc),
        updatedAt: now,
      };
      if (summariesMode === 'coalesced') dirty.set(c.id, max);
      else ops.push(summaryOp(c.id, max));
    });
    await writeSummaries(ops);
    return outcomes.map(() => true as const);
  },
  // at most one message per conversation per batch: a failed one never leaves a gap behind a later one
  (waiting) => {
    const seen = new Set<string>();
    return waiting.map((s) => {
      if (seen.has(s.conversation.id)) return false;
      seen.add(s.conversation.id);
      return true;
    });
  },
);

io = hostRelay(
  `limit relay (${summariesMode})`,
  (socket, user) => {
    socket.on('conversation:open', (payload: { department: string }, ack: Ack) => {
      const opener = `${user.id}:${payload.department}`;
      let c = byOpener.get(opener);
      if (!c) {
        const id = pools.get(payload.department)?.shift();
        if (!id)
          return ack({ ok: false, error: { code: 'not_found', message: 'no seeded conversation left' } });
        c = {
          id,
          customerId: user.id,
          department: payload.department,
          lastSeq: 0,
          counts: { customer: 0, agents: 0 },
        };
        byOpener.set(opener, c);
        conversations.set(id, c);
      }
      ack({
        ok: true,
        data: { conversation: { id: c.id, department: c.department, status: 'open', lastSeq: c.lastSeq } },
      });
    });

    socket.on(
      'message:send',
      (payload: { conversationId: string; clientMsgId: string; text: string }, ack: Ack) => {
        const conversation = conversations.get(payload.conversationId);
        if (!conversation)
          return ack({ ok: false, error: { code: 'not_found', message: 'no such conversation' } });
        commit
          .enqueue({ conversation, user, clientMsgId: payload.clientMsgId, text: payload.text, ack })
          .catch((err: Error) => ack({ ok: false, error: { code: 'unavailable', message: err.message } }));
      },
    );
  },
  async () => {
    clearInterval(coalescer);
    await summaryWrite;
    await db.dropDatabase();
    await client.close();
  },
);

process.on('message', (msg: { probe?: string }) => {
  if (msg?.probe === 'batches')
    process.send?.({ probe: 'batches', batches: commit.batches, items: commit.items });
});
