// Encryption at rest, end to end: a server on its own embedded database directory, a canary text sent over a
// socket, then every file of the database (and the server's data directory) scanned for it; a ciphertext moved
// into another conversation; a new key put in front of MESSAGE_KEYS across a restart.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectSocket,
  createAgent,
  registerCustomer,
  startTestServer,
  type TestServer,
} from '../../test/helpers';
import { openConversation, sendMessage, syncMessages } from '../realtime/chat-test-helpers';
import { type EmbeddedDb, startEmbeddedDb } from '../store/embedded';
import { messageKey } from '../store/messages';

let dbDir: string;
let embedded: EmbeddedDb;
const sockets: Socket[] = [];
const oldKey = `old1:${randomBytes(32).toString('base64')}`;
const newKey = `new2:${randomBytes(32).toString('base64')}`;
const secretKey = randomBytes(48).toString('base64url');
const dbName = `crypto_${randomBytes(4).toString('hex')}`;

const start = (messageKeys: string) =>
  startTestServer({
    dbName,
    env: { MONGO_URI: embedded.uri, MESSAGE_KEYS: messageKeys, SECRET_KEY: secretKey },
  });

const filesUnder = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    const st = statSync(p);
    // Regular files only: the embedded database's Unix socket lives here too, and cannot be read.
    return st.isDirectory() ? filesUnder(p) : st.isFile() ? [p] : [];
  });

/** Files under `dir` whose bytes contain `needle` (as UTF-8). */
const filesContaining = (dir: string, needle: string): string[] =>
  filesUnder(dir).filter((f) => readFileSync(f).includes(Buffer.from(needle, 'utf8')));

beforeAll(async () => {
  dbDir = mkdtempSync(path.join(os.tmpdir(), 'support-chat-crypto-db-'));
  embedded = await startEmbeddedDb({ dir: dbDir });
});

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await embedded?.stop();
  rmSync(dbDir, { recursive: true, force: true });
});

describe('message text at rest', () => {
  it('is nowhere in the database files; a moved ciphertext is refused; rotated keys keep old messages readable', async () => {
    let srv: TestServer = await start(oldKey);
    const customer = await registerCustomer(srv.url);
    const agent = await createAgent(srv, { departments: ['billing'] });
    const cs = await connectSocket(srv.url, customer.accessToken);
    const as = await connectSocket(srv.url, agent.accessToken);
    sockets.push(cs, as);
    const conv = await openConversation(cs, 'billing');
    const canary = `canary-${randomUUID()}`;
    const reply = `reply-canary-${randomUUID()}`;
    await sendMessage(cs, conv.id, canary);
    await sendMessage(as, conv.id, reply);

    // The raw documents hold ciphertext only (also the conversation's lastMessage).
    const db = srv.server.store.db;
    const rawMessages = await db.collection('messages').find({ conversationId: conv.id }).toArray();
    const rawConversation = await db.collection('conversations').findOne({ _id: conv.id as never });
    for (const doc of [...rawMessages, rawConversation]) {
      const dump = JSON.stringify(doc);
      expect(dump).not.toContain(canary);
      expect(dump).not.toContain(reply);
    }
    expect(rawMessages.map((m) => m.keyId)).toEqual(['old1', 'old1']);

    // Every file the database wrote (SQLite files, WAL, its log), and the server's data directory.
    const files = filesUnder(dbDir);
    expect(files.length).toBeGreaterThan(0);
    // The scan sees live data: the username, stored in clear, is found.
    expect(filesContaining(dbDir, customer.user.username).length).toBeGreaterThan(0);
    expect(filesContaining(dbDir, canary)).toEqual([]);
    expect(filesContaining(dbDir, reply)).toEqual([]);
    expect(filesContaining(srv.dataDir, canary)).toEqual([]);

    // Copy the customer's stored ciphertext into another customer's conversation at seq 1: it must not decrypt
    // there. The API leaves it out (and logs it) rather than failing the whole page or showing garbage.
    const victim = await registerCustomer(srv.url);
    const vs = await connectSocket(srv.url, victim.accessToken);
    sockets.push(vs);
    const victimConv = await openConversation(vs, 'billing');
    const original = rawMessages[0] as Record<string, unknown>;
    await db.collection('messages').insertOne({
      ...original,
      _id: messageKey(victimConv.id, 1) as never,
      conversationId: victimConv.id,
      clientMsgId: randomUUID(),
    });
    expect(await syncMessages(vs, victimConv.id)).toEqual([]);
    const history = await fetch(`${srv.url}/api/conversations/${victimConv.id}/messages`, {
      headers: { authorization: `Bearer ${victim.accessToken}` },
    });
    expect(history.status).toBe(200);
    expect(((await history.json()) as { messages: unknown[] }).messages).toEqual([]);
    // The next real message in that conversation continues after the planted one (no seq reuse).
    expect((await sendMessage(vs, victimConv.id, 'after the plant')).seq).toBe(2);

    // Restart with a new key in front: old messages still read, new ones use the new key id.
    cs.disconnect();
    as.disconnect();
    await srv.close({ keepDatabase: true });
    srv = await start(`${newKey},${oldKey}`);
    try {
      const cs2 = await connectSocket(srv.url, customer.accessToken);
      sockets.push(cs2);
      expect((await syncMessages(cs2, conv.id)).map((m) => m.text)).toEqual([canary, reply]);
      const fresh = await sendMessage(cs2, conv.id, 'after rotation');
      expect(fresh.seq).toBe(3);
      const stored = await srv.server.store.db
        .collection('messages')
        .findOne({ _id: messageKey(conv.id, 3) as never });
      expect(stored?.keyId).toBe('new2');
      const list = await fetch(`${srv.url}/api/conversations`, {
        headers: { authorization: `Bearer ${customer.accessToken}` },
      });
      const body = (await list.json()) as { conversations: { id: string; lastMessage: { text: string } }[] };
      expect(body.conversations.find((c) => c.id === conv.id)?.lastMessage.text).toBe('after rotation');
    } finally {
      await srv.close();
    }
  });
});
