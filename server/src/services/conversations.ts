// Conversations as the product sees them: who may see which (customer: their own; agent: their departments'),
// opening one per (customer, department), listing, read cursors.
import { type ConversationSummary, ErrorCode, fail, ok, type Result } from '@support-chat/protocol';
import { createLogger } from '../log';
import {
  type ConversationDoc,
  type CustomerDetails,
  conversationIdFor,
  newConversationDoc,
} from '../store/conversations';
import { type Actor, conversationNotFound, findAccessible, otherSide, sideOf } from './actor';
import type { ChatStore } from './live-conversations';
import type { ChatNotifier, ConversationViews } from './views';

const log = createLogger('conversations');

/** A caller as the handshake reads them: customers with their account's record of passed conversations. */
type CustomerActor = Actor & { conversationIds?: Readonly<Record<string, string>> };

/** The id of a customer's conversation with a department: passed to them from a visitor, or derived from the pair. */
export const conversationIdOf = (
  actor: Pick<CustomerActor, 'id' | 'conversationIds'>,
  department: string,
): string => actor.conversationIds?.[department] ?? conversationIdFor(actor.id, department);

/** What happens to a conversation that starts waiting (new, or reopened by its customer with nobody holding it). */
export interface WaitingHook {
  /** Assigns it if an agent is available; returns the (possibly unchanged) document. */
  autoAssign(doc: ConversationDoc): Promise<ConversationDoc>;
  /**
   * Creates a new conversation already assigned to the available agent of its department with the fewest open
   * conversations (or waiting when there is none): one write instead of an insert and an assignment.
   */
  createAssigned(
    department: string,
    create: (assigneeId: string | null) => Promise<ConversationDoc | null>,
  ): Promise<ConversationDoc | null>;
}

/** Where a new conversation's customer becomes findable (the inbox's search keys). */
export interface CustomerIndex {
  indexCustomer(doc: ConversationDoc): Promise<void>;
}

export class ConversationService {
  constructor(
    private readonly store: Pick<ChatStore, 'conversations' | 'messages' | 'departments' | 'users'>,
    private readonly views: ConversationViews,
    private readonly notifier: ChatNotifier,
    private readonly waiting: WaitingHook,
    private readonly customerIndex: CustomerIndex,
    /** Which departments a customer may open (a website's customers: that site's; SPEC §10). */
    private readonly departmentAllowed: (
      customerId: string,
      department: string,
    ) => Promise<boolean> = async () => true,
    /** A website customer's name, email and verification, shown to agents in summaries (null: the chat page's). */
    private readonly customerDetails: (customerId: string) => Promise<CustomerDetails | null> = async () =>
      null,
  ) {}

  /** The conversation if the actor may see it; an unknown and a foreign id answer the same not_found. */
  get(actor: Actor, id: string): Promise<Result<ConversationDoc>> {
    return findAccessible(this.store.conversations, actor, id);
  }

  /** The summary with the unread count of whoever asks. */
  summaryFor(actor: Actor, doc: ConversationDoc): ConversationSummary {
    return this.views.summaryFor(actor, doc);
  }

