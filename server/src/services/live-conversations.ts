// The conversations as this process knows them: a bounded cache in front of the conversations collection, and the
// writer of their summaries (SPEC §14).
//
// DESIGN: one database round trip per message (the group-committed insert), everything else from memory.
//   * What a send needs to know about its conversation (customer, department, status, last seq and counts) is held
//     here. Loaded once (a point read, plus a point read of the next seq to repair a summary that trails its
//     messages); afterwards every write this process makes goes through here and keeps the copy current.
//   * The copy may be stale when another process changed the conversation. That can cost a retry, never a wrong
//     seq: a message claims its seq slot by its `_id`, so an insert behind the true end collides and the sender reads
//     the slot and moves on (services/messages.ts). State changes made on another node reach this one as
//     invalidations (see invalidate); a change that decides who may read a conversation (a transfer to another
//     department) must take the next seq slot with its system message, so that no message can be written on the old
//     assumption after it.
//   * Summaries (newest message, counts, read cursors) change in memory at once and reach the database in coalesced
//     bulk writes: whatever changed since the last write, one `bulkWrite` at most every `flushIntervalMs`, the next
//     one as soon as the previous returned. Each field only moves forward ($max), so summaries written by several
//     processes, twice or late converge. Readers on this process see the memory copy; readers elsewhere see a
//     summary at most one flush behind its messages.
//   * Crash safety: before the first message of a conversation whose summary is written is acknowledged, the
//     conversation is marked dirty in the database (in parallel with the insert, and only when it was not marked
//     yet). A start repairs exactly the marked conversations with point reads of their next seqs; the mark is
//     removed once a flush wrote the summary and no message came meanwhile. Independently of the marks, any load of
//     a conversation from the database repairs it the same way.
import { randomUUID } from 'node:crypto';
import { MAX_SYNC_MESSAGES } from '@support-chat/protocol';
import { createLogger } from '../log';
import {
  type ConversationDoc,
  type LastFold,
  laterEpisode,
  mergeConversation,
  type Side,
  type SummaryFold,
} from '../store/conversations';
import type { Store } from '../store/db';
import { GroupCommit } from '../store/group-commit';
import { entryKeys } from '../store/inbox';
import { lastMessageOf, type MessageDoc } from '../store/messages';
import type { ReportFacts } from './report-facts';

const log = createLogger('conversations');

export interface LiveOptions {
  /** Conversations kept in memory (least recently used ones leave first). */
  capacity?: number;
  /** Least time between two summary writes (the first after a quiet spell goes at once). */
  flushIntervalMs?: number;
  /** How long a conversation without messages keeps its dirty mark (a chat's next message then needs no new one). */
  markQuietMs?: number;
  /** Report facts collected as messages are stored and written with the summaries (SPEC §13); none without. */
  facts?: ReportFacts;
}

/** A conversation whose summary was written, as it is now (for the `conversation:updated` events). */
export interface Flushed {
  doc: ConversationDoc;
  /** The newest message's text when this process wrote it (so the event needs no decryption). */
  lastText?: { seq: number; text: string };
}

interface Pending {
  fold: SummaryFold;
  lastText?: { seq: number; text: string };
  /** Holds a message the database's summary does not show yet (the conversation is marked dirty). */
  message: boolean;
}

const DEFAULT_CAPACITY = 50_000;
const DEFAULT_FLUSH_MS = 100;
const DEFAULT_MARK_QUIET_MS = 60_000;
/** Conversations repaired at once at start. */
const REPAIR_CONCURRENCY = 16;

