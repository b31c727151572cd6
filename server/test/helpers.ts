// Integration-test helpers: a real server on 127.0.0.1:0 over the run's real database, real HTTP, real sockets.
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AuthResponse, Result, User } from '@support-chat/protocol';
import { io as ioClient, type Socket } from 'socket.io-client';
import { inject } from 'vitest';
import { type ChatServer, createServer } from '../src/app';
import { loadConfig } from '../src/config';

export interface TestServer {
  url: string;
  server: ChatServer;
  dbName: string;
  dataDir: string;
  /** Stops the server and removes its data folder; the database is dropped unless kept (for a restart over it). */
  close(opts?: { keepDatabase?: boolean }): Promise<void>;
}

export const testSecrets = () => ({
  SECRET_KEY: randomBytes(48).toString('base64url'),
  MESSAGE_KEYS: `t1:${randomBytes(32).toString('base64')}`,
});

export const uniqueDbName = (prefix = 't') =>
  `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;

/** A real server with its own database (dropped on close). `env` overrides any variable. */
export async function startTestServer(
  opts: { env?: Record<string, string>; dbName?: string } = {},
): Promise<TestServer> {
  const dbName = opts.dbName ?? uniqueDbName();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'support-chat-test-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    MONGO_URI: inject('mongoUri'),
    DB_NAME: dbName,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    // Tests log in often from one address.
    LOGIN_ADDRESS_PER_MINUTE: '10000',
    LOGIN_ADDRESS_BURST: '10000',
    REGISTER_RATE_PER_HOUR: '100000',
    ...testSecrets(),
    ...opts.env,
  });
  const server = await createServer(config);
  const url = await server.listen();
  return {
    url,
    server,
    dbName,
    dataDir,
    async close({ keepDatabase = false } = {}) {
      // Drop with our own handle before the server closes its connection.
      if (!keepDatabase) await server.store.db.dropDatabase().catch(() => {});
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Session {
  user: User;
  accessToken: string;
  refreshToken: string;
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as unknown) : null };
}

export const randomName = (prefix = 'user') => `${prefix}_${randomBytes(5).toString('hex')}`;

/** Registers a customer over HTTP. */
export async function registerCustomer(
  url: string,
  name = randomName('cust'),
): Promise<Session & { password: string }> {
  const password = `pw-${randomUUID()}`;
  const res = await postJson(`${url}/api/auth/register`, {
    username: name,
    email: `${name}@example.test`,
    password,
  });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { ...(res.body as AuthResponse), password };
}

/** Creates an agent through the accounts service (as the admin CLI does) and logs them in over HTTP. */
export async function createAgent(
  server: ChatServer | TestServer,
  opts: { departments: string[]; username?: string; password?: string },
): Promise<Session & { password: string }> {
  const chat = 'server' in server ? server.server : server;
  const username = opts.username ?? randomName('agent');
  const password = opts.password ?? `pw-${randomUUID()}`;
  const created = await chat.services.accounts.createAgent({
    username,
    email: `${username}@example.test`,
    password,
    departments: opts.departments,
  });
  if (!created.ok) throw new Error(`createAgent failed: ${created.error.message}`);
  if (!chat.url) throw new Error('server is not listening');
  const res = await postJson(`${chat.url}/api/auth/login`, { username, password });
  if (res.status !== 200) throw new Error(`agent login failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { ...(res.body as AuthResponse), password };
}

/** A connected socket.io-client socket (rejects with the connect_error message). Caller disconnects it. */
export function connectSocket(
  url: string,
  token: string | null,
  opts: {
    transports?: ('websocket' | 'polling')[];
    extraHeaders?: Record<string, string>;
    /** More handshake fields (an agent's `status`). */
    auth?: Record<string, string>;
  } = {},
): Promise<Socket> {
  const socket = ioClient(url, {
    auth: token === null ? { ...opts.auth } : { ...opts.auth, token },
    transports: opts.transports ?? ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: 10_000,
    extraHeaders: opts.extraHeaders,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => {
      socket.off('connect_error');
      resolve(socket);
    });
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

/** Emits with an acknowledgement and resolves with the ack's Result. */
export function emitAck<T = unknown>(
  socket: Socket,
  event: string,
  payload: unknown,
  timeoutMs = 10_000,
): Promise<Result<T>> {
  return socket.timeout(timeoutMs).emitWithAck(event, payload) as Promise<Result<T>>;
}

/** Resolves with the first `event` on the socket, or rejects after `timeoutMs`. */
export function waitForEvent<T = unknown>(socket: Socket, event: string, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, on);
      reject(new Error(`timed out waiting for "${event}"`));
    }, timeoutMs);
    const on = (payload: T) => {
      clearTimeout(timer);
      resolve(payload);
    };
    socket.once(event, on);
  });
}

/** Resolves with the disconnect reason once the socket is disconnected. */
export function waitForDisconnect(socket: Socket, timeoutMs = 10_000): Promise<string> {
  if (socket.disconnected) return Promise.resolve('already disconnected');
  return waitForEvent<string>(socket, 'disconnect', timeoutMs);
}

/** The server workspace (where `src/cli/main.ts` runs from). */
export const serverDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** What a server or CLI process started by a test inherits (the rest of its environment is the test's to give). */
export const baseEnv = (): Record<string, string> => {
  const env: Record<string, string> = { INIT_CWD: serverDir };
  for (const k of ['PATH', 'HOME', 'USER', 'XDG_CACHE_HOME', 'FERRETDB_BIN', 'EMBEDDED_DB']) {
    const v = process.env[k];
    if (v !== undefined) env[k] = v;
  }
  return env;
};

/** Runs the owner's command line (`npm run admin -- ...`) as its own process, with `stdin` piped in. */
export function runCli(args: string[], env: Record<string, string>, stdin = ''): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: serverDir,
      env: { ...baseEnv(), ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => {
      stdout += b;
    });
    child.stderr.on('data', (b) => {
      stderr += b;
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}
