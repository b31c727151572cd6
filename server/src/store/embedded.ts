// The embedded MongoDB-compatible server behind "no MONGO_URI": a mongod if one is at hand, else FerretDB
// (found on the PATH, in the cache, or built once with Go). Used by `npm start`, the admin CLI and the tests.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const FERRETDB_VERSION = 'v1.24.2';
const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB';

export interface EmbeddedDb {
  kind: 'mongod' | 'ferretdb';
  uri: string;
  pid: number;
  stop(): Promise<void>;
}

export interface EmbeddedDbOptions {
  /** Where the database keeps its files (created if missing). */
  dir: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Progress lines for the person waiting (building FerretDB takes minutes the first time). */
  progress?: (line: string) => void;
}

export const cacheDir = (): string =>
  path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'support-chat');

const which = (cmd: string): string | null => {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, cmd);
    if (dir && existsSync(candidate)) return candidate;
  }
  return null;
};

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });

/** Resolves once something accepts TCP connections on the port, or rejects when the process dies first. */
const waitForPort = (port: number, child: ChildProcess, timeoutMs: number): Promise<void> =>
  new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    let done = false;
    const onExit = (code: number | null) => finish(new Error(`database process exited early (code ${code})`));
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      child.off('exit', onExit);
      err ? reject(err) : resolve();
    };
    child.once('exit', onExit);
    const attempt = () => {
      if (done) return;
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        finish();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline)
          finish(new Error(`database did not listen on port ${port} within ${timeoutMs} ms`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });

const stopChild = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const killTimer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(killTimer);
      resolve();
    });
    child.kill('SIGTERM');
  });

/** Suffix of the cached binary: a build with patchIdColumn applied (an unpatched cache entry is never reused). */
const FERRETDB_PATCH = '-idindex';

/**
 * FerretDB v1.24.2's SQLite backend filters `_id` with `sjson->'$._id'` but indexes `sjson->"_id"`: SQLite never
 * matches the two, so every lookup, update and delete by `_id` scans the whole collection (a conversation
 * update took ~28 ms at 2,000 conversations instead of ~1 ms). `->'_id'` is the same value in the indexed form.
 */
function patchIdColumn(src: string, progress: (line: string) => void): void {
  const file = path.join(src, 'internal', 'backends', 'sqlite', 'metadata', 'metadata.go');
  const before = `IDColumn = DefaultColumn + "->'$._id'"`;
  const code = readFileSync(file, 'utf8');
  if (!code.includes(before)) {
    progress('  (FerretDB _id index patch not applicable to this version; building it unpatched)');
    return;
  }
  writeFileSync(file, code.replace(before, `IDColumn = DefaultColumn + "->'_id'"`));
}

