// Services against the real database (no sockets): seq allocation, idempotency, unread, healing, encryption.
import { randomBytes, randomUUID } from 'node:crypto';
import { type Db, MongoClient, ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { testSecrets } from '../../test/helpers';
import { loadConfig } from '../config';
import {
  type ConversationDoc,
  ensureConversationCollections,
  newConversationDoc,
} from '../store/conversations';
import { openStore, type StoreOptions } from '../store/db';
import { ensureMessageCollection, messageKey, toBinary } from '../store/messages';
import type { Actor } from './actor';
import { MessageCipher, type MessageKey } from './crypto';
import { createServices } from './index';
import { DirectoryPresence, MemoryDirectory } from './presence';
import { silentNotifier } from './views';

let client: MongoClient;
let db: Db;
const dbName = `chat_services_${randomBytes(4).toString('hex')}`;
const k1: MessageKey = { id: 'k1', key: randomBytes(32) };

const config = loadConfig({ NODE_ENV: 'test', ...testSecrets() });

/** The server's service graph over this file's database, each call a separate "process". */
const build = (keys: MessageKey[] = [k1], storeOptions: StoreOptions = {}) => {
  const store = openStore(db, storeOptions);
  const directory = new MemoryDirectory();
  const services = createServices(
    store,
    { ...config, messageKeys: keys },
    { presence: new DirectoryPresence(directory.lookup), notifier: silentNotifier },
  );
  return { ...services, store, cipher: new MessageCipher(keys), directory };
};

const customer = (): Actor => ({
  id: new ObjectId().toHexString(),
  username: `cust_${randomBytes(3).toString('hex')}`,
  role: 'customer',
  departments: [],
});

const agent = async (departments: string[]): Promise<Actor> => {
  const _id = new ObjectId();
  const username = `agent_${randomBytes(3).toString('hex')}`;
  await db.collection('users').insertOne({ _id, username, role: 'agent', departments, disabled: false });
  return { id: _id.toHexString(), username, role: 'agent', departments };
};

const must = <T>(r: { ok: true; data: T } | { ok: false; error: { code: string; message: string } }): T => {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.data;
};

beforeAll(async () => {
  client = new MongoClient(inject('mongoUri'));
  await client.connect();
  db = client.db(dbName);
  await ensureConversationCollections(db);
  await ensureMessageCollection(db);
  await db.collection<{ _id: string; name: string }>('departments').insertMany([
    { _id: 'billing', name: 'Billing' },
    { _id: 'sales', name: 'Sales' },
  ]);
});

afterAll(async () => {
  await db.dropDatabase();
  await client.close();
});

describe('conversation:open', () => {
  it('20 concurrent opens of one (customer, department) give exactly one conversation', async () => {
    const { conversations } = build();
    const c = customer();
    const results = await Promise.all(Array.from({ length: 20 }, () => conversations.open(c, 'billing')));
    const data = results.map(must);
    expect(new Set(data.map((d) => d.conversation._id)).size).toBe(1);
    expect(data.filter((d) => d.created)).toHaveLength(1);
    expect(await db.collection('conversations').countDocuments({ customerId: c.id })).toBe(1);
  });

  it('refuses agents and unknown departments', async () => {
    const { conversations } = build();
    const a = await agent(['billing']);
    expect(await conversations.open(a, 'billing')).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await conversations.open(customer(), 'nope')).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
  });
});

