// A throwaway Redis (Debian's redis-server) for the multi-node tests: own port, no persistence, stopped by pid.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { isProcessAlive as alive, freePort } from '../../src/store/embedded';

export interface TestRedis {
  url: string;
  port: number;
  pid: number;
  /** SIGTERM, then SIGKILL if it lingers; resolves once the process is gone. */
  stop(): Promise<void>;
  /** Starts it again on the same port (empty, like a Redis restart without persistence). */
  restart(): Promise<void>;
}

export async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function startRedis(dir: string, fixedPort?: number): Promise<TestRedis> {
  mkdirSync(dir, { recursive: true });
  const port = fixedPort ?? (await freePort());
  const pidfile = path.join(dir, `redis-${port}.pid`);
  const launch = async () => {
    rmSync(pidfile, { force: true });
    execFileSync('redis-server', [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--daemonize',
      'yes',
      '--save',
      '',
      '--appendonly',
      'no',
      '--pidfile',
      pidfile,
      '--dir',
      dir,
      '--logfile',
      path.join(dir, `redis-${port}.log`),
    ]);
    await waitUntil(
      'redis pid file',
      () => existsSync(pidfile) && readFileSync(pidfile, 'utf8').trim() !== '',
    );
    return Number(readFileSync(pidfile, 'utf8').trim());
  };
  const redis: TestRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: await launch(),
    async stop() {
      const pid = redis.pid;
      if (!alive(pid)) return;
      process.kill(pid, 'SIGTERM');
      await waitUntil('redis to stop', () => !alive(pid), 5000).catch(() => process.kill(pid, 'SIGKILL'));
      await waitUntil('redis to die', () => !alive(pid), 5000);
    },
    async restart() {
      await redis.stop();
      redis.pid = await launch();
    },
  };
  return redis;
}