export class LiveConversations {
  private readonly docs = new Map<string, ConversationDoc>();
  private readonly loading = new Map<string, Promise<ConversationDoc | null>>();
  /** Counts this process's state writes; `writtenAt`: the count at each conversation's latest (see fetch). */
  private epoch = 0;
  private readonly writtenAt = new Map<string, number>();
  /** Summary changes not written yet, by conversation. */
  private pending = new Map<string, Pending>();
  /** Conversations this process marked dirty: the token of the mark, and when a message last came. */
  private readonly marked = new Map<string, { token: string; lastMessageAt: number }>();
  private lastSweepAt = Date.now();
  private readonly marks: GroupCommit<string, string>;
  private flushTimer: NodeJS.Timeout | null = null;
  /** State writes in flight, by conversation (see exclusive). */
  private readonly stateWrites = new Map<string, Promise<void>>();
  /** The summary write in flight: its conversations, and when it is done. */
  private summaryWriting: { ids: Set<string>; done: Promise<void> } | null = null;
  private flushing: Promise<void> | null = null;
  private lastFlushAt = 0;
  private readonly capacity: number;
  private readonly flushIntervalMs: number;
  private readonly markQuietMs: number;
  private readonly facts: ReportFacts | undefined;
  /**
   * Conversations whose inbox keys (SPEC §15, store/inbox.ts) differ from those written: the latest copy of each,
   * written with the next summaries.
   */
  private keysDirty = new Map<string, ConversationDoc>();
  /** Which process holds a dirty mark. */
  readonly owner = randomUUID();
  /**
   * When the inbox index migration began reading (services/inbox.ts): a conversation created before it that carries
   * no `inboxKeys` has exactly the keys of its stored state in the index (the migration wrote only the index).
   */
  indexedBefore: Date | null = null;
  /** Called after each summary write with the conversations it wrote. */
  onFlushed: (flushed: Flushed[]) => void = () => {};
  /**
   * Called when this process changed a conversation: its state (other nodes drop their copies), or a read cursor
   * (`read`: other nodes move theirs too, since the cursor reaches the database only at the next flush).
   */
  onChanged: (id: string, read?: ReadMove) => void = () => {};
  /**
   * Called when this process moved a conversation to another department; resolves once every other process read it
   * again (the transfer's acknowledgement waits for it: SPEC §12).
   */
  onMoved: (id: string) => Promise<void> = async () => {};
  /** Called with every new state of a conversation this process sees (the inbox counts follow it). */
  onDoc: (doc: ConversationDoc) => void = () => {};

  constructor(
    private readonly store: Pick<Store, 'conversations' | 'messages' | 'inbox'>,
    opts: LiveOptions = {},
  ) {
    this.capacity = opts.capacity ?? DEFAULT_CAPACITY;
    this.flushIntervalMs = opts.flushIntervalMs ?? DEFAULT_FLUSH_MS;
    this.markQuietMs = opts.markQuietMs ?? DEFAULT_MARK_QUIET_MS;
    this.facts = opts.facts;
    this.marks = new GroupCommit(async (ids) => {
      const token = `${this.owner}:${randomUUID()}`;
      await this.store.conversations.markDirty(ids, token);
      return ids.map(() => token);
    });
  }

  /** How many conversations are held in memory now (at most `capacity`). */
  get held(): number {
    return this.docs.size;
  }

  // ---- reading ----

  /** The conversation, from memory or loaded (and repaired) once; null when it does not exist. */
  findById(id: string): Promise<ConversationDoc | null> {
    const hit = this.docs.get(id);
    if (hit) {
      this.docs.delete(id);
      this.docs.set(id, hit);
      return Promise.resolve(hit);
    }
    let load = this.loading.get(id);
    if (!load) {
      load = this.load(id).finally(() => this.loading.delete(id));
      this.loading.set(id, load);
    }
    return load;
  }

  /**
   * The conversation as held here, else as stored, without keeping it (inbox pages read thousands once: they must not
   * push the conversations in use out of memory).
   */
  async read(id: string): Promise<ConversationDoc | null> {
    return this.docs.get(id) ?? this.stored(await this.store.conversations.findById(id));
  }

  /**
   * A conversation as read from the database, with the inbox keys it has in the index: those it names, or for one
   * indexed by the migration and not changed since it began, those of its stored state (see indexedBefore). Only for
   * reads: a write's result is a new state, not the indexed one; and a state written since the migration (a claim
   * whose keys are still to be flushed) is not what the index holds either.
   */
  private stored(doc: ConversationDoc | null): ConversationDoc | null {
    if (!doc || doc.inboxKeys || !this.indexedBefore) return doc;
    if (doc.createdAt >= this.indexedBefore || doc.updatedAt >= this.indexedBefore) return doc;
    return { ...doc, inboxKeys: entryKeys(doc) };
  }