describe('the departments a customer follows on reconnect', () => {
  it('are recorded on the account when a conversation is created, and worked out once for older accounts', async () => {
    const { conversations } = build();
    const c = customer();
    const users = db.collection<{ _id: ObjectId; conversationDepartments?: string[] }>('users');
    await users.insertOne({ _id: new ObjectId(c.id) });
    must(await conversations.open(c, 'billing'));
    expect((await users.findOne({ _id: new ObjectId(c.id) }))?.conversationDepartments).toEqual(['billing']);
    // What the handshake hands over: no conversation is read.
    expect(await conversations.customerDepartments({ ...c, conversationDepartments: ['billing'] })).toEqual([
      'billing',
    ]);
    // An account from before the record: worked out from its conversations, then recorded.
    must(await conversations.open(c, 'sales'));
    await users.updateOne({ _id: new ObjectId(c.id) }, { $unset: { conversationDepartments: '' } });
    expect((await conversations.customerDepartments(c)).sort()).toEqual(['billing', 'sales']);
    expect((await users.findOne({ _id: new ObjectId(c.id) }))?.conversationDepartments?.sort()).toEqual([
      'billing',
      'sales',
    ]);
    // Also when there is none: an empty record, so that the next reconnect reads nothing.
    const quiet = customer();
    await users.insertOne({ _id: new ObjectId(quiet.id) });
    expect(await conversations.customerDepartments(quiet)).toEqual([]);
    expect((await users.findOne({ _id: new ObjectId(quiet.id) }))?.conversationDepartments).toEqual([]);
  });
});

describe('message:send', () => {
  it.each([
    ['one process', 1],
    ['five processes (independent services: only the database orders them)', 5],
  ])(
    '50 concurrent senders, %s: seq 1..50, no gap, no duplicate, counts consistent',
    async (_, processes) => {
      const nodes = Array.from({ length: processes }, () => build());
      const { conversations } = nodes[0] as ReturnType<typeof build>;
      const c = customer();
      const conv = must(await conversations.open(c, 'billing')).conversation;
      const agents = await Promise.all([agent(['billing']), agent(['billing'])]);
      const senders = Array.from({ length: 50 }, (_, i) => (i % 3 === 0 ? c : (agents[i % 2] as Actor)));
      const results = await Promise.all(
        senders.map((s, i) =>
          (nodes[i % processes] as ReturnType<typeof build>).messages.send(s, {
            conversationId: conv._id,
            clientMsgId: randomUUID(),
            text: `m${i}`,
          }),
        ),
      );
      const seqs = results.map((r) => must(r).message.seq).sort((a, b) => a - b);
      expect(seqs).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      // Summaries follow the acknowledgements at the next flush.
      await Promise.all(nodes.map((n) => n.live.flush()));
      const after = (await db
        .collection<ConversationDoc>('conversations')
        .findOne({ _id: conv._id })) as ConversationDoc;
      const byCustomer = senders.filter((s) => s === c).length;
      expect(after.lastSeq).toBe(50);
      expect(after.counts).toEqual({ customer: byCustomer, agents: 50 - byCustomer });
      const stored = await db
        .collection('messages')
        .find({ conversationId: conv._id })
        .sort({ seq: 1 })
        .toArray();
      expect(stored.map((m) => m.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      // Running counts: at every seq, customer + agents messages so far = seq, and the customer's never drop.
      for (const m of stored) expect(m.counts.customer + m.counts.agents).toBe(m.seq);
      // Synced back in order, every text once.
      const synced = must(
        await (nodes[0] as ReturnType<typeof build>).messages.sync(c, conv._id, 0),
      ).messages;
      expect(synced.map((m) => m.seq)).toEqual(seqs);
      expect(new Set(synced.map((m) => m.text)).size).toBe(50);
    },
  );

  it('the same clientMsgId sent 10 times concurrently (over 3 processes) stores one message', async () => {
    const nodes = [build(), build(), build()];
    const { conversations, messages } = nodes[0] as ReturnType<typeof build>;
    const c = customer();
    const conv = must(await conversations.open(c, 'billing')).conversation;
    await messages.send(c, { conversationId: conv._id, clientMsgId: randomUUID(), text: 'first' });
    const clientMsgId = randomUUID();
    const results = (
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (nodes[i % 3] as ReturnType<typeof build>).messages.send(c, {
            conversationId: conv._id,
            clientMsgId,
            text: 'once',
          }),
        ),
      )
    ).map(must);
    expect(new Set(results.map((r) => r.message.id)).size).toBe(1);
    expect(results.map((r) => r.message.seq)).toEqual(Array(10).fill(2));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await db.collection('messages').countDocuments({ conversationId: conv._id })).toBe(2);
    await Promise.all(nodes.map((n) => n.live.flush()));
    const doc = (await db
      .collection<ConversationDoc>('conversations')
      .findOne({ _id: conv._id })) as ConversationDoc;
    expect(doc.counts.customer).toBe(2);
    expect(doc.lastSeq).toBe(2);
  });

  it('a retry long after (70 newer messages) still returns the stored message', async () => {
    const { conversations, messages } = build();
    const c = customer();
    const conv = must(await conversations.open(c, 'billing')).conversation;
    const clientMsgId = randomUUID();
    const first = must(await messages.send(c, { conversationId: conv._id, clientMsgId, text: 'early' }));
    for (let i = 0; i < 70; i++) {
      must(await messages.send(c, { conversationId: conv._id, clientMsgId: randomUUID(), text: `x${i}` }));
    }
    const retry = must(await messages.send(c, { conversationId: conv._id, clientMsgId, text: 'early' }));
    expect(retry.created).toBe(false);
    expect(retry.message).toEqual(first.message);
    expect(await db.collection('messages').countDocuments({ conversationId: conv._id })).toBe(71);
  });

  it('refuses a clientMsgId already used by someone else in the conversation', async () => {
    const { conversations, messages } = build();
    const c = customer();
    const a = await agent(['billing']);
    const conv = must(await conversations.open(c, 'billing')).conversation;
    const clientMsgId = randomUUID();
    must(await messages.send(c, { conversationId: conv._id, clientMsgId, text: 'mine' }));
    expect(await messages.send(a, { conversationId: conv._id, clientMsgId, text: 'theirs' })).toMatchObject({
      ok: false,
      error: { code: 'conflict' },
    });
  });

  it('heals after a send that stored its message but died before updating the conversation', async () => {
    const { conversations, messages, cipher } = build();
    const c = customer();
    const conv = must(await conversations.open(c, 'billing')).conversation;
    must(await messages.send(c, { conversationId: conv._id, clientMsgId: randomUUID(), text: 'one' }));
    // What a crashed process leaves: message 2 stored, the conversation still says lastSeq 1.
    const sealed = cipher.seal(conv._id, 2, 'orphan');
    await db.collection('messages').insertOne({
      _id: messageKey(conv._id, 2) as unknown as ObjectId,
      id: new ObjectId().toHexString(),
      conversationId: conv._id,
      seq: 2,
      clientMsgId: randomUUID(),
      senderId: c.id,
      senderUsername: c.username,
      senderRole: 'customer',
      ciphertext: toBinary(sealed.ciphertext),
      nonce: toBinary(sealed.nonce),
      keyId: sealed.keyId,
      counts: { customer: 2, agents: 0 },
      createdAt: new Date(),
    });
    const synced = must(await messages.sync(c, conv._id, 0)).messages;
    expect(synced.map((m) => m.text)).toEqual(['one', 'orphan']);
    const next = must(
      await messages.send(c, { conversationId: conv._id, clientMsgId: randomUUID(), text: 'three' }),
    );
    expect(next.message.seq).toBe(3);
    expect(next.conversation.counts.customer).toBe(3);
  });
});

