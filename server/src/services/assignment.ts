// Who handles a conversation. A new (or reopened, unheld) conversation goes to the online agent of its
// department with the fewest open conversations; with nobody online it waits in the department queue, which
// is served oldest first when an agent comes online or frees up (resolves one). Agents also claim, release,
// hand over to a colleague of the department, resolve and reopen. Every change is a compare-and-set on the
// conversation document, so racing agents cannot both win. Who is least busy and who waits longest come from the
// inbox counts kept in memory (services/inbox.ts), never from reading the open conversations.
import { ErrorCode, fail, ok, type Result } from '@support-chat/protocol';
import { createLogger } from '../log';
import type { ConversationDoc } from '../store/conversations';
import { type Actor, findAccessible } from './actor';
import type { WaitingHook } from './conversations';
import { type InboxCounters, queueKeyOf } from './inbox';
import { KeyedQueue } from './keyed-queue';
import type { ChatStore } from './live-conversations';
import type { Presence } from './presence';
import type { ChatNotifier, ConversationViews } from './views';

const log = createLogger('assignment');

/** How many waiting conversations one hand-out round looks at. */
const QUEUE_BATCH = 100;

export class AssignmentService implements WaitingHook {
  /** Hand-outs of one department run one at a time on this process (the writes are compare-and-set anyway). */
  private readonly queue = new KeyedQueue();

  constructor(
    private readonly store: Pick<ChatStore, 'conversations' | 'users'>,
    private readonly presence: Presence,
    private readonly views: ConversationViews,
    private readonly notifier: ChatNotifier,
    private readonly counters: InboxCounters,
  ) {}

  private serial<T>(department: string, task: () => Promise<T>): Promise<T> {
    return this.queue.run(department, task);
  }

  private announce(doc: ConversationDoc): void {
    this.notifier.conversationUpdated(this.views.view(doc));
  }

  /** The online agent with the fewest open conversations (ties: the lowest id, so the choice is stable). */
  private async leastBusy(
    department: string,
  ): Promise<{ agents: string[]; load: Map<string, number> } | null> {
    const agents = await this.presence.onlineAgents(department);
    if (agents.length === 0) return null;
    return { agents, load: new Map(agents.map((a) => [a, this.counters.openLoad(a)])) };
  }

  private static pick(agents: string[], load: Map<string, number>): string {
    let best = agents[0] as string;
    for (const a of agents) if ((load.get(a) ?? 0) < (load.get(best) ?? 0)) best = a;
    return best;
  }

  /** Assigns a waiting conversation if an agent is online; returns the (possibly unchanged) document. */
  autoAssign(doc: ConversationDoc): Promise<ConversationDoc> {
    if (doc.assigneeId !== null || doc.status !== 'open') return Promise.resolve(doc);
    return this.serial(doc.department, async () => {
      const candidates = await this.leastBusy(doc.department);
      if (!candidates) return doc;
      const agentId = AssignmentService.pick(candidates.agents, candidates.load);
      const after = await this.store.conversations.setAssignee(doc._id, [null], agentId, {
        requireStatus: 'open',
        now: new Date(),
      });
      if (!after) return (await this.store.conversations.refresh(doc._id)) ?? doc;
      log.info({ conversationId: doc._id, agentId }, 'conversation assigned automatically');
      return after;
    });
  }

  createAssigned(
    department: string,
    create: (assigneeId: string | null) => Promise<ConversationDoc | null>,
  ): Promise<ConversationDoc | null> {
    // In the department's line, so that the next choice sees this one's load.
    return this.serial(department, async () => {
      const candidates = await this.leastBusy(department);
      return create(candidates ? AssignmentService.pick(candidates.agents, candidates.load) : null);
    });
  }

  /** Drains not started yet, per department: a burst of agent arrivals needs only one more pass. */
  private readonly pendingDrains = new Map<string, Promise<number>>();

  /** Hands the department queue out, oldest first, to the least busy online agents (agent came online). */
  drain(department: string): Promise<number> {
    const pending = this.pendingDrains.get(department);
    if (pending) return pending;
    const run = this.serial(department, async () => {
      // From here on a new arrival needs a new pass: this one may have read the online agents already.
      this.pendingDrains.delete(department);
      let handed = 0;
      for (;;) {
        const waiting = await this.queueHead(department, QUEUE_BATCH);
        if (waiting.length === 0) break;
        const candidates = await this.leastBusy(department);
        if (!candidates) break;
        const before = handed;
        for (const conv of waiting) {
          const agentId = AssignmentService.pick(candidates.agents, candidates.load);
          const after = await this.store.conversations.setAssignee(conv._id, [null], agentId, {
            requireStatus: 'open',
            now: new Date(),
          });
          if (!after) continue;
          candidates.load.set(agentId, (candidates.load.get(agentId) ?? 0) + 1);
          handed++;
          this.announce(after);
        }
        // Nothing handed this round: what this process knows as waiting is taken elsewhere (its copies follow).
        if (waiting.length < QUEUE_BATCH || handed === before) break;
      }
      if (handed) log.info({ department, handed }, 'waiting conversations handed out');
      return handed;
    });
    this.pendingDrains.set(department, run);
    return run;
  }

