// Internal notes (SPEC §12): what agents write about a conversation for each other. A path of its own beside the
// messages (no group commit, no summary): a note never touches the conversation document, so nothing the customer
// sees of the conversation (seq, counts, lastMessage, updatedAt, unread) can change because of one, and the
// message hot path pays nothing for notes.
//
// noteSeq is gap-free by the messages' scheme (services/messages.ts): the note's `_id` is its noteSeq slot and a
// note is only ever inserted at (highest noteSeq known to be stored) + 1; the unique (conversation, clientMsgId)
// index makes a retry answer the stored note. The highest known noteSeq comes from this process's memory, else from
// the conversation's head hint (written after each note, best effort), and is probed forward from there.
import { randomBytes } from 'node:crypto';
import { ErrorCode, fail, MAX_SYNC_MESSAGES, type Note, ok, type Result } from '@support-chat/protocol';
import { createLogger } from '../log';
import type { ConversationDoc } from '../store/conversations';
import type { Store } from '../store/db';
import { fromBinary, toBinary } from '../store/messages';
import { type NoteDoc, noteKey } from '../store/notes';
import { type Actor, findAccessible } from './actor';
import type { MessageCipher } from './crypto';
import { KeyedQueue } from './keyed-queue';

const log = createLogger('notes');

/** Enough for many agents writing notes in one conversation at once across processes. */
const MAX_ATTEMPTS = 200;
/** Conversations whose highest noteSeq this process remembers. */
const HEAD_CACHE = 10_000;

/** Notes are sealed apart from messages: a note's ciphertext never opens as a message of the same number. */
export const noteScope = (conversationId: string): string => `${conversationId}:note`;

const newNoteId = (): string =>
  Math.floor(Date.now() / 1000)
    .toString(16)
    .padStart(8, '0') + randomBytes(8).toString('hex');

const toNote = (doc: NoteDoc, text: string): Note => ({
  id: doc.id,
  conversationId: doc.conversationId,
  noteSeq: doc.noteSeq,
  author: { id: doc.authorId, username: doc.authorUsername },
  text,
  clientMsgId: doc.clientMsgId,
  createdAt: doc.createdAt.toISOString(),
});

/** Where a new note is announced: the agents of the conversation's department, never its customer. */
export interface NoteNotifier {
  noteCreated(conversation: ConversationDoc, note: Note, except?: string): void;
}

export class NoteService {
  private readonly writers = new KeyedQueue();
  private readonly heads = new Map<string, number>();

  constructor(
    private readonly store: Pick<Store, 'notes'>,
    private readonly conversations: { findById(id: string): Promise<ConversationDoc | null> },
    private readonly cipher: MessageCipher,
    private readonly notifier: NoteNotifier,
  ) {}

  /** Notes are for agents of the conversation's department only; to anyone else the conversation is unknown. */
  private async accessible(actor: Actor, conversationId: string): Promise<Result<ConversationDoc>> {
    if (actor.role !== 'agent') return fail(ErrorCode.forbidden, 'Only agents see internal notes');
    return findAccessible(this.conversations, actor, conversationId);
  }

  private remember(conversationId: string, noteSeq: number): void {
    if ((this.heads.get(conversationId) ?? 0) >= noteSeq) return;
    this.heads.delete(conversationId);
    this.heads.set(conversationId, noteSeq);
    if (this.heads.size > HEAD_CACHE) {
      const oldest = this.heads.keys().next().value;
      if (oldest !== undefined) this.heads.delete(oldest);
    }
  }

  /** The highest noteSeq stored: from memory or the hint, then probed forward (the hint may trail). */
  private async head(conversationId: string): Promise<number> {
    let head = this.heads.get(conversationId) ?? (await this.store.notes.head(conversationId));
    while (await this.store.notes.findBySeq(conversationId, head + 1)) head++;
    this.remember(conversationId, head);
    return head;
  }

  /** note:add: stored once per clientMsgId (a retry answers the stored note), then announced to the agents. */
  async add(
    actor: Actor,
    input: { conversationId: string; clientMsgId: string; text: string },
    /** The connection it came from: it gets the note in its acknowledgement, not as an event too. */
    connection?: string,
  ): Promise<Result<{ note: Note; created: boolean }>> {
    const got = await this.accessible(actor, input.conversationId);
    if (!got.ok) return got;
    return this.write(actor, got.data, input, connection);
  }

