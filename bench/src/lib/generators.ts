// The orchestrator's side of the load generator processes: start them, hand out participants, run a closed or
// an open loop on all of them at once, and merge what they measured.
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { LoadgenRequest, Participant, RunAnswer } from '../loadgen';
import { ask, benchRoot, forkTs, stopChild } from './procs';
import { type LatencySummary, Samples } from './stats';

export interface Generators {
  procs: ChildProcess[];
  pids: Record<string, number | undefined>;
  stop(): Promise<void>;
}

export function startGenerators(count: number, logDir: string, raiseNofile = false): Generators {
  const procs = Array.from({ length: count }, (_, i) =>
    forkTs(path.join(benchRoot, 'src', 'loadgen.ts'), {
      logFile: path.join(logDir, `loadgen-${i}.log`),
      execArgv: raiseNofile ? ['--max-old-space-size=4096'] : [],
    }),
  );
  const pids: Record<string, number | undefined> = {};
  procs.forEach((p, i) => {
    pids[`loadgen-${i}`] = p.pid;
  });
  return {
    procs,
    pids,
    stop: async () => {
      await Promise.all(procs.map((p) => stopChild(p, 2000)));
    },
  };
}

export const request = <T = Record<string, unknown>>(
  proc: ChildProcess,
  req: LoadgenRequest,
  timeoutMs = 600_000,
) =>
  ask<T & { error?: string }>(proc, req, timeoutMs).then((answer) => {
    if (answer.error) throw new Error(`load generator ${proc.pid}: ${req.probe}: ${answer.error}`);
    return answer;
  });

/**
 * Splits customers over the generators so that each department (and so its agent) lives in exactly one
 * generator: the latency customer -> agent is then measured with one process's clock.
 */
export function partition(
  generators: number,
  customers: Participant[],
  agents: Participant[],
): { customers: Participant[]; agents: Participant[] }[] {
  const departments = [...new Set(agents.map((a) => a.department))].sort();
  const owner = new Map(departments.map((d, i) => [d, i % generators]));
  const parts = Array.from({ length: generators }, () => ({
    customers: [] as Participant[],
    agents: [] as Participant[],
  }));
  for (const a of agents) parts[owner.get(a.department) ?? 0]?.agents.push(a);
  for (const c of customers) parts[owner.get(c.department) ?? 0]?.customers.push(c);
  return parts;
}

export interface LoadResult {
  kind: 'closed' | 'open';
  /** acknowledged (durably stored, for the chat server) messages per second */
  throughput: number;
  sent: number;
  acked: number;
  failed: number;
  rateLimited: number;
  delivered: number;
  ack: LatencySummary;
  delivery: LatencySummary;
  generatorLagP99: number;
}

function merge(kind: 'closed' | 'open', answers: RunAnswer[]): LoadResult {
  const ack = new Samples();
  const delivery = new Samples();
  let seconds = 0;
  const sum = { sent: 0, acked: 0, failed: 0, rateLimited: 0, delivered: 0 };
  for (const a of answers) {
    ack.addAll(a.ackLatencies);
    delivery.addAll(a.deliveryLatencies);
    seconds = Math.max(seconds, a.seconds);
    sum.sent += a.sent;
    sum.acked += a.acked;
    sum.failed += a.failed;
    sum.rateLimited += a.rateLimited;
    sum.delivered += a.delivered;
  }
  return {
    kind,
    throughput: Math.round(sum.acked / seconds),
    ...sum,
    ack: ack.summary(),
    delivery: delivery.summary(),
    generatorLagP99: Math.max(...answers.map((a) => a.scheduleLagP99)),
  };
}

export async function setupAll(
  gens: Generators,
  url: string,
  customers: Participant[],
  agents: Participant[],
  textChars: number,
): Promise<void> {
  const parts = partition(gens.procs.length, customers, agents);
  const answers = await Promise.all(
    gens.procs.map((p, i) =>
      request<{ customers: number; agentFailures: number; customerFailures: number; openFailures: number }>(
        p,
        {
          probe: 'setup',
          url,
          customers: parts[i]?.customers ?? [],
          agents: parts[i]?.agents ?? [],
          textChars,
        },
      ),
    ),
  );
  const sum = (k: 'agentFailures' | 'customerFailures' | 'openFailures') =>
    answers.reduce((s, a) => s + a[k], 0);
  if (sum('agentFailures') + sum('customerFailures') + sum('openFailures') > 0) {
    throw new Error(
      `load generator setup failed: ${sum('agentFailures')} agent connects, ${sum('customerFailures')} customer connects, ${sum('openFailures')} conversation opens`,
    );
  }
}

export async function closedLoop(gens: Generators, window: number, warmupMs: number, durationMs: number) {
  const answers = await Promise.all(
    gens.procs.map((p) => request<RunAnswer>(p, { probe: 'closed', window, warmupMs, durationMs })),
  );
  return merge('closed', answers);
}

/** `rate` is the total for all generators, split by how many customers each one drives. */
export async function openLoop(
  gens: Generators,
  rate: number,
  shares: number[],
  warmupMs: number,
  durationMs: number,
) {
  const total = shares.reduce((s, n) => s + n, 0);
  const answers = await Promise.all(
    gens.procs.map((p, i) =>
      request<RunAnswer>(p, {
        probe: 'open',
        rate: (rate * (shares[i] ?? 0)) / total,
        warmupMs,
        durationMs,
      }),
    ),
  );
  return merge('open', answers);
}
