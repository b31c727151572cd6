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
//   * The insert is the only database round trip before the acknowledgement, and it is shared: inserts of all
//     conversations that wait leave together in one insertMany (group commit, store/messages.ts), at most one per
//     conversation (sends of one conversation queue here), so a failed one never leaves a gap behind another.
//     The conversation comes from memory (live-conversations.ts), and its summary (lastSeq, counts, lastMessage,
//     updatedAt) moves forward with `$max` in coalesced bulk writes after the acknowledgement: applying messages
//     out of order, twice or late converges on the state at the highest seq, and a crash before the summary is
//     written is repaired from the dirty marks at start and by the next load of the conversation.
//   * Unread for side X = counts[other side] - readCounts[X], where readCounts[X] is the other side's count at
//     X's read cursor, taken when the cursor moves (from the conversation when reading to the end, else from the
//     one message at the cursor). Both are on the conversation: a summary needs no count.
//   * A retry (the clientMsgId is already stored) is found by point reads back from the conversation's end,
//     where a retried message nearly always is, then through the unique index. No clientMsgId ring on the
//     conversation doc: every read and update of that doc would pay for it (FerretDB: ~1.6x per update).
//
// Why not reserve the seq on the conversation first ($inc lastSeq) and insert the message after? A process
// dying between the two writes leaves a reserved seq with no message: a gap that needs a repair protocol, and a
// retried clientMsgId can reserve a second seq. Here the one insert is the whole commit.
import { randomBytes, randomUUID } from 'node:crypto';
import {
  type Attachment,
  attachmentsPreview,
  ErrorCode,
  fail,
  MAX_SYNC_MESSAGES,
  type Message,
  messagePreview,
  ok,
  type Result,
  type SystemEvent,
} from '@support-chat/protocol';
import { createLogger } from '../log';
import { errorsTotal, messagesTotal } from '../metrics';
import type { ConversationDoc, SideCounts } from '../store/conversations';
import type { Store } from '../store/db';
import { fromBinary, type MessageDoc, messageKey, toBinary } from '../store/messages';
import { type Actor, canAccess, conversationNotFound, findAccessible, sideOf } from './actor';
import type { WaitingHook } from './conversations';
import type { MessageCipher } from './crypto';
import { KeyedQueue } from './keyed-queue';
import type { LiveConversations } from './live-conversations';
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

const toMessage = (doc: MessageDoc, text: string, attachments?: Attachment[]): Message => {
  const message: Message = {
    id: doc.id,
    conversationId: doc.conversationId,
    seq: doc.seq,
    sender: { id: doc.senderId, username: doc.senderUsername, role: doc.senderRole },
    text,
    clientMsgId: doc.clientMsgId,
    createdAt: doc.createdAt.toISOString(),
  };
  if (attachments?.length) message.attachments = attachments;
  if (doc.kind === 'system' && doc.system) {
    message.kind = 'system';
    message.system = doc.system;
  }
  return message;
};

/** What binds a message's sealed attachment list to its conversation and seq. */
const attachmentsAd = (conversationId: string, seq: number) => `${conversationId}:${seq}:attachments`;

/** The files of a send: taken for its clientMsgId before the insert, marked sent after the acknowledgement. */
export interface AttachmentClaims {
  claim(
    actor: Actor,
    conversationId: string,
    clientMsgId: string,
    ids: readonly string[],
  ): Promise<Result<Attachment[]>>;
  release(ids: readonly string[], clientMsgId: string): Promise<void>;
  markSent(ids: readonly string[]): void;
}

export interface SendInput {
  conversationId: string;
  clientMsgId: string;
  text: string;
  attachmentIds?: string[];
}

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
}

export class MessageService {
  /** Sends of one conversation queue up on this process: one insert per conversation in flight (see append). */
  private readonly writers = new KeyedQueue();

  constructor(
    private readonly store: Pick<Store, 'messages'>,
    private readonly live: LiveConversations,
    private readonly cipher: MessageCipher,
    private readonly views: ConversationViews,
    private readonly notifier: ChatNotifier,
    private readonly waiting: WaitingHook,
    private readonly files: AttachmentClaims | null = null,
  ) {}