  /**
   * The conversation with every message stored so far folded in (also those another process stored and has not
   * summarised yet): what sync and history read. One point read when it is held, and none more when it is loaded.
   */
  async findWithTail(id: string): Promise<ConversationDoc | null> {
    const held = this.docs.get(id);
    return held ? this.repair(held) : this.findById(id);
  }

  private async load(id: string): Promise<ConversationDoc | null> {
    const since = this.epoch;
    const doc = await this.fetch(id);
    if (!doc) return null;
    // Checked again after the repair's reads: a transfer or claim of this process may have landed meanwhile.
    return this.remember(this.withWritesSince(id, since, await this.repair(doc)));
  }

  /**
   * Brings a summary up to its stored messages (after a crash, or messages written by another process that has
   * not written its summary yet): point reads of the next seqs, then one fold of the newest found.
   */
  async repair(doc: ConversationDoc): Promise<ConversationDoc> {
    let last: MessageDoc | null = null;
    for (let seq = doc.lastSeq + 1; seq <= doc.lastSeq + MAX_SYNC_MESSAGES; seq++) {
      const next = await this.store.messages.findBySeq(doc._id, seq);
      if (!next) break;
      last = next;
    }
    if (!last) return doc;
    const fold = foldOf(last);
    const after = await this.exclusive(doc._id, () => this.store.conversations.applyMessage(doc._id, fold));
    return after ? this.remember(after) : doc;
  }

  /** Customers' conversations by id (one per department). */
  async findByIds(ids: readonly string[]): Promise<ConversationDoc[]> {
    const docs = await Promise.all(ids.map((id) => this.findById(id)));
    return docs.filter((d): d is ConversationDoc => d !== null);
  }

  // ---- state changes (written at once, through here so the copy follows) ----

  async insert(doc: ConversationDoc): Promise<ConversationDoc | null> {
    const inserted = await this.store.conversations.insert(doc);
    return inserted ? this.changed(inserted) : null;
  }

  async setAssignee(...args: Parameters<Store['conversations']['setAssignee']>) {
    const after = await this.exclusive(args[0], () => this.store.conversations.setAssignee(...args));
    return after ? this.changed(after) : null;
  }

  async setStatus(...args: Parameters<Store['conversations']['setStatus']>) {
    const after = await this.exclusive(args[0], () => this.store.conversations.setStatus(...args));
    return after ? this.changed(after) : null;
  }

  /** Passes the conversation to another customer (see the store's passToCustomer); the copy follows. */
  async passToCustomer(...args: Parameters<Store['conversations']['passToCustomer']>) {
    const after = await this.exclusive(args[0], () => this.store.conversations.passToCustomer(...args));
    return after && after !== 'taken' ? this.changed(after) : after;
  }

  async setCustomerDetails(...args: Parameters<Store['conversations']['setCustomerDetails']>) {
    const after = await this.exclusive(args[0], () => this.store.conversations.setCustomerDetails(...args));
    return after ? this.changed(after) : null;
  }

  /** Moves the conversation to another department (a transfer: see the store's moveDepartment); the copy follows. */
  async moveDepartment(...args: Parameters<Store['conversations']['moveDepartment']>) {
    const after = await this.exclusive(args[0], () => this.store.conversations.moveDepartment(...args));
    return after && after !== 'taken' ? this.changed(after) : after;
  }

  /**
   * Resolves once every other process read the conversation again (onMoved): after a transfer, none delivers it to
   * the old department any more.
   */
  publishMove(id: string): Promise<void> {
    return this.onMoved(id);
  }

  /**
   * The conversation as stored, unless a state write of this process landed while it was read (an invalidation's
   * refresh racing a claim or a transfer here): then that write's result gives the state, the read only counters.
   */
  private async fetch(id: string): Promise<ConversationDoc | null> {
    const since = this.epoch;
    const doc = this.stored(await this.store.conversations.findById(id));
    return doc && this.withWritesSince(id, since, doc);
  }