describe('the hot path (SPEC §14)', () => {
  it('a send on a known conversation costs one shared insert; summaries follow in one bulk write', async () => {
    // A second connection that sees every command the services send.
    const monitored = new MongoClient(inject('mongoUri'), { monitorCommands: true });
    await monitored.connect();
    try {
      const store = openStore(monitored.db(dbName));
      const services = createServices(store, config, {
        presence: new DirectoryPresence(new MemoryDirectory().lookup),
        notifier: silentNotifier,
        // Summaries only when the test flushes: under load the ten sends can outlast SUMMARY_FLUSH_MS, and the timer's
        // write would then land among the commands counted before the acknowledgements.
        live: { flushIntervalMs: 60_000 },
      });
      const convs = await Promise.all(
        Array.from({ length: 10 }, async (_, i) => {
          const cust = customer();
          return {
            cust,
            conv: must(await services.conversations.open(cust, i % 2 ? 'sales' : 'billing')).conversation,
          };
        }),
      );
      const sendAll = (label: string) =>
        Promise.all(
          convs.map(({ cust, conv }) =>
            services.messages.send(cust, {
              conversationId: conv._id,
              clientMsgId: randomUUID(),
              text: label,
            }),
          ),
        );
      (await sendAll('warm')).map(must);
      await services.live.flush();
      const commands: string[] = [];
      monitored.on('commandStarted', (e) => commands.push(e.commandName));
      const before = store.messages.insertBatches;
      (await sendAll('hot')).map(must);
      // Before the acknowledgements: message inserts only, shared by the ten conversations.
      expect(new Set(commands)).toEqual(new Set(['insert']));
      const after = store.messages.insertBatches;
      expect(after.items - before.items).toBe(10);
      expect(after.batches - before.batches).toBeLessThan(10);
      commands.length = 0;
      await services.live.flush();
      // One bulk write of the summaries and, in the same flush, the report facts of the two departments' day (SPEC
      // §13: a point read and a compare-and-set update each), and the conversations' moved inbox keys (SPEC §15: one
      // insert of the new keys before the summaries name them, one delete of the old after).
      expect(commands.sort()).toEqual(['delete', 'find', 'find', 'insert', 'update', 'update', 'update']);
      const stored = await db
        .collection<ConversationDoc>('conversations')
        .find({ _id: { $in: convs.map((x) => x.conv._id) } })
        .toArray();
      expect(stored.map((d) => d.lastSeq)).toEqual(Array(10).fill(2));
    } finally {
      await monitored.close();
    }
  });

  it('writes the summaries of 300 conversations in one flush (FerretDB hangs on one large update command)', async () => {
    const store = openStore(db);
    const docs = Array.from({ length: 300 }, () =>
      newConversationDoc({ id: new ObjectId().toHexString(), username: 'c' }, 'billing', new Date()),
    );
    await store.conversations.insertMany(docs);
    const cipher = new MessageCipher([k1]);
    const folds = docs.map((d) => {
      const sealed = cipher.seal(d._id, 1, 'x'.repeat(64));
      return {
        id: d._id,
        last: {
          seq: 1,
          counts: { customer: 1, agents: 0 },
          lastMessage: {
            seq: 1,
            senderRole: 'customer' as const,
            senderId: d.customerId,
            ciphertext: toBinary(sealed.ciphertext),
            nonce: toBinary(sealed.nonce),
            keyId: sealed.keyId,
            createdAt: new Date(),
          },
        },
      };
    });
    await store.conversations.foldSummaries(folds);
    await store.conversations.markDirty(
      docs.map((d) => d._id),
      'test-token',
    );
    await store.conversations.clearDirty(docs.map((d) => ({ id: d._id, token: 'test-token' })));
    const written = await db
      .collection<ConversationDoc>('conversations')
      .countDocuments({ _id: { $in: docs.map((d) => d._id) }, lastSeq: 1 });
    expect(written).toBe(300);
  });

  it('a start repairs the summaries a crash left behind (dirty marks), and the marks go', async () => {
    const crashed = createServices(
      openStore(db),
      { ...config, summaryFlushMs: 60_000 },
      {
        presence: new DirectoryPresence(new MemoryDirectory().lookup),
        notifier: silentNotifier,
      },
    );
    const c = customer();
    const conv = must(await crashed.conversations.open(c, 'billing')).conversation;
    must(
      await crashed.messages.send(c, { conversationId: conv._id, clientMsgId: randomUUID(), text: 'one' }),
    );
    await crashed.live.flush();
    must(
      await crashed.messages.send(c, { conversationId: conv._id, clientMsgId: randomUUID(), text: 'two' }),
    );
    // The process "dies" here: message 2 is acknowledged, its summary is not written, the mark is.
    const stale = await db.collection<ConversationDoc>('conversations').findOne({ _id: conv._id });
    expect(stale?.lastSeq).toBe(1);
    expect(await db.collection('conversation_dirty').countDocuments({ _id: conv._id as never })).toBe(1);

    const next = build();
    expect(await next.live.repairDirty()).toBeGreaterThanOrEqual(1);
    const repaired = await db.collection<ConversationDoc>('conversations').findOne({ _id: conv._id });
    expect(repaired?.lastSeq).toBe(2);
    expect(repaired?.counts).toEqual({ customer: 2, agents: 0 });
    expect(await db.collection('conversation_dirty').countDocuments({ _id: conv._id as never })).toBe(0);
    await crashed.live.close();
  });

  it('a summary write and a state change of one conversation never undo each other', async () => {
    // FerretDB applies an update as read, change, write back: two writes of one document at once can lose one.
    const { conversations, messages, assignment, live } = build();
    const c = customer();
    const a = await agent(['billing']);
    const conv = must(await conversations.open(c, 'billing')).conversation;
    for (let i = 1; i <= 30; i++) {
      must(await messages.send(c, { conversationId: conv._id, clientMsgId: randomUUID(), text: `m${i}` }));
      const target = i % 2 ? a.id : null;
      await Promise.all([live.flush(), assignment.assign(a, conv._id, target).then(must)]);
      const stored = await db.collection<ConversationDoc>('conversations').findOne({ _id: conv._id });
      expect({ lastSeq: stored?.lastSeq, assigneeId: stored?.assigneeId }).toEqual({
        lastSeq: i,
        assigneeId: target,
      });
    }
  });

  it('a quiet conversation loses its dirty mark after its summary is written', async () => {
    const { conversations, messages, live } = createServices(openStore(db), config, {
      presence: new DirectoryPresence(new MemoryDirectory().lookup),
      notifier: silentNotifier,
      live: { markQuietMs: 0 },
    });
    const c = customer();
    const conv = must(await conversations.open(c, 'billing')).conversation;
    must(await messages.send(c, { conversationId: conv._id, clientMsgId: randomUUID(), text: 'hello' }));
    expect(await db.collection('conversation_dirty').countDocuments({ _id: conv._id as never })).toBe(1);
    await live.flush();
    expect(await db.collection('conversation_dirty').countDocuments({ _id: conv._id as never })).toBe(0);
  });
});

