// The testkit that benchmarks use instead of server internals: what it fabricates is what the server accepts.
import { randomBytes, randomUUID } from 'node:crypto';
import type { ConversationSummary } from '@support-chat/protocol';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectSocket, emitAck, startTestServer, type TestServer } from '../test/helpers';
import { seedConversations, seedCustomers, storedMessages } from './testkit';

const SECRET_KEY = randomBytes(48).toString('base64url');
let server: TestServer;
const target = () => ({ mongoUri: inject('mongoUri'), dbName: server.dbName });

beforeAll(async () => {
  server = await startTestServer({ env: { SECRET_KEY } });
});
afterAll(async () => {
  await server?.close();
});

describe('testkit', () => {
  it('fabricates customers whose tokens the server accepts, and audits what they stored', async () => {
    const { tokens, ids } = await seedCustomers({ ...target(), secretKey: SECRET_KEY, count: 3, tag: 'kit' });
    expect(tokens).toHaveLength(3);
    const socket = await connectSocket(server.url, tokens[1] as string);
    try {
      const opened = await emitAck<{ conversation: ConversationSummary }>(socket, 'conversation:open', {
        department: 'billing',
      });
      if (!opened.ok) throw new Error(opened.error.message);
      expect(opened.data.conversation.customer.id).toBe(ids[1]);
      const conversationId = opened.data.conversation.id;
      const sent = [randomUUID(), randomUUID()];
      for (const clientMsgId of sent) {
        const r = await emitAck(socket, 'message:send', { conversationId, clientMsgId, text: 'hello' });
        expect(r.ok).toBe(true);
      }
      const stored = await storedMessages({ ...target(), conversationIds: [conversationId] });
      expect(stored.get(conversationId)).toEqual([
        { seq: 1, clientMsgId: sent[0] },
        { seq: 2, clientMsgId: sent[1] },
      ]);
    } finally {
      socket.close();
    }
    // A token signed with another secret is refused: the kit signs with the server's own.
    const other = await seedCustomers({ ...target(), secretKey: 'x'.repeat(48), count: 1, tag: 'other' });
    await expect(connectSocket(server.url, other.tokens[0] as string)).rejects.toThrow();
  });

  it('seeds conversations the server reads as its own', async () => {
    const [id] = await seedConversations({ ...target(), count: 2, department: 'billing' });
    const doc = await server.server.store.conversations.findById(id as string);
    expect(doc).toMatchObject({ department: 'billing', status: 'open', lastSeq: 0 });
  });
});
