// Issue 9's hot path in one run: the database baselines (an insertOne loop with N concurrent writers, group
// insertMany of whatever is waiting), the bare Socket.IO relay (nothing stored), the design-limit relay (limit-relay.ts: summaries with every batch, and
// coalesced per 100 ms) and our chat server, all under the workload: N closed-loop customers (40), window 1,
// one department and one agent receiving everything. Per target: msgs/s, ack and customer -> agent latency, and
// CPU per message (server + database) from the CPU windows.
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createAgents, fabricateCustomers, startFreshChatServer } from '../lib/chat';
import { closedLoop, type LoadResult, setupAll, startGenerators } from '../lib/generators';
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
import type { Participant } from '../loadgen';
import { type DbLevel, dbBaseline, type LoadOptions, startRelay } from './baselines';

export const HOTPATH_DEPARTMENT = 'billing';

export type SummaryMode = 'batch' | 'coalesced';

export interface HotpathTarget {
  label: string;
  result: LoadResult;
  cpu: CpuReport;
  /** server + database CPU per acknowledged message, µs */
  cpuPerMessageUs: number;
  serverCores: number;
  dbCores: number;
  /** limit relay: mean messages per insertMany (warmup included) */
  meanBatch?: number;
}

export interface HotpathRun {
  insertOne: DbLevel;
  group: DbLevel;
  targets: HotpathTarget[];
}

interface HotpathOptions extends LoadOptions {
  mongoUri: string;
  dbPid: number;
  dbWriters: number;
  env?: Record<string, string>;
  /** Also run the server from this folder (the code before a change) in the same run. */
  beforeServerDir?: string;
}

function target(label: string, result: LoadResult, cpu: CpuReport, meanBatch?: number): HotpathTarget {
  const serverCores = cpu.perProcess.server ?? 0;
  const dbCores = cpu.perProcess.ferretdb ?? 0;
  return {
    label,
    result,
    cpu,
    cpuPerMessageUs: result.throughput ? Math.round(((serverCores + dbCores) / result.throughput) * 1e6) : 0,
    serverCores,
    dbCores,
    ...(meanBatch !== undefined ? { meanBatch } : {}),
  };
}

async function startLimitRelay(
  opts: HotpathOptions,
  summaries: SummaryMode,
): Promise<{ url: string; child: ChildProcess }> {
  const child = forkTs(path.join(benchRoot, 'src', 'limit-relay.ts'), {
    logFile: path.join(opts.logDir, `limit-relay-${summaries}.log`),
    execArgv: ['--import', probeImport],
    env: {
      MONGO_URI: opts.mongoUri,
      DB_NAME: `bench_limit_${summaries}_${Date.now().toString(36)}`,
      LIMIT_SUMMARIES: summaries,
      LIMIT_DEPARTMENTS: HOTPATH_DEPARTMENT,
      LIMIT_CONVERSATIONS: String(opts.customers),
    },
  });
  const { port } = await waitForMessage<{ port: number }>(child, 'listening', 60_000);
  return { url: `http://127.0.0.1:${port}`, child };
}

const RELAY_LABELS = {
  bare: 'bare Socket.IO relay, nothing stored',
  batch: 'design-limit relay, summaries with every batch',
  coalesced: 'design-limit relay, summaries coalesced per 100 ms',
} as const;

