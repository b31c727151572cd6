// The real `npm start` entry as a process, built as `npm start` builds it (dist/main.mjs): embedded database, dev
// secrets, readiness, graceful SIGTERM, production checks.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

const serverDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
beforeAll(() => {
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: serverDir, stdio: 'inherit' });
}, 60_000);
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startMain(env: Record<string, string>): Started {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    // The child gets only what the test gives it (no MONGO_URI, secrets or VITEST leaking in).
    if (v !== undefined && ['PATH', 'HOME', 'XDG_CACHE_HOME', 'FERRETDB_BIN', 'EMBEDDED_DB'].includes(k))
      base[k] = v;
  }
  const child = spawn(process.execPath, ['dist/main.mjs'], {
    cwd: serverDir,
    env: { ...base, INIT_CWD: serverDir, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (b) => {
    out += b;
  });
  child.stderr?.on('data', (b) => {
    out += b;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  return { child, output: () => out, exited };
}

const waitFor = async <T>(
  what: string,
  probe: () => Promise<T | null> | T | null,
  timeoutMs: number,
): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

const tempDir = () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'support-chat-main-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

describe('npm start (server/dist/main.mjs, built from server/src/main.ts)', () => {
  it('refuses to start in production without secrets, with a clear message and no stack', async () => {
    const dir = tempDir();
    const s = startMain({ NODE_ENV: 'production', DATA_DIR: dir, PORT: '0' });
    expect(await s.exited).toBe(1);
    const out = s.output();
    expect(out).toContain('Support chat could not start');
    expect(out).toContain('SECRET_KEY');
    expect(out).toContain('MESSAGE_KEYS');
    expect(out).not.toMatch(/\n\s+at /);
    // Nothing was generated or started.
    expect(existsSync(path.join(dir, 'secrets.json'))).toBe(false);
    expect(existsSync(path.join(dir, 'db'))).toBe(false);
  });

  it('refuses malformed MESSAGE_KEYS clearly', async () => {
    const dir = tempDir();
    const s = startMain({
      NODE_ENV: 'production',
      DATA_DIR: dir,
      SECRET_KEY: 'x'.repeat(48),
      MESSAGE_KEYS: 'k1:tooshort',
    });
    expect(await s.exited).toBe(1);
    expect(s.output()).toContain('MESSAGE_KEYS');
    expect(s.output()).not.toMatch(/\n\s+at /);
  });

  it('starts with the embedded database, generates 0600 dev secrets, gets ready, and stops cleanly on SIGTERM', async () => {
    const dir = tempDir();
    const t0 = performance.now();
    const s = startMain({ DATA_DIR: dir, PORT: '0' });
    const url = await waitFor(
      'the listening line',
      () => /Support chat listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(s.output())?.[1] ?? null,
      60_000,
    );
    await waitFor(
      'ready',
      async () => ((await fetch(`${url}/api/ready`)).status === 200 ? true : null),
      30_000,
    );
    const coldStartMs = performance.now() - t0;
    console.log(`cold start (process start to /api/ready 200, embedded DB): ${coldStartMs.toFixed(0)} ms`);

    const secrets = path.join(dir, 'secrets.json');
    expect(statSync(secrets).mode & 0o777).toBe(0o600);
    expect(s.output()).toContain('development secrets generated');
    const lock = JSON.parse(readFileSync(path.join(dir, 'embedded-db.json'), 'utf8')) as { pid: number };
    expect(() => process.kill(lock.pid, 0)).not.toThrow();
    // Logs never carry the secrets.
    const { secretKey } = JSON.parse(readFileSync(secrets, 'utf8')) as { secretKey: string };
    expect(s.output()).not.toContain(secretKey);

    const registered = await fetch(`${url}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'late_user', email: 'late@example.test', password: 'correct horse' }),
    });
    expect(registered.status).toBe(201);
    const tokens = (await registered.json()) as { accessToken: string; refreshToken: string };
    await fetch(`${url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'late_user', password: 'wrong horse' }),
    });
    // The logs (info level) carry neither passwords nor tokens.
    for (const secret of ['correct horse', 'wrong horse', tokens.accessToken, tokens.refreshToken]) {
      expect(s.output()).not.toContain(secret);
    }
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    expect(s.output()).toContain('shutting down');
    // The embedded database it started is gone with it.
    expect(() => process.kill(lock.pid, 0)).toThrow();
    expect(existsSync(path.join(dir, 'embedded-db.json'))).toBe(false);

    // Second start reuses the secrets (same file, not regenerated).
    const before = readFileSync(secrets, 'utf8');
    const again = startMain({ DATA_DIR: dir, PORT: '0' });
    const url2 = await waitFor(
      'the listening line',
      () => /Support chat listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(again.output())?.[1] ?? null,
      60_000,
    );
    // The user registered before the restart can still log in: data and secrets survived.
    const login = await fetch(`${url2}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'late_user', password: 'correct horse' }),
    });
    expect(login.status).toBe(200);
    expect(readFileSync(secrets, 'utf8')).toBe(before);
    again.child.kill('SIGINT');
    expect(await again.exited).toBe(0);
  });
});
