// Reconnect storm: N connected clients (agents, writing customers, idle customers), the server SIGKILLed while
// messages flow and started again on the same port. Measured: time until 99 % and 100 % of the clients are back,
// and whether every acknowledged message is stored exactly once and seen by the agents (after their sync).
// The same storm against the bare Socket.IO relay (trusted tokens, nothing stored) is the baseline that does not
// depend on our design: how fast this machine brings the same clients back through Socket.IO alone.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { storedMessages } from '@support-chat/server/testkit';
import { createAgents, customersOf, fabricateCustomers, startFreshChatServer } from '../lib/chat';
import { partition, request, startGenerators } from '../lib/generators';
import {
  ask,
  benchRoot,
  type CpuReport,
  CpuWindow,
  exited,
  freePort,
  listenOverflows,
  safeKill,
} from '../lib/procs';
import { type ProfileSummary, summarizeProfile } from '../lib/profile';
import type { Participant } from '../loadgen';
import { relayParticipants, startRelay } from './baselines';

export type StormTargetKind = 'chat' | 'relay';

export interface StormRun {
  target: StormTargetKind;
  clients: number;
  writers: number;
  killedAt: string;
  downSeconds: number;
  /** from the SIGKILL */
  to99Seconds: number | null;
  to100Seconds: number | null;
  /** from the moment the restarted server answered /api/health */
  to99AfterReadySeconds: number | null;
  to100AfterReadySeconds: number | null;
  timeline: { t: number; connected: number }[];
  /** CPU from the restarted server being up until every client was back */
  recoveryCpu: CpuReport;
  listenOverflows: number;
  /** CPU profile of the restarted server until every client was back (with --profile) */
  profile: { file: string; summary: ProfileSummary } | null;
  acked: number;
  lost: number;
  misplaced: number;
  gaps: number;
  unacked: number;
  retries: number;
  duplicatesDelivered: number;
  /** final syncs of the agents that got no answer (tried again until the deadline) */
  syncFailures: number;
  /** final syncs answered with an error (none expected) */
  syncRefusals: number;
  /** null for the relay, which stores nothing */
  db: StormDbCheck | null;
}

interface StormDbCheck {
  stored: number;
  duplicateClientMsgIds: number;
  missingAcked: number;
  seqGaps: number;
}

/** What the storm needs of the process it kills: its clients, and how to kill and start it again. */
interface StormTarget {
  url: string;
  child(): ChildProcess;
  agents: Participant[];
  writers: Participant[];
  idle: string[];
  kill(): Promise<void>;
  /** Resolves when the new process answers. */
  restart(): Promise<void>;
  stop(): Promise<void>;
  check: ((acked: { conversationId: string; id: string; seq: number }[]) => Promise<StormDbCheck>) | null;
}

interface FinishAnswer {
  acked: number;
  lost: number;
  misplaced: number;
  gaps: number;
  unacked: number;
  retries: number;
  duplicatesDelivered: number;
  syncFailures: number;
  syncRefusals: number;
  ackedIds: { conversationId: string; id: string; seq: number }[];
}

