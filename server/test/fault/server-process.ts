// The server as a real child process, for fault tests that kill it: started with `node --import tsx` (one process,
// so SIGKILL by pid really kills the server; the tsx CLI would leave its child running), ready once /api/ready says 200.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface ServerProcess {
  pid: number;
  port: number;
  url: string;
  child: ChildProcess;
  /** Settles when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
  /** The last lines it printed (for failure messages). */
  output(): string;
  /** Sends `signal` and waits for the exit (SIGKILL after `graceMs`). */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

const started = new Set<ServerProcess>();

/** Fixed secrets, so a restarted process verifies old tokens and decrypts old messages. */
export const fixedSecrets = () => ({
  SECRET_KEY: randomBytes(48).toString('base64url'),
  MESSAGE_KEYS: `f1:${randomBytes(32).toString('base64')}`,
});

/** Environment for a test server process; `extra` overrides. */
export function serverEnv(opts: {
  port: number;
  mongoUri: string;
  dbName: string;
  dataDir: string;
  secrets: { SECRET_KEY: string; MESSAGE_KEYS: string };
  extra?: Record<string, string>;
}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: String(opts.port),
    MONGO_URI: opts.mongoUri,
    DB_NAME: opts.dbName,
    DATA_DIR: opts.dataDir,
    ...opts.secrets,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    // Bursts from a few test users must not be throttled.
    MESSAGE_RATE_PER_SECOND: '100000',
    MESSAGE_BURST: '100000',
    OPEN_RATE_PER_MINUTE: '100000',
    LOGIN_ADDRESS_PER_MINUTE: '100000',
    LOGIN_ADDRESS_BURST: '100000',
    REGISTER_RATE_PER_HOUR: '100000',
    LOGIN_ACCOUNT_PER_MINUTE: '100000',
    LOGIN_ACCOUNT_BURST: '100000',
    LOGIN_ACCOUNT_CEILING_PER_MINUTE: '100000',
    LOGIN_ACCOUNT_CEILING_BURST: '100000',
    ...opts.extra,
  };
}

/** GET a path; null when nothing answers. */
export async function httpStatus(url: string, timeoutMs = 10_000): Promise<number | null> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return null;
  }
}

/** Polls `probe` every 100 ms until it returns true; rejects after `timeoutMs` or when `abort()` says why. */
export async function waitFor(
  what: string,
  probe: () => Promise<boolean> | boolean,
  timeoutMs: number,
  abort?: () => string | null,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    const why = abort?.();
    if (why) throw new Error(`${what}: ${why}`);
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts `server/src/main.ts` with exactly `env` (plus PATH and HOME) and waits for /api/ready (or /api/health). */
export async function spawnServer(
  env: Record<string, string>,
  opts: { readyTimeoutMs?: number; waitFor?: 'ready' | 'health' } = {},
): Promise<ServerProcess> {
  const port = Number(env.PORT);
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const keep = (b: Buffer) => {
    lines.push(...b.toString().split('\n').filter(Boolean));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    });
  });
  if (!child.pid) throw new Error('could not start the server process');
  const url = `http://127.0.0.1:${port}`;
  const proc: ServerProcess = {
    pid: child.pid,
    port,
    url,
    child,
    exited,
    alive: () => exit === null,
    output: () => lines.join('\n'),
    async stop(signal = 'SIGTERM', graceMs = 10_000) {
      if (exit) return;
      try {
        process.kill(child.pid!, signal);
      } catch {
        // already gone
      }
      const timer = setTimeout(() => {
        try {
          process.kill(child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }, graceMs);
      await exited;
      clearTimeout(timer);
      started.delete(proc);
    },
  };
  started.add(proc);
  const probe = opts.waitFor === 'health' ? '/api/health' : '/api/ready';
  try {
    await waitFor(
      `server on port ${port} ready`,
      async () => (await httpStatus(`${url}${probe}`, 2000)) === 200,
      opts.readyTimeoutMs ?? 60_000,
      () => (exit ? `exited (${JSON.stringify(exit)}):\n${proc.output().slice(-3000)}` : null),
    );
  } catch (err) {
    await proc.stop('SIGKILL');
    throw err;
  }
  return proc;
}

/** Kills (by pid) every server process this file started that is still running. For afterAll. */
export async function stopAllServers(): Promise<void> {
  await Promise.all([...started].map((p) => p.stop('SIGKILL')));
}
