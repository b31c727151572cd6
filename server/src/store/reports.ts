// Report facts (SPEC §13): one document per (department, day in REPORT_TIMEZONE), written when things happen
// (services/report-facts.ts) and read by the reports, never worked out from messages or conversations. A year of
// one department is 365 point reads.
//
// A day's figures are kept as one JSON string (`facts`) with a version, written by compare-and-set: exact p50/p90 over
// any range need the durations themselves, and FerretDB (the embedded database) pays ~12 µs per array element it
// reads, so a year of them stored as BSON arrays took 4-5 s to read (bench/ reports) against well under one as one
// string per day. A flush adds to each (department, day) it touched: a point read, then an update on the version seen
// (or an insert), retried when another process wrote in between.
import type { Collection, Db } from 'mongodb';
import { ensureCollection, isDuplicateKey, raisesUnavailable } from './mongo';

export interface AgentDayFacts {
  /** Messages the agent wrote. */
  messages: number;
  /** Episodes resolved while the agent held the conversation. */
  resolved: number;
  /** First responses (ms) credited to the agent who wrote them. */
  firstResponseMs: number[];
  /** Resolution times (ms) credited to the assignee at resolve. */
  resolutionMs: number[];
  /** Ratings 1..5 given while the agent held the conversation, counted at index rating-1. */
  ratings?: number[];
}

/** A day of one department's figures, as the reports read them. */
export interface ReportDayDoc {
  /** `<department>|<YYYY-MM-DD>` */
  _id: string;
  department: string;
  day: string;
  started: number;
  resolved: number;
  messages: { customer: number; agents: number };
  firstResponseMs: number[];
  resolutionMs: number[];
  /** Ratings 1..5 counted at index rating-1 (when satisfaction exists). */
  ratings?: number[];
  agents?: Record<string, AgentDayFacts>;
}

/** What one flush adds to one day of one department. */
export interface DayDelta {
  department: string;
  day: string;
  started: number;
  resolved: number;
  messagesCustomer: number;
  messagesAgents: number;
  firstResponseMs: number[];
  resolutionMs: number[];
  /** Ratings 1..5 counted at index rating-1. */
  ratings: number[];
  agents: Map<string, AgentDayFacts>;
}

/** As stored: the figures in one string, and the version a writer must see to replace them. */
interface StoredDay {
  _id: string;
  department: string;
  day: string;
  v: number;
  facts: string;
}

export const reportDayId = (department: string, day: string) => `${department}|${day}`;

/** Point reads of one report in flight at once (a handful of pooled connections). */
const POINT_READS_IN_FLIGHT = 8;
/** From this many days on, one `$in` query instead of point reads. */
const IN_QUERY_FROM = 400;
/** Compare-and-set attempts of one day in one flush before it waits for the next flush. */
const CAS_ATTEMPTS = 5;

