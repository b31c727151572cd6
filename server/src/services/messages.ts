// Sending and reading messages.
//
// DESIGN: seq allocation, idempotency and unread counts without transactions (SPEC §2, §5).
//
// The message document is the commit point, and it claims its seq itself:
//   * A message's `_id` is "<conversationId>:<seq>" (store/messages.ts), and (conversationId, clientMsgId) has a
//     unique index. Inserting the message is therefore ONE atomic write that both takes the seq slot and
//     records the clientMsgId: no second message can take that seq, and no second message can carry that
//     clientMsgId. There is nothing to reserve first, so nothing can be reserved and then lost.
//   * A sender inserts at seq = (highest seq it knows to exist) + 1, never further. "Known to exist" is either
//     the conversation's lastSeq (set only after that message was stored) or a message it just read. So a
//     message at seq s is only ever written when s-1 is already stored: gaps are impossible, also when a
//     process dies at any point (an interrupted send has either stored its message or not).
//   * On a duplicate-key error the sender reads the slot: if it holds our clientMsgId this is a retry (or a
//     racing twin) and we answer the stored message; if it holds another message we move to seq+1; if it is
//     empty, the clientMsgId was the duplicate and we answer the message stored under it. Under contention
//     this is optimistic concurrency (a loser retries one slot further); in a real conversation there are one
//     or two writers, so nearly every send is one insert.
//   * Each message carries the running counts of both sides' messages through its seq (`counts`). It is
//     computed from the message before it (or the conversation doc, whose lastSeq and counts move together), so
//     the counts are written in the same atomic write that appends the message and are never recounted.
//   * The conversation document is then brought forward with `$max` only (lastSeq, counts, lastMessage,
//     updatedAt): applying messages out of order, twice or late converges on the state at the highest seq, so
//     concurrent senders need no ordering and a crash between the two writes is healed by the next send,
//     sync, history read or retry (each of them applies what it finds beyond lastSeq).
//   * Unread for side X = counts[other side] - readCounts[X], where readCounts[X] is the other side's count at
//     X's read cursor, taken when the cursor moves (from the conversation doc when reading to the end, else from
//     the one message at the cursor). Both are on the conversation doc: a summary is one point read.
//   * A retry (the clientMsgId is already stored) is found by point reads back from the conversation's end,
//     where a retried message nearly always is, then through the unique index. No clientMsgId ring on the
//     conversation doc: every read and update of that doc would pay for it (FerretDB: ~1.6x per update).
//
// Why not reserve the seq on the conversation first ($inc lastSeq) and insert the message after? A process
// dying between the two writes leaves a reserved seq with no message: a gap that needs a repair protocol, and a
// retried clientMsgId can reserve a second seq. Here the one insert is the whole commit.
import { randomBytes } from 'node:crypto';
import { ErrorCode, fail, MAX_SYNC_MESSAGES, type Message, ok, type Result } from '@support-chat/protocol';
import { createLogger } from '../log';
import { errorsTotal, messagesTotal } from '../metrics';
import type { ConversationDoc, SideCounts } from '../store/conversations';
import type { Store } from '../store/db';
import { fromBinary, lastMessageOf, type MessageDoc, messageKey, toBinary } from '../store/messages';
import { type Actor, findAccessible, sideOf } from './actor';
import type { WaitingHook } from './conversations';
import type { MessageCipher } from './crypto';
import { KeyedQueue } from './keyed-queue';
import type { ChatNotifier, ConversationViews } from './views';

const log = createLogger('messages');

/** Enough for hundreds of concurrent writers in one conversation; then the client is told to retry. */
const MAX_ATTEMPTS = 2000;

const newMessageId = (): string => {
  // An ObjectId-shaped id (time + random) without importing the driver here.
  const time = Math.floor(Date.now() / 1000)
    .toString(16)
    .padStart(8, '0');
  return time + randomBytes(8).toString('hex');
};

const toMessage = (doc: MessageDoc, text: string): Message => ({
  id: doc.id,
  conversationId: doc.conversationId,
  seq: doc.seq,
  sender: { id: doc.senderId, username: doc.senderUsername, role: doc.senderRole },
  text,
  clientMsgId: doc.clientMsgId,
  createdAt: doc.createdAt.toISOString(),
});

export interface SendResult {
  message: Message;
  /** False when this clientMsgId was already stored (a retry): the stored message is answered. */
  created: boolean;
  conversation: ConversationDoc;
}

