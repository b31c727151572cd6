// The one module of the server that tools outside it (bench/) may import. Everything else they need goes through
// the server's public interfaces: HTTP, Socket.IO and the admin command line. What is here fabricates load fast
// (no argon2 per account) with the server's own document factories and token signer, so it cannot drift.
import { newSessionDoc, signAccessToken } from './services/tokens';
import { newConversationDoc } from './store/conversations';
import { connectStore } from './store/db';
import { entryKeys, searchKeys } from './store/inbox';
import { SEQ_DIGITS } from './store/messages';
import { newUserDoc } from './store/users';

export { type EmbeddedDb, freePort, isProcessAlive, redactUri, startEmbeddedDb } from './store/embedded';
/** A message's `_id`: "<conversationId>:<zero-padded seq>" (for baselines that write the server's documents). */
export { lastMessageOf, messageKey } from './store/messages';
export { encodeReportDay } from './store/reports';

export interface SeedTarget {
  mongoUri: string;
  dbName: string;
}

/** Never used to log in: fabricated customers only ever present the access tokens made here. */
const UNUSABLE_HASH = '$argon2id$v=19$m=19456,t=2,p=1$seed$seed';
const BATCH = 1000;
/** The highest seq a message key holds (zero-padded to SEQ_DIGITS). */
const MAX_KEYED_SEQ = 10 ** SEQ_DIGITS - 1;

/**
 * `count` customers named `c_<tag>_<i>`, each with a login (one day) and an access token signed with `secretKey`
 * (the server's SECRET_KEY) for `ttlSec`: the handshake and everything after it take the real path.
 */
export async function seedCustomers(
  target: SeedTarget & { secretKey: string; count: number; tag: string; ttlSec?: number },
): Promise<{ tokens: string[]; ids: string[] }> {
  const store = await connectStore(target.mongoUri, target.dbName);
  const secret = Buffer.from(target.secretKey, 'utf8');
  const tokens: string[] = [];
  const ids: string[] = [];
  try {
    for (let start = 0; start < target.count; start += BATCH) {
      const users = [];
      const sessions = [];
      for (let i = start; i < Math.min(target.count, start + BATCH); i++) {
        const username = `c_${target.tag}_${i}`;
        const user = newUserDoc({
          username,
          email: `${username}@seed.test`,
          passwordHash: UNUSABLE_HASH,
          role: 'customer',
          departments: [],
        });
        const session = newSessionDoc(user._id, 24 * 3600);
        users.push(user);
        sessions.push(session);
        ids.push(user._id.toHexString());
        const claims = { sub: user._id.toHexString(), sid: session._id, role: 'customer' as const };
        tokens.push(signAccessToken(secret, claims, target.ttlSec ?? 900).token);
      }
      await store.users.insertMany(users);
      await store.sessions.insertSessions(sessions);
    }
  } finally {
    await store.close();
  }
  return { tokens, ids };
}

/**
 * `count` new conversations of fabricated customers in `department`, as the server creates them; their ids. The
 * i-th one's last activity is `activity(i)` (default: all now). Written with their inbox keys (SPEC §15) unless
 * `indexed` is false: then they are data from before the index, which the server's start migrates.
 */
export async function seedConversations(
  target: SeedTarget & {
    count: number;
    department: string;
    activity?: (i: number) => Date;
    indexed?: boolean;
    /** Which of them are open (default: all; the rest are resolved). */
    open?: (i: number) => boolean;
    /** Who holds the i-th one (default: nobody, it waits in the queue). */
    assignee?: (i: number) => string | null;
  },
): Promise<string[]> {
  const store = await connectStore(target.mongoUri, target.dbName);
  const now = new Date();
  const ids: string[] = [];
  const indexed = target.indexed ?? true;
  try {
    if (indexed && (await store.conversations.estimatedCount()) === 0)
      await store.inbox.markMigrated('inbox-v1');
    for (let start = 0; start < target.count; start += BATCH) {
      const docs = Array.from({ length: Math.min(BATCH, target.count - start) }, (_, k) => {
        const i = start + k;
        const customerId = `${i.toString(16).padStart(24, '0')}`;
        const at = target.activity?.(i) ?? now;
        const doc = newConversationDoc({ id: customerId, username: `customer-${i}` }, target.department, at);
        if (target.open && !target.open(i)) doc.status = 'resolved';
        const assignee = target.assignee?.(i) ?? null;
        if (assignee) Object.assign(doc, { assigneeId: assignee, waitingSince: null });
        if (indexed) doc.inboxKeys = entryKeys(doc);
        return doc;
      });
      if (indexed)
        await store.inbox.insert(
          docs.flatMap((d) => [
            ...entryKeys(d),
            ...searchKeys(d.department, d._id, [d.customerUsername, `${d.customerUsername}@seed.test`]),
          ]),
        );
      await store.conversations.insertMany(docs);
      ids.push(...docs.map((d) => d._id));
    }
  } finally {
    await store.close();
  }
  return ids;
}

/** Every stored message of each conversation as (seq, clientMsgId), in seq order: the audit after a load run. */
export async function storedMessages(
  target: SeedTarget & { conversationIds: string[] },
): Promise<Map<string, { seq: number; clientMsgId: string }[]>> {
  const store = await connectStore(target.mongoUri, target.dbName, { messageReads: 'range' });
  const out = new Map<string, { seq: number; clientMsgId: string }[]>();
  try {
    for (const id of target.conversationIds) {
      const docs = await store.messages.range(id, 1, MAX_KEYED_SEQ);
      out.set(
        id,
        docs.map((d) => ({ seq: d.seq, clientMsgId: d.clientMsgId })),
      );
    }
  } finally {
    await store.close();
  }
  return out;
}