  /**
   * `doc`, read from the database since `since`: when a state write of this process landed meanwhile (its result is
   * held, also when an invalidation dropped the copy before the read), the write gives the state, the read only counters.
   */
  private withWritesSince(id: string, since: number, doc: ConversationDoc): ConversationDoc {
    const held = this.docs.get(id);
    if (!held || (this.writtenAt.get(id) ?? 0) <= since) return doc;
    return mergeConversation(held, doc);
  }

  findByCustomer(customerId: string, department: string) {
    return this.store.conversations.findByCustomer(customerId, department);
  }

  /**
   * Runs a write of one conversation's document alone: never beside another write of it from this process, nor
   * beside a summary write that includes it. FerretDB applies an update as read, change, write back, so two at once
   * can undo each other (a claim lost under a summary write); the embedded build is patched against it for several
   * processes too (store/embedded.ts), and MongoDB's updates are atomic.
   */
  private async exclusive<T>(id: string, write: () => Promise<T>): Promise<T> {
    while (this.summaryWriting?.ids.has(id)) await this.summaryWriting.done;
    const before = this.stateWrites.get(id) ?? Promise.resolve();
    const run = before.then(write);
    const settled = run.then(
      () => {},
      () => {},
    );
    this.stateWrites.set(id, settled);
    void settled.then(() => {
      if (this.stateWrites.get(id) === settled) this.stateWrites.delete(id);
    });
    return run;
  }

  /**
   * Reads the conversation from the database again and holds it (after a compare-and-set lost, a collision, or
   * another process moved it).
   */
  async refresh(id: string): Promise<ConversationDoc | null> {
    const doc = await this.fetch(id);
    return doc ? this.remember(doc) : null;
  }

  /**
   * Another node changed this conversation: it is read again (the inbox counts follow every conversation), or, for
   * a read cursor, moved here.
   */
  invalidate(id: string, read?: ReadMove): void {
    if (!read) {
      this.docs.delete(id);
      void this.findById(id).catch((err) =>
        log.warn({ err: (err as Error).message, conversationId: id }, 'changed conversation not read'),
      );
      return;
    }
    const known = this.docs.get(id);
    if (known) this.put(withRead(known, read));
  }

  /** Whether this process has inbox keys still to write (any conversation). */
  keysPending(): boolean {
    return this.keysDirty.size > 0 || this.flushing !== null;
  }

  /** Whether this process has inbox keys of the conversation still to write. */
  hasPendingKeys(id: string): boolean {
    return this.keysDirty.has(id);
  }

  /** Holds the conversation's newest state: the inbox counts see it, and changed inbox keys go with the next flush. */
  private put(doc: ConversationDoc): void {
    this.docs.set(doc._id, doc);
    this.onDoc(doc);
    const keys = entryKeys(doc);
    const written = doc.inboxKeys;
    if (!written || keys.length !== written.length || keys.some((k, i) => k !== written[i])) {
      this.keysDirty.set(doc._id, doc);
      this.schedule();
    } else this.keysDirty.delete(doc._id);
  }

  private changed(doc: ConversationDoc): ConversationDoc {
    this.writtenAt.set(doc._id, ++this.epoch);
    const merged = this.remember(doc);
    this.onChanged(doc._id);
    return merged;
  }

  /** Keeps `doc` (merged with the copy held: counters only move forward). */
  private remember(doc: ConversationDoc): ConversationDoc {
    const known = this.docs.get(doc._id);
    const merged = known ? mergeConversation(doc, known) : doc;
    this.docs.delete(doc._id);
    this.put(merged);
    if (this.docs.size > this.capacity) {
      const oldest = this.docs.keys().next().value;
      if (oldest !== undefined) {
        this.docs.delete(oldest);
        this.writtenAt.delete(oldest);
      }
    }
    return merged;
  }

  // ---- summaries (in memory now, in the database at the next flush) ----