/** The message document holding a send's clientMsgId: written by this call, or by an earlier attempt of it. */
interface Stored {
  doc: MessageDoc;
  created: boolean;
  /** The conversation as last read. */
  conversation: ConversationDoc;
}

/** How many conversations' last stored seq this process remembers. */
const LAST_STORED_ENTRIES = 10_000;

export class MessageService {
  /** Writers of one conversation queue up on this process instead of colliding (see append). */
  private readonly writers = new KeyedQueue();
  private readonly lastStored = new Map<string, { seq: number; counts: SideCounts }>();

  constructor(
    private readonly store: Pick<Store, 'conversations' | 'messages'>,
    private readonly cipher: MessageCipher,
    private readonly views: ConversationViews,
    private readonly notifier: ChatNotifier,
    private readonly waiting: WaitingHook,
  ) {}

  /**
   * message:send: store the message once (a retried clientMsgId answers the stored one), fold it into the
   * conversation, announce it. The answer carries the plaintext we were given, never a decrypted copy.
   */
  async send(
    actor: Actor,
    input: { conversationId: string; clientMsgId: string; text: string },
  ): Promise<Result<SendResult>> {
    const got = await findAccessible(this.store.conversations, actor, input.conversationId);
    if (!got.ok) return got;
    const conv = got.data;
    return this.writers.run(conv._id, async () => {
      const stored = await this.append(actor, conv, input);
      if (!stored.ok) return stored;
      const { doc, created, conversation } = stored.data;
      if (!created && doc.senderId !== actor.id) {
        return fail(ErrorCode.conflict, 'This clientMsgId is already used by another message');
      }
      const message = created ? toMessage(doc, input.text) : this.decrypt(doc);
      if (!message) return fail(ErrorCode.internal, 'The stored message cannot be read');
      // A retry whose first attempt got as far as the conversation doc has nothing left to do.
      if (!created && conversation.lastSeq >= doc.seq) return ok({ message, created, conversation });
      let after = (await this.fold(conversation._id, doc)) ?? conversation;
      this.notifier.messageCreated(after, message);
      if (created) {
        messagesTotal.inc({ role: actor.role });
        if (doc.senderRole === 'customer' && conv.status === 'resolved' && after.assigneeId === null) {
          // A customer wrote into a resolved conversation that nobody holds: it queues like a new one.
          after = await this.waiting.autoAssign(after);
        }
      }
      this.notifier.conversationUpdated(this.views.view(after, message));
      return ok({ message, created, conversation: after });
    });
  }

