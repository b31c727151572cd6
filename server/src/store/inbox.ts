// The inbox index (SPEC §15): one tiny document per (view, conversation) whose `_id` is the ordering, so that every
// page of every view is one `_id` range read, most recent activity first, whatever the number of conversations.
//
// Why `_id`s: the embedded database (FerretDB on SQLite) answers only `_id` filters from an index (with our patch in
// embedded.ts, `_id` ranges sorted by `_id` with a limit); any other filter scans the collection. MongoDB answers the
// same range from its `_id` index. So the index is made of keys, not of secondary indexes:
//   a|<department>|<status>|<activity>            every conversation (view "all", by status)
//   w|<department>|<activity>                     open and unassigned (view "waiting")
//   m|<department>|<agent>|<status>|<activity>    assigned (view "mine", by status)
//   s|<department>|<term>|<conversation>          customer search: username, email, name (by term)
// where <activity> is `<13 digits: 9999999999999 - last activity ms>|<conversation id>`: ascending keys are the most
// recent first, and the conversation id breaks ties. Activity is the newest message (or the start, before any), so
// a claim or an assignment does not reorder the inbox; it only moves the conversation between views. A conversation's entries move (delete + insert) when its
// activity, status or assignee change; the conversation document keeps the keys it has (`inboxKeys`), so the old
// ones are found without a scan. Readers check every entry against the conversation (an entry left behind by a
// crash between the insert and the delete is skipped and removed), so the index may lag, never lie.
import type { Collection, Db } from 'mongodb';
import { ensureCollection, isDuplicateKey, raisesUnavailable } from './mongo';

export interface InboxEntry {
  _id: string;
}

/** What the keys of a conversation are made of. */
export interface Indexed {
  _id: string;
  department: string;
  status: 'open' | 'resolved';
  assigneeId: string | null;
  createdAt: Date;
  lastMessage?: { createdAt: Date };
}

const REV_BASE = 9_999_999_999_999;
/** Sorts after every character a key may hold: `<prefix><LAST_CHAR>` bounds the keys that start with the prefix. */
const LAST_CHAR = '\u{10ffff}';

/** The activity part of a key: newest first in ascending order, ties by conversation id. */
export const activityKey = (doc: Pick<Indexed, '_id' | 'createdAt' | 'lastMessage'>): string =>
  `${String(Math.max(0, REV_BASE - (doc.lastMessage?.createdAt ?? doc.createdAt).getTime())).padStart(13, '0')}|${doc._id}`;

/** The prefix of one ordered stream of the index (see the module comment). */
export const streamPrefix = {
  all: (department: string, status: 'open' | 'resolved') => `a|${department}|${status}|`,
  waiting: (department: string) => `w|${department}|`,
  mine: (department: string, agentId: string, status: 'open' | 'resolved') =>
    `m|${department}|${agentId}|${status}|`,
  search: (department: string, term: string) => `s|${department}|${term}`,
} as const;

/** The activity-ordered keys a conversation has in its current state. */
export function entryKeys(doc: Indexed): string[] {
  const at = activityKey(doc);
  const keys = [streamPrefix.all(doc.department, doc.status) + at];
  if (doc.assigneeId) keys.push(streamPrefix.mine(doc.department, doc.assigneeId, doc.status) + at);
  else if (doc.status === 'open') keys.push(streamPrefix.waiting(doc.department) + at);
  return keys;
}

/**
 * A search term as keys hold it: NFKC, lower case, at most 64 characters, without the characters whose JSON form is
 * escaped (FerretDB compares the JSON text, so they would sort out of place); null when nothing is left.
 */
export function searchTerm(text: string): string | null {
  const term = text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/\p{Cc}|["\\<>&|\u2028\u2029]/gu, '')
    .trim()
    .slice(0, 64);
  return term.length > 0 ? term : null;
}

/** The search keys of a conversation: one per distinct term (username, email, display name). */
export function searchKeys(department: string, conversationId: string, texts: readonly string[]): string[] {
  const terms = new Set(texts.map(searchTerm).filter((t): t is string => t !== null));
  return [...terms].map((t) => `${streamPrefix.search(department, t)}|${conversationId}`);
}

/** The conversation id at the end of any key. */
export const conversationOfKey = (key: string): string => key.slice(key.lastIndexOf('|') + 1);

/** Most operations in one write command (FerretDB v1.24 hangs on update or delete commands of ~16 KiB or more). */
const CHUNK = 32;

export async function ensureInboxCollections(db: Db): Promise<void> {
  await ensureCollection(db, 'inbox', {
    bsonType: 'object',
    required: ['_id'],
    properties: { _id: { bsonType: 'string', maxLength: 400 } },
  });
  await ensureCollection(db, 'migrations', { bsonType: 'object', required: ['_id'] });
}

export class InboxStore {
  private readonly entries: Collection<InboxEntry>;
  private readonly migrations: Collection<{ _id: string; startedAt?: Date; doneAt: Date }>;

  constructor(db: Db) {
    this.entries = db.collection<InboxEntry>('inbox');
    this.migrations = db.collection('migrations');
  }

  /** Adds keys (those that exist already are fine: a retried write). */
  async insert(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const docs = keys.slice(i, i + 1000).map((_id) => ({ _id }));
      try {
        await this.entries.insertMany(docs, { ordered: false });
      } catch (err) {
        const failed = (err as { writeErrors?: { code?: number }[] | { code?: number } }).writeErrors;
        const list = Array.isArray(failed) ? failed : failed ? [failed] : [];
        if (!(list.length > 0 && list.every((w) => w.code === 11000)) && !isDuplicateKey(err)) throw err;
      }
    }
  }

  async remove(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += CHUNK) {
      const ops = keys.slice(i, i + CHUNK).map((_id) => ({ deleteOne: { filter: { _id } } }));
      await this.entries.bulkWrite(ops, { ordered: false });
    }
  }

  /**
   * Up to `limit` keys from `from` (exclusive when `after`, else inclusive) up to every key that starts with `within`,
   * in order: one `_id` range read.
   */
  async range(from: string, after: boolean, within: string, limit: number): Promise<string[]> {
    const docs = await this.entries
      .find({ _id: { [after ? '$gt' : '$gte']: from, $lt: `${within}${LAST_CHAR}` } })
      .sort({ _id: 1 })
      .limit(limit)
      .toArray();
    return docs.map((d) => d._id);
  }

  /** A finished migration: when it started (absent on records from before that was kept) and ended; null: not run. */
  migration(name: string): Promise<{ startedAt?: Date; doneAt: Date } | null> {
    return this.migrations.findOne({ _id: name });
  }

  /** Records a finished migration (`startedAt`: when it began reading). */
  async markMigrated(name: string, startedAt = new Date()): Promise<void> {
    await this.migrations.updateOne(
      { _id: name },
      { $set: { startedAt, doneAt: new Date() } },
      { upsert: true },
    );
  }
}
raisesUnavailable(InboxStore);