  /**
   * message:send: store the message once (a retried clientMsgId answers the stored one) and announce it; its
   * conversation's summary follows at the next flush. The answer carries the plaintext we were given, never a
   * decrypted copy.
   */
  async send(
    actor: Actor,
    input: SendInput,
    /** The connection it came from: it gets the message in its acknowledgement, not as an event too. */
    connection?: string,
  ): Promise<Result<SendResult>> {
    const got = await findAccessible(this.live, actor, input.conversationId);
    if (!got.ok) return got;
    const id = got.data._id;
    return this.writers.run(id, async () => {
      // Read again inside the queue: the send before this one moved the conversation on (or to another department).
      const conv = (await this.live.findById(id)) ?? got.data;
      if (!canAccess(actor, conv)) return conversationNotFound();
      // Files first (point writes, one per file, in parallel): each is taken once, by this clientMsgId.
      const ids = input.attachmentIds ?? [];
      let files: Attachment[] = [];
      if (ids.length > 0) {
        if (!this.files) return fail(ErrorCode.invalidInput, 'Attachments are not available');
        const claimed = await this.files.claim(actor, id, input.clientMsgId, ids);
        if (!claimed.ok) return claimed;
        files = claimed.data;
      }
      const stored = await this.append(actor, conv, input, files).catch(async (err: unknown) => {
        if (ids.length > 0) await this.files?.release(ids, input.clientMsgId);
        throw err;
      });
      if (!stored.ok) {
        if (ids.length > 0) await this.files?.release(ids, input.clientMsgId);
        return stored;
      }
      const { doc, created } = stored.data;
      if (!created && doc.senderId !== actor.id) {
        return fail(ErrorCode.conflict, 'This clientMsgId is already used by another message');
      }
      const message = created ? toMessage(doc, input.text, files) : this.decrypt(doc);
      if (!message) return fail(ErrorCode.internal, 'The stored message cannot be read');
      if (doc.attachmentIds?.length) this.files?.markSent(doc.attachmentIds);
      // A retry that named other files than the stored message holds: those go back.
      const extra = created ? [] : ids.filter((f) => !doc.attachmentIds?.includes(f));
      if (extra.length > 0) await this.files?.release(extra, input.clientMsgId);
      // A retry goes the same way as a first attempt, which may have died (its node killed) before announcing the
      // message or writing its summary: announced again (clients de-duplicate by seq), and the summary folded in
      // again (a `$max`: nothing moves back; this process may know the message only from the database).
      let after = this.live.messageStored(doc, messagePreview(message), created) ?? conv;
      this.notifier.messageCreated(after, message, connection);
      if (created) {
        messagesTotal.inc({ role: actor.role });
        if (doc.senderRole === 'customer' && after.status === 'resolved') after = await this.reopen(after);
      }
      return ok({ message, created, conversation: after });
    });
  }

  /** Runs `task` in the conversation's line of sends on this process: no send of this process runs beside it. */
  inLine<T>(conversationId: string, task: () => Promise<T>): Promise<T> {
    return this.writers.run(conversationId, task);
  }

  /**
   * Stores a system message at the conversation's end (SPEC §12: counted for neither side) and announces it to
   * whoever may read the conversation now. Call it in the conversation's line (inLine).
   */
  async appendSystem(
    actor: Actor,
    conv: ConversationDoc,
    event: SystemEvent,
    text: string,
  ): Promise<Result<{ message: Message; conversation: ConversationDoc }>> {
    const stored = await this.append(
      actor,
      conv,
      { clientMsgId: `system-${randomUUID()}`, text, event },
      [],
      true,
    );
    if (!stored.ok) return stored;
    const message = toMessage(stored.data.doc, text);
    const after = this.live.messageStored(stored.data.doc, text, stored.data.created) ?? conv;
    this.notifier.messageCreated(after, message);
    return ok({ message, conversation: after });
  }

  /** A customer wrote into a resolved conversation: it opens again, and queues like a new one if nobody holds it. */
  private async reopen(conv: ConversationDoc): Promise<ConversationDoc> {
    let after = await this.live.setStatus(conv._id, 'resolved', 'open', new Date());
    if (!after) return (await this.live.refresh(conv._id)) ?? conv;
    if (after.assigneeId === null) after = await this.waiting.autoAssign(after);
    this.notifier.conversationUpdated(this.views.view(after));
    return after;
  }

