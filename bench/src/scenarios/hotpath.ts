// Issue 9's hot path in one run: the database baselines (an insertOne loop with N concurrent writers, group
// insertMany of whatever is waiting), the bare Socket.IO relay (nothing stored), the design-limit relay (limit-relay.ts: summaries with every batch, and
// coalesced per 100 ms) and our chat server, all under the workload: N closed-loop customers (40), window 1,
// one department and one agent receiving everything. Per target: msgs/s, ack and customer -> agent latency, and
// CPU per message (server + database) from the CPU windows.
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createAgents, fabricateCustomers, startFreshChatServer } from '../lib/chat';
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

/** The open-loop targets: a fixed offered rate from `customers` conversations, relay and server alike. */
export interface OpenLoopRun {
  label: string;
  customers: number;
  rate: number;
  result: LoadResult;
  cpu: CpuReport;
}

export interface HotpathRun {
  insertOne: DbLevel;
  group: DbLevel;
  targets: HotpathTarget[];
  open: OpenLoopRun[];
}

/** What one setup measures: the closed loop (or not), then open loops at these rates. */
interface Loads {
  closed: boolean;
  openRates: number[];
}

interface Measured {
  closed: HotpathTarget | null;
  open: OpenLoopRun[];
}

async function measure(
  opts: HotpathOptions,
  label: string,
  gens: Generators,
  pids: Record<string, number | undefined>,
  customers: Participant[],
  agents: Participant[],
  loads: Loads,
): Promise<{ closed: { result: LoadResult; cpu: CpuReport } | null; open: OpenLoopRun[] }> {
  let closed: { result: LoadResult; cpu: CpuReport } | null = null;
  if (loads.closed) {
    const w = new CpuWindow({ ...pids, ...gens.pids });
    const result = await closedLoop(gens, opts.window, opts.warmupMs, opts.durationMs);
    closed = { result, cpu: w.stop() };
  }
  const shares = partition(opts.generators, customers, agents).map((p) => p.customers.length);
  const open: OpenLoopRun[] = [];
  for (const rate of loads.openRates) {
    const w = new CpuWindow({ ...pids, ...gens.pids });
    const result = await openLoop(gens, rate, shares, opts.warmupMs, opts.durationMs);
    open.push({ label, customers: customers.length, rate, result, cpu: w.stop() });
  }
  return { closed, open };
}

interface HotpathOptions extends LoadOptions {
  mongoUri: string;
  dbPid: number;
  dbWriters: number;
  env?: Record<string, string>;
  /** Also run the server from this folder (the code before a change) in the same run. */
  beforeServerDir?: string;
  /** Also the second open-loop target: 1,000 conversations at 2 messages per second each. */
  manyConversations?: boolean;
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
async function relayRun(
  opts: HotpathOptions,
  kind: keyof typeof RELAY_LABELS,
  loads: Loads = { closed: true, openRates: [] },
): Promise<Measured> {
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
    const pids = { server: relay.child.pid, ferretdb: opts.dbPid };
    const m = await measure(opts, RELAY_LABELS[kind], gens, pids, customers, agents, loads);
    if (!m.closed) return { closed: null, open: m.open };
    if (kind === 'bare')
      return { closed: target(RELAY_LABELS[kind], m.closed.result, m.closed.cpu), open: m.open };
    const b = await ask<{ batches: number; items: number }>(relay.child, { probe: 'batches' });
    const meanBatch = b.batches ? Math.round((b.items / b.batches) * 10) / 10 : 0;
    return { closed: target(RELAY_LABELS[kind], m.closed.result, m.closed.cpu, meanBatch), open: m.open };
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
async function chatRun(
  opts: HotpathOptions,
  label: string,
  serverDir?: string,
  loads: Loads = { closed: true, openRates: [] },
): Promise<Measured> {
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
    const pids = { server: server.pid, ferretdb: opts.dbPid };
    const m = await measure(opts, label, gens, pids, customers, agents, loads);
    if (!m.closed) return { closed: null, open: m.open };
    const b = await serverBatches(server.url);
    const meanBatch = b?.batches ? Math.round((b.items / b.batches) * 10) / 10 : undefined;
    return { closed: target(label, m.closed.result, m.closed.cpu, meanBatch), open: m.open };
  } finally {
    await gens.stop();
    await server.stop();
  }
}

/** Conversations of the second open-loop target, each sending 2 messages per second. */
const MANY_CONVERSATIONS = 1000;

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
  const open: OpenLoopRun[] = [];
  const keep = (m: Measured) => {
    if (m.closed) targets.push(m.closed);
    open.push(...m.open);
  };
  keep(await relayRun(opts, 'bare'));
  keep(await relayRun(opts, 'batch'));
  // The open loop runs at half of what the design-limit relay reaches closed-loop: a rate that does not depend on
  // our server, offered to the relay and to our server alike.
  const limit = await relayRun(opts, 'coalesced');
  keep(limit);
  const half = Math.round((limit.closed?.result.throughput ?? 0) / 2);
  keep(await relayRun(opts, 'coalesced', { closed: false, openRates: [half] }));
  if (opts.beforeServerDir) keep(await chatRun(opts, 'our chat server before', opts.beforeServerDir));
  keep(await chatRun(opts, 'our chat server', undefined, { closed: true, openRates: [half] }));
  if (opts.manyConversations) {
    const many = { ...opts, customers: MANY_CONVERSATIONS };
    const rates = { closed: false, openRates: [2 * MANY_CONVERSATIONS] };
    keep(await relayRun(many, 'coalesced', rates));
    keep(await chatRun(many, 'our chat server', undefined, rates));
  }
  return { insertOne, group, targets, open };
}