describe('unread and read cursors', () => {
  it('a reader who saw messages stored through another process can read up to them', async () => {
    const [p1, p2] = [build(), build()];
    const c = customer();
    const a = await agent(['billing']);
    const conv = must(await p1.conversations.open(c, 'billing')).conversation;
    must(await p2.messages.send(a, { conversationId: conv._id, clientMsgId: randomUUID(), text: 'hi' }));
    // p2 holds the conversation at seq 1; the customer writes two more through p1.
    for (const text of ['two', 'three'])
      must(await p1.messages.send(c, { conversationId: conv._id, clientMsgId: randomUUID(), text }));
    const read = must(await p2.conversations.read(a, conv._id, 3)).conversation;
    expect(read.readSeq.agents).toBe(3);
    expect(p2.conversations.summaryFor(a, read).unread).toBe(0);
  });

  it('counts the other side’s messages above each side’s cursor, O(1) on the conversation', async () => {
    const { conversations, messages } = build();
    const c = customer();
    const a = await agent(['billing']);
    const conv = must(await conversations.open(c, 'billing')).conversation;
    const send = async (who: Actor, text: string) =>
      must(await messages.send(who, { conversationId: conv._id, clientMsgId: randomUUID(), text }));
    await send(c, 'c1');
    await send(c, 'c2');
    const last = await send(c, 'c3');
    expect(conversations.summaryFor(a, last.conversation).unread).toBe(3);
    expect(conversations.summaryFor(c, last.conversation).unread).toBe(0);

    const read = must(await conversations.read(a, conv._id, 2));
    expect(read.changed).toBe(true);
    expect(conversations.summaryFor(a, read.conversation).unread).toBe(1);
    expect(read.conversation.readSeq.agents).toBe(2);
    expect(read.conversation.agentReadSeq[a.id]).toBe(2);

    // A cursor never moves back.
    const back = must(await conversations.read(a, conv._id, 1));
    expect(back.changed).toBe(false);
    expect(conversations.summaryFor(a, back.conversation).unread).toBe(1);

    await send(a, 'a1');
    const latest = await send(a, 'a2');
    expect(conversations.summaryFor(c, latest.conversation).unread).toBe(2);
    expect(conversations.summaryFor(a, latest.conversation).unread).toBe(1);

    // Reading past the end clamps to the last message.
    const all = must(await conversations.read(c, conv._id, 999));
    expect(all.conversation.readSeq.customer).toBe(5);
    expect(conversations.summaryFor(c, all.conversation).unread).toBe(0);
    const agentsAll = must(await conversations.read(a, conv._id, 5));
    expect(conversations.summaryFor(a, agentsAll.conversation).unread).toBe(0);
  });
});