  /**
   * The customer's conversation with a department, created on first open. Exactly one per pair, also under
   * racing opens: the `_id` is derived from the pair, so every racer inserts the same `_id`, one wins and the
   * others read the winner's document. A conversation passed to the customer from a visitor (SPEC §10) keeps the
   * visitor's `_id`: the account records it (`conversationIds`), and the unique (customer, department) index keeps a
   * racing open from making a second one.
   */
  async open(
    actor: CustomerActor,
    department: string,
  ): Promise<Result<{ conversation: ConversationDoc; created: boolean }>> {
    if (actor.role !== 'customer') return fail(ErrorCode.forbidden, 'Only customers open conversations');
    let id = conversationIdOf(actor, department);
    let existing = await this.store.conversations.findById(id);
    if (existing?.customerId === actor.id && existing.department !== department) {
      // Transferred to another department since the caller's record was read: the account knows where things are.
      const account = await this.store.users.findById(actor.id);
      id = conversationIdOf({ id: actor.id, conversationIds: account?.conversationIds }, department);
      existing = await this.store.conversations.findById(id);
    }
    if (existing && (existing.customerId !== actor.id || existing.department !== department)) {
      // A 96-bit id collision: never hand someone else's conversation over.
      log.error({ conversationId: id }, 'conversation id collision');
      return fail(ErrorCode.internal, 'Cannot open this conversation');
    }
    if (existing && existing.customerDetails === undefined) {
      // Made before conversations kept their customer's details: filled once, here.
      const details = await this.customerDetails(actor.id);
      const filled = await this.store.conversations.setCustomerDetails(existing._id, actor.id, details);
      return ok({ conversation: filled ?? existing, created: false });
    }
    if (existing) return ok({ conversation: existing, created: false });
    // A new conversation: what it needs is read at once (one round trip's wait instead of three).
    const [known, allowed, details] = await Promise.all([
      this.store.departments.exists(department),
      this.departmentAllowed(actor.id, department),
      this.customerDetails(actor.id),
    ]);
    if (!known || !allowed) return fail(ErrorCode.notFound, 'No such department');
    // The id is the pair's, or the one the account records (after a transfer took the pair's elsewhere).
    const doc = {
      ...newConversationDoc({ id: actor.id, username: actor.username, details }, department, new Date()),
      _id: id,
    };
    const inserted = await this.waiting.createAssigned(department, (assigneeId) =>
      this.store.conversations.insert(assigneeId ? { ...doc, assigneeId, waitingSince: null } : doc),
    );
    if (!inserted) {
      const winner = await this.openedMeanwhile(actor.id, department, doc._id);
      if (!winner) return fail(ErrorCode.unavailable, 'Conversation not readable yet, try again');
      if (winner.customerId !== actor.id) return fail(ErrorCode.internal, 'Cannot open this conversation');
      return ok({ conversation: winner, created: false });
    }
    log.info({ conversationId: id, customerId: actor.id, department }, 'conversation created');
    await Promise.all([
      this.store.users.addConversationDepartment(actor.id, department),
      this.customerIndex.indexCustomer(inserted),
    ]);
    if (inserted.assigneeId)
      log.info({ conversationId: id, agentId: inserted.assigneeId }, 'conversation assigned automatically');
    this.notifier.conversationUpdated(this.views.view(inserted));
    return ok({ conversation: inserted, created: true });
  }

  /**
   * The conversation that made an open's insert fail: a racing open's (same `_id`), or one passed to the customer
   * since the actor's record was read (the unique pair refused the insert): from the account's record, else by its
   * fields (a scan, only in that race).
   */
  private async openedMeanwhile(
    customerId: string,
    department: string,
    derivedId: string,
  ): Promise<ConversationDoc | null> {
    const racer = await this.store.conversations.findById(derivedId);
    if (racer) return racer;
    const passedId = (await this.store.users.findById(customerId))?.conversationIds?.[department];
    const passed = passedId ? await this.store.conversations.findById(passedId) : null;
    if (passed?.customerId === customerId) return passed;
    const found = await this.store.conversations.findByCustomer(customerId, department);
    return found ? this.store.conversations.findById(found._id) : null;
  }

