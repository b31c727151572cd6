// Our chat server as a measured process, started as `npm start` starts it (`node server/dist/main.mjs`, built
// once per run; its pid is the server itself and SIGKILL really kills it), and the accounts a run needs: agents
// made with the admin command line, customers registered over HTTP or, by the thousand, fabricated with the
// server's testkit.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { seedCustomers } from '@support-chat/server/testkit';
import { MongoClient } from 'mongodb';
import type { Participant } from '../loadgen';
import {
  builtProbeImport,
  forkNode,
  forkTs,
  freePort,
  probeImport,
  repoRoot,
  safeKill,
  stopChild,
  waitForHttp,
} from './procs';

export interface ChatSecrets {
  SECRET_KEY: string;
  MESSAGE_KEYS: string;
}

export const newSecrets = (): ChatSecrets => ({
  SECRET_KEY: randomBytes(48).toString('base64url'),
  MESSAGE_KEYS: `b1:${randomBytes(32).toString('base64')}`,
});

export interface ChatServerOptions {
  name: string;
  runDir: string;
  mongoUri: string;
  dbName: string;
  secrets: ChatSecrets;
  port?: number;
  redisUrl?: string;
  env?: Record<string, string>;
  /** extra node flags, e.g. --cpu-prof */
  nodeFlags?: string[];
  /** How long the start may take (a start that migrates data takes longer); default 60 s. */
  startTimeoutMs?: number;
}

export interface ChatProc {
  name: string;
  url: string;
  port: number;
  child: ChildProcess;
  readonly pid: number;
  /** SIGTERM (graceful shutdown), SIGKILL after a grace period */
  stop(): Promise<void>;
  /** SIGKILL, no goodbye */
  kill(): Promise<void>;
  /** starts it again on the same port with the same settings */
  restart(): Promise<void>;
}

/** Limits raised so that the benchmark measures capacity, not the per-user throttles (SPEC §4 allows it). */
export const BENCH_LIMITS: Record<string, string> = {
  MESSAGE_RATE_PER_SECOND: '1000000',
  MESSAGE_BURST: '1000000',
  TYPING_RATE_PER_SECOND: '1000',
  OPEN_RATE_PER_MINUTE: '1000000',
  LOGIN_ADDRESS_PER_MINUTE: '1000000',
  LOGIN_ADDRESS_BURST: '1000000',
  REGISTER_RATE_PER_HOUR: '1000000',
  LOGIN_ACCOUNT_PER_MINUTE: '1000000',
  LOGIN_ACCOUNT_BURST: '1000000',
  LOGIN_ACCOUNT_CEILING_PER_MINUTE: '1000000',
  LOGIN_ACCOUNT_CEILING_BURST: '1000000',
  MAX_SOCKETS_PER_LOGIN: '1000000',
  MAX_SOCKETS_PER_USER: '1000000',
};

export async function startChatServer(opts: ChatServerOptions): Promise<ChatProc> {
  const port = opts.port ?? (await freePort());
  const dataDir = path.join(opts.runDir, `data-${opts.name}`);
  mkdirSync(dataDir, { recursive: true });
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    MONGO_URI: opts.mongoUri,
    DB_NAME: opts.dbName,
    LOG_LEVEL: 'warn',
    ...opts.secrets,
    ...BENCH_LIMITS,
    ...(opts.redisUrl ? { REDIS_URL: opts.redisUrl } : {}),
    ...opts.env,
  };
  // BENCH_SERVER_DIR: measure another copy of the server (A/B runs of an optimisation before it lands).
  const serverDir = process.env.BENCH_SERVER_DIR ?? path.join(repoRoot, 'server');
  const bundle = builtServer(serverDir);
  const launch = async () => {
    const logFile = path.join(opts.runDir, `server-${opts.name}.log`);
    const flags = ['--expose-gc', ...(opts.nodeFlags ?? [])];
    const child = bundle
      ? forkNode(bundle, { env, logFile, execArgv: [...flags, '--import', builtProbeImport()] })
      : forkTs(path.join(serverDir, 'src', 'main.ts'), {
          env,
          logFile,
          execArgv: [...flags, '--import', probeImport],
        });
    await waitForHttp(`http://127.0.0.1:${port}/api/health`, opts.startTimeoutMs ?? 60_000, child);
    return child;
  };
  const proc: ChatProc = {
    name: opts.name,
    url: `http://127.0.0.1:${port}`,
    port,
    child: await launch(),
    get pid() {
      return proc.child.pid ?? -1;
    },
    stop: () => stopChild(proc.child, 15_000),
    async kill() {
      const child = proc.child;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      safeKill(proc.pid, 'SIGKILL');
      await gone;
    },
    async restart() {
      proc.child = await launch();
    },
  };
  return proc;
}

const built = new Map<string, string>();

