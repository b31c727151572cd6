// Our server under the same traffic as the relay: persisted msgs/s (closed loop) and customer -> agent latency at
// 50 % and 90 % of it (open loop), optionally with a CPU profile of the maximum-throughput window.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createAgents, customersOf, fabricateCustomers, startFreshChatServer } from '../lib/chat';
import { closedLoop, openLoop, partition, setupAll, startGenerators } from '../lib/generators';
import { ask, benchRoot, CpuWindow } from '../lib/procs';
import { type ProfileSummary, summarizeProfile } from '../lib/profile';
import type { LoadOptions, ThroughputRun } from './baselines';

export interface ChatThroughput extends ThroughputRun {
  profile: { file: string; summary: ProfileSummary } | null;
  setupSeconds: number;
}

export async function chatThroughput(
  opts: LoadOptions & { mongoUri: string; dbPid: number; profile: boolean; env?: Record<string, string> },
  rates: (max: number) => { rate: number; label: string }[],
): Promise<ChatThroughput> {
  const t0 = performance.now();
  const { tag, dbName, secrets, server } = await startFreshChatServer('chat', opts);
  const gens = startGenerators(opts.generators, opts.logDir);
  try {
    const agents = await createAgents(server.url, opts.mongoUri, dbName, tag);
    const customers = customersOf(
      await fabricateCustomers(opts.mongoUri, dbName, secrets, opts.customers, tag),
    );
    await setupAll(gens, server.url, customers, agents, opts.textChars);
    const setupSeconds = (performance.now() - t0) / 1000;
    const shares = partition(opts.generators, customers, agents).map((p) => p.customers.length);
    const pids = { server: server.pid, ferretdb: opts.dbPid, ...gens.pids };

    const w = new CpuWindow(pids);
    let profile: ChatThroughput['profile'] = null;
    let max: Awaited<ReturnType<typeof closedLoop>>;
    if (opts.profile) {
      const dir = path.join(benchRoot, 'results', 'profiles');
      mkdirSync(dir, { recursive: true });
      const file = path.join(dir, `chat-max-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`);
      // Warm up first so that the profile holds the steady state, not the JIT's first minutes.
      await closedLoop(gens, opts.window, 0, opts.warmupMs);
      await ask(server.child, { probe: 'profile-start' });
      max = await closedLoop(gens, opts.window, 0, opts.durationMs);
      await ask(server.child, { probe: 'profile-stop', file });
      profile = { file: path.relative(benchRoot, file), summary: summarizeProfile(file) };
    } else {
      max = await closedLoop(gens, opts.window, opts.warmupMs, opts.durationMs);
    }
    const maxCpu = w.stop();
    const atRates: ThroughputRun['atRates'] = [];
    for (const { rate, label } of rates(max.throughput)) {
      const cw = new CpuWindow(pids);
      const result = await openLoop(gens, rate, shares, opts.warmupMs, opts.durationMs);
      atRates.push({ rate, label, result, cpu: cw.stop() });
    }
    return { max, maxCpu, atRates, profile, setupSeconds };
  } finally {
    await gens.stop();
    await server.stop();
  }
}
