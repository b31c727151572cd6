// Transfer between departments (SPEC §12): an agent hands a conversation to another department's queue.
//
// DESIGN: who may read a conversation changes, so no process may go on delivering it to the old department.
//   * When the customer has no conversation with the target, the conversation itself moves: its department is
//     written first (compare-and-set on the old department; the unique (customer, department) index refuses it when
//     the customer has one there after all), then a system message takes the next seq slot. A sender anywhere that
//     still believes in the old department inserts at or below that slot, collides, reads the conversation again and
//     finds the new department (services/messages.ts): nothing is written on the old assumption after the transfer.
//     Then every process reads the conversation again (the acknowledgement waits for them), and only then are the
//     old department's agents told it left them.
//   * When the customer has one there, nothing moves: a system message in both, the source resolved, the target
//     reopened into its department's queue, and the customer's page and widget follow the source's system message to
//     the target.
//   * The optional note becomes an internal note of the conversation that now holds the customer, so the next agent
//     reads it where they work (a note of its own: encrypted, never the customer's).
import { randomBytes, randomUUID } from 'node:crypto';
import { ErrorCode, fail, ok, type Result, type SystemEvent } from '@support-chat/protocol';
import { createLogger } from '../log';
import type { ConversationDoc } from '../store/conversations';
import { type Actor, findAccessible } from './actor';
import type { AssignmentService } from './assignment';
import { type CustomerIndex, conversationIdOf } from './conversations';
import type { ChatStore } from './live-conversations';
import type { MessageService } from './messages';
import type { NoteService } from './notes';
import type { ChatNotifier, ConversationViews } from './views';

const log = createLogger('transfer');

export interface TransferInput {
  conversationId: string;
  department: string;
  note?: string;
}

export class TransferService {
  constructor(
    private readonly store: Pick<ChatStore, 'conversations' | 'departments' | 'users'>,
    private readonly messages: MessageService,
    private readonly notes: NoteService,
    private readonly assignment: AssignmentService,
    private readonly views: ConversationViews,
    private readonly notifier: ChatNotifier,
    private readonly customerIndex: CustomerIndex,
    /** Which departments a customer may talk to (a website's customers: that site's; SPEC §10). */
    private readonly departmentAllowed: (customerId: string, department: string) => Promise<boolean>,
  ) {}

  /** conversation:transfer: answers the conversation that now holds the customer. */
  async transfer(actor: Actor, input: TransferInput): Promise<Result<ConversationDoc>> {
    if (actor.role === 'customer') return fail(ErrorCode.forbidden, 'Only agents transfer conversations');
    const got = await findAccessible(this.store.conversations, actor, input.conversationId);
    if (!got.ok) return got;
    const source = got.data;
    const to = input.department;
    if (source.department === to)
      return fail(ErrorCode.conflict, 'The conversation is in this department already');
    const names = new Map((await this.store.departments.list()).map((d) => [d._id, d.name]));
    const toName = names.get(to);
    if (toName === undefined) return fail(ErrorCode.notFound, 'No such department');
    if (!(await this.departmentAllowed(source.customerId, to)))
      return fail(ErrorCode.invalidInput, "This customer's website does not offer that department");
    const fromName = names.get(source.department) ?? source.department;
    const ends = {
      from: { department: source.department, name: fromName },
      to: { department: to, name: toName },
    };

    const existing = await this.customersConversation(source.customerId, to);
    if (!existing) {
      const moved = await this.move(actor, source, ends);
      if (moved !== 'taken') return this.finish(actor, moved, input.note);
    }
    // The customer has a conversation with the target (or made one meanwhile): it takes the customer over.
    const target = existing ?? (await this.store.conversations.findByCustomer(source.customerId, to));
    if (!target) return fail(ErrorCode.unavailable, 'The conversation changed meanwhile, try again');
    return this.finish(actor, await this.join(actor, source, target, ends), input.note);
  }

  /** The customer's conversation with a department, if they have one (point reads: the account records where). */
  private async customersConversation(
    customerId: string,
    department: string,
  ): Promise<ConversationDoc | null> {
    const account = await this.store.users.findById(customerId);
    const id = conversationIdOf({ id: customerId, conversationIds: account?.conversationIds }, department);
    const doc = await this.store.conversations.findById(id);
    return doc?.customerId === customerId && doc.department === department ? doc : null;
  }