  /** An agent freed up: give them the oldest waiting conversation of their departments, if any. */
  async freedUp(agentId: string, departments: readonly string[]): Promise<ConversationDoc | null> {
    let oldest: ConversationDoc | null = null;
    for (const d of departments) {
      if (!(await this.presence.onlineAgents(d)).includes(agentId)) continue;
      const [first] = await this.queueHead(d, 1);
      if (first && (!oldest || queueKeyOf(first) < queueKeyOf(oldest))) oldest = first;
    }
    if (!oldest) return null;
    const target = oldest;
    return this.serial(target.department, async () => {
      const after = await this.store.conversations.setAssignee(target._id, [null], agentId, {
        requireStatus: 'open',
        now: new Date(),
      });
      if (after) this.announce(after);
      return after;
    });
  }

  /** The department's oldest waiting conversations (as this process knows them; claims are compare-and-set). */
  private async queueHead(department: string, limit: number): Promise<ConversationDoc[]> {
    const docs = await this.store.conversations.findByIds(this.counters.queueHead(department, limit));
    return docs.filter((d) => d.status === 'open' && d.assigneeId === null);
  }

  private async agentConversation(actor: Actor, id: string): Promise<Result<ConversationDoc>> {
    if (actor.role === 'customer') return fail(ErrorCode.forbidden, 'Only agents do this');
    return findAccessible(this.store.conversations, actor, id);
  }

  /** The actor takes a waiting conversation (or one they already hold); someone else's answers conflict. */
  async claim(actor: Actor, id: string): Promise<Result<ConversationDoc>> {
    const got = await this.agentConversation(actor, id);
    if (!got.ok) return got;
    if (got.data.assigneeId === actor.id) return ok(got.data);
    // Only from the queue: a resolved conversation is reopened first (conversation:reopen), never held resolved.
    const after = await this.store.conversations.setAssignee(id, [null], actor.id, {
      requireStatus: 'open',
      now: new Date(),
    });
    if (!after) {
      const now = await this.store.conversations.refresh(id);
      // Handed to this agent meanwhile (the queue, as they came online): theirs, as asked.
      if (now?.assigneeId === actor.id && now.status === 'open') return ok(now);
      return now?.status === 'resolved'
        ? fail(ErrorCode.conflict, 'This conversation is resolved; reopen it first')
        : fail(ErrorCode.conflict, 'Another agent already holds this conversation');
    }
    log.info({ conversationId: id, agentId: actor.id }, 'conversation claimed');
    this.announce(after);
    return ok(after);
  }

  /** Hands the conversation to an agent of its department, or releases it to the queue (agentId null). */
  async assign(actor: Actor, id: string, agentId: string | null): Promise<Result<ConversationDoc>> {
    const got = await this.agentConversation(actor, id);
    if (!got.ok) return got;
    const conv = got.data;
    if (agentId !== null && !(await this.store.users.findAgentOfDepartment(agentId, conv.department))) {
      return fail(ErrorCode.invalidInput, 'That agent is not an active agent of this department');
    }
    if (conv.assigneeId === agentId) return ok(conv);
    const after = await this.store.conversations.setAssignee(id, 'any', agentId, { now: new Date() });
    if (!after) return fail(ErrorCode.notFound, 'No such conversation');
    log.info(
      { conversationId: id, by: actor.id, agentId },
      agentId ? 'conversation assigned' : 'conversation released',
    );
    this.announce(after);
    return ok(after);
  }

  async resolve(actor: Actor, id: string): Promise<Result<ConversationDoc>> {
    const got = await this.agentConversation(actor, id);
    if (!got.ok) return got;
    // The episode ends in the same write (a report fact).
    const after = await this.store.conversations.resolve(id, new Date());
    if (!after) return ok((await this.store.conversations.refresh(id)) ?? got.data);
    log.info({ conversationId: id, by: actor.id }, 'conversation resolved');
    this.announce(after);
    if (after.assigneeId) {
      const assignee = after.assigneeId;
      // The holder has one conversation less: the queue may hand them the next one.
      const departments = assignee === actor.id ? actor.departments : [after.department];
      await this.freedUp(assignee, departments);
    }
    return ok(after);
  }

  async reopen(actor: Actor, id: string): Promise<Result<ConversationDoc>> {
    const got = await this.agentConversation(actor, id);
    if (!got.ok) return got;
    let after = await this.store.conversations.setStatus(id, 'resolved', 'open', new Date());
    if (!after) return ok((await this.store.conversations.refresh(id)) ?? got.data);
    log.info({ conversationId: id, by: actor.id }, 'conversation reopened');
    after = await this.autoAssign(after);
    this.announce(after);
    return ok(after);
  }
}