  /**
   * The one atomic write that takes the next seq and records the clientMsgId (see DESIGN above): an insert at
   * the highest seq known to be stored + 1, moving one slot on when another message holds it.
   */
  private async append(
    actor: Actor,
    conv: ConversationDoc,
    input: { clientMsgId: string; text: string },
  ): Promise<Result<Stored>> {
    const id = conv._id;
    const side = sideOf(actor);
    // Start after the highest seq known to be stored: the conversation's, or the last one this process wrote.
    const known = this.lastStored.get(id);
    let seq = conv.lastSeq + 1;
    let before: SideCounts = conv.counts;
    if (known && known.seq >= seq) {
      seq = known.seq + 1;
      before = known.counts;
    }
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const sealed = this.cipher.seal(id, seq, input.text);
      const doc: MessageDoc = {
        _id: messageKey(id, seq),
        id: newMessageId(),
        conversationId: id,
        seq,
        clientMsgId: input.clientMsgId,
        senderId: actor.id,
        senderUsername: actor.username,
        senderRole: actor.role,
        ciphertext: toBinary(sealed.ciphertext),
        nonce: toBinary(sealed.nonce),
        keyId: sealed.keyId,
        counts: { ...before, [side]: before[side] + 1 },
        createdAt: new Date(),
      };
      if ((await this.store.messages.insert(doc)) === 'inserted') {
        this.remember(id, doc);
        return ok({ doc, created: true, conversation: conv });
      }
      const [inSlot, fresh] = await Promise.all([
        this.store.messages.findBySeq(id, seq),
        this.store.conversations.findById(id),
      ]);
      const conversation = fresh ?? conv;
      if (inSlot?.clientMsgId === input.clientMsgId) return ok({ doc: inSlot, created: false, conversation });
      if (!inSlot) {
        // The slot is free, so the clientMsgId was the duplicate: a retry of a message stored earlier.
        const stored = await this.store.messages.findRetried(id, input.clientMsgId, seq - 1);
        if (stored) return ok({ doc: stored, created: false, conversation });
        continue;
      }
      // Another message holds this seq: it exists, so seq + 1 is the next slot and leaves no gap.
      this.remember(id, inSlot);
      seq += 1;
      before = inSlot.counts;
      if (fresh && fresh.lastSeq + 1 > seq) {
        seq = fresh.lastSeq + 1;
        before = fresh.counts;
      }
    }
    log.warn({ conversationId: id, attempts: MAX_ATTEMPTS }, 'send gave up under contention');
    return fail(ErrorCode.unavailable, 'The conversation is too busy, try again');
  }

  private remember(conversationId: string, doc: Pick<MessageDoc, 'seq' | 'counts'>): void {
    const known = this.lastStored.get(conversationId);
    if (known && known.seq >= doc.seq) return;
    this.lastStored.delete(conversationId);
    this.lastStored.set(conversationId, { seq: doc.seq, counts: doc.counts });
    if (this.lastStored.size > LAST_STORED_ENTRIES) {
      const oldest = this.lastStored.keys().next().value;
      if (oldest !== undefined) this.lastStored.delete(oldest);
    }
  }

  /** Folds a stored message into the conversation doc (idempotent); a customer's message reopens it. */
  private fold(conversationId: string, doc: MessageDoc): Promise<ConversationDoc | null> {
    return this.store.conversations.applyMessage(conversationId, {
      seq: doc.seq,
      counts: doc.counts,
      clientMsgId: doc.clientMsgId,
      reopen: doc.senderRole === 'customer',
      lastMessage: lastMessageOf(doc),
    });
  }

  /** A stored message in clear, or null (and logged) when it does not decrypt. */
  private decrypt(doc: MessageDoc): Message | null {
    const text = this.cipher.open(doc.conversationId, doc.seq, {
      ciphertext: fromBinary(doc.ciphertext),
      nonce: fromBinary(doc.nonce),
      keyId: doc.keyId,
    });
    if (text === null) {
      // Tampered, moved, or encrypted with a key this process no longer has: never shown, never garbage.
      log.error(
        { conversationId: doc.conversationId, seq: doc.seq, keyId: doc.keyId },
        'message does not decrypt',
      );
      errorsTotal.inc({ source: 'crypto', code: 'decrypt_failed' });
      return null;
    }
    return toMessage(doc, text);
  }

  private decryptAll(docs: MessageDoc[]): Message[] {
    const out: Message[] = [];
    for (const d of docs) {
      const m = this.decrypt(d);
      if (m) out.push(m);
    }
    return out;
  }

  /**
   * The highest stored seq: the conversation's lastSeq, plus any message an interrupted or in-flight send
   * stored beyond it (those are folded into the conversation doc on the way).
   */
  private async tail(conv: ConversationDoc): Promise<ConversationDoc> {
    let last: MessageDoc | null = null;
    for (let seq = conv.lastSeq + 1; seq <= conv.lastSeq + MAX_SYNC_MESSAGES; seq++) {
      const next = await this.store.messages.findBySeq(conv._id, seq);
      if (!next) break;
      last = next;
    }
    if (!last) return conv;
    return (await this.fold(conv._id, last)) ?? conv;
  }

  /** Every message with seq > afterSeq, in order, at most MAX_SYNC_MESSAGES (call again for more). */
  async sync(
    actor: Actor,
    conversationId: string,
    afterSeq: number,
  ): Promise<Result<{ messages: Message[] }>> {
    const got = await findAccessible(this.store.conversations, actor, conversationId);
    if (!got.ok) return got;
    let conv = got.data;
    if (afterSeq + MAX_SYNC_MESSAGES > conv.lastSeq) conv = await this.tail(conv);
    const to = Math.min(conv.lastSeq, afterSeq + MAX_SYNC_MESSAGES);
    const docs = to > afterSeq ? await this.store.messages.range(conv._id, afterSeq + 1, to) : [];
    return ok({ messages: this.decryptAll(docs) });
  }

  /** A page of history: at most `limit` messages with seq < before (default: the newest), oldest first. */
  async history(
    actor: Actor,
    conversationId: string,
    opts: { before?: number; limit: number },
  ): Promise<Result<{ messages: Message[] }>> {
    const got = await findAccessible(this.store.conversations, actor, conversationId);
    if (!got.ok) return got;
    const conv = await this.tail(got.data);
    const end = Math.min(opts.before ?? Number.POSITIVE_INFINITY, conv.lastSeq + 1) - 1;
    const start = Math.max(1, end - opts.limit + 1);
    const docs = end >= start ? await this.store.messages.range(conv._id, start, end) : [];
    return ok({ messages: this.decryptAll(docs) });
  }
}