/** Builds the server as `npm start` does (once per run); null for an older copy that ran from its sources. */
function builtServer(serverDir: string): string | null {
  const script = path.join(serverDir, 'scripts', 'build.mjs');
  if (!existsSync(script)) return null;
  let bundle = built.get(serverDir);
  if (!bundle) {
    execFileSync(process.execPath, [script], { stdio: 'inherit' });
    bundle = path.join(serverDir, 'dist', 'main.mjs');
    built.set(serverDir, bundle);
  }
  return bundle;
}

/** A chat server named `name` on a fresh database `bench_<name>_<tag>`, with new secrets. */
export async function startFreshChatServer(
  name: string,
  opts: { logDir: string; mongoUri: string; env?: Record<string, string> },
) {
  const tag = Date.now().toString(36);
  const dbName = `bench_${name}_${tag}`;
  const secrets = newSecrets();
  const server = await startChatServer({
    name,
    runDir: opts.logDir,
    mongoUri: opts.mongoUri,
    dbName,
    secrets,
    env: opts.env,
  });
  return { tag, dbName, secrets, server };
}

async function postJson(url: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : null };
}

interface AuthAnswer {
  user: { id: string };
  accessToken: string;
  refreshToken?: string;
}

export const DEPARTMENTS = ['billing', 'technical', 'account', 'sales', 'hr'] as const;

/** Runs the owner's command line (server/src/cli) against the database; rejects with its output on failure. */
function admin(mongoUri: string, dbName: string, args: string[], stdin: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const serverDir = process.env.BENCH_SERVER_DIR ?? path.join(repoRoot, 'server');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(serverDir, 'src', 'cli', 'main.ts'), ...args],
      {
        cwd: repoRoot,
        env: { ...process.env, MONGO_URI: mongoUri, DB_NAME: dbName, LOG_LEVEL: 'warn' },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let output = '';
    const collect = (b: Buffer) => {
      output += b.toString();
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`admin ${args[0]} failed (${code}): ${output.trim()}`)),
    );
    child.stdin.end(stdin);
  });
}

/** `perDepartment` agents per department (of `departments`), created with the admin command line and logged in over HTTP. */
export async function createAgents(
  url: string,
  mongoUri: string,
  dbName: string,
  tag: string,
  perDepartment = 1,
  departments: readonly string[] = DEPARTMENTS,
): Promise<Participant[]> {
  const agents: Participant[] = [];
  for (const department of departments) {
    for (let i = 0; i < perDepartment; i++) {
      const username = `agent_${tag}_${department}_${i}`;
      const password = `pw-${randomBytes(12).toString('hex')}`;
      const args = ['create-agent', '--username', username, '--email', `${username}@bench.test`];
      await admin(mongoUri, dbName, [...args, '--departments', department, '--password-stdin'], password);
      const res = await postJson(`${url}/api/auth/login`, { username, password });
      if (res.status !== 200) throw new Error(`agent login: ${res.status} ${JSON.stringify(res.body)}`);
      const auth = res.body as AuthAnswer;
      agents.push({ token: auth.accessToken, refreshToken: auth.refreshToken, department });
    }
  }
  return agents;
}

/** Registers `n` customers over HTTP (argon2 on the server: the slow part of a run's setup). */
export async function registerCustomers(
  url: string,
  n: number,
  tag: string,
  parallel = 8,
): Promise<string[]> {
  const tokens: string[] = new Array(n);
  let next = 0;
  const lane = async () => {
    while (next < n) {
      const i = next++;
      const username = `c_${tag}_${i}`;
      const res = await postJson(`${url}/api/auth/register`, {
        username,
        email: `${username}@bench.test`,
        password: `pw-${randomBytes(12).toString('hex')}`,
      });
      if (res.status !== 201) throw new Error(`register: ${res.status} ${JSON.stringify(res.body)}`);
      tokens[i] = (res.body as AuthAnswer).accessToken;
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, n) }, lane));
  return tokens;
}

/**
 * `n` customers fabricated in the database by the server's testkit (users and logins, access tokens signed with the
 * server's secret): the handshake and everything after it is the real path, but the setup skips n argon2 hashes
 * (10,000 registrations would take the server many minutes of CPU before the measurement).
 */
export async function fabricateCustomers(
  mongoUri: string,
  dbName: string,
  secrets: ChatSecrets,
  n: number,
  tag: string,
): Promise<string[]> {
  const { tokens } = await seedCustomers({ mongoUri, dbName, secretKey: secrets.SECRET_KEY, count: n, tag });
  return tokens;
}

/** Customers spread over the departments, one conversation each. */
export const customersOf = (tokens: string[]): Participant[] =>
  tokens.map((token, i) => ({ token, department: DEPARTMENTS[i % DEPARTMENTS.length] as string }));

/** Drops a benchmark's database (its cleanup; a failure to drop is not the measurement's failure). */
export async function dropBenchDatabase(mongoUri: string, dbName: string): Promise<void> {
  const client = new MongoClient(mongoUri, { retryWrites: false });
  await client.connect();
  await client
    .db(dbName)
    .dropDatabase()
    .catch(() => {});
  await client.close();
}
