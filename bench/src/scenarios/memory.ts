// Memory per idle authenticated connection (heap and RSS after a full GC, over the baseline of the same process
// with one connection made and closed), at given connection counts, then the most connections one process holds.
// Everything on 127.0.0.1; clients spread over several generator processes; every loop is bounded.
import type { ChildProcess } from 'node:child_process';
import { createAgents, fabricateCustomers, startFreshChatServer } from '../lib/chat';
import { request, startGenerators } from '../lib/generators';
import { ask, type CpuReport, CpuWindow } from '../lib/procs';
import { relayParticipants, startRelay } from './baselines';

export interface MemoryPoint {
  connections: number;
  heapUsedMB: number;
  rssMB: number;
  heapPerConnectionKB: number;
  rssPerConnectionKB: number;
  connectSeconds: number;
}

export interface MemoryRun {
  target: 'chat' | 'relay';
  users: number;
  baseline: { heapUsedMB: number; rssMB: number };
  points: MemoryPoint[];
  maxHeld: number;
  maxReason: string;
  /** CPU while the largest measured count sits idle (heartbeats, the server's periodic socket re-check) */
  idleCpu: CpuReport | null;
}

interface MemAnswer {
  rss: number;
  heapUsed: number;
  gc: boolean;
}

const MB = 1024 * 1024;
const PER_GENERATOR = 5000;

async function measure(server: ChildProcess): Promise<MemAnswer> {
  const m = await ask<MemAnswer>(server, { probe: 'memory' });
  if (!m.gc) throw new Error('server was started without --expose-gc');
  return m;
}

export async function memoryRun(opts: {
  target: 'chat' | 'relay';
  logDir: string;
  mongoUri: string;
  counts: number[];
  max: number;
  users: number;
  dbPid?: number;
  idleSeconds?: number;
  env?: Record<string, string>;
}): Promise<MemoryRun> {
  const tag = Date.now().toString(36);
  let url: string;
  let child: ChildProcess;
  let stop: () => Promise<void>;
  let tokens: string[];
  if (opts.target === 'chat') {
    const { dbName, secrets, server } = await startFreshChatServer('mem', opts);
    url = server.url;
    child = server.child;
    stop = () => server.stop();
    // A few agents too, so that department rooms exist as in production.
    await createAgents(url, opts.mongoUri, dbName, tag);
    tokens = await fabricateCustomers(opts.mongoUri, dbName, secrets, opts.users, tag);
  } else {
    const relay = await startRelay(opts.logDir);
    url = relay.url;
    child = relay.child;
    stop = () => relay.stop();
    tokens = relayParticipants(opts.users).customers.map((c) => c.token);
  }
  const generators = Math.ceil(opts.max / PER_GENERATOR);
  const gens = startGenerators(generators, opts.logDir);
  const held = new Array<number>(generators).fill(0);
  try {
    // Warm the code paths (handshake, rooms) once, so the baseline is the steady state without connections.
    await request(gens.procs[0] as ChildProcess, {
      probe: 'idle',
      url,
      tokens: tokens.slice(0, 1),
      parallel: 1,
    });
    await request(gens.procs[0] as ChildProcess, { probe: 'close' });
    const base = await measure(child);
    const points: MemoryPoint[] = [];
    let connected = 0;
    let maxReason = `stopped at the configured maximum (${opts.max})`;
    /** Adds connections on the least loaded generators; false if some failed. */
    const grow = async (to: number): Promise<boolean> => {
      const want = to - connected;
      const jobs: Promise<{ connected: number; failed: number }>[] = [];
      let left = want;
      for (let g = 0; g < generators && left > 0; g++) {
        const room = PER_GENERATOR - (held[g] ?? 0);
        const n = Math.min(room, left);
        if (n <= 0) continue;
        left -= n;
        const first = connected + (want - left - n);
        const slice = Array.from({ length: n }, (_, i) => tokens[(first + i) % tokens.length] as string);
        held[g] = (held[g] ?? 0) + n;
        jobs.push(
          request<{ connected: number; failed: number }>(gens.procs[g] as ChildProcess, {
            probe: 'idle',
            url,
            tokens: slice,
            parallel: 64,
          }),
        );
      }
      const answers = await Promise.all(jobs);
      const failed = answers.reduce((s, a) => s + a.failed, 0);
      connected += answers.reduce((s, a) => s + a.connected, 0);
      return failed === 0;
    };
    for (const target of [...opts.counts].sort((a, b) => a - b)) {
      const t0 = performance.now();
      if (!(await grow(target))) {
        maxReason = `connections started failing before ${target}`;
        break;
      }
      const connectSeconds = (performance.now() - t0) / 1000;
      const m = await measure(child);
      points.push({
        connections: connected,
        heapUsedMB: Math.round((m.heapUsed / MB) * 10) / 10,
        rssMB: Math.round((m.rss / MB) * 10) / 10,
        heapPerConnectionKB: Math.round(((m.heapUsed - base.heapUsed) / connected / 1024) * 100) / 100,
        rssPerConnectionKB: Math.round(((m.rss - base.rss) / connected / 1024) * 100) / 100,
        connectSeconds: Math.round(connectSeconds * 10) / 10,
      });
    }
    // What idle connections cost in CPU: pings, timers, the periodic re-check of every socket's user.
    const idleWindow = new CpuWindow({ server: child.pid, ferretdb: opts.dbPid, ...gens.pids });
    await new Promise((r) => setTimeout(r, (opts.idleSeconds ?? 10) * 1000));
    const idleCpu = points.length ? idleWindow.stop() : null;
    // The most one process holds: grow in steps until connections fail or the configured maximum.
    const step = 1000;
    while (connected < opts.max && maxReason.startsWith('stopped')) {
      const ok = await grow(Math.min(opts.max, connected + step));
      if (!ok) maxReason = `connections started failing after ${connected}`;
    }
    // Count what is really still open (a server that dropped sockets would show here).
    const counts = await Promise.all(
      gens.procs.map((p) => request<{ connected: number }>(p, { probe: 'count' })),
    );
    const maxHeld = counts.reduce((s, c) => s + c.connected, 0);
    return {
      target: opts.target,
      users: tokens.length,
      baseline: {
        heapUsedMB: Math.round((base.heapUsed / MB) * 10) / 10,
        rssMB: Math.round((base.rss / MB) * 10) / 10,
      },
      points,
      maxHeld,
      maxReason,
      idleCpu,
    };
  } finally {
    await Promise.all(gens.procs.map((p) => request(p, { probe: 'close' }).catch(() => {})));
    await gens.stop();
    await stop();
  }
}
