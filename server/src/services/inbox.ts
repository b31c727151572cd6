// The agent's inbox (SPEC §15): pages of a view read from the inbox index (store/inbox.ts), and the counts (mine,
// waiting, open, unread) kept as conversations change, so that nothing an agent does grows with the number of
// conversations that exist.
//
// DESIGN of the counts: only open conversations count, so this process keeps, for each open conversation it knows,
// what it contributes (department, assignee, unread, since when it waits), and the sums per department and agent.
// Every change of a conversation document this process sees (its own writes, summaries moving, read cursors,
// another node's change read again) goes through `observe`, which replaces the conversation's contribution: the
// sums are exact for what this process knows, never drift by a missed decrement. At start they are built from the
// open conversations only (the index's `a|<department>|open|` keys, then point reads that also repair summaries
// left behind by a crash), which is how they are correct after a crash. The same contributions give assignment
// its per-agent open counts and each department's queue head without reading all open conversations.
import { ErrorCode, fail, type InboxCounts, ok, type Result, type schemas } from '@support-chat/protocol';
import type { z } from 'zod';
import { createLogger } from '../log';
import type { ConversationDoc } from '../store/conversations';
import type { Store } from '../store/db';
import {
  activityKey,
  conversationOfKey,
  entryKeys,
  searchKeys,
  searchTerm,
  streamPrefix,
} from '../store/inbox';
import type { Actor } from './actor';
import type { LiveConversations } from './live-conversations';
import { unreadFor } from './views';

const log = createLogger('inbox');

export type InboxQuery = z.output<typeof schemas.InboxQuery>;

/** What one open conversation adds to the counts. */
interface Contribution {
  department: string;
  assigneeId: string | null;
  unread: number;
  /** Queue order of a waiting conversation (waitingSince, createdAt, id); null when assigned. */
  queueKey: string | null;
}

interface DepartmentCounts {
  open: number;
  waiting: number;
  /** Unread customer messages in waiting conversations. */
  unreadWaiting: number;
  /** Per agent: open conversations they hold, and unread customer messages in them. */
  agents: Map<string, { mine: number; unread: number }>;
  /** Waiting conversations: id -> queue key. */
  queue: Map<string, string>;
}

const emptyDepartment = (): DepartmentCounts => ({
  open: 0,
  waiting: 0,
  unreadWaiting: 0,
  agents: new Map(),
  queue: new Map(),
});

/** A waiting conversation's place in its department's queue: since when it waits, then its creation and id. */
export const queueKeyOf = (doc: ConversationDoc): string =>
  `${(doc.waitingSince ?? doc.createdAt).toISOString()}|${doc.createdAt.toISOString()}|${doc._id}`;

export class InboxCounters {
  private readonly counted = new Map<string, Contribution>();
  private readonly departments = new Map<string, DepartmentCounts>();
  /** Open conversations each agent holds, over every department. */
  private readonly agentOpen = new Map<string, number>();
  private changedDepartments = new Set<string>();
  private notifyScheduled = false;
  /** Called (coalesced: once per event-loop turn) with the departments whose counts changed. */
  onChange: (departments: ReadonlySet<string>) => void = () => {};

  private department(id: string): DepartmentCounts {
    let d = this.departments.get(id);
    if (!d) {
      d = emptyDepartment();
      this.departments.set(id, d);
    }
    return d;
  }

  private apply(id: string, c: Contribution, sign: 1 | -1): void {
    const d = this.department(c.department);
    d.open += sign;
    if (c.assigneeId) {
      const a = d.agents.get(c.assigneeId) ?? { mine: 0, unread: 0 };
      a.mine += sign;
      a.unread += sign * c.unread;
      if (a.mine === 0 && a.unread === 0) d.agents.delete(c.assigneeId);
      else d.agents.set(c.assigneeId, a);
      const total = (this.agentOpen.get(c.assigneeId) ?? 0) + sign;
      if (total === 0) this.agentOpen.delete(c.assigneeId);
      else this.agentOpen.set(c.assigneeId, total);
    } else {
      d.waiting += sign;
      d.unreadWaiting += sign * c.unread;
      if (sign === 1 && c.queueKey) d.queue.set(id, c.queueKey);
      else d.queue.delete(id);
    }
    this.changedDepartments.add(c.department);
  }

