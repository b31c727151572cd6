// Processes the benchmarks start (database, Redis, servers, load generators), each stopped by its pid, plus the
// machine facts and per-process CPU accounting that go into RESULTS.md.
import { type ChildProcess, execFileSync, fork, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildSync } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
export const benchRoot = path.resolve(here, '..', '..');
export const repoRoot = path.resolve(benchRoot, '..');

export { freePort } from '@support-chat/server/testkit';

// ---- every process we start, so that an interrupted run still stops them all (by pid) ----

const started = new Set<ChildProcess>();
let exitHooked = false;

function track(child: ChildProcess): ChildProcess {
  started.add(child);
  child.once('exit', () => started.delete(child));
  if (!exitHooked) {
    exitHooked = true;
    const killAll = () => {
      for (const c of started) if (c.pid) safeKill(c.pid, 'SIGKILL');
    };
    process.once('exit', killAll);
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      process.once(sig, () => {
        killAll();
        process.exit(130);
      });
    }
  }
  return child;
}

export function safeKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

export const exited = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });

/** SIGTERM, then SIGKILL after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
  const pid = child.pid;
  const timer = setTimeout(() => safeKill(pid, 'SIGKILL'), graceMs);
  safeKill(pid, 'SIGTERM');
  await exited(child);
  clearTimeout(timer);
}

export interface NodeProcOptions {
  env?: Record<string, string>;
  execArgv?: string[];
  logFile?: string;
  args?: string[];
}

/** Runs a TypeScript file in its own Node process (tsx loader) with an IPC channel; output goes to a log file. */
export function forkTs(file: string, opts: NodeProcOptions = {}): ChildProcess {
  return forkNode(file, { ...opts, execArgv: ['--import', 'tsx', ...(opts.execArgv ?? [])] });
}

/** Runs a JavaScript file in its own Node process with an IPC channel; output goes to a log file. */
export function forkNode(file: string, opts: NodeProcOptions = {}): ChildProcess {
  const fd = opts.logFile ? openSync(opts.logFile, 'a') : 'inherit';
  const child = fork(file, opts.args ?? [], {
    execArgv: opts.execArgv ?? [],
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', fd, fd, 'ipc'],
    cwd: repoRoot,
  });
  if (typeof fd === 'number') closeSync(fd);
  return track(child);
}

/** The probe module that a process run through tsx preloads (memory after GC, CPU profile of a window). */
export const probeImport = pathToFileURL(path.join(benchRoot, 'src', 'probe.ts')).href;

/**
 * The probe as plain JavaScript, for a process that runs without tsx (the built server: loading tsx would add
 * more than half a second to every start the storm measures).
 */
let builtProbe: string | undefined;
export const builtProbeImport = (): string => {
  if (builtProbe) return builtProbe;
  const out = path.join(benchRoot, 'out', 'probe.mjs');
  buildSync({
    entryPoints: [path.join(benchRoot, 'src', 'probe.ts')],
    outfile: out,
    platform: 'node',
    format: 'esm',
    logLevel: 'warning',
  });
  builtProbe = pathToFileURL(out).href;
  return builtProbe;
};

/** Waits for a message of the given `probe` kind that the process sends by itself. */
export function waitForMessage<T>(child: ChildProcess, probe: string, timeoutMs = 60_000) {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      reject(new Error(`process ${child.pid} sent no ${probe} within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (m: unknown) => {
      if (m && typeof m === 'object' && (m as { probe?: string }).probe === probe) {
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(m as T);
      }
    };
    child.on('message', onMessage);
  });
}

/** Sends a request to a forked process and waits for the answer of the same `probe` kind. */
export function ask<T>(
  child: ChildProcess,
  msg: { probe: string } & Record<string, unknown>,
  timeoutMs = 60_000,
) {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      reject(new Error(`no answer to ${msg.probe} within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (m: unknown) => {
      if (m && typeof m === 'object' && (m as { probe?: string }).probe === msg.probe) {
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(m as T);
      }
    };
    child.on('message', onMessage);
    child.send(msg);
  });
}

export async function waitForHttp(url: string, timeoutMs = 60_000, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child && (child.exitCode !== null || child.signalCode !== null)) {
      throw new Error(`process ${child.pid} exited before ${url} answered`);
    }
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export { isProcessAlive as isAlive } from '@support-chat/server/testkit';

// ---- CPU accounting from /proc: what each of our processes used, and what everything else used ----

const CLK_TCK = 100;

