// Conversations as the product sees them: who may see which (customer: their own; agent: their departments'),
// opening one per (customer, department), summaries with the unread count of whoever asks, read cursors.
import {
  type ConversationSummary,
  ErrorCode,
  fail,
  type Message,
  ok,
  type Result,
  type Role,
} from '@support-chat/protocol';
import { createLogger } from '../log';
import {
  type ConversationDoc,
  type ConversationStore,
  conversationIdFor,
  type LastMessageDoc,
  type Side,
} from '../store/conversations';
import { fromBinary, type MessageStore } from '../store/messages';
import type { MessageCipher } from './crypto';

export type { Side } from '../store/conversations';

const log = createLogger('conversations');

/** The authenticated caller, as every transport hands it over. */
export interface Actor {
  id: string;
  username: string;
  role: Role;
  departments: readonly string[];
}

export const sideOf = (actor: Pick<Actor, 'role'>): Side =>
  actor.role === 'customer' ? 'customer' : 'agents';
export const otherSide = (side: Side): Side => (side === 'customer' ? 'agents' : 'customer');

/** A conversation rendered once for each audience (the unread count differs). */
export interface ConversationView {
  doc: ConversationDoc;
  forCustomer: ConversationSummary;
  forAgents: ConversationSummary;
}

/** Where services announce what they durably changed; the realtime layer turns it into socket events. */
export interface ChatNotifier {
  conversationUpdated(view: ConversationView): void;
  messageCreated(conversation: ConversationDoc, message: Message): void;
  conversationRead(conversation: ConversationDoc, by: Side, seq: number): void;
}

export const silentNotifier: ChatNotifier = {
  conversationUpdated() {},
  messageCreated() {},
  conversationRead() {},
};

const notFound = () => fail(ErrorCode.notFound, 'No such conversation');

export const unreadFor = (doc: ConversationDoc, side: Side): number =>
  Math.max(0, doc.counts[otherSide(side)] - doc.readCounts[side]);

export class ConversationService {
  notifier: ChatNotifier = silentNotifier;
  /** Called for a conversation that just started waiting (new, or reopened without an assignee). */
  onWaiting: (doc: ConversationDoc) => Promise<ConversationDoc> = async (doc) => doc;

  constructor(
    readonly store: ConversationStore,
    private readonly messages: MessageStore,
    private readonly cipher: MessageCipher,
  ) {}

  canAccess(actor: Actor, doc: ConversationDoc): boolean {
    if (actor.role === 'customer') return doc.customerId === actor.id;
    return actor.departments.includes(doc.department);
  }

  /** The conversation if the actor may see it; an unknown and a foreign id answer the same not_found. */
  async get(actor: Actor, id: string): Promise<Result<ConversationDoc>> {
    const doc = await this.store.findById(id);
    if (!doc || !this.canAccess(actor, doc)) return notFound();
    return ok(doc);
  }

  decryptLast(doc: ConversationDoc): string | null {
    const lm: LastMessageDoc | undefined = doc.lastMessage;
    if (!lm) return null;
    const text = this.cipher.open(doc._id, lm.seq, {
      ciphertext: fromBinary(lm.ciphertext),
      nonce: fromBinary(lm.nonce),
      keyId: lm.keyId,
    });
    if (text === null) log.error({ conversationId: doc._id, seq: lm.seq }, 'last message does not decrypt');
    return text;
  }

  summary(
    doc: ConversationDoc,
    side: Side,
    lastText: string | null = this.decryptLast(doc),
  ): ConversationSummary {
    const lm = doc.lastMessage;
    return {
      id: doc._id,
      department: doc.department,
      customer: { id: doc.customerId, username: doc.customerUsername },
      status: doc.status,
      assigneeId: doc.assigneeId,
      lastSeq: doc.lastSeq,
      lastMessage:
        lm && lastText !== null
          ? { seq: lm.seq, text: lastText, senderRole: lm.senderRole, createdAt: lm.createdAt.toISOString() }
          : null,
      unread: unreadFor(doc, side),
      readSeq: { customer: doc.readSeq.customer, agents: doc.readSeq.agents },
      createdAt: doc.createdAt.toISOString(),
      updatedAt: doc.updatedAt.toISOString(),
    };
  }

  summaryFor(actor: Actor, doc: ConversationDoc): ConversationSummary {
    return this.summary(doc, sideOf(actor));
  }