describe('authorization', () => {
  it('answers not_found for foreign customers and agents of other departments, and changes nothing', async () => {
    const { conversations, messages } = build();
    const c = customer();
    const conv = must(await conversations.open(c, 'billing')).conversation;
    must(await messages.send(c, { conversationId: conv._id, clientMsgId: randomUUID(), text: 'private' }));
    const stranger = customer();
    const salesAgent = await agent(['sales']);
    for (const who of [stranger, salesAgent]) {
      expect(await conversations.get(who, conv._id)).toMatchObject({
        ok: false,
        error: { code: 'not_found' },
      });
      expect(await messages.sync(who, conv._id, 0)).toMatchObject({
        ok: false,
        error: { code: 'not_found' },
      });
      expect(
        await messages.send(who, { conversationId: conv._id, clientMsgId: randomUUID(), text: 'intrude' }),
      ).toMatchObject({ ok: false, error: { code: 'not_found' } });
      expect(await conversations.read(who, conv._id, 1)).toMatchObject({
        ok: false,
        error: { code: 'not_found' },
      });
    }
    const unknown = new ObjectId().toHexString();
    expect(await conversations.get(c, unknown)).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await db.collection('messages').countDocuments({ conversationId: conv._id })).toBe(1);
    const doc = (await db
      .collection<ConversationDoc>('conversations')
      .findOne({ _id: conv._id })) as ConversationDoc;
    expect(doc.readSeq).toEqual({ customer: 0, agents: 0 });
  });
});