export function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return 0;
  }
}

function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / CLK_TCK;
}

export interface CpuReport {
  wallSeconds: number;
  /** cores used by each named process over the window (1.0 = one core busy) */
  perProcess: Record<string, number>;
  /** cores used by everything on the machine */
  machine: number;
  /** cores used by processes that are not ours (other work on the machine) */
  others: number;
}

export class CpuWindow {
  private readonly t0 = performance.now();
  private readonly machine0 = machineBusySeconds();
  private readonly start: Map<string, { pid: number; cpu: number }>;

  constructor(pids: Record<string, number | undefined>) {
    this.start = new Map(
      Object.entries(pids)
        .filter((e): e is [string, number] => typeof e[1] === 'number')
        .map(([name, pid]) => [name, { pid, cpu: processCpuSeconds(pid) }]),
    );
  }

  stop(extraOwnSeconds = 0): CpuReport {
    const wall = (performance.now() - this.t0) / 1000;
    const perProcess: Record<string, number> = {};
    let ours = extraOwnSeconds;
    for (const [name, { pid, cpu }] of this.start) {
      const used = processCpuSeconds(pid) - cpu;
      perProcess[name] = Math.round((used / wall) * 100) / 100;
      ours += used;
    }
    const machine = machineBusySeconds() - this.machine0;
    return {
      wallSeconds: Math.round(wall * 10) / 10,
      perProcess,
      machine: Math.round((machine / wall) * 100) / 100,
      others: Math.max(0, Math.round(((machine - ours) / wall) * 100) / 100),
    };
  }
}

/** TcpExt ListenOverflows: connection attempts the kernel dropped because an accept queue was full (machine-wide). */
export function listenOverflows(): number {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
    for (let i = 0; i + 1 < lines.length; i += 2) {
      const keys = (lines[i] as string).trim().split(/\s+/);
      if (keys[0] !== 'TcpExt:') continue;
      const values = (lines[i + 1] as string).trim().split(/\s+/);
      const at = keys.indexOf('ListenOverflows');
      return at > 0 ? Number(values[at]) : 0;
    }
  } catch {
    // not Linux
  }
  return 0;
}

// ---- the machine, for the report ----

export interface MachineInfo {
  date: string;
  nproc: number;
  cpuModel: string;
  memory: string;
  node: string;
  versions: Record<string, string>;
  loadAverage: number[];
  ulimitNofile: string;
}

const pkgVersion = (name: string): string => {
  try {
    return (
      JSON.parse(readFileSync(path.join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
  } catch {
    return 'not installed';
  }
};

export function machineInfo(): MachineInfo {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? 'unknown';
  let memory = '';
  try {
    memory = execFileSync('free', ['-h'], { encoding: 'utf8' }).split('\n')[1]?.replace(/\s+/g, ' ') ?? '';
  } catch {
    memory = `${Math.round(os.totalmem() / 2 ** 30)} GiB`;
  }
  let redis = 'not installed';
  try {
    redis = /v=(\S+)/.exec(execFileSync('redis-server', ['--version'], { encoding: 'utf8' }))?.[1] ?? redis;
  } catch {
    // not on the PATH
  }
  let ulimit = '';
  try {
    ulimit = execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
  } catch {
    ulimit = '?';
  }
  return {
    date: new Date().toISOString(),
    nproc: os.cpus().length,
    cpuModel: model,
    memory,
    node: process.version,
    versions: {
      'socket.io': pkgVersion('socket.io'),
      ws: pkgVersion('ws'),
      mongodb: pkgVersion('mongodb'),
      redis: pkgVersion('redis'),
      '@socket.io/redis-streams-adapter': pkgVersion('@socket.io/redis-streams-adapter'),
      'redis-server': redis,
      ferretdb: 'v1.24.2 (sqlite handler)',
    },
    loadAverage: os.loadavg().map((v) => Math.round(v * 100) / 100),
    ulimitNofile: ulimit,
  };
}

export const loadAverage = (): string =>
  os
    .loadavg()
    .map((v) => v.toFixed(2))
    .join(' / ');

/** Spawns a plain command (not node) with its output in a log file; tracked so that it is stopped with us. */
export function spawnLogged(cmd: string, args: string[], logFile: string, env?: Record<string, string>) {
  const fd = openSync(logFile, 'a');
  const child = spawn(cmd, args, { stdio: ['ignore', fd, fd], env: { ...process.env, ...env } });
  closeSync(fd);
  return track(child);
}