  /** The conversation as it is now: its contribution replaces the one counted before (none when resolved). */
  observe(doc: ConversationDoc): void {
    const before = this.counted.get(doc._id);
    const after: Contribution | null =
      doc.status === 'open'
        ? {
            department: doc.department,
            assigneeId: doc.assigneeId,
            unread: unreadFor(doc, 'agents'),
            queueKey: doc.assigneeId ? null : queueKeyOf(doc),
          }
        : null;
    if (
      before &&
      after &&
      before.department === after.department &&
      before.assigneeId === after.assigneeId &&
      before.unread === after.unread &&
      before.queueKey === after.queueKey
    )
      return;
    if (!before && !after) return;
    if (before) this.apply(doc._id, before, -1);
    if (after) {
      this.apply(doc._id, after, 1);
      this.counted.set(doc._id, after);
    } else this.counted.delete(doc._id);
    this.scheduleNotify();
  }

  private scheduleNotify(): void {
    if (this.notifyScheduled) return;
    this.notifyScheduled = true;
    setImmediate(() => {
      this.notifyScheduled = false;
      const changed = this.changedDepartments;
      this.changedDepartments = new Set();
      if (changed.size) this.onChange(changed);
    });
  }

  /** An agent's counts over their departments (SPEC §15). */
  countsFor(agentId: string, departments: readonly string[]): InboxCounts {
    const counts: InboxCounts = { mine: 0, waiting: 0, open: 0, unread: 0 };
    for (const id of new Set(departments)) {
      const d = this.departments.get(id);
      if (!d) continue;
      const mine = d.agents.get(agentId);
      counts.mine += mine?.mine ?? 0;
      counts.waiting += d.waiting;
      counts.open += d.open;
      counts.unread += (mine?.unread ?? 0) + d.unreadWaiting;
    }
    return counts;
  }

  /** Open conversations the agent holds, over every department (assignment's load). */
  openLoad(agentId: string): number {
    return this.agentOpen.get(agentId) ?? 0;
  }

  /** The oldest waiting conversations of a department, first in line first. */
  queueHead(department: string, limit: number): string[] {
    const queue = this.departments.get(department)?.queue;
    if (!queue || queue.size === 0) return [];
    // Sorting the waiting ones (not all conversations, not all open ones) is the whole cost.
    return [...queue.entries()]
      .sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
      .slice(0, limit)
      .map(([id]) => id);
  }
}

/** The cursor of a page: the position after which the next page starts, opaque to clients. */
const encodeCursor = (kind: 'a' | 's', position: string): string =>
  Buffer.from(`${kind}${position}`, 'utf8').toString('base64url');

function decodeCursor(cursor: string | undefined, kind: 'a' | 's'): Result<string | null> {
  if (cursor === undefined) return ok(null);
  const raw = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!raw.startsWith(kind) || raw.length < 2)
    return fail(
      ErrorCode.invalidInput,
      'cursor: must be the nextCursor of a previous page of the same search',
    );
  return ok(raw.slice(1));
}

/** One ordered stream of the index, and the position in it that pages compare (the key without the prefix). */
interface Stream {
  prefix: string;
  /** Where the stream's range ends (keys starting with it). */
  within: string;
}

export interface InboxPageResult {
  docs: ConversationDoc[];
  nextCursor: string | null;
}

/** Read rounds of one page at most (each round reads ahead only what is still missing). */
const MAX_ROUNDS = 8;
const MIGRATION = 'inbox-v1';

export class InboxService {
  readonly counters = new InboxCounters();

  constructor(
    private readonly store: Pick<Store, 'inbox' | 'departments' | 'users' | 'conversations'>,
    private readonly live: LiveConversations,
  ) {
    live.onDoc = (doc) => this.counters.observe(doc);
  }