  /** The conversation itself goes to the other department (see DESIGN). */
  private async move(
    actor: Actor,
    source: ConversationDoc,
    ends: { from: { department: string; name: string }; to: { department: string; name: string } },
  ): Promise<Result<ConversationDoc> | 'taken'> {
    const id = source._id;
    const moved = await this.messages.inLine(id, async () => {
      const after = await this.store.conversations.moveDepartment(
        id,
        ends.from.department,
        ends.to.department,
        new Date(),
      );
      if (!after || after === 'taken') return after;
      const event: SystemEvent = {
        type: 'transfer',
        from: { ...ends.from, conversationId: id },
        to: { ...ends.to, conversationId: id },
      };
      const line = await this.messages.appendSystem(actor, after, event, `Transferred to ${ends.to.name}`);
      return line.ok ? line.data.conversation : after;
    });
    if (moved === 'taken') return 'taken';
    if (!moved) return fail(ErrorCode.conflict, 'The conversation was transferred meanwhile');
    // Every process holds the new department before the old one's agents are told (and before the acknowledgement).
    await this.store.conversations.publishMove(id);
    this.notifier.conversationMoved(moved, ends.from.department);
    await Promise.all([
      this.store.users.recordTransfer(source.customerId, {
        from: ends.from.department,
        to: ends.to.department,
        conversationId: id,
        nextFromId: randomBytes(12).toString('hex'),
      }),
      this.customerIndex.indexCustomer(moved),
    ]);
    log.info(
      { conversationId: id, by: actor.id, from: ends.from.department, to: ends.to.department },
      'conversation transferred',
    );
    if (source.assigneeId && source.status === 'open')
      await this.assignment.freedUp(source.assigneeId, [ends.from.department]);
    return ok(await this.assignment.autoAssign(moved));
  }

  /** The customer's conversation with the target takes over from the source (see DESIGN). */
  private async join(
    actor: Actor,
    source: ConversationDoc,
    target: ConversationDoc,
    ends: { from: { department: string; name: string }; to: { department: string; name: string } },
  ): Promise<Result<ConversationDoc>> {
    const event: SystemEvent = {
      type: 'transfer',
      from: { ...ends.from, conversationId: source._id },
      to: { ...ends.to, conversationId: target._id },
    };
    const live = this.store.conversations;
    const write = (doc: ConversationDoc, text: string) =>
      this.messages.inLine(doc._id, async () =>
        this.messages.appendSystem(actor, (await live.findById(doc._id)) ?? doc, event, text),
      );
    const sourceLine = await write(source, `Transferred to ${ends.to.name}`);
    if (!sourceLine.ok) return sourceLine;
    const targetLine = await write(target, `Transferred from ${ends.from.name}`);
    if (!targetLine.ok) return targetLine;

    const resolved = await live.resolve(source._id, new Date());
    if (resolved) {
      this.announce(resolved);
      if (resolved.assigneeId) await this.assignment.freedUp(resolved.assigneeId, [resolved.department]);
    }
    // The target goes into its department's queue, unless an agent is on it already.
    let after = targetLine.data.conversation;
    if (after.status === 'resolved') {
      after = (await live.setStatus(after._id, 'resolved', 'open', new Date())) ?? after;
      if (after.status === 'open' && after.assigneeId !== null)
        after =
          (await live.setAssignee(after._id, [after.assigneeId], null, {
            requireStatus: 'open',
            now: new Date(),
          })) ?? after;
    }
    log.info(
      { conversationId: source._id, target: target._id, by: actor.id, to: ends.to.department },
      'conversation transferred to the customer’s conversation there',
    );
    return ok(await this.assignment.autoAssign(after));
  }

  /** The note for the next agent, and the state everyone sees now. */
  private async finish(
    actor: Actor,
    result: Result<ConversationDoc>,
    note: string | undefined,
  ): Promise<Result<ConversationDoc>> {
    if (!result.ok) return result;
    const conv = result.data;
    if (note) {
      const written = await this.notes.write(actor, conv, {
        clientMsgId: `transfer-${randomUUID()}`,
        text: note,
      });
      if (!written.ok)
        log.warn({ conversationId: conv._id, err: written.error.message }, 'transfer note not written');
    }
    this.announce(conv);
    return ok(conv);
  }

  private announce(doc: ConversationDoc): void {
    this.notifier.conversationUpdated(this.views.view(doc));
  }
}