  view(doc: ConversationDoc): ConversationView {
    const text = this.decryptLast(doc);
    return {
      doc,
      forCustomer: this.summary(doc, 'customer', text),
      forAgents: this.summary(doc, 'agents', text),
    };
  }

  /**
   * The customer's conversation with a department, created on first open. Exactly one per pair, also under
   * racing opens: the `_id` is derived from the pair, so every racer inserts the same `_id`, one wins and the
   * others read the winner's document.
   */
  async open(
    actor: Actor,
    department: string,
  ): Promise<Result<{ conversation: ConversationDoc; created: boolean }>> {
    if (actor.role !== 'customer') return fail(ErrorCode.forbidden, 'Only customers open conversations');
    const id = conversationIdFor(actor.id, department);
    const existing = await this.store.findById(id);
    if (existing && (existing.customerId !== actor.id || existing.department !== department)) {
      // A 96-bit id collision: never hand someone else's conversation over.
      log.error({ conversationId: id }, 'conversation id collision');
      return fail(ErrorCode.internal, 'Cannot open this conversation');
    }
    if (existing) return ok({ conversation: existing, created: false });
    if (!(await this.store.departmentExists(department)))
      return fail(ErrorCode.notFound, 'No such department');
    const now = new Date();
    const doc: ConversationDoc = {
      _id: id,
      customerId: actor.id,
      customerUsername: actor.username,
      department,
      status: 'open',
      assigneeId: null,
      waitingSince: now,
      lastSeq: 0,
      counts: { customer: 0, agents: 0 },
      readSeq: { customer: 0, agents: 0 },
      readCounts: { customer: 0, agents: 0 },
      agentReadSeq: {},
      createdAt: now,
      updatedAt: now,
    };
    const inserted = await this.store.insert(doc);
    if (!inserted) {
      const winner = await this.store.findById(id);
      if (!winner) return fail(ErrorCode.unavailable, 'Conversation not readable yet, try again');
      if (winner.customerId !== actor.id) return fail(ErrorCode.internal, 'Cannot open this conversation');
      return ok({ conversation: winner, created: false });
    }
    log.info({ conversationId: id, customerId: actor.id, department }, 'conversation created');
    const assigned = await this.onWaiting(inserted);
    this.notifier.conversationUpdated(this.view(assigned));
    return ok({ conversation: assigned, created: true });
  }

  /** Customer: their own conversations; agent: every conversation of their departments. Newest activity first. */
  async list(actor: Actor): Promise<ConversationDoc[]> {
    if (actor.role === 'customer') {
      const departments = await this.store.departmentIds();
      const docs = await this.store.findByIds(departments.map((d) => conversationIdFor(actor.id, d)));
      return docs.sort((a, b) => b.updatedAt.getTime() - a.updatedAt.getTime());
    }
    return this.store.listByDepartments(actor.departments);
  }

  /**
   * Moves the actor's side's read cursor to `seq` (never back, never past the last message). Unread stays O(1):
   * the other side's message count at the cursor comes from the conversation (cursor at the end) or from the
   * one message at the cursor, whose document carries the running counts; nothing is counted by scanning.
   */
  async read(
    actor: Actor,
    id: string,
    seq: number,
  ): Promise<Result<{ conversation: ConversationDoc; changed: boolean }>> {
    const got = await this.get(actor, id);
    if (!got.ok) return got;
    const doc = got.data;
    const side = sideOf(actor);
    const target = Math.min(seq, doc.lastSeq);
    const agentId = side === 'agents' ? actor.id : null;
    const agentCursor = agentId ? (doc.agentReadSeq?.[agentId] ?? 0) : target;
    if (target <= doc.readSeq[side] && agentCursor >= target)
      return ok({ conversation: doc, changed: false });
    let otherCount: number;
    if (target === doc.lastSeq) otherCount = doc.counts[otherSide(side)];
    else if (target === 0) otherCount = 0;
    else {
      const atCursor = await this.messages.findBySeq(id, target);
      if (!atCursor) return fail(ErrorCode.unavailable, 'Message not readable yet, try again');
      otherCount = atCursor.counts[otherSide(side)];
    }
    const after = await this.store.markRead(id, side, target, otherCount, agentId);
    if (!after) return notFound();
    const changed = after.readSeq[side] > doc.readSeq[side];
    if (changed) {
      this.notifier.conversationRead(after, side, after.readSeq[side]);
      this.notifier.conversationUpdated(this.view(after));
    }
    return ok({ conversation: after, changed });
  }
}