  /**
   * Stores and announces a note by `actor` without asking whether they may read the conversation: for the server's
   * own notes (a transfer's note goes to the department it was handed to, which its writer may not be in).
   */
  write(
    actor: Actor,
    conv: ConversationDoc,
    input: { clientMsgId: string; text: string },
    connection?: string,
  ): Promise<Result<{ note: Note; created: boolean }>> {
    return this.writers.run(conv._id, async () => {
      const stored = await this.append(actor, conv._id, input);
      if (!stored.ok) return stored;
      const { doc, created } = stored.data;
      if (!created && doc.authorId !== actor.id) {
        return fail(ErrorCode.conflict, 'This clientMsgId is already used by another note');
      }
      const note = created ? toNote(doc, input.text) : this.decrypt(doc);
      if (!note) return fail(ErrorCode.internal, 'The stored note cannot be read');
      if (created) {
        this.store.notes.advanceHead(conv._id, doc.noteSeq).catch((err: Error) => {
          log.warn({ err: err.message, conversationId: conv._id }, 'note head hint not written');
        });
      }
      // A retry is announced again (the first attempt may have died before): agents' clients de-duplicate.
      this.notifier.noteCreated(conv, note, connection);
      return ok({ note, created });
    });
  }

  private async append(
    actor: Actor,
    conversationId: string,
    input: { clientMsgId: string; text: string },
  ): Promise<Result<{ doc: NoteDoc; created: boolean }>> {
    let noteSeq = (await this.head(conversationId)) + 1;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const sealed = this.cipher.seal(noteScope(conversationId), noteSeq, input.text);
      const doc: NoteDoc = {
        _id: noteKey(conversationId, noteSeq),
        id: newNoteId(),
        conversationId,
        noteSeq,
        clientMsgId: input.clientMsgId,
        authorId: actor.id,
        authorUsername: actor.username,
        ciphertext: toBinary(sealed.ciphertext),
        nonce: toBinary(sealed.nonce),
        keyId: sealed.keyId,
        createdAt: new Date(),
      };
      if ((await this.store.notes.insert(doc)) === 'inserted') {
        this.remember(conversationId, noteSeq);
        return ok({ doc, created: true });
      }
      const inSlot = await this.store.notes.findBySeq(conversationId, noteSeq);
      if (inSlot?.clientMsgId === input.clientMsgId) return ok({ doc: inSlot, created: false });
      if (!inSlot) {
        // The slot is free, so the clientMsgId was the duplicate: a retry of a note stored earlier.
        const earlier = await this.store.notes.findByClientMsgId(conversationId, input.clientMsgId);
        if (earlier) return ok({ doc: earlier, created: false });
        continue;
      }
      // Another note holds this slot (another process): it exists, so the next one leaves no gap.
      this.remember(conversationId, noteSeq);
      noteSeq++;
    }
    log.warn({ conversationId, attempts: MAX_ATTEMPTS }, 'note gave up under contention');
    return fail(ErrorCode.unavailable, 'The conversation is too busy, try again');
  }

  private decrypt(doc: NoteDoc): Note | null {
    const text = this.cipher.open(noteScope(doc.conversationId), doc.noteSeq, {
      ciphertext: fromBinary(doc.ciphertext),
      nonce: fromBinary(doc.nonce),
      keyId: doc.keyId,
    });
    if (text === null) {
      log.error({ conversationId: doc.conversationId, noteSeq: doc.noteSeq }, 'note does not decrypt');
      return null;
    }
    return toNote(doc, text);
  }

  /** Every note with noteSeq > afterNoteSeq, in order, at most MAX_SYNC_MESSAGES (call again for more). */
  async sync(actor: Actor, conversationId: string, afterNoteSeq: number): Promise<Result<{ notes: Note[] }>> {
    const got = await this.accessible(actor, conversationId);
    if (!got.ok) return got;
    const head = await this.head(conversationId);
    const to = Math.min(head, afterNoteSeq + MAX_SYNC_MESSAGES);
    const docs = to > afterNoteSeq ? await this.store.notes.range(conversationId, afterNoteSeq + 1, to) : [];
    const notes: Note[] = [];
    for (const d of docs) {
      const n = this.decrypt(d);
      if (n) notes.push(n);
    }
    return ok({ notes });
  }
}