/** Path of a FerretDB binary: FERRETDB_BIN, the PATH, the cache, or a fresh build with Go (cached). */
export function ensureFerretDb(progress: (line: string) => void = () => {}): string {
  const fromEnv = process.env.FERRETDB_BIN;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`FERRETDB_BIN=${fromEnv} does not exist`);
    return fromEnv;
  }
  const onPath = which('ferretdb');
  if (onPath) return onPath;
  const cached = path.join(cacheDir(), 'bin', `ferretdb-${FERRETDB_VERSION}${FERRETDB_PATCH}`);
  if (existsSync(cached)) return cached;
  const go = which('go') ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : null);
  if (!go) {
    throw new Error(
      'No MongoDB-compatible database is available: there is no mongod or ferretdb on the PATH and no Go ' +
        'toolchain to build FerretDB. Set MONGO_URI to a MongoDB server (e.g. mongodb://127.0.0.1:27017/support_chat), ' +
        'or install Go (https://go.dev/dl/) and start again.',
    );
  }
  progress(
    `Building FerretDB ${FERRETDB_VERSION} with Go (first start only, a few minutes; cached in ${cached})...`,
  );
  const work = mkdtempSync(path.join(os.tmpdir(), 'ferretdb-build-'));
  const goEnv = { ...process.env, GOFLAGS: '-mod=mod', CGO_ENABLED: '0', GO111MODULE: 'on' };
  const go_ = (args: string[], cwd: string, what: string): string => {
    progress(`  ${what}...`);
    const res = spawnSync(go, args, { cwd, env: goEnv, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (res.status !== 0) {
      throw new Error(
        `Building FerretDB failed at "go ${args.join(' ')}":\n${(res.stderr || '').slice(-4000)}`,
      );
    }
    return res.stdout;
  };
  try {
    // `go install pkg@version` stumbles on the proxy's module list; download the exact version instead, and
    // build from a writable copy because FerretDB's own build wants build/version/version.txt written first.
    const info = JSON.parse(
      go_(
        ['mod', 'download', '-json', `${FERRETDB_MODULE}@${FERRETDB_VERSION}`],
        work,
        'downloading FerretDB',
      ),
    ) as { Dir: string };
    const src = path.join(work, 'src');
    cpSync(info.Dir, src, { recursive: true });
    spawnSync('chmod', ['-R', 'u+w', src]);
    writeFileSync(path.join(src, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
    patchIdColumn(src, progress);
    mkdirSync(path.dirname(cached), { recursive: true });
    const partial = `${cached}.partial-${process.pid}`;
    go_(
      ['build', '-trimpath', '-o', partial, './cmd/ferretdb'],
      src,
      'compiling (the slow part, about a minute or more)',
    );
    // Rename is atomic, so concurrent first starts never run a half-written binary.
    renameSync(partial, cached);
    progress(`FerretDB built: ${cached}`);
    return cached;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function spawnDb(bin: string, args: string[], logFile: string): ChildProcess {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  // Keep the last output for error messages; the database's own logs go to a file in its directory.
  const chunks: string[] = [];
  const keep = (b: Buffer) => {
    chunks.push(b.toString());
    if (chunks.length > 50) chunks.shift();
    try {
      writeFileSync(logFile, b, { flag: 'a' });
    } catch {
      // the directory may be gone while a test cleans up
    }
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  (child as ChildProcess & { recentOutput: () => string }).recentOutput = () => chunks.join('');
  return child;
}

/** Starts the embedded database in `dir` and resolves once it accepts connections. */
export async function startEmbeddedDb(opts: EmbeddedDbOptions): Promise<EmbeddedDb> {
  const progress = opts.progress ?? (() => {});
  const dir = path.resolve(opts.dir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const port = opts.port || (await freePort());
  const mongod = process.env.EMBEDDED_DB === 'ferretdb' ? null : which('mongod');

  let kind: EmbeddedDb['kind'];
  let child: ChildProcess;
  if (mongod) {
    kind = 'mongod';
    const dbPath = path.join(dir, 'mongod');
    mkdirSync(dbPath, { recursive: true });
    child = spawnDb(
      mongod,
      ['--dbpath', dbPath, '--port', String(port), '--bind_ip', '127.0.0.1', '--quiet'],
      path.join(dir, 'mongod.log'),
    );
  } else {
    kind = 'ferretdb';
    const bin = ensureFerretDb(progress);
    const dbPath = path.join(dir, 'ferretdb');
    mkdirSync(dbPath, { recursive: true, mode: 0o700 });
    child = spawnDb(
      bin,
      [
        '--handler=sqlite',
        `--sqlite-url=file:${dbPath}/`,
        `--listen-addr=127.0.0.1:${port}`,
        `--state-dir=${dbPath}`,
        '--telemetry=disable',
        '--debug-addr=-',
        '--log-level=warn',
      ],
      path.join(dir, 'ferretdb.log'),
    );
  }
  try {
    await waitForPort(port, child, 60_000);
  } catch (err) {
    child.kill('SIGKILL');
    const recent = (child as ChildProcess & { recentOutput?: () => string }).recentOutput?.() ?? '';
    throw new Error(
      `Could not start the embedded ${kind}: ${(err as Error).message}\n${recent.slice(-2000)}`,
    );
  }
  const uri = `mongodb://127.0.0.1:${port}/?retryWrites=false&directConnection=true`;
  return { kind, uri, pid: child.pid ?? -1, stop: () => stopChild(child) };
}

// ---- Sharing one embedded database between the server and the admin CLI ----

interface DbLock {
  uri: string;
  pid: number;
  ownerPid: number;
}

const lockPath = (dataDir: string) => path.join(dataDir, 'embedded-db.json');

/** True while the process runs; a daemon that exited but was not reaped yet (a zombie) counts as gone. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    // Gone between the two checks; or no /proc at all (macOS, Windows), where the signal check is all there is.
    return !existsSync('/proc/self/stat');
  }
}

/** The URI of an embedded database that another live process (the server) already runs in `dataDir`. */
export function findRunningEmbeddedDb(dataDir: string): string | null {
  try {
    const lock = JSON.parse(readFileSync(lockPath(dataDir), 'utf8')) as DbLock;
    return isProcessAlive(lock.pid) && isProcessAlive(lock.ownerPid) ? lock.uri : null;
  } catch {
    return null;
  }
}

/**
 * The database for DATA_DIR: reuses the one a running process started there, or starts one and records it
 * so that the next process (the admin CLI while the server runs) finds it. `release` stops only what we started.
 */
export async function acquireEmbeddedDb(
  dataDir: string,
  progress?: (line: string) => void,
): Promise<{ uri: string; kind: string; release: () => Promise<void> }> {
  const running = findRunningEmbeddedDb(dataDir);
  if (running) return { uri: running, kind: 'shared', release: async () => {} };
  const db = await startEmbeddedDb({ dir: path.join(dataDir, 'db'), progress });
  const lock: DbLock = { uri: db.uri, pid: db.pid, ownerPid: process.pid };
  writeFileSync(lockPath(dataDir), JSON.stringify(lock), { mode: 0o600 });
  return {
    uri: db.uri,
    kind: db.kind,
    release: async () => {
      await db.stop();
      try {
        unlinkSync(lockPath(dataDir));
      } catch {
        // already gone
      }
    },
  };
}
