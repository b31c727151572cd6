// Our chat server as a measured process (`node --import tsx server/src/main.ts`, so its pid is the server
// itself and SIGKILL really kills it), and the accounts a run needs: agents made through the accounts service
// (as the admin command line does), customers registered over HTTP.

import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { AccountService } from '../../../server/src/services/accounts';
import { newSessionId, signAccessToken } from '../../../server/src/services/tokens';
import { connectStore } from '../../../server/src/store/db';
import type { SessionDoc } from '../../../server/src/store/tokens';
import { lowerKey, newUserId, type UserDoc } from '../../../server/src/store/users';
import type { Participant } from '../loadgen';
import { forkTs, freePort, probeImport, repoRoot, safeKill, stopChild, waitForHttp } from './procs';

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
  LOGIN_ACCOUNT_PER_MINUTE: '1000000',
  LOGIN_ACCOUNT_BURST: '1000000',
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
  const launch = async () => {
    // BENCH_SERVER_DIR: measure another copy of the server (A/B runs of an optimisation before it lands).
    const serverDir = process.env.BENCH_SERVER_DIR ?? path.join(repoRoot, 'server');
    const child = forkTs(path.join(serverDir, 'src', 'main.ts'), {
      env,
      logFile: path.join(opts.runDir, `server-${opts.name}.log`),
      execArgv: ['--expose-gc', '--import', probeImport, ...(opts.nodeFlags ?? [])],
    });
    await waitForHttp(`http://127.0.0.1:${port}/api/health`, 60_000, child);
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
}

export const DEPARTMENTS = ['billing', 'technical', 'account', 'sales', 'hr'] as const;

/** One agent per department, created through the accounts service and logged in over HTTP. */
export async function createAgents(
  url: string,
  mongoUri: string,
  dbName: string,
  tag: string,
  perDepartment = 1,
): Promise<Participant[]> {
  const store = await connectStore(mongoUri, dbName);
  const accounts = new AccountService(store);
  const agents: Participant[] = [];
  try {
    for (const department of DEPARTMENTS) {
      for (let i = 0; i < perDepartment; i++) {
        const username = `agent_${tag}_${department}_${i}`;
        const password = `pw-${randomBytes(12).toString('hex')}`;
        const created = await accounts.createAgent({
          username,
          email: `${username}@bench.test`,
          password,
          departments: [department],
        });
        if (!created.ok) throw new Error(`create agent: ${created.error.message}`);
        const res = await postJson(`${url}/api/auth/login`, { username, password });
        if (res.status !== 200) throw new Error(`agent login: ${res.status} ${JSON.stringify(res.body)}`);
        agents.push({ token: (res.body as AuthAnswer).accessToken, department });
      }
    }
  } finally {
    await store.close();
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
 * `n` customers written straight into the database (users + login sessions) with access tokens signed by the
 * server's own signer and secret: the handshake and everything after it is the real path, but the setup skips
 * n argon2 hashes (10,000 registrations would take the server many minutes of CPU before the measurement).
 */
export async function fabricateCustomers(
  mongoUri: string,
  dbName: string,
  secrets: ChatSecrets,
  n: number,
  tag: string,
): Promise<string[]> {
  const store = await connectStore(mongoUri, dbName);
  const secret = Buffer.from(secrets.SECRET_KEY, 'utf8');
  const tokens: string[] = [];
  try {
    const now = new Date();
    for (let start = 0; start < n; start += 1000) {
      const users: UserDoc[] = [];
      const sessions: SessionDoc[] = [];
      for (let i = start; i < Math.min(n, start + 1000); i++) {
        const username = `c_${tag}_${i}`;
        const user: UserDoc = {
          _id: newUserId(),
          username,
          usernameLower: lowerKey(username),
          email: `${username}@bench.test`,
          emailLower: lowerKey(`${username}@bench.test`),
          // never used: these accounts only ever present access tokens
          passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$bench$bench',
          role: 'customer',
          departments: [],
          disabled: false,
          version: 1,
          createdAt: now,
          updatedAt: now,
        };
        const session: SessionDoc = {
          _id: newSessionId(),
          userId: user._id,
          createdAt: now,
          expiresAt: new Date(now.getTime() + 24 * 3600_000),
          revokedAt: null,
          revokedReason: null,
        };
        users.push(user);
        sessions.push(session);
        tokens.push(
          signAccessToken(secret, { sub: user._id.toHexString(), sid: session._id, role: 'customer' }, 900)
            .token,
        );
      }
      // Bulk seeding writes the documents directly; the server reaches them through its repositories.
      await store.db.collection<UserDoc>('users').insertMany(users);
      await store.db.collection<SessionDoc>('sessions').insertMany(sessions);
    }
  } finally {
    await store.close();
  }
  return tokens;
}

/** Customers spread over the departments, one conversation each. */
export const customersOf = (tokens: string[]): Participant[] =>
  tokens.map((token, i) => ({ token, department: DEPARTMENTS[i % DEPARTMENTS.length] as string }));