const schema = {
  bsonType: 'object',
  required: ['_id', 'department', 'day', 'v', 'facts'],
  properties: {
    _id: { bsonType: 'string', maxLength: 64 },
    department: { bsonType: 'string', maxLength: 32 },
    day: { bsonType: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
    v: { bsonType: ['int', 'long', 'double'] },
    facts: { bsonType: 'string' },
  },
};

export async function ensureReportCollection(db: Db): Promise<void> {
  await ensureCollection(db, 'report_days', schema);
}

type Facts = Omit<ReportDayDoc, '_id' | 'department' | 'day'>;

const emptyFacts = (): Facts => ({
  started: 0,
  resolved: 0,
  messages: { customer: 0, agents: 0 },
  firstResponseMs: [],
  resolutionMs: [],
  ratings: [0, 0, 0, 0, 0],
  agents: {},
});

/** Two rating distributions added (index rating-1). */
export const addRatings = (a: readonly number[] = [], b: readonly number[] = []): number[] =>
  [0, 1, 2, 3, 4].map((i) => (a[i] ?? 0) + (b[i] ?? 0));

/** The stored form of a day's figures (also for tools that fabricate a history). */
export function encodeReportDay(doc: ReportDayDoc, v = 1): StoredDay {
  const { _id, department, day, ...facts } = doc;
  return { _id, department, day, v, facts: JSON.stringify(facts) };
}

function decode(stored: StoredDay): ReportDayDoc {
  const facts = { ...emptyFacts(), ...(JSON.parse(stored.facts) as Partial<Facts>) };
  return { _id: stored._id, department: stored.department, day: stored.day, ...facts };
}

function addDelta(f: Facts, d: DayDelta): Facts {
  const agents = { ...(f.agents ?? {}) };
  for (const [id, a] of d.agents) {
    const b = agents[id] ?? { messages: 0, resolved: 0, firstResponseMs: [], resolutionMs: [] };
    agents[id] = {
      messages: b.messages + a.messages,
      resolved: b.resolved + a.resolved,
      firstResponseMs: [...b.firstResponseMs, ...a.firstResponseMs],
      resolutionMs: [...b.resolutionMs, ...a.resolutionMs],
      ...(a.ratings || b.ratings ? { ratings: addRatings(b.ratings, a.ratings) } : {}),
    };
  }
  return {
    ...f,
    started: f.started + d.started,
    resolved: f.resolved + d.resolved,
    messages: {
      customer: f.messages.customer + d.messagesCustomer,
      agents: f.messages.agents + d.messagesAgents,
    },
    firstResponseMs: [...f.firstResponseMs, ...d.firstResponseMs],
    resolutionMs: [...f.resolutionMs, ...d.resolutionMs],
    ratings: addRatings(f.ratings, d.ratings),
    agents,
  };
}

export class ReportStore {
  private readonly days: Collection<StoredDay>;

  constructor(db: Db) {
    this.days = db.collection<StoredDay>('report_days');
  }

  /** Adds one delta by compare-and-set; false when other writers kept winning (the caller tries again later). */
  private async addOne(d: DayDelta): Promise<boolean> {
    const _id = reportDayId(d.department, d.day);
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const stored = await this.days.findOne({ _id });
      if (!stored) {
        const facts = JSON.stringify(addDelta(emptyFacts(), d));
        try {
          await this.days.insertOne({ _id, department: d.department, day: d.day, v: 1, facts });
          return true;
        } catch (err) {
          if (isDuplicateKey(err)) continue;
          throw err;
        }
      }
      const { _id: _, department: __, day: ___, ...now } = decode(stored);
      const facts = JSON.stringify(addDelta(now, d));
      const r = await this.days.updateOne({ _id, v: stored.v }, { $set: { facts, v: stored.v + 1 } });
      if (r.matchedCount === 1) return true;
    }
    return false;
  }

  /**
   * Adds the deltas (each day on its own, in parallel). Answers the deltas that were NOT applied (the caller keeps
   * them for the next flush); throws when the outcome is unknown.
   */
  async add(deltas: readonly DayDelta[]): Promise<DayDelta[]> {
    const applied = await Promise.all(deltas.map((d) => this.addOne(d)));
    return deltas.filter((_, i) => !applied[i]);
  }

  /** The days asked for that have facts. */
  async find(ids: readonly string[]): Promise<ReportDayDoc[]> {
    // Many days at once: one `$in` (FerretDB reads the whole small collection for it, still faster than 1825 point
    // reads: 1.2 s against 1.8 s for a year of five departments in bench/); a department's year: point reads (0.4 s).
    if (ids.length > IN_QUERY_FROM) {
      const docs = await this.days.find({ _id: { $in: [...ids] } }).toArray();
      return docs.map(decode);
    }
    const out: ReportDayDoc[] = [];
    let next = 0;
    const worker = async () => {
      while (next < ids.length) {
        const id = ids[next++] as string;
        const doc = await this.days.findOne({ _id: id });
        if (doc) out.push(decode(doc));
      }
    };
    await Promise.all(Array.from({ length: Math.min(POINT_READS_IN_FLIGHT, ids.length) }, worker));
    return out;
  }

  /** Many days at once (tools that fabricate a history). */
  async insertMany(docs: ReportDayDoc[]): Promise<void> {
    if (docs.length)
      await this.days.insertMany(
        docs.map((d) => encodeReportDay(d)),
        { ordered: false },
      );
  }
}
raisesUnavailable(ReportStore);