  /**
   * At start: the index for conversations from before it (an idempotent migration with progress), then the counts
   * from the open conversations.
   */
  async start(progress: (line: string) => void = (line) => log.info(line)): Promise<void> {
    await this.migrate(progress);
    const departments = await this.store.departments.ids();
    let open = 0;
    for (const department of departments) {
      const prefix = streamPrefix.all(department, 'open');
      let from = prefix;
      let after = false;
      for (;;) {
        const keys = await this.store.inbox.range(from, after, prefix, 500);
        // Loading a conversation counts it (live.onDoc); its summary is repaired on the way.
        await Promise.all(keys.map((k) => this.live.findById(conversationOfKey(k))));
        open += keys.length;
        if (keys.length < 500) break;
        from = keys[keys.length - 1] as string;
        after = true;
      }
    }
    log.info({ departments: departments.length, open }, 'inbox counts built from the open conversations');
  }

  /** Writes the index of every conversation from before it, once (safe to run again, and after a crash in it). */
  private async migrate(progress: (line: string) => void): Promise<void> {
    const done0 = await this.store.inbox.migration(MIGRATION);
    if (done0) {
      this.live.indexedBefore = done0.startedAt ?? null;
      return;
    }
    const startedAt = new Date();
    const total = await this.store.conversations.estimatedCount();
    if (total > 0) progress(`Indexing ${total} conversations for the paged inbox (once)...`);
    const emails = total > 0 ? await this.store.users.customerEmails() : new Map<string, string>();
    let done = 0;
    let lastReport = Date.now();
    for await (const batch of this.store.conversations.scanAll(500)) {
      const keys: string[] = [];
      for (const doc of batch) {
        keys.push(...entryKeys(doc), ...this.searchKeysOf(doc, emails.get(doc.customerId)));
      }
      // Only the index: which keys a conversation from before it has is derived from its stored state when it is read
      // (LiveConversations.indexedBefore), so the conversations themselves are not written.
      await this.store.inbox.insert(keys);
      done += batch.length;
      if (Date.now() - lastReport > 2000) {
        lastReport = Date.now();
        progress(`  ${done} of ~${total} conversations indexed`);
      }
    }
    await this.store.inbox.markMigrated(MIGRATION, startedAt);
    this.live.indexedBefore = startedAt;
    if (total > 0) progress(`Inbox index written for ${done} conversations`);
  }

  /** The terms a conversation is found by: the customer's username and account email, and a website's name and email. */
  private searchKeysOf(doc: ConversationDoc, email?: string): string[] {
    const d = doc.customerDetails;
    const texts = [doc.customerUsername, email, d?.name, d?.email].filter((t): t is string => Boolean(t));
    return searchKeys(doc.department, doc._id, texts);
  }

  /**
   * A new conversation, or its customer's name or email changed: the customer becomes findable by them (the terms
   * of an older name stay and still find the conversation; activity keys follow the summary flush).
   */
  async indexCustomer(doc: ConversationDoc): Promise<void> {
    const user = await this.store.users.findById(doc.customerId);
    await this.store.inbox.insert(this.searchKeysOf(doc, user?.email));
  }

  /** One page of the agent's inbox. */
  async page(actor: Actor, query: InboxQuery): Promise<Result<InboxPageResult>> {
    if (actor.role === 'customer') return fail(ErrorCode.forbidden, 'Only agents page the inbox');
    if (query.department && !actor.departments.includes(query.department))
      return fail(ErrorCode.forbidden, 'You are not an agent of that department');
    const departments = query.department ? [query.department] : [...actor.departments];
    // Conversations this process moved since its last flush are written first, so that a page shows everything
    // acknowledged so far, in place (one summary write, shared with whatever else is pending).
    if (this.live.keysPending()) await this.live.flush();
    if (query.q !== undefined) return this.search(actor, departments, query);
    const statuses = query.status ? [query.status] : (['open', 'resolved'] as const);
    const streams: Stream[] = [];
    for (const d of departments) {
      if (query.view === 'waiting') {
        if (query.status !== 'resolved') streams.push(stream(streamPrefix.waiting(d)));
      } else
        for (const status of statuses)
          streams.push(
            stream(
              query.view === 'mine' ? streamPrefix.mine(d, actor.id, status) : streamPrefix.all(d, status),
            ),
          );
    }
    const cursor = decodeCursor(query.cursor, 'a');
    if (!cursor.ok) return cursor;
    const { docs, next } = await this.collect(streams, cursor.data, query.limit, (key, id) =>
      this.current(key, id),
    );
    return ok({ docs, nextCursor: next === null ? null : encodeCursor('a', next) });
  }