  /**
   * Resolves once the conversation is marked dirty in the database (at once when it already is): awaited beside
   * the insert of a message, before its acknowledgement.
   */
  async markDirty(id: string): Promise<void> {
    const mark = this.marked.get(id);
    if (mark) {
      mark.lastMessageAt = Date.now();
      return;
    }
    const token = await this.marks.enqueue(id);
    this.marked.set(id, { token, lastMessageAt: Date.now() });
  }

  /**
   * A message is stored: the copy moves on now, the summary at the next flush. `text` when this process has it;
   * `inserted` when this call follows this process's own insert (not a retry answered from the stored message).
   */
  messageStored(doc: MessageDoc, text: string | undefined, inserted: boolean): ConversationDoc | null {
    // Report facts: in memory now, written with this summary, counted once: by the process that inserted the
    // message. Not "while the copy has not applied it": a sync's look past the summary (repair) may fold the message
    // into the copy between the insert and this call, which lost the episode the message started (the customer could
    // not rate the conversation once it was resolved). The copy's episode and status are still those from before the
    // message: only this call moves them.
    const before = this.docs.get(doc.conversationId);
    const episode =
      before && inserted && doc.kind !== 'system' ? this.facts?.messageStored(before, doc) : undefined;
    const last = foldOf(doc);
    const p = this.pendingOf(doc.conversationId);
    if (!p.fold.last || p.fold.last.seq < doc.seq) {
      p.fold.last = last;
      p.lastText = text === undefined ? undefined : { seq: doc.seq, text };
    }
    if (episode) p.fold.episode = laterEpisode(p.fold.episode, episode);
    p.message = true;
    this.schedule();
    const after = this.observe(doc);
    if (!after || !episode) return after;
    const withEpisode = { ...after, episode: laterEpisode(after.episode, episode) };
    this.put(withEpisode);
    return withEpisode;
  }

  /**
   * Resolves an open conversation (compare-and-set; null when it was not open). Its running episode ends in the
   * same write, and the resolution becomes a report fact (SPEC §13).
   */
  async resolve(id: string, at: Date): Promise<ConversationDoc | null> {
    const before = this.facts ? await this.findById(id) : null;
    const running = before?.episode && !before.episode.endedAt ? before.episode : undefined;
    const after = await this.setStatus(id, 'open', 'resolved', at, running && { ...running, endedAt: at });
    if (after && running && this.facts) {
      this.facts.resolved({ ...after, episode: running }, at);
      this.schedule();
    }
    return after;
  }

  /** A message stored by someone else was seen: the copy moves on (its writer writes the summary). */
  observe(doc: MessageDoc): ConversationDoc | null {
    const known = this.docs.get(doc.conversationId);
    if (!known || known.lastSeq >= doc.seq) return known ?? null;
    const next: ConversationDoc = {
      ...known,
      lastSeq: doc.seq,
      counts: doc.counts,
      lastMessage: lastMessageOf(doc),
      updatedAt: new Date(Math.max(doc.createdAt.getTime(), known.updatedAt.getTime())),
    };
    this.put(next);
    return next;
  }

  /** Moves a side's read cursor forward (never back) with the other side's count there; written at the next flush. */
  async markRead(
    id: string,
    side: Side,
    seq: number,
    otherCount: number,
    agentId: string | null,
  ): Promise<ConversationDoc | null> {
    const known = await this.findById(id);
    if (!known) return null;
    const move: ReadMove = { side, seq, otherCount, agentId };
    const next = withRead(known, move);
    this.put(next);
    this.onChanged(id, move);
    const p = this.pendingOf(id);
    const read = p.fold.read ?? {};
    if (!read[side] || read[side].seq < seq) read[side] = { seq, otherCount };
    p.fold.read = read;
    if (agentId) {
      const agentRead = p.fold.agentRead ?? {};
      agentRead[agentId] = Math.max(agentRead[agentId] ?? 0, seq);
      p.fold.agentRead = agentRead;
    }
    this.schedule();
    return next;
  }

  private pendingOf(id: string): Pending {
    let p = this.pending.get(id);
    if (!p) {
      p = { fold: { id }, message: false };
      this.pending.set(id, p);
    }
    return p;
  }