describe('encryption at rest', () => {
  it('stores no plaintext; a ciphertext moved to another conversation does not decrypt; keys rotate', async () => {
    const { conversations, messages } = build();
    const c = customer();
    const conv = must(await conversations.open(c, 'billing')).conversation;
    const canary = `canary-${randomUUID()}`;
    must(await messages.send(c, { conversationId: conv._id, clientMsgId: randomUUID(), text: canary }));
    const raw = await db.collection('messages').findOne({ conversationId: conv._id });
    const rawConv = await db.collection('conversations').findOne({ _id: conv._id as unknown as ObjectId });
    expect(JSON.stringify(raw)).not.toContain(canary);
    expect(JSON.stringify(rawConv)).not.toContain(canary);
    expect(raw?.keyId).toBe('k1');

    // Copy the stored ciphertext into another conversation: the tag check refuses it, sync leaves it out.
    const other = customer();
    const otherConv = must(await conversations.open(other, 'billing')).conversation;
    await db.collection('messages').insertOne({
      ...(raw as object),
      _id: messageKey(otherConv._id, 1) as unknown as ObjectId,
      conversationId: otherConv._id,
      clientMsgId: randomUUID(),
    });
    expect(must(await messages.sync(other, otherConv._id, 0)).messages).toEqual([]);

    // Rotation: a new key in front; old messages still read, new ones use the new key id.
    const rotated = build([{ id: 'k2', key: randomBytes(32) }, k1]);
    expect(must(await rotated.messages.sync(c, conv._id, 0)).messages.map((m) => m.text)).toEqual([canary]);
    const fresh = must(
      await rotated.messages.send(c, {
        conversationId: conv._id,
        clientMsgId: randomUUID(),
        text: 'new key',
      }),
    );
    const stored = await db
      .collection('messages')
      .findOne({ _id: messageKey(conv._id, fresh.message.seq) as never });
    expect(stored?.keyId).toBe('k2');
    expect(must(await rotated.messages.sync(c, conv._id, 0)).messages.map((m) => m.text)).toEqual([
      canary,
      'new key',
    ]);
  });
});

