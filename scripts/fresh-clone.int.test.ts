// The README's two commands in a fresh clone of this commit, with the embedded database's cache pointed at an
// empty folder (the cold path: the mongod download is tried, then FerretDB is built with Go). Measures and prints
// the cold start. Not part of `npm test` (it runs `npm test` itself): `npm run test:fresh-clone`, run by .ci/run.
// Go's own compile cache stays the machine's unless FRESH_CLONE_COLD_GO=1 (then the build starts from nothing);
// the clone's `npm test` runs the embedded-database tests only unless FRESH_CLONE_FULL_SUITE=1.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'support-chat-fresh-'));
const clone = path.join(tmp, 'clone');
const emptyCache = path.join(tmp, 'empty-cache');
const running = new Set<ChildProcess>();

afterAll(async () => {
  for (const child of running) killGroup(child, 'SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

const killGroup = (child: ChildProcess, signal: NodeJS.Signals) => {
  try {
    process.kill(-(child.pid ?? 0), signal);
  } catch {
    // already gone
  }
};

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const srv = net.createServer().on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });

/** A machine's environment without anything that would pick a database or a cache for us. */
function freshEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    // npm's own settings (npm_config_*) stay; what npm and Vitest set for this run goes.
    if (
      !/^(MONGO_URI|DB_NAME|DATA_DIR|PORT|HOST|FERRETDB_|EMBEDDED_DB|MONGOMS_|XDG_CACHE_HOME|VITEST|npm_(?!config_))/.test(
        k,
      )
    )
      env[k] = v;
  }
  const goBin = '/usr/local/go/bin';
  if (existsSync(goBin)) env.PATH = `${env.PATH}:${goBin}`;
  if (process.env.FRESH_CLONE_COLD_GO !== '1') {
    // Go's compile cache would move with XDG_CACHE_HOME; keep the machine's so only our cache is cold.
    const goCache = spawnSync('go', ['env', 'GOCACHE'], { encoding: 'utf8', env }).stdout?.trim();
    if (goCache) env.GOCACHE = goCache;
  }
  return { ...env, XDG_CACHE_HOME: emptyCache, ...extra };
}

interface Timeline {
  child: ChildProcess;
  /** ms after the start when a line matching `re` appeared (resolves with -1 when the process ends first). */
  when(re: RegExp, timeoutMs: number): Promise<number>;
  output(): string;
  exited: Promise<number | null>;
}

/** Runs `sh -c command` in the clone as its own process group; lines are matched as they arrive. */
function start(command: string, env: NodeJS.ProcessEnv): Timeline {
  const t0 = Date.now();
  const child = spawn('sh', ['-c', command], {
    cwd: clone,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let out = '';
  const seen: { re: RegExp; resolve: (ms: number) => void }[] = [];
  const onData = (b: Buffer) => {
    out += b;
    for (const w of [...seen]) {
      if (w.re.test(out)) {
        seen.splice(seen.indexOf(w), 1);
        w.resolve(Date.now() - t0);
      }
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      running.delete(child);
      for (const w of seen.splice(0)) w.resolve(-1);
      resolve(code);
    }),
  );
  return {
    child,
    exited,
    output: () => out,
    when: (re, timeoutMs) =>
      new Promise<number>((resolve, reject) => {
        if (re.test(out)) return resolve(Date.now() - t0);
        const timer = setTimeout(
          () => reject(new Error(`no ${re} within ${timeoutMs} ms:\n${out.slice(-3000)}`)),
          timeoutMs,
        );
        seen.push({
          re,
          resolve: (ms) => {
            clearTimeout(timer);
            ms < 0 ? reject(new Error(`the process ended before ${re}:\n${out.slice(-3000)}`)) : resolve(ms);
          },
        });
      }),
  };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

/** Re-checks `condition` every 100 ms until it holds; fails after `timeoutMs`. */
const until = (what: string, condition: () => boolean, timeoutMs = 60_000): Promise<void> =>
  new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const check = () => {
      if (condition()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`${what}: not within ${timeoutMs} ms`));
      setTimeout(check, 100);
    };
    check();
  });

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

describe('a fresh clone, through the README', () => {
  it('npm install && npm start: the cold path to a ready server, then npm install && npm test', async () => {
    const report: string[] = [];
    const cloned = spawnSync('git', ['clone', '--quiet', '--no-hardlinks', repo, clone], {
      encoding: 'utf8',
    });
    expect(cloned.status, cloned.stderr).toBe(0);
    const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: clone,
      encoding: 'utf8',
    }).stdout.trim();

    // 1. npm install && npm start
    const port = await freePort();
    const first = start('npm install && npm start', freshEnv({ PORT: String(port) }));
    const installed = await first.when(/^> (support-chat@\S* )?start$/m, 20 * 60_000);
    const buildStarted = await first.when(/Building FerretDB/, 5 * 60_000);
    const built = await first.when(/FerretDB built: /, 20 * 60_000);
    const listening = await first.when(/Support chat listening on/, 5 * 60_000);
    expect(first.output()).toContain(emptyCache); // the build went into the empty cache
    expect(first.output()).toMatch(
      /No mongod \(downloading mongod from \S+ failed: [^)]*\); using FerretDB instead/,
    );
    const ready = await fetch(`http://127.0.0.1:${port}/api/ready`);
    expect(ready.status).toBe(200);
    // The database it started is the clone's own, on a Unix socket in its data folder.
    const lockFile = path.join(clone, 'data', 'embedded-db.json');
    const lock = JSON.parse(readFileSync(lockFile, 'utf8')) as { uri: string; pid: number };
    const socket = path.join(clone, 'data', 'db', 'db.sock');
    expect(decodeURIComponent(lock.uri)).toContain(socket);
    killGroup(first.child, 'SIGTERM');
    await first.exited;
    // The server's graceful shutdown stops its database: the process, its socket and the lock file go.
    await until(
      'the embedded database stopped',
      () => !alive(lock.pid) && !existsSync(socket) && !existsSync(lockFile),
    );
    report.push(
      `first npm install: ${seconds(installed)}`,
      `FerretDB build (empty cache${process.env.FRESH_CLONE_COLD_GO === '1' ? ', empty Go cache' : ", Go's compile cache warm"}): ${seconds(built - buildStarted)}`,
      `npm install && npm start, to listening: ${seconds(listening)}`,
    );

    // The same command again: everything cached.
    const againPort = await freePort();
    const again = start('npm install && npm start', freshEnv({ PORT: String(againPort) }));
    const warm = await again.when(/Support chat listening on/, 10 * 60_000);
    killGroup(again.child, 'SIGTERM');
    await again.exited;
    await until('the second start stopped', () => !existsSync(lockFile));
    report.push(`the same, warm: ${seconds(warm)}`);

    // 2. npm install && npm test
    const filters =
      process.env.FRESH_CLONE_FULL_SUITE === '1'
        ? ''
        : ' -- server/src/store/embedded.int.test.ts server/src/store/embedded.test.ts';
    const test = start(`npm install && npm test${filters}`, freshEnv({}));
    const code = await test.exited;
    expect(code, test.output().slice(-4000)).toBe(0);
    const passed = await test.when(/All checks passed in \d+ s/, 1000);
    report.push(`npm install && npm test${filters}: ${seconds(passed)}`);

    console.log(`[fresh clone of ${commit}]\n  ${report.join('\n  ')}`);
  });
});
