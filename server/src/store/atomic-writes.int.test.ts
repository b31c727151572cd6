// Each write applies to a document atomically, also between connections (as MongoDB guarantees and the chat relies
// on: `$max` summary folds from several server processes, compare-and-set of status and assignee, a dirty mark
// deleted only while it is the same mark). FerretDB v1 reads what a write matches and writes it in a second step;
// the embedded build is patched to lock around the two (store/embedded.ts). These tests try to slip between them.
import { randomBytes } from 'node:crypto';
import { type Collection, MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const dbName = `chat_atomic_${randomBytes(4).toString('hex')}`;
/** Separate clients: separate connections, as separate server processes would have. */
const clients: MongoClient[] = [];
const CONNECTIONS = 6;

interface Doc {
  _id: string;
  n?: number;
  hits?: number;
  owner?: number | null;
  token?: string;
}

const collections = (): Collection<Doc>[] => clients.map((c) => c.db(dbName).collection<Doc>('docs'));

beforeAll(async () => {
  for (let i = 0; i < CONNECTIONS; i++) clients.push(await new MongoClient(inject('mongoUri')).connect());
});

afterAll(async () => {
  await clients[0]?.db(dbName).dropDatabase();
  await Promise.all(clients.map((c) => c.close()));
});

describe('writes to one document from several connections at once', () => {
  it('lose no $max and no $inc', async () => {
    const all = collections();
    const first = all[0] as Collection<Doc>;
    const _id = `max-${randomBytes(4).toString('hex')}`;
    await first.insertOne({ _id, n: 0, hits: 0 });
    const values = Array.from({ length: 120 }, (_, i) => i + 1).sort(() => Math.random() - 0.5);
    await Promise.all(
      values.map((n, i) =>
        (all[i % all.length] as Collection<Doc>).updateOne({ _id }, { $max: { n }, $inc: { hits: 1 } }),
      ),
    );
    expect(await first.findOne({ _id })).toEqual({ _id, n: 120, hits: 120 });
  });

  it('let exactly one compare-and-set win, whether by updateOne or findOneAndUpdate', async () => {
    const all = collections();
    const first = all[0] as Collection<Doc>;
    for (let round = 0; round < 8; round++) {
      const _id = `cas-${round}-${randomBytes(4).toString('hex')}`;
      await first.insertOne({ _id, owner: null });
      const tries = await Promise.all(
        Array.from({ length: 12 }, async (_, i) => {
          const c = all[i % all.length] as Collection<Doc>;
          if (i % 2 === 0)
            return (await c.updateOne({ _id, owner: null }, { $set: { owner: i } })).modifiedCount;
          return (await c.findOneAndUpdate({ _id, owner: null }, { $set: { owner: i } })) ? 1 : 0;
        }),
      );
      const winners = tries.flatMap((won, i) => (won ? [i] : []));
      expect(winners).toHaveLength(1);
      expect((await first.findOne({ _id }))?.owner).toBe(winners[0]);
    }
  });

  it('never delete a document that an acknowledged update changed so that the delete no longer matches', async () => {
    const all = collections();
    const first = all[0] as Collection<Doc>;
    for (let round = 0; round < 30; round++) {
      const _id = `mark-${round}-${randomBytes(4).toString('hex')}`;
      await first.insertOne({ _id, token: 'old' });
      const [deleted, updated] = await Promise.all([
        (all[1] as Collection<Doc>).deleteOne({ _id, token: 'old' }),
        (all[2] as Collection<Doc>).updateOne({ _id }, { $set: { token: 'new' } }),
      ]);
      const after = await first.findOne({ _id });
      // Either order is fine; deleting the document after the update had re-marked it is not.
      if (updated.modifiedCount === 1) {
        expect(deleted.deletedCount).toBe(0);
        expect(after?.token).toBe('new');
      } else {
        expect(deleted.deletedCount).toBe(1);
        expect(after).toBeNull();
      }
    }
  });
});