export async function stormRun(opts: {
  target: StormTargetKind;
  logDir: string;
  mongoUri: string;
  clients: number;
  writers: number;
  users: number;
  generators: number;
  sendIntervalMs: number;
  env?: Record<string, string>;
  dbPid?: number;
  profile?: boolean;
}): Promise<StormRun> {
  const target = opts.target === 'chat' ? await chatTarget(opts) : await relayTarget(opts);
  const gens = startGenerators(opts.generators, opts.logDir);
  const count = async () =>
    (await Promise.all(gens.procs.map((p) => request<{ connected: number }>(p, { probe: 'count' })))).reduce(
      (s, a) => s + a.connected,
      0,
    );
  try {
    const { agents, writers, idle } = target;
    const parts = partition(opts.generators, writers, agents);
    const setups = await Promise.all(
      gens.procs.map((p, g) =>
        request<{ clients: number; failed: number; writers: number }>(p, {
          probe: 'storm-setup',
          url: target.url,
          customers: parts[g]?.customers ?? [],
          agents: parts[g]?.agents ?? [],
          idle: idle.filter((_, i) => i % opts.generators === g),
        }),
      ),
    );
    const failed = setups.reduce((s, a) => s + a.failed, 0);
    if (failed > 0) throw new Error(`storm setup: ${failed} clients did not connect`);
    const total = setups.reduce((s, a) => s + a.clients, 0);
    await Promise.all(
      gens.procs.map((p) => request(p, { probe: 'storm-send', intervalMs: opts.sendIntervalMs })),
    );
    // Let messages flow for a while, then kill the server in the middle of it.
    await new Promise((r) => setTimeout(r, 5000));
    const overflows0 = listenOverflows();
    const killedAt = new Date().toISOString();
    const tKill = performance.now();
    await target.kill();
    await target.restart();
    const tReady = performance.now();
    const cpu = new CpuWindow({
      [opts.target === 'chat' ? 'server' : 'relay']: target.child().pid,
      ferretdb: opts.dbPid,
      ...gens.pids,
    });
    let profileFile: string | null = null;
    if (opts.profile) {
      const dir = path.join(benchRoot, 'results', 'profiles');
      mkdirSync(dir, { recursive: true });
      profileFile = path.join(
        dir,
        `storm-recovery-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`,
      );
      await ask(target.child(), { probe: 'profile-start' });
    }
    const timeline: { t: number; connected: number }[] = [];
    let t99: number | null = null;
    let t100: number | null = null;
    const deadline = tKill + 180_000;
    while (performance.now() < deadline) {
      const n = await count();
      const t = performance.now();
      timeline.push({ t: Math.round(t - tKill), connected: n });
      if (t99 === null && n >= Math.ceil(total * 0.99)) t99 = t;
      if (n >= total) {
        t100 = t;
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const recoveryCpu = cpu.stop();
    if (profileFile) await ask(target.child(), { probe: 'profile-stop', file: profileFile });
    const overflows = listenOverflows() - overflows0;
    // Keep writing a little after everyone is back, then stop and let every writer finish its last message.
    await new Promise((r) => setTimeout(r, 3000));
    const finishes = await Promise.all(
      gens.procs.map((p) => request<FinishAnswer>(p, { probe: 'storm-finish', timeoutMs: 60_000 })),
    );
    const sum = (k: keyof Omit<FinishAnswer, 'ackedIds'>) => finishes.reduce((s, f) => s + f[k], 0);
    const db = target.check ? await target.check(finishes.flatMap((f) => f.ackedIds)) : null;
    const secs = (v: number | null, from: number) => (v === null ? null : Math.round((v - from) / 100) / 10);
    return {
      target: opts.target,
      clients: total,
      writers: setups.reduce((s, a) => s + a.writers, 0),
      killedAt,
      downSeconds: Math.round((tReady - tKill) / 100) / 10,
      to99Seconds: secs(t99, tKill),
      to100Seconds: secs(t100, tKill),
      to99AfterReadySeconds: secs(t99, tReady),
      to100AfterReadySeconds: secs(t100, tReady),
      timeline: timeline.filter((_, i) => i % 10 === 0 || i === timeline.length - 1),
      recoveryCpu,
      listenOverflows: overflows,
      profile: profileFile
        ? { file: path.relative(benchRoot, profileFile), summary: summarizeProfile(profileFile) }
        : null,
      acked: sum('acked'),
      lost: sum('lost'),
      misplaced: sum('misplaced'),
      gaps: sum('gaps'),
      unacked: sum('unacked'),
      retries: sum('retries'),
      duplicatesDelivered: sum('duplicatesDelivered'),
      syncFailures: sum('syncFailures'),
      syncRefusals: sum('syncRefusals'),
      db,
    };
  } finally {
    await Promise.all(gens.procs.map((p: ChildProcess) => request(p, { probe: 'close' }).catch(() => {})));
    await gens.stop();
    await target.stop();
  }
}

async function chatTarget(opts: Parameters<typeof stormRun>[0]): Promise<StormTarget> {
  const { tag, dbName, secrets, server } = await startFreshChatServer('storm', opts);
  try {
    const agents = await createAgents(server.url, opts.mongoUri, dbName, tag);
    const tokens = await fabricateCustomers(
      opts.mongoUri,
      dbName,
      secrets,
      Math.max(opts.users, opts.writers),
      tag,
    );
    const writers = customersOf(tokens.slice(0, opts.writers));
    const idleCount = opts.clients - agents.length - writers.length;
    return {
      url: server.url,
      child: () => server.child,
      agents,
      writers,
      idle: Array.from({ length: idleCount }, (_, i) => tokens[i % tokens.length] as string),
      kill: () => server.kill(),
      restart: () => server.restart(),
      stop: () => server.stop(),
      check: (acked) => checkDatabase(opts.mongoUri, dbName, acked),
    };
  } catch (err) {
    await server.stop();
    throw err;
  }
}

/** The bare relay on a fixed port, with the same number of agents, writers and idle customers. */
async function relayTarget(opts: Parameters<typeof stormRun>[0]): Promise<StormTarget> {
  const port = await freePort();
  let relay = await startRelay(opts.logDir, port);
  const { agents, customers: writers } = relayParticipants(opts.writers);
  const idleCount = opts.clients - agents.length - writers.length;
  return {
    url: relay.url,
    child: () => relay.child,
    agents,
    writers,
    idle: Array.from({ length: idleCount }, (_, i) => `relay:customer:idle${i}:`),
    async kill() {
      const gone = exited(relay.child);
      safeKill(relay.child.pid ?? -1, 'SIGKILL');
      await gone;
    },
    async restart() {
      relay = await startRelay(opts.logDir, port);
    },
    stop: () => relay.stop(),
    check: null,
  };
}

/** Straight from the database (the server's testkit): every acknowledged message stored once at its seq, no gaps. */
async function checkDatabase(
  uri: string,
  dbName: string,
  acked: { conversationId: string; id: string; seq: number }[],
): Promise<StormDbCheck> {
  const conversationIds = [...new Set(acked.map((a) => a.conversationId))];
  const stored = await storedMessages({ mongoUri: uri, dbName, conversationIds });
  let count = 0;
  let duplicateClientMsgIds = 0;
  let missingAcked = 0;
  let seqGaps = 0;
  for (const [conversationId, docs] of stored) {
    count += docs.length;
    const ids = new Set<string>();
    const bySeq = new Map<number, string>();
    docs.forEach((d, i) => {
      if (ids.has(d.clientMsgId)) duplicateClientMsgIds++;
      ids.add(d.clientMsgId);
      bySeq.set(d.seq, d.clientMsgId);
      if (d.seq !== i + 1) seqGaps++;
    });
    for (const a of acked) {
      if (a.conversationId === conversationId && bySeq.get(a.seq) !== a.id) missingAcked++;
    }
  }
  return { stored: count, duplicateClientMsgIds, missingAcked, seqGaps };
}