  /**
   * A visitor identified as a verified customer (SPEC §10): each of the visitor's conversations passes to the
   * customer when the customer has none with its department; otherwise it stays the visitor's (the widget links the
   * two customers). Messages are never moved or re-encrypted: the document keeps its `_id` and seqs, only its
   * customer changes, and the customer's account records where it is.
   */
  async passConversations(
    from: string,
    to: { id: string; username: string; details: CustomerDetails },
  ): Promise<{ passed: string[]; kept: string[] }> {
    const [departments, account] = await Promise.all([
      this.store.departments.ids(),
      this.store.users.findById(from),
    ]);
    // The pairs' ids, and those the account records (a transfer moves a conversation away from its pair's id).
    const ids = departments.flatMap((d) => [
      conversationIdFor(from, d),
      conversationIdOf({ id: from, conversationIds: account?.conversationIds }, d),
    ]);
    const owned = await this.store.conversations.findByIds([...new Set(ids)]);
    const passed: string[] = [];
    const kept: string[] = [];
    for (const conv of owned) {
      if (conv.customerId !== from) continue;
      const after = await this.store.conversations.passToCustomer(conv._id, from, to);
      if (after === 'taken') {
        kept.push(conv._id);
        continue;
      }
      if (!after) continue;
      await this.store.users.recordPassedConversation(from, to.id, after.department, after._id);
      passed.push(after._id);
      await this.customerIndex.indexCustomer(after);
      this.notifier.conversationUpdated(this.views.view(after));
    }
    if (passed.length || kept.length)
      log.info({ from, to: to.id, passed, kept }, 'visitor conversations handed over');
    return { passed, kept };
  }

  /**
   * A website customer's details changed (the visitor's form, the shop's token): each of their conversations shows
   * the new ones to agents, live.
   */
  async customerDetailsChanged(customerId: string, details: CustomerDetails): Promise<void> {
    const [departments, account] = await Promise.all([
      this.store.departments.ids(),
      this.store.users.findById(customerId),
    ]);
    const actor = { id: customerId, conversationIds: account?.conversationIds };
    for (const department of departments) {
      const id = conversationIdOf(actor, department);
      const existing = await this.store.conversations.findById(id);
      if (existing?.customerId !== customerId) continue;
      const after = await this.store.conversations.setCustomerDetails(id, customerId, details);
      if (!after) continue;
      await this.customerIndex.indexCustomer(after);
      this.notifier.conversationUpdated(this.views.view(after));
    }
  }

  /**
   * The departments a customer has a conversation with: from their account (read by the handshake already), else
   * worked out from the conversations once and recorded (accounts from before the record).
   */
  async customerDepartments(
    actor: Actor & { conversationDepartments?: readonly string[] },
  ): Promise<string[]> {
    if (actor.conversationDepartments) return [...actor.conversationDepartments];
    const departments = [...new Set((await this.listOwn(actor)).map((c) => c.department))];
    await this.store.users.initConversationDepartments(actor.id, departments);
    return departments;
  }

  /** A customer's own conversations (one per department: point reads), newest activity first. Agents page the inbox. */
  async listOwn(actor: CustomerActor): Promise<ConversationDoc[]> {
    const departments = await this.store.departments.ids();
    const docs = await this.store.conversations.findByIds(departments.map((d) => conversationIdOf(actor, d)));
    return docs
      .filter((d) => d.customerId === actor.id)
      .sort((a, b) => b.updatedAt.getTime() - a.updatedAt.getTime());
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
    // A reader who has seen further than this process knows (messages stored through another node): a point read
    // of the stored tail catches up, so the cursor can move to what they saw.
    const doc =
      seq > got.data.lastSeq ? ((await this.store.conversations.findWithTail(id)) ?? got.data) : got.data;
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
      const atCursor = await this.store.messages.findBySeq(id, target);
      if (!atCursor) return fail(ErrorCode.unavailable, 'Message not readable yet, try again');
      otherCount = atCursor.counts[otherSide(side)];
    }
    const after = await this.store.conversations.markRead(id, side, target, otherCount, agentId);
    if (!after) return conversationNotFound();
    const changed = after.readSeq[side] > doc.readSeq[side];
    if (changed) {
      this.notifier.conversationRead(after, side, after.readSeq[side]);
      this.notifier.conversationUpdated(this.views.view(after));
    }
    return ok({ conversation: after, changed });
  }
}
