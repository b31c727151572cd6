// Report facts (SPEC §13): one document per (department, day in REPORT_TIMEZONE), written when things happen
// (services/report-facts.ts) and read by the reports, never worked out from messages or conversations. A year of
// one department is 365 point reads.
//
// A day's document holds counters ($inc) and the durations behind its percentiles ($push): exact p50/p90 over any
// range need the values themselves, and a day has a few hundred at most.
import { type Collection, type Db, MongoBulkWriteError } from 'mongodb';
import { ensureCollection, raisesUnavailable } from './mongo';

export interface AgentDayFacts {
  /** Messages the agent wrote. */
  messages: number;
  /** Episodes resolved while the agent held the conversation. */
  resolved: number;
  /** First responses (ms) credited to the agent who wrote them. */
  firstResponseMs: number[];
  /** Resolution times (ms) credited to the assignee at resolve. */
  resolutionMs: number[];
}

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
  agents: Map<string, AgentDayFacts>;
}

export const reportDayId = (department: string, day: string) => `${department}|${day}`;

const schema = {
  bsonType: 'object',
  required: ['_id', 'department', 'day'],
  properties: {
    _id: { bsonType: 'string', maxLength: 64 },
    department: { bsonType: 'string', maxLength: 32 },
    day: { bsonType: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
  },
};

export async function ensureReportCollection(db: Db): Promise<void> {
  await ensureCollection(db, 'report_days', schema);
}

const updateOf = (d: DayDelta) => {
  const inc: Record<string, number> = {};
  const push: Record<string, { $each: number[] }> = {};
  const add = (field: string, n: number) => {
    if (n) inc[field] = n;
  };
  add('started', d.started);
  add('resolved', d.resolved);
  add('messages.customer', d.messagesCustomer);
  add('messages.agents', d.messagesAgents);
  if (d.firstResponseMs.length) push.firstResponseMs = { $each: d.firstResponseMs };
  if (d.resolutionMs.length) push.resolutionMs = { $each: d.resolutionMs };
  for (const [agentId, a] of d.agents) {
    add(`agents.${agentId}.messages`, a.messages);
    add(`agents.${agentId}.resolved`, a.resolved);
    if (a.firstResponseMs.length) push[`agents.${agentId}.firstResponseMs`] = { $each: a.firstResponseMs };
    if (a.resolutionMs.length) push[`agents.${agentId}.resolutionMs`] = { $each: a.resolutionMs };
  }
  return {
    $setOnInsert: { department: d.department, day: d.day },
    ...(Object.keys(inc).length ? { $inc: inc } : {}),
    ...(Object.keys(push).length ? { $push: push } : {}),
  };
};

export class ReportStore {
  private readonly days: Collection<ReportDayDoc>;

  constructor(db: Db) {
    this.days = db.collection<ReportDayDoc>('report_days');
  }

  /**
   * Adds the deltas in one unordered bulkWrite of upserts. Answers the deltas that were NOT applied (the caller
   * keeps them for the next flush); throws when the outcome is unknown.
   */
  async add(deltas: readonly DayDelta[]): Promise<DayDelta[]> {
    if (deltas.length === 0) return [];
    const ops = deltas.map((d) => ({
      updateOne: { filter: { _id: reportDayId(d.department, d.day) }, update: updateOf(d), upsert: true },
    }));
    try {
      await this.days.bulkWrite(ops, { ordered: false });
      return [];
    } catch (err) {
      if (!(err instanceof MongoBulkWriteError)) throw err;
      // The others are applied; the failed ones (e.g. two processes inserting one day at once, an upsert that is
      // read-then-insert on FerretDB) go again.
      const failed = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
      return failed.map((w) => deltas[w.index]).filter((d): d is DayDelta => d !== undefined);
    }
  }

  /** The days asked for that have facts (point reads by `_id`). */
  find(ids: readonly string[]): Promise<ReportDayDoc[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.days.find({ _id: { $in: [...ids] } }).toArray();
  }

  /** Many days at once (tools that fabricate a history). */
  async insertMany(docs: ReportDayDoc[]): Promise<void> {
    if (docs.length) await this.days.insertMany(docs, { ordered: false });
  }
}
raisesUnavailable(ReportStore);