  /**
   * The one atomic write that takes the next seq and records the clientMsgId (see DESIGN above): an insert at the
   * highest seq known to be stored + 1, moving one slot on when another message holds it.
   */
  private async append(
    actor: Actor,
    conv: ConversationDoc,
    input: { clientMsgId: string; text: string; event?: SystemEvent },
    files: Attachment[] = [],
    /** The server writes it (a transfer): no access check, since it may be what changes access. */
    bySystem = false,
  ): Promise<Result<Stored>> {
    const id = conv._id;
    const side = sideOf(actor);
    let seq = conv.lastSeq + 1;
    let before: SideCounts = conv.counts;
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
        counts: input.event ? before : { ...before, [side]: before[side] + 1 },
        createdAt: new Date(),
      };
      if (input.event) {
        doc.kind = 'system';
        doc.system = input.event;
      }
      if (files.length > 0) this.sealFiles(doc, input.text, files);
      // The dirty mark (only when the conversation has none yet) goes beside the insert, not after it.
      const [outcome] = await Promise.all([this.store.messages.insert(doc), this.live.markDirty(id)]);
      if (outcome === 'inserted') return ok({ doc, created: true });
      const [inSlot, fresh] = await Promise.all([
        this.store.messages.findBySeq(id, seq),
        this.live.refresh(id),
      ]);
      if (inSlot?.clientMsgId === input.clientMsgId) return ok({ doc: inSlot, created: false });
      // A transfer moved the conversation (its department is written before its system message takes the slot):
      // whoever lost access with it sends nothing more.
      if (!bySystem && fresh && !canAccess(actor, fresh)) return conversationNotFound();
      if (!inSlot) {
        // The slot is free, so the clientMsgId was the duplicate: a retry of a message stored earlier.
        const stored = await this.store.messages.findRetried(id, input.clientMsgId, seq - 1);
        if (stored) return ok({ doc: stored, created: false });
        continue;
      }
      // Another message holds this seq (written by another process): it exists, so seq + 1 leaves no gap.
      this.live.observe(inSlot);
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

  /** A message with files: their list sealed beside the text, and a preview when there is no text. */
  private sealFiles(doc: MessageDoc, text: string, files: Attachment[]): void {
    const list = this.cipher.sealBytes(
      attachmentsAd(doc.conversationId, doc.seq),
      Buffer.from(JSON.stringify(files), 'utf8'),
    );
    doc.attachmentIds = files.map((f) => f.id);
    doc.attachments = { ciphertext: toBinary(list.ciphertext), nonce: toBinary(list.nonce) };
    if (text === '') {
      const preview = this.cipher.seal(doc.conversationId, doc.seq, attachmentsPreview(files));
      doc.preview = { ciphertext: toBinary(preview.ciphertext), nonce: toBinary(preview.nonce) };
    }
  }

  /** Conversations as sync and history read them: with their stored tail. */
  private readonly withTail = { findById: (id: string) => this.live.findWithTail(id) };

  /** A stored message in clear, or null (and logged) when it does not decrypt. */
  private decrypt(doc: MessageDoc): Message | null {
    const text = this.cipher.open(doc.conversationId, doc.seq, {
      ciphertext: fromBinary(doc.ciphertext),
      nonce: fromBinary(doc.nonce),
      keyId: doc.keyId,
    });
    let files: Attachment[] | undefined;
    if (text !== null && doc.attachments) {
      const list = this.cipher.openBytes(attachmentsAd(doc.conversationId, doc.seq), {
        ciphertext: fromBinary(doc.attachments.ciphertext),
        nonce: fromBinary(doc.attachments.nonce),
        keyId: doc.keyId,
      });
      files = list ? (JSON.parse(list.toString('utf8')) as Attachment[]) : undefined;
      if (!files) {
        log.error({ conversationId: doc.conversationId, seq: doc.seq }, 'message attachments do not decrypt');
        return null;
      }
    }
    if (text === null) {
      // Tampered, moved, or encrypted with a key this process no longer has: never shown, never garbage.
      log.error(
        { conversationId: doc.conversationId, seq: doc.seq, keyId: doc.keyId },
        'message does not decrypt',
      );
      errorsTotal.inc({ source: 'crypto', code: 'decrypt_failed' });
      return null;
    }
    return toMessage(doc, text, files);
  }

  private decryptAll(docs: MessageDoc[]): Message[] {
    const out: Message[] = [];
    for (const d of docs) {
      const m = this.decrypt(d);
      if (m) out.push(m);
    }
    return out;
  }

  /** Every message with seq > afterSeq, in order, at most MAX_SYNC_MESSAGES (call again for more). */
  async sync(
    actor: Actor,
    conversationId: string,
    afterSeq: number,
  ): Promise<Result<{ messages: Message[] }>> {
    // Messages another process stored may lie beyond what this one knows: a point read finds them.
    const got = await findAccessible(this.withTail, actor, conversationId);
    if (!got.ok) return got;
    const conv = got.data;
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
    const got = await findAccessible(this.withTail, actor, conversationId);
    if (!got.ok) return got;
    const conv = got.data;
    const end = Math.min(opts.before ?? Number.POSITIVE_INFINITY, conv.lastSeq + 1) - 1;
    const start = Math.max(1, end - opts.limit + 1);
    const docs = end >= start ? await this.store.messages.range(conv._id, start, end) : [];
    return ok({ messages: this.decryptAll(docs) });
  }
}