  private schedule(): void {
    if (this.flushing || this.flushTimer) return;
    const wait = Math.max(0, this.lastFlushAt + this.flushIntervalMs - Date.now());
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      void this.flush();
    }, wait);
  }

  /** Writes every pending summary now (also what shutdown awaits); resolves when the database has them. */
  async flush(): Promise<void> {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
    while (this.flushing) await this.flushing;
    if (!this.hasWork()) return;
    const run = this.write().finally(() => {
      this.flushing = null;
      if (this.hasWork()) this.schedule();
    });
    this.flushing = run;
    return run;
  }

  private hasWork(): boolean {
    return this.pending.size > 0 || this.keysDirty.size > 0 || Boolean(this.facts?.pending);
  }

  private async write(): Promise<void> {
    this.lastFlushAt = Date.now();
    const batch = this.pending;
    this.pending = new Map();
    const moved = this.keysDirty;
    this.keysDirty = new Map();
    // The batch's conversations take no other write until it is written (see exclusive), and it waits for theirs.
    let done = () => {};
    const ids = new Set([...batch.keys(), ...moved.keys()]);
    this.summaryWriting = { ids, done: new Promise<void>((r) => (done = r)) };
    const keyed: { id: string; keys: string[]; old: string[] }[] = [];
    try {
      await Promise.all([...ids].map((id) => this.stateWrites.get(id)));
      // Inbox keys move in three steps, so that a conversation is never missing from the index: the new keys, then
      // the summary that names them, then the old keys go (a crash between leaves keys that readers skip and remove).
      const folds = new Map([...batch].map(([id, p]) => [id, { ...p.fold }]));
      for (const [id, copy] of moved) {
        const doc = this.docs.get(id) ?? copy;
        const keys = entryKeys(doc);
        keyed.push({ id, keys, old: doc.inboxKeys ?? [] });
        folds.set(id, { ...(folds.get(id) ?? { id }), inboxKeys: keys });
      }
      await this.store.inbox.insert(keyed.flatMap((k) => k.keys.filter((key) => !k.old.includes(key))));
      // The report facts go in the same flush (they handle their own failures and never throw).
      await Promise.all([this.store.conversations.foldSummaries([...folds.values()]), this.facts?.flush()]);
      await this.store.inbox.remove(keyed.flatMap((k) => k.old.filter((key) => !k.keys.includes(key))));
    } catch (err) {
      // Nothing is lost: the changes go back in line (newer ones win), and the messages are stored and marked.
      for (const [id, p] of batch) {
        const newer = this.pending.get(id);
        this.pending.set(id, newer ? mergePending(p, newer) : p);
      }
      for (const [id, copy] of moved)
        if (!this.keysDirty.has(id)) this.keysDirty.set(id, this.docs.get(id) ?? copy);
      log.warn({ err: (err as Error).message, conversations: ids.size }, 'summary write failed; will retry');
      return;
    } finally {
      this.summaryWriting = null;
      done();
    }
    // The written keys are now the conversation's (a newer state since then is in keysDirty, compared to these).
    for (const { id, keys } of keyed) {
      const doc = this.docs.get(id);
      if (doc) this.docs.set(id, { ...doc, inboxKeys: keys });
      const newer = this.keysDirty.get(id);
      if (newer) {
        const again = { ...newer, inboxKeys: keys };
        const current = entryKeys(again);
        if (current.length === keys.length && current.every((k, i) => k === keys[i]))
          this.keysDirty.delete(id);
        else this.keysDirty.set(id, again);
      }
    }
    const flushed: Flushed[] = [];
    for (const [id, p] of batch) {
      const doc = this.docs.get(id);
      if (doc && p.message) flushed.push({ doc, lastText: p.lastText });
    }
    this.onFlushed(flushed);
    // Other nodes read these again: their inbox counts (unread) follow the summaries written here.
    for (const f of flushed) this.onChanged(f.doc._id);
    await this.clearQuietMarks();
  }

  /**
   * Removes the marks of conversations whose summaries are written and that had no message for markQuietMs (looked
   * at most twice per markQuietMs): a busy chat keeps its mark, so its messages need no new one.
   */
  private async clearQuietMarks(force = false): Promise<void> {
    const now = Date.now();
    if (!force && now - this.lastSweepAt < this.markQuietMs / 2) return;
    this.lastSweepAt = now;
    const quiet: { id: string; token: string }[] = [];
    for (const [id, mark] of this.marked) {
      if ((force || now - mark.lastMessageAt >= this.markQuietMs) && !this.pending.get(id)?.message)
        quiet.push({ id, token: mark.token });
    }
    if (quiet.length === 0) return;
    for (const { id } of quiet) this.marked.delete(id);
    try {
      await this.store.conversations.clearDirty(quiet);
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'dirty marks not cleared (the next start repairs them)');
    }
  }

  /** At start: repairs the conversations left marked dirty (by a crash), with point reads only. */
  async repairDirty(): Promise<number> {
    const marks = await this.store.conversations.listDirty();
    const queue = [...marks];
    const worker = async () => {
      for (let mark = queue.shift(); mark; mark = queue.shift()) {
        const doc = await this.store.conversations.findById(mark._id);
        if (doc) await this.repair(doc);
      }
    };
    await Promise.all(Array.from({ length: REPAIR_CONCURRENCY }, worker));
    await this.store.conversations.clearDirty(marks.map((m) => ({ id: m._id, token: m.owner })));
    if (marks.length) log.info({ conversations: marks.length }, 'summaries repaired after an unclean stop');
    return marks.length;
  }

  /** Writes the pending summaries and removes this process's marks (at shutdown, after the last write). */
  async close(): Promise<void> {
    await this.flush();
    if (this.pending.size === 0) await this.clearQuietMarks(true);
  }
}

