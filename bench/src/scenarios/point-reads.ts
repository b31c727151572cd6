// What one handshake's reads cost the embedded database and the driver: point reads by `_id` on a collection of
// user-like documents, one query at a time, alone (`findOne`) and grouped (`_id: {$in}` of 4, 16, 64 ids), with
// the CPU of the FerretDB process and of this process per query and per document read. The reconnect storm's
// handshakes each read two such documents (the login and the user); this says what that costs here.
import { randomBytes } from 'node:crypto';
import { MongoClient, ObjectId } from 'mongodb';
import { processCpuSeconds } from '../lib/procs';

export interface PointReadLevel {
  batch: number;
  queries: number;
  wallMs: number;
  dbUsPerQuery: number;
  nodeUsPerQuery: number;
  dbUsPerRead: number;
  nodeUsPerRead: number;
}

export interface PointReadsRun {
  documents: number;
  documentBytes: number;
  reads: number;
  levels: PointReadLevel[];
}

export async function pointReadsRun(opts: {
  mongoUri: string;
  dbPid: number;
  documents?: number;
  reads?: number;
  batches?: number[];
}): Promise<PointReadsRun> {
  const documents = opts.documents ?? 5000;
  const reads = opts.reads ?? 4000;
  const client = await new MongoClient(opts.mongoUri).connect();
  const db = client.db(`bench_pointreads_${Date.now().toString(36)}`);
  try {
    const coll = db.collection('users');
    const ids = Array.from({ length: documents }, () => new ObjectId());
    // About what a customer's user document holds (name, keys, an argon2 hash, flags, the conversation map).
    const doc = (i: number) => ({
      username: `customer-${i}`,
      usernameKey: `customer-${i}`,
      email: `customer-${i}@example.test`,
      role: 'customer',
      passwordHash: `$argon2id$v=19$m=19456,t=2,p=1$${randomBytes(16).toString('base64')}$${randomBytes(32).toString('base64')}`,
      disabled: false,
      departments: [],
      conversationDepartments: ['billing'],
      conversationIds: { billing: new ObjectId().toHexString() },
      createdAt: new Date(),
    });
    for (let i = 0; i < documents; i += 500) {
      await coll.insertMany(ids.slice(i, i + 500).map((_id, j) => ({ _id, ...doc(i + j) })));
    }
    const pick = () => ids[Math.floor(Math.random() * ids.length)] as ObjectId;
    // Warm up the driver, the JIT and FerretDB's caches.
    for (let i = 0; i < 200; i++) await coll.findOne({ _id: pick() });
    const levels: PointReadLevel[] = [];
    for (const batch of opts.batches ?? [1, 4, 16, 64]) {
      const queries = Math.ceil(reads / batch);
      const db0 = processCpuSeconds(opts.dbPid);
      const node0 = process.cpuUsage();
      const t0 = performance.now();
      for (let q = 0; q < queries; q++) {
        if (batch === 1) await coll.findOne({ _id: pick() });
        else await coll.find({ _id: { $in: Array.from({ length: batch }, pick) } }).toArray();
      }
      const wallMs = performance.now() - t0;
      const dbUs = (processCpuSeconds(opts.dbPid) - db0) * 1e6;
      const node = process.cpuUsage(node0);
      const nodeUs = node.user + node.system;
      const n = queries * batch;
      levels.push({
        batch,
        queries,
        wallMs: Math.round(wallMs),
        dbUsPerQuery: Math.round(dbUs / queries),
        nodeUsPerQuery: Math.round(nodeUs / queries),
        dbUsPerRead: Math.round(dbUs / n),
        nodeUsPerRead: Math.round(nodeUs / n),
      });
    }
    const documentBytes = JSON.stringify(doc(0)).length;
    return { documents, documentBytes, reads, levels };
  } finally {
    await db.dropDatabase().catch(() => {});
    await client.close();
  }
}

export const pointReadsMarkdown = (r: PointReadsRun) =>
  [
    `### Point reads by _id: ${r.reads} reads of ${r.documents} documents (~${r.documentBytes} bytes as JSON), one query at a time`,
    '',
    '| ids per query | queries | wall ms | database CPU per query µs | this process per query µs | database CPU per read µs | this process per read µs |',
    '|---|---|---|---|---|---|---|',
    ...r.levels.map(
      (l) =>
        `| ${l.batch === 1 ? '1 (findOne)' : `${l.batch} ($in)`} | ${l.queries} | ${l.wallMs} | ${l.dbUsPerQuery} | ${l.nodeUsPerQuery} | ${l.dbUsPerRead} | ${l.nodeUsPerRead} |`,
    ),
  ].join('\n');