describe('sync and history', () => {
  it('sync returns every seq > afterSeq in order, at most 500; history pages backwards', async () => {
    const { conversations, messages, cipher } = build();
    const c = customer();
    const conv = must(await conversations.open(c, 'billing')).conversation;
    // 520 messages written directly in bulk (the send path is covered above), then applied like a send.
    const docs = Array.from({ length: 520 }, (_, i) => {
      const seq = i + 1;
      const sealed = cipher.seal(conv._id, seq, `t${seq}`);
      return {
        _id: messageKey(conv._id, seq),
        id: new ObjectId().toHexString(),
        conversationId: conv._id,
        seq,
        clientMsgId: randomUUID(),
        senderId: c.id,
        senderUsername: c.username,
        senderRole: 'customer' as const,
        ciphertext: toBinary(sealed.ciphertext),
        nonce: toBinary(sealed.nonce),
        keyId: sealed.keyId,
        counts: { customer: seq, agents: 0 },
        createdAt: new Date(),
      };
    });
    await db.collection('messages').insertMany(docs as never[]);
    const first = must(await messages.sync(c, conv._id, 0)).messages;
    expect(first).toHaveLength(500);
    expect(first.map((m) => m.seq)).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    const rest = must(await messages.sync(c, conv._id, 500)).messages;
    expect(rest.map((m) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => 501 + i));
    expect(must(await messages.sync(c, conv._id, 520)).messages).toEqual([]);

    const newest = must(await messages.history(c, conv._id, { limit: 50 })).messages;
    expect(newest.map((m) => m.seq)).toEqual(Array.from({ length: 50 }, (_, i) => 471 + i));
    const older = must(await messages.history(c, conv._id, { before: 471, limit: 200 })).messages;
    expect(older.map((m) => m.seq)).toEqual(Array.from({ length: 200 }, (_, i) => 271 + i));
    const oldest = must(await messages.history(c, conv._id, { before: 3, limit: 50 })).messages;
    expect(oldest.map((m) => m.text)).toEqual(['t1', 't2']);

    // Both ways of reading a range (one `_id` range query, or point reads) give the same pages.
    for (const strategy of ['points', 'range'] as const) {
      const { messages: forced, store: forcedStore } = build([k1], { messageReads: strategy });
      const store = forcedStore.messages;
      expect(must(await forced.sync(c, conv._id, 0)).messages).toEqual(first);
      expect(must(await forced.history(c, conv._id, { before: 471, limit: 200 })).messages).toEqual(older);
      expect((await store.range(conv._id, 519, 530)).map((d) => d.seq)).toEqual([519, 520]);
      expect(await store.range(conv._id, 10, 9)).toEqual([]);
    }
  });
});

