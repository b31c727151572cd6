// Report facts (SPEC §13), decided when things happen and kept in memory until the next coalesced summary write
// (LiveConversations.write), which adds them to the per-(department, day) documents in the same flush, beside the
// summaries' bulkWrite. Nothing here adds a database round trip before a message's acknowledgement.
//
// An episode starts with a customer message that opens or reopens the conversation (no episode running, the last
// one ended, or the conversation resolved) and ends when an agent resolves it. Its first agent reply gives the
// first response time (credited to the day of the reply and to the agent who wrote it); its resolve gives the
// resolution time (credited to the day of the resolve and to the assignee then). The episode's state lives on the
// conversation (ConversationDoc.episode: written with the message's summary, and at resolve in the status change
// itself, never in a write of its own) so that any process can continue it.
//
// Idempotence: a flush adds each (department, day) delta by compare-and-set (store/reports.ts); adding is not
// idempotent, and the facts are not keyed per event (that would be a document per message). So: each message is
// counted once, by the process that inserted it (a retry answered from the stored message is not counted again); a
// write whose outcome is unknown (the connection lost mid-write) is retried and may count twice; a crash loses what
// was not flushed yet (at most SUMMARY_FLUSH_MS of facts and the write in flight). Summaries are repaired after a
// crash; report facts are not (that would need a scan of messages, which SPEC §13 rules out).
import { createLogger } from '../log';
import type { ConversationDoc, EpisodeDoc } from '../store/conversations';
import type { Store } from '../store/db';
import type { MessageDoc } from '../store/messages';
import { type AgentDayFacts, addRatings, type DayDelta } from '../store/reports';

const log = createLogger('reports');

/** Calendar days in one IANA time zone, as YYYY-MM-DD. */
export class DayFormatter {
  private readonly format: Intl.DateTimeFormat;
  /** Offsets change at most every 15 minutes: the last quarter hour seen answers again without formatting. */
  private lastQuarter = Number.NaN;
  private lastDay = '';

  constructor(readonly timeZone: string) {
    this.format = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
  }

  dayOf(at: Date): string {
    const quarter = Math.floor(at.getTime() / 900_000);
    if (quarter === this.lastQuarter) return this.lastDay;
    const parts = this.format.formatToParts(at);
    const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
    this.lastQuarter = quarter;
    this.lastDay = `${part('year')}-${part('month')}-${part('day')}`;
    return this.lastDay;
  }
}

const emptyAgent = (): AgentDayFacts => ({ messages: 0, resolved: 0, firstResponseMs: [], resolutionMs: [] });

function mergeDelta(into: DayDelta, from: DayDelta): void {
  into.started += from.started;
  into.resolved += from.resolved;
  into.messagesCustomer += from.messagesCustomer;
  into.messagesAgents += from.messagesAgents;
  into.firstResponseMs.push(...from.firstResponseMs);
  into.resolutionMs.push(...from.resolutionMs);
  into.ratings = addRatings(into.ratings, from.ratings);
  for (const [id, a] of from.agents) {
    const b = into.agents.get(id) ?? emptyAgent();
    b.messages += a.messages;
    b.resolved += a.resolved;
    b.firstResponseMs.push(...a.firstResponseMs);
    b.resolutionMs.push(...a.resolutionMs);
    if (a.ratings) b.ratings = addRatings(b.ratings, a.ratings);
    into.agents.set(id, b);
  }
}

export class ReportFacts {
  private deltas = new Map<string, DayDelta>();
  readonly days: DayFormatter;

  constructor(
    private readonly store: Pick<Store, 'reports'>,
    timeZone: string,
  ) {
    this.days = new DayFormatter(timeZone);
  }

  /** Facts wait for the next flush. */
  get pending(): boolean {
    return this.deltas.size > 0;
  }

  private delta(department: string, at: Date): DayDelta {
    const day = this.days.dayOf(at);
    const key = `${department}|${day}`;
    let d = this.deltas.get(key);
    if (!d) {
      d = {
        department,
        day,
        started: 0,
        resolved: 0,
        messagesCustomer: 0,
        messagesAgents: 0,
        firstResponseMs: [],
        resolutionMs: [],
        ratings: [0, 0, 0, 0, 0],
        agents: new Map(),
      };
      this.deltas.set(key, d);
    }
    return d;
  }

  private agent(d: DayDelta, agentId: string): AgentDayFacts {
    let a = d.agents.get(agentId);
    if (!a) {
      a = emptyAgent();
      d.agents.set(agentId, a);
    }
    return a;
  }

  /**
   * A message this process stored, counted once (`conv` is the conversation as it was before the message). Answers
   * the conversation's episode when the message moved it (started one, or gave its first response).
   */
  messageStored(conv: ConversationDoc, msg: MessageDoc): EpisodeDoc | undefined {
    const d = this.delta(conv.department, msg.createdAt);
    const episode = conv.episode;
    const running = !!episode && !episode.endedAt && conv.status === 'open';
    if (msg.senderRole === 'customer') {
      d.messagesCustomer++;
      if (running) return undefined;
      d.started++;
      return { startSeq: msg.seq, startedAt: msg.createdAt, respondedAt: null, endedAt: null };
    }
    d.messagesAgents++;
    const agent = this.agent(d, msg.senderId);
    agent.messages++;
    if (!running || !episode || episode.respondedAt) return undefined;
    const ms = Math.max(0, msg.createdAt.getTime() - episode.startedAt.getTime());
    d.firstResponseMs.push(ms);
    agent.firstResponseMs.push(ms);
    return { ...episode, respondedAt: msg.createdAt };
  }

  /** The conversation (with the episode that ran) was resolved at `at`: the resolution, if an episode ran. */
  resolved(conv: ConversationDoc, at: Date): void {
    const episode = conv.episode;
    if (!episode || episode.endedAt) return;
    const d = this.delta(conv.department, at);
    const ms = Math.max(0, at.getTime() - episode.startedAt.getTime());
    d.resolved++;
    d.resolutionMs.push(ms);
    if (conv.assigneeId) {
      const agent = this.agent(d, conv.assigneeId);
      agent.resolved++;
      agent.resolutionMs.push(ms);
    }
  }

  /**
   * A customer rated an episode (SPEC §12): counted for the day and department of the rating and for the agent who
   * held the conversation. Ratings are rare, so they are written at once (what fails waits for the next flush).
   */
  async rated(department: string, agentId: string | null, rating: number, at: Date): Promise<void> {
    const d = this.delta(department, at);
    const one = [0, 0, 0, 0, 0].map((_, i) => (i === rating - 1 ? 1 : 0));
    d.ratings = addRatings(d.ratings, one);
    if (agentId) {
      const a = this.agent(d, agentId);
      a.ratings = addRatings(a.ratings, one);
    }
    await this.flush();
  }

  /** Adds what was collected (called by the summary flush); what did not reach the database waits for the next. */
  async flush(): Promise<void> {
    if (this.deltas.size === 0) return;
    const batch = [...this.deltas.values()];
    this.deltas = new Map();
    let failed: DayDelta[];
    try {
      failed = await this.store.reports.add(batch);
    } catch (err) {
      failed = batch;
      log.warn({ err: (err as Error).message, days: batch.length }, 'report facts not written; will retry');
    }
    for (const d of failed) {
      const key = `${d.department}|${d.day}`;
      const newer = this.deltas.get(key);
      if (newer) mergeDelta(d, newer);
      this.deltas.set(key, d);
    }
  }
}
