// Point reads grouped into `$in` queries, against the real database: each caller gets its own document (or null),
// concurrent reads share queries, a read sees every write that finished before it was asked, and the embedded
// FerretDB answers the `$in` from its `_id` index (patched: store/embedded.ts) instead of scanning.
import { randomBytes } from 'node:crypto';
import { type Db, MongoClient, ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PointReads } from './point-reads';

const dbName = `chat_points_${randomBytes(4).toString('hex')}`;
let client: MongoClient;
let db: Db;

beforeAll(async () => {
  client = await new MongoClient(inject('mongoUri')).connect();
  db = client.db(dbName);
});

afterAll(async () => {
  await db.dropDatabase();
  await client.close();
});

interface Doc {
  _id: ObjectId;
  n: number;
}

describe('point reads', () => {
  it('answer each read with its own document, share queries when they arrive together, and miss nothing written before', async () => {
    const docs = db.collection<Doc>('docs');
    const stored = Array.from({ length: 300 }, (_, n) => ({ _id: new ObjectId(), n }));
    await docs.insertMany(stored);
    const reads = new PointReads<ObjectId, Doc>(docs);
    // 300 stored, 20 unknown, 30 asked twice: all at once.
    const unknown = Array.from({ length: 20 }, () => new ObjectId());
    const asks = [...stored.map((d) => d._id), ...unknown, ...stored.slice(0, 30).map((d) => d._id)];
    const answers = await Promise.all(asks.map((id) => reads.get(id)));
    expect(answers.map((d) => d?.n ?? null)).toEqual([
      ...stored.map((d) => d.n),
      ...unknown.map(() => null),
      ...stored.slice(0, 30).map((d) => d.n),
    ]);
    const { batches, items } = reads.stats;
    expect(items).toBe(asks.length);
    expect(batches).toBeLessThan(asks.length / 10);
    // Read after write: each read asked after a write returned sees it, also while other reads are in flight.
    for (let round = 0; round < 20; round++) {
      const target = stored[round] as Doc;
      const busy = Promise.all(stored.slice(100, 160).map((d) => reads.get(d._id)));
      await docs.updateOne({ _id: target._id }, { $set: { n: 1000 + round } });
      expect((await reads.get(target._id))?.n).toBe(1000 + round);
      await busy;
    }
  });

  it('of a list of ids go to the _id index on the embedded FerretDB (no scan)', async () => {
    const docs = db.collection<{ _id: string }>('strings');
    await docs.insertMany(Array.from({ length: 50 }, (_, i) => ({ _id: `k${i}` })));
    const plan = JSON.stringify(await docs.find({ _id: { $in: ['k1', 'k7', 'nope'] } }).explain());
    const ferret = plan.includes('ferretdbVersion');
    if (ferret) {
      expect(plan).toContain('USING INDEX');
      expect(plan).toContain('"filterPushdown":true');
    } else expect(plan).toMatch(/IXSCAN|IDHACK|EXPRESS_IXSCAN|CLUSTERED_IXSCAN/);
    expect(
      (await docs.find({ _id: { $in: ['k1', 'k7', 'nope'] } }).toArray()).map((d) => d._id).sort(),
    ).toEqual(['k1', 'k7']);
  });
});