describe('assignment', () => {
  it('queues without agents, hands out FIFO when an agent comes online, then auto-assigns the least busy', async () => {
    await db.collection('conversations').deleteMany({ department: 'sales' });
    const { conversations, assignment, directory } = build();
    const customers = [customer(), customer(), customer()];
    const opened: ConversationDoc[] = [];
    for (const c of customers) opened.push(must(await conversations.open(c, 'sales')).conversation);
    expect(opened.every((d) => d.assigneeId === null)).toBe(true);

    const a1 = await agent(['sales']);
    directory.connect('s1', a1, a1.departments);
    expect(await assignment.drain('sales')).toBe(3);
    const ids = opened.map((d) => d._id);
    const after = await db
      .collection<ConversationDoc>('conversations')
      .find({ _id: { $in: ids } })
      .toArray();
    expect(after.every((d) => d.assigneeId === a1.id)).toBe(true);

    const a2 = await agent(['sales']);
    directory.connect('s2', a2, a2.departments);
    // a2 holds nothing, so the next two new conversations both go to a2 (fewest open), the third ties -> lowest id.
    const n1 = must(await conversations.open(customer(), 'sales')).conversation;
    const n2 = must(await conversations.open(customer(), 'sales')).conversation;
    expect(n1.assigneeId).toBe(a2.id);
    expect(n2.assigneeId).toBe(a2.id);
    const n3 = must(await conversations.open(customer(), 'sales')).conversation;
    expect(n3.assigneeId).toBe(a2.id);
    const n4 = must(await conversations.open(customer(), 'sales')).conversation;
    expect(n4.assigneeId).toBe([a1.id, a2.id].sort()[0]);
  });

  it('serves the queue oldest first when an agent frees up; a released conversation goes to the back', async () => {
    await db.collection('conversations').deleteMany({ department: 'sales' });
    const { conversations, assignment, directory } = build();
    const queued: ConversationDoc[] = [];
    for (let i = 0; i < 3; i++) queued.push(must(await conversations.open(customer(), 'sales')).conversation);
    const a = await agent(['sales']);
    directory.connect('fifo', a, a.departments);
    const ids = queued.map((d) => d._id);
    expect((await assignment.freedUp(a.id, ['sales']))?._id).toBe(ids[0]);
    // Released: it waits again, behind the two that were already waiting.
    must(await assignment.assign(a, ids[0] as string, null));
    expect((await assignment.freedUp(a.id, ['sales']))?._id).toBe(ids[1]);
    expect((await assignment.freedUp(a.id, ['sales']))?._id).toBe(ids[2]);
    expect((await assignment.freedUp(a.id, ['sales']))?._id).toBe(ids[0]);
    expect(await assignment.freedUp(a.id, ['sales'])).toBeNull();
    // An agent who is not online gets nothing handed out.
    const offline = await agent(['sales']);
    must(await conversations.open(customer(), 'sales'));
    directory.disconnect('fifo');
    expect(await assignment.freedUp(offline.id, ['sales'])).toBeNull();
  });

  it('claim, conflict, assign within the department, release, resolve frees up, reopen; customer reopens by writing', async () => {
    await db.collection('conversations').deleteMany({ department: 'billing' });
    const { conversations, assignment, messages, directory } = build();
    const a1 = await agent(['billing']);
    const a2 = await agent(['billing']);
    const outsider = await agent(['sales']);
    const c = customer();
    const conv = must(await conversations.open(c, 'billing')).conversation;
    expect(conv.assigneeId).toBeNull();

    expect((await assignment.claim(c, conv._id)) as unknown).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
    expect(must(await assignment.claim(a1, conv._id)).assigneeId).toBe(a1.id);
    expect(await assignment.claim(a2, conv._id)).toMatchObject({ ok: false, error: { code: 'conflict' } });
    expect(await assignment.claim(outsider, conv._id)).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });

    expect(await assignment.assign(a1, conv._id, outsider.id)).toMatchObject({
      ok: false,
      error: { code: 'invalid_input' },
    });
    expect(await assignment.assign(a1, conv._id, new ObjectId().toHexString())).toMatchObject({
      ok: false,
      error: { code: 'invalid_input' },
    });
    expect(must(await assignment.assign(a1, conv._id, a2.id)).assigneeId).toBe(a2.id);
    const released = must(await assignment.assign(a2, conv._id, null));
    expect(released.assigneeId).toBeNull();
    expect(released.waitingSince).toBeInstanceOf(Date);

    // a1 holds another one and resolves it: being online, a1 frees up and gets the waiting one.
    const c2 = customer();
    const conv2 = must(await conversations.open(c2, 'billing')).conversation;
    must(await assignment.claim(a1, conv2._id));
    directory.connect('a1', a1, a1.departments);
    const resolved = must(await assignment.resolve(a1, conv2._id));
    expect(resolved.status).toBe('resolved');
    const handed = await db.collection<ConversationDoc>('conversations').findOne({ _id: conv._id });
    expect(handed?.assigneeId).toBe(a1.id);

    // The customer writes into the resolved conversation: it reopens (and keeps its assignee).
    const sent = must(
      await messages.send(c2, { conversationId: conv2._id, clientMsgId: randomUUID(), text: 'again' }),
    );
    expect(sent.conversation.status).toBe('open');
    expect(sent.conversation.assigneeId).toBe(a1.id);

    must(await assignment.resolve(a1, conv2._id));
    const reopened = must(await assignment.reopen(a2, conv2._id));
    expect(reopened.status).toBe('open');
    // Resolving twice / reopening an open one is a no-op, not an error.
    expect(must(await assignment.reopen(a2, conv2._id)).status).toBe('open');
  });
});