/** The bare relay (no storage: the transport's own limit) or the design-limit relay, under the same workload. */
async function relayRun(opts: HotpathOptions, kind: keyof typeof RELAY_LABELS): Promise<HotpathTarget> {
  const relay = kind === 'bare' ? await startRelay(opts.logDir) : await startLimitRelay(opts, kind);
  const gens = startGenerators(opts.generators, opts.logDir);
  try {
    const agents: Participant[] = [
      { token: `relay:agent:agent0:${HOTPATH_DEPARTMENT}`, department: HOTPATH_DEPARTMENT },
    ];
    const customers: Participant[] = Array.from({ length: opts.customers }, (_, i) => ({
      token: `relay:customer:c${i}:`,
      department: HOTPATH_DEPARTMENT,
    }));
    await setupAll(gens, relay.url, customers, agents, opts.textChars);
    const w = new CpuWindow({ server: relay.child.pid, ferretdb: opts.dbPid, ...gens.pids });
    const result = await closedLoop(gens, opts.window, opts.warmupMs, opts.durationMs);
    const cpu = w.stop();
    if (kind === 'bare') return target(RELAY_LABELS[kind], result, cpu);
    const b = await ask<{ batches: number; items: number }>(relay.child, { probe: 'batches' });
    return target(
      RELAY_LABELS[kind],
      result,
      cpu,
      b.batches ? Math.round((b.items / b.batches) * 10) / 10 : 0,
    );
  } finally {
    await gens.stop();
    await stopChild(relay.child, 10_000);
  }
}

/** Mean messages per insertMany of our server, from its own gauges (/metrics). */
async function serverBatches(url: string): Promise<{ batches: number; items: number } | null> {
  const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  if (!res.ok) return null;
  const text = await res.text();
  const gauge = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  const batches = gauge('support_chat_message_insert_batches');
  const items = gauge('support_chat_message_inserts');
  return Number.isFinite(batches) && Number.isFinite(items) ? { batches, items } : null;
}

const METRICS_TOKEN = 'bench-metrics';

/** Our server; `serverDir` runs another copy of it (the code before a change, in the same run). */
async function chatRun(opts: HotpathOptions, label: string, serverDir?: string): Promise<HotpathTarget> {
  const previous = process.env.BENCH_SERVER_DIR;
  if (serverDir) process.env.BENCH_SERVER_DIR = serverDir;
  const started = startFreshChatServer('hotpath', { ...opts, env: { ...opts.env, METRICS_TOKEN } });
  await started.finally(() => {
    if (previous === undefined) delete process.env.BENCH_SERVER_DIR;
    else process.env.BENCH_SERVER_DIR = previous;
  });
  const { tag, dbName, secrets, server } = await started;
  const gens = startGenerators(opts.generators, opts.logDir);
  try {
    // one agent receiving everything: every customer writes to its department; only its agent connects
    const agents = (await createAgents(server.url, opts.mongoUri, dbName, tag)).filter(
      (a) => a.department === HOTPATH_DEPARTMENT,
    );
    const customers = (await fabricateCustomers(opts.mongoUri, dbName, secrets, opts.customers, tag)).map(
      (token) => ({ token, department: HOTPATH_DEPARTMENT }),
    );
    await setupAll(gens, server.url, customers, agents, opts.textChars);
    const w = new CpuWindow({ server: server.pid, ferretdb: opts.dbPid, ...gens.pids });
    const result = await closedLoop(gens, opts.window, opts.warmupMs, opts.durationMs);
    const cpu = w.stop();
    const b = await serverBatches(server.url);
    return target(label, result, cpu, b?.batches ? Math.round((b.items / b.batches) * 10) / 10 : undefined);
  } finally {
    await gens.stop();
    await server.stop();
  }
}

export async function hotpathRun(opts: HotpathOptions): Promise<HotpathRun> {
  const db = (mode: 'insertOne' | 'group') =>
    dbBaseline(opts.mongoUri, opts.dbPid, {
      levels: [opts.customers],
      writers: opts.dbWriters,
      durationMs: opts.durationMs,
      warmupMs: opts.warmupMs,
      logDir: opts.logDir,
      conversations: opts.customers,
      mode,
    }).then((r) => r.best);
  const insertOne = await db('insertOne');
  const group = await db('group');
  const targets: HotpathTarget[] = [];
  targets.push(await relayRun(opts, 'bare'));
  targets.push(await relayRun(opts, 'batch'));
  targets.push(await relayRun(opts, 'coalesced'));
  if (opts.beforeServerDir) targets.push(await chatRun(opts, 'our chat server before', opts.beforeServerDir));
  targets.push(await chatRun(opts, 'our chat server'));
  return { insertOne, group, targets };
}