/** A read cursor that moved: the side's, with the other side's count there, and the agent's own. */
export interface ReadMove {
  side: Side;
  seq: number;
  otherCount: number;
  agentId: string | null;
}

/** The conversation with a read cursor moved forward (never back). */
function withRead(doc: ConversationDoc, { side, seq, otherCount, agentId }: ReadMove): ConversationDoc {
  const next: ConversationDoc = {
    ...doc,
    readSeq: { ...doc.readSeq },
    readCounts: { ...doc.readCounts },
    agentReadSeq: { ...doc.agentReadSeq },
  };
  if (seq > next.readSeq[side]) {
    next.readSeq[side] = seq;
    next.readCounts[side] = otherCount;
  }
  if (agentId && seq > (next.agentReadSeq[agentId] ?? 0)) next.agentReadSeq[agentId] = seq;
  return next;
}

const foldOf = (doc: MessageDoc): LastFold => ({
  seq: doc.seq,
  counts: doc.counts,
  lastMessage: lastMessageOf(doc),
});

/** Two pending changes of one conversation as one (the newer message and the further cursors win). */
function mergePending(older: Pending, newer: Pending): Pending {
  const fold: SummaryFold = { id: newer.fold.id };
  const olderLast = older.fold.last;
  const newerLast = newer.fold.last;
  fold.last = !newerLast || (olderLast && olderLast.seq > newerLast.seq) ? olderLast : newerLast;
  const read: NonNullable<SummaryFold['read']> = {};
  for (const side of ['customer', 'agents'] as const) {
    const a = older.fold.read?.[side];
    const b = newer.fold.read?.[side];
    const best = !b || (a && a.seq > b.seq) ? a : b;
    if (best) read[side] = best;
  }
  if (Object.keys(read).length) fold.read = read;
  const agentRead: Record<string, number> = { ...older.fold.agentRead };
  for (const [a, s] of Object.entries(newer.fold.agentRead ?? {}))
    agentRead[a] = Math.max(agentRead[a] ?? 0, s);
  if (Object.keys(agentRead).length) fold.agentRead = agentRead;
  const episode = laterEpisode(older.fold.episode, newer.fold.episode);
  if (episode) fold.episode = episode;
  const lastText = fold.last === newerLast ? newer.lastText : older.lastText;
  return { fold, lastText, message: older.message || newer.message };
}

/** The repositories as the chat services use them: conversations through this process's live copy. */
export type ChatStore = Omit<Store, 'conversations'> & { conversations: LiveConversations };
