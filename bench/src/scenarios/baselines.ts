// The two baselines our server is held against: the bare Socket.IO relay carrying the same traffic, and the
// database's own capacity for the two writes one message needs.
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { DbMode, DbRunAnswer } from '../db-writer';
import { dropDb, prepareDb } from '../db-writer';
import {
  closedLoop,
  type Generators,
  type LoadResult,
  openLoop,
  partition,
  setupAll,
  startGenerators,
} from '../lib/generators';
import {
  ask,
  benchRoot,
  type CpuReport,
  CpuWindow,
  forkTs,
  probeImport,
  stopChild,
  waitForMessage,
} from '../lib/procs';
import { type LatencySummary, Samples } from '../lib/stats';
import type { Participant } from '../loadgen';

export const DEPARTMENTS = ['billing', 'technical', 'account', 'sales', 'hr'] as const;

export interface LoadOptions {
  customers: number;
  window: number;
  warmupMs: number;
  durationMs: number;
  generators: number;
  textChars: number;
  logDir: string;
}

export interface RelayProc {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** The bare relay in its own process, on `fixedPort` (a free one by default). */
export async function startRelay(logDir: string, fixedPort?: number): Promise<RelayProc> {
  const child = forkTs(path.join(benchRoot, 'src', 'relay.ts'), {
    logFile: path.join(logDir, 'relay.log'),
    execArgv: ['--expose-gc', '--import', probeImport],
    ...(fixedPort ? { env: { PORT: String(fixedPort) } } : {}),
  });
  const { port } = await waitForMessage<{ port: number }>(child, 'listening', 30_000);
  return { url: `http://127.0.0.1:${port}`, child, stop: () => stopChild(child, 5000) };
}

export function relayParticipants(customers: number): { customers: Participant[]; agents: Participant[] } {
  return {
    agents: DEPARTMENTS.map((d, i) => ({ token: `relay:agent:agent${i}:${d}`, department: d })),
    customers: Array.from({ length: customers }, (_, i) => {
      const department = DEPARTMENTS[i % DEPARTMENTS.length] as string;
      return { token: `relay:customer:c${i}:`, department };
    }),
  };
}

export interface ThroughputRun {
  max: LoadResult;
  maxCpu: CpuReport;
  /** open-loop runs at the given rates (msgs/s) */
  atRates: { rate: number; label: string; result: LoadResult; cpu: CpuReport }[];
}

/** Closed loop for the maximum, then open loops at fractions of it (or at the rates given). */
export async function measureTraffic(
  gens: Generators,
  serverPids: Record<string, number | undefined>,
  opts: LoadOptions,
  shares: number[],
  rates: (max: number) => { rate: number; label: string }[],
): Promise<ThroughputRun> {
  const w = new CpuWindow({ ...serverPids, ...gens.pids });
  const max = await closedLoop(gens, opts.window, opts.warmupMs, opts.durationMs);
  const maxCpu = w.stop();
  const atRates: ThroughputRun['atRates'] = [];
  for (const { rate, label } of rates(max.throughput)) {
    const cw = new CpuWindow({ ...serverPids, ...gens.pids });
    const result = await openLoop(gens, rate, shares, opts.warmupMs, opts.durationMs);
    atRates.push({ rate, label, result, cpu: cw.stop() });
  }
  return { max, maxCpu, atRates };
}

export async function relayBaseline(
  opts: LoadOptions,
  rates: (max: number) => { rate: number; label: string }[],
): Promise<ThroughputRun & { url: string }> {
  const relay = await startRelay(opts.logDir);
  const gens = startGenerators(opts.generators, opts.logDir);
  try {
    const { customers, agents } = relayParticipants(opts.customers);
    await setupAll(gens, relay.url, customers, agents, opts.textChars);
    const shares = partition(opts.generators, customers, agents).map((p) => p.customers.length);
    const run = await measureTraffic(gens, { relay: relay.child.pid }, opts, shares, rates);
    return { ...run, url: relay.url };
  } finally {
    await gens.stop();
    await relay.stop();
  }
}

// ---- the database's capacity for one message's writes ----

export interface DbLevel {
  concurrency: number;
  writers: number;
  messagesPerSecond: number;
  latency: LatencySummary;
  errors: number;
  errorSamples: string[];
  cpu: CpuReport;
  /** group mode: mean documents per insertMany */
  meanBatch?: number;
  /** database CPU per document written, µs */
  dbCpuPerDocUs: number;
}

export interface DbBaseline {
  best: DbLevel;
  levels: DbLevel[];
}

export async function dbBaseline(
  uri: string,
  dbPid: number,
  opts: {
    levels: number[];
    writers: number;
    durationMs: number;
    warmupMs: number;
    logDir: string;
    /** as many as the chat run has (FerretDB v1 scans collections on _id updates: size matters) */
    conversations: number;
    /** what each write is (db-writer.ts); group runs in one writer process (one flusher) */
    mode?: DbMode;
  },
): Promise<DbBaseline> {
  const dbName = `bench_dbbase_${process.pid}`;
  const levels: DbLevel[] = [];
  try {
    for (const concurrency of opts.levels) {
      const conversationIds = await prepareDb(uri, dbName, Math.max(concurrency, opts.conversations));
      const writers = opts.mode === 'group' ? 1 : Math.min(opts.writers, concurrency);
      const procs = Array.from({ length: writers }, (_, i) =>
        forkTs(path.join(benchRoot, 'src', 'db-writer.ts'), {
          logFile: path.join(opts.logDir, `db-writer-${i}.log`),
        }),
      );
      try {
        const pids: Record<string, number | undefined> = { ferretdb: dbPid };
        procs.forEach((p, i) => {
          pids[`db-writer-${i}`] = p.pid;
        });
        const cpu = new CpuWindow(pids);
        const answers = await Promise.all(
          procs.map((p, i) =>
            ask<DbRunAnswer & { error?: string }>(
              p,
              {
                probe: 'db-run',
                uri,
                dbName,
                // each writer gets its own conversations: no two loops write the same conversation at once
                conversationIds: conversationIds.filter((_, k) => k % writers === i),
                concurrency: Math.ceil(concurrency / writers),
                durationMs: opts.durationMs,
                warmupMs: opts.warmupMs,
                mode: opts.mode ?? 'pair',
              },
              opts.durationMs + opts.warmupMs + 60_000,
            ),
          ),
        );
        const report = cpu.stop();
        const latencies = new Samples();
        let messages = 0;
        let errors = 0;
        let seconds = 0;
        let batches = 0;
        let batchItems = 0;
        const errorSamples = new Set<string>();
        for (const a of answers) {
          if (a.error) throw new Error(`db writer: ${a.error}`);
          messages += a.messages;
          errors += a.errors;
          for (const e of a.errorSamples ?? []) errorSamples.add(e);
          seconds = Math.max(seconds, a.seconds);
          batches += a.batches ?? 0;
          batchItems += a.batchItems ?? 0;
          latencies.addAll(a.latencies);
        }
        const messagesPerSecond = Math.round(messages / seconds);
        levels.push({
          concurrency,
          writers,
          messagesPerSecond,
          ...(batches ? { meanBatch: Math.round((batchItems / batches) * 10) / 10 } : {}),
          dbCpuPerDocUs: messagesPerSecond
            ? Math.round(((report.perProcess.ferretdb ?? 0) / messagesPerSecond) * 1e6)
            : 0,
          latency: latencies.summary(),
          errors,
          errorSamples: [...errorSamples],
          cpu: report,
        });
      } finally {
        await Promise.all(procs.map((p) => stopChild(p, 2000)));
      }
    }
  } finally {
    await dropDb(uri, dbName).catch(() => {});
  }
  const best = levels.reduce((a, b) => (b.messagesPerSecond > a.messagesPerSecond ? b : a));
  return { best, levels };
}
