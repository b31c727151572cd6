// Reports (SPEC §13) from the kept facts only: the (department, day) documents of the range, read by id, summed per
// day, and per agent over the range. Percentiles are exact (nearest rank over every kept duration).
import type { DurationStats, Report, ReportAgent, ReportDay } from '@support-chat/protocol';
import type { Store } from '../store/db';
import { addRatings, type ReportDayDoc, reportDayId } from '../store/reports';

/** Nearest-rank percentile of sorted values: the smallest value with at least p% of them at or below it. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] ?? null;
}

export function durationStats(values: readonly number[]): DurationStats {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((s, v) => s + v, 0);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    average: sorted.length ? Math.round(sum / sorted.length) : null,
  };
}

/** Every calendar day from `from` to `to` inclusive (YYYY-MM-DD; the days of a calendar, whatever the zone). */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  const end = Date.parse(`${to}T00:00:00Z`);
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= end; t += 86_400_000)
    out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

interface Sums {
  started: number;
  resolved: number;
  customer: number;
  agents: number;
  firstResponseMs: number[];
  resolutionMs: number[];
  ratings: number[];
}
const emptySums = (): Sums => ({
  started: 0,
  resolved: 0,
  customer: 0,
  agents: 0,
  firstResponseMs: [],
  resolutionMs: [],
  ratings: [0, 0, 0, 0, 0],
});

function addDoc(s: Sums, d: ReportDayDoc): void {
  s.started += d.started ?? 0;
  s.resolved += d.resolved ?? 0;
  s.customer += d.messages?.customer ?? 0;
  s.agents += d.messages?.agents ?? 0;
  for (const v of d.firstResponseMs ?? []) s.firstResponseMs.push(v);
  for (const v of d.resolutionMs ?? []) s.resolutionMs.push(v);
  (d.ratings ?? []).forEach((n, i) => {
    if (i < 5) s.ratings[i] = (s.ratings[i] ?? 0) + n;
  });
}

/** Count, average (two decimals) and distribution of ratings counted at index rating-1. */
export function satisfactionOf(ratings: readonly number[]): ReportDay['satisfaction'] {
  const distribution = [0, 1, 2, 3, 4].map((i) => ratings[i] ?? 0) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const rated = distribution.reduce((a, b) => a + b, 0);
  const total = distribution.reduce((a, n, i) => a + n * (i + 1), 0);
  return { count: rated, average: rated ? Math.round((total / rated) * 100) / 100 : null, distribution };
}

function figures(s: Sums): Omit<ReportDay, 'day'> {
  return {
    episodesStarted: s.started,
    episodesResolved: s.resolved,
    messages: { customer: s.customer, agents: s.agents },
    firstResponse: durationStats(s.firstResponseMs),
    resolution: durationStats(s.resolutionMs),
    satisfaction: satisfactionOf(s.ratings),
  };
}

export class ReportService {
  constructor(
    private readonly store: Pick<Store, 'reports' | 'departments' | 'users'>,
    readonly timeZone: string,
  ) {}

  async report(q: { from: string; to: string; department?: string }): Promise<Report> {
    const days = daysBetween(q.from, q.to);
    const departments = q.department ? [q.department] : await this.store.departments.ids();
    const ids = departments.flatMap((d) => days.map((day) => reportDayId(d, day)));
    const docs = await this.store.reports.find(ids);

    const perDay = new Map(days.map((d) => [d, emptySums()]));
    const all = emptySums();
    const agents = new Map<
      string,
      { messages: number; resolved: number; fr: number[]; res: number[]; ratings: number[] }
    >();
    for (const doc of docs) {
      const day = perDay.get(doc.day);
      if (!day) continue;
      addDoc(day, doc);
      addDoc(all, doc);
      for (const [id, a] of Object.entries(doc.agents ?? {})) {
        const sum = agents.get(id) ?? { messages: 0, resolved: 0, fr: [], res: [], ratings: [] };
        sum.messages += a.messages ?? 0;
        sum.resolved += a.resolved ?? 0;
        sum.fr.push(...(a.firstResponseMs ?? []));
        sum.res.push(...(a.resolutionMs ?? []));
        sum.ratings = addRatings(sum.ratings, a.ratings);
        agents.set(id, sum);
      }
    }
    const names = await Promise.all([...agents.keys()].map((id) => this.store.users.findById(id)));
    const agentRows: ReportAgent[] = [...agents.entries()].map(([agentId, a], i) => ({
      agentId,
      username: names[i]?.username ?? '(deleted)',
      messages: a.messages,
      episodesResolved: a.resolved,
      firstResponse: durationStats(a.fr),
      resolution: durationStats(a.res),
      satisfaction: satisfactionOf(a.ratings),
    }));
    agentRows.sort((a, b) => a.username.localeCompare(b.username));
    return {
      from: q.from,
      to: q.to,
      department: q.department ?? null,
      timeZone: this.timeZone,
      days: days.map((day) => ({ day, ...figures(perDay.get(day) ?? emptySums()) })),
      totals: figures(all),
      agents: agentRows,
    };
  }
}