  /** Customers whose username or email starts with `q`, in the order of the matched term, filtered by the view. */
  private async search(
    actor: Actor,
    departments: string[],
    query: InboxQuery,
  ): Promise<Result<InboxPageResult>> {
    const term = searchTerm(query.q ?? '');
    if (term === null) return ok({ docs: [], nextCursor: null });
    const cursor = decodeCursor(query.cursor, 's');
    if (!cursor.ok) return cursor;
    const streams = departments.map((d) => ({
      prefix: streamPrefix.search(d, ''),
      within: streamPrefix.search(d, term),
    }));
    const { docs, next } = await this.collect(
      streams,
      cursor.data,
      query.limit,
      async (_key, id) => {
        const doc = await this.live.read(id);
        if (!doc || !departments.includes(doc.department)) return null;
        if (query.status && doc.status !== query.status) return null;
        if (query.view === 'mine' && doc.assigneeId !== actor.id) return null;
        if (query.view === 'waiting' && (doc.assigneeId !== null || doc.status !== 'open')) return null;
        return doc;
      },
      // A conversation matched by its username and by its email is shown once per page.
      true,
    );
    return ok({ docs, nextCursor: next === null ? null : encodeCursor('s', next) });
  }

  /**
   * Merges the streams in the order of their positions from `after`, keeping the entries `accept` returns a
   * conversation for, until `limit` are kept: each round reads, from every stream, as many as are still missing
   * (plus one to know whether more follow).
   */
  private async collect(
    streams: Stream[],
    after: string | null,
    limit: number,
    accept: (key: string, conversationId: string) => Promise<ConversationDoc | null>,
    distinct = false,
  ): Promise<{ docs: ConversationDoc[]; next: string | null }> {
    const docs: ConversationDoc[] = [];
    const seen = new Set<string>();
    let position = after;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const want = limit - docs.length + 1;
      const read = await Promise.all(
        streams.map(async (s) => {
          const keys = await this.store.inbox.range(
            position === null ? s.within : s.prefix + position,
            position !== null,
            s.within,
            want,
          );
          return keys.map((key) => ({ key, position: key.slice(s.prefix.length) }));
        }),
      );
      const merged = read
        .flat()
        .sort((a, b) => (a.position < b.position ? -1 : a.position > b.position ? 1 : 0));
      // Only the first `want - 1` of the merge are surely in order (each stream may have more just after its last).
      const exhausted = read.every((r) => r.length < want);
      const take = exhausted ? merged : merged.slice(0, want - 1);
      const accepted = await Promise.all(take.map((e) => accept(e.key, conversationOfKey(e.key))));
      for (let i = 0; i < take.length; i++) {
        const doc = accepted[i];
        position = (take[i] as { position: string }).position;
        if (!doc || (distinct && seen.has(doc._id))) continue;
        seen.add(doc._id);
        docs.push(doc);
        if (docs.length === limit) {
          const more = i < take.length - 1 || !exhausted || merged.length > take.length;
          return { docs, next: more ? position : null };
        }
      }
      if (exhausted) return { docs, next: null };
    }
    // Many stale entries in a row: the page is shorter, and the next one goes on from here.
    return { docs, next: position };
  }

  /**
   * The conversation an activity key points at, if the key is current. A key older than the conversation's activity
   * was left behind (its move is being written, or a crash interrupted one) and is removed once the conversation's
   * own keys are written; a key newer than this process's copy means the copy is behind (another node): read again.
   */
  private async current(key: string, id: string): Promise<ConversationDoc | null> {
    let doc = await this.live.read(id);
    if (!doc) return null;
    if (entryKeys(doc).includes(key)) return doc;
    const position = key.slice(key.length - activityKey(doc).length);
    if (position < activityKey(doc)) {
      doc = await this.live.refresh(id);
      if (doc && entryKeys(doc).includes(key)) return doc;
      return null;
    }
    // Older than the conversation: left behind. Remove it unless the conversation's own write is still coming.
    if (doc.inboxKeys && !doc.inboxKeys.includes(key) && !this.live.hasPendingKeys(id))
      void this.store.inbox.remove([key]).catch(() => {});
    return null;
  }
}

const stream = (prefix: string): Stream => ({ prefix, within: prefix });
