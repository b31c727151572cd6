// Point reads by `_id` that arrive while one is in flight leave together as one `{_id: {$in: [...]}}` query (the
// group commit of store/group-commit.ts, for reads): alone, a read goes at once; under a burst (a reconnect storm is
// thousands of handshakes, each reading its login and its user), the database answers one query per batch instead of
// one per read. Each caller's batch is sent after it asked, so a read never misses a write that finished before it.
import type { Collection, Document, Filter } from 'mongodb';
import { GroupCommit } from './group-commit';

/** Most ids in one query (the embedded FerretDB answers `$in` lists up to 1,000 from its index). */
const MAX_BATCH = 256;

export class PointReads<K, D extends Document & { _id: K }> {
  private readonly reads: GroupCommit<K, D | null>;

  constructor(collection: Collection<D>) {
    // Answers are matched to reads by the `_id`'s string form (strings themselves, ObjectIds their hex).
    const key = (id: K): string => String(id);
    this.reads = new GroupCommit<K, D | null>(
      async (ids) => {
        if (ids.length === 1) return [await collection.findOne({ _id: ids[0] } as Filter<D>)] as (D | null)[];
        const unique = [...new Map(ids.map((id) => [key(id), id])).values()];
        const docs = (await collection.find({ _id: { $in: unique } } as Filter<D>).toArray()) as D[];
        const byKey = new Map(docs.map((d) => [key(d._id), d]));
        return ids.map((id) => byKey.get(key(id)) ?? null);
      },
      { maxBatch: MAX_BATCH },
    );
  }

  /** The document with this `_id`, or null. */
  get(id: K): Promise<D | null> {
    return this.reads.enqueue(id);
  }

  /** Reads so far and the queries they took (mean batch = items / batches). */
  get stats(): { batches: number; items: number } {
    return { batches: this.reads.batches, items: this.reads.items };
  }
}
