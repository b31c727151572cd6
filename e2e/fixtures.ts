/**
 * Shared fixtures for every browser test (the customer page's and the desktop renderer's):
 *
 *   import { expect, test } from '../fixtures';
 *   test('…', async ({ page, server }) => { await page.goto(server.url); … });
 *
 * - `server` (worker-scoped): a real server process, `node --import tsx server/src/main.ts`, on 127.0.0.1 and a
 *   free port, with its own database on the run's embedded database (global-setup.ts), its own DATA_DIR, and
 *   the built web page (web/dist). Stopped, and its database dropped, when the worker ends.
 * - `startServer({ env })`: the same, for a test that needs a server of its own (killed and restarted, other
 *   limits). The caller stops it: `await server.stop()`.
 * - `createAgent(server, { departments })`: an agent account made with the owner's command line
 *   (`npm run admin -- create-agent … --password-stdin`), as an owner would.
 * - `connectAgent(server, { departments })`: that agent logged in with the protocol's ChatClient (Node), connected.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test as base, expect, type Page } from '@playwright/test';
import type { ConversationSummary, Message, User } from '@support-chat/protocol';
import { ChatClient } from '@support-chat/protocol/client';
import { freePort } from '@support-chat/server/testkit';
import { MongoClient } from 'mongodb';

export { expect };

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface RunningServer {
  url: string;
  port: number;
  /** Pid of the current server process (changes on restart). */
  readonly pid: number;
  dbName: string;
  dataDir: string;
  env: Record<string, string>;
  /** Sends a signal to the server process and resolves once it has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the server again on the same port, database and secrets (after kill()). */
  restart(): Promise<void>;
  /** Graceful stop (SIGTERM), then drops the database and removes DATA_DIR. */
  stop(): Promise<void>;
  /** The tail of the server's log, for failure messages. */
  logTail(): string;
}

export const mongoUri = (): string => {
  const uri = process.env.E2E_MONGO_URI ?? process.env.MONGO_URI;
  if (!uri)
    throw new Error('No database: run through e2e/playwright.config.ts (its global setup starts one)');
  return uri;
};

const exited = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()));

/** Polls GET /api/ready until 200; rejects when the process dies first or after the timeout. */
async function waitReady(url: string, child: ChildProcess, logTail: () => string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`server exited early (${child.exitCode ?? child.signalCode}):\n${logTail()}`);
    }
    try {
      const res = await fetch(`${url}/api/ready`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server not ready within ${timeoutMs} ms:\n${logTail()}`);
}

export async function startServer(opts: { env?: Record<string, string> } = {}): Promise<RunningServer> {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'support-chat-e2e-'));
  const dbName = `e2e_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    PORT: String(port),
    HOST: '127.0.0.1',
    MONGO_URI: mongoUri(),
    DB_NAME: dbName,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    SECRET_KEY: randomBytes(48).toString('base64url'),
    MESSAGE_KEYS: `e2e:${randomBytes(32).toString('base64')}`,
    // Every browser test logs in from 127.0.0.1.
    LOGIN_ADDRESS_PER_MINUTE: '10000',
    LOGIN_ADDRESS_BURST: '10000',
    REGISTER_RATE_PER_HOUR: '100000',
    ...opts.env,
  };
  const url = `http://127.0.0.1:${port}`;
  const logFile = path.join(dataDir, 'server.log');
  let child: ChildProcess;

  const logTail = () => {
    try {
      return readFileSync(logFile, 'utf8').split('\n').slice(-40).join('\n');
    } catch {
      return '(no log)';
    }
  };

  const launch = async () => {
    const log = createWriteStream(logFile, { flags: 'a' });
    // node --import tsx, not the tsx binary: one process, so a SIGKILL really kills the server.
    child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    try {
      await waitReady(url, child, logTail);
    } catch (err) {
      child.kill('SIGKILL');
      throw err;
    }
  };
  await launch();

  const server: RunningServer = {
    url,
    port,
    get pid() {
      return child.pid ?? -1;
    },
    dbName,
    dataDir,
    env,
    async kill(signal = 'SIGKILL') {
      const done = exited(child);
      child.kill(signal);
      await done;
    },
    restart: launch,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const done = exited(child);
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await done;
        clearTimeout(timer);
      }
      const client = new MongoClient(env.MONGO_URI as string);
      try {
        await client.connect();
        await client.db(dbName).dropDatabase();
      } finally {
        await client.close();
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
    logTail,
  };
  return server;
}

/** Runs the owner's command line against a server's database; resolves with its output. */
export function runAdmin(server: RunningServer, args: string[], stdin?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/cli/main.ts', ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...server.env, LOG_LEVEL: 'warn' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (b: Buffer) => {
      output += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      output += b.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve(output) : reject(new Error(`admin ${args[0]} failed (${code}): ${output}`)),
    );
    child.stdin.end(stdin ?? '');
  });
}

export const uniqueName = (prefix: string) => `${prefix}_${randomBytes(4).toString('hex')}`;

export interface AgentAccount {
  username: string;
  password: string;
  departments: string[];
}

export async function createAgent(
  server: RunningServer,
  opts: { departments: string[]; username?: string },
): Promise<AgentAccount> {
  const username = opts.username ?? uniqueName('agent');
  const password = `pw-${randomBytes(12).toString('hex')}`;
  await runAdmin(
    server,
    [
      'create-agent',
      '--username',
      username,
      '--email',
      `${username}@example.test`,
      '--departments',
      opts.departments.join(','),
      '--password-stdin',
    ],
    `${password}\n`,
  );
  return { username, password, departments: opts.departments };
}

export interface ConnectedAgent {
  client: ChatClient;
  user: User;
  account: AgentAccount;
  close(): Promise<void>;
}

/** An agent logged in and connected through the protocol's ChatClient, as the desktop app does. */
export async function connectAgent(
  server: RunningServer,
  opts: { departments: string[]; account?: AgentAccount },
): Promise<ConnectedAgent> {
  const account = opts.account ?? (await createAgent(server, opts));
  const client = new ChatClient({ baseUrl: server.url, extraHeaders: { Origin: server.url } });
  const login = await client.login({ username: account.username, password: account.password });
  if (!login.ok) throw new Error(`agent login failed: ${login.error.message}`);
  client.connect();
  if (!(await client.whenConnected(15_000))) throw new Error('agent socket did not connect');
  return {
    client,
    user: login.data.user,
    account,
    async close() {
      await client.logout();
    },
  };
}

/** Every message the client receives from now on (live and synced), in arrival order. */
export function recordMessages(client: ChatClient): Message[] {
  const received: Message[] = [];
  client.on('message', (m) => received.push(m));
  return received;
}

/** The agent's view of a customer's conversation with a department, once it exists. */
export async function conversationOf(
  agent: ConnectedAgent,
  customer: string,
  department: string,
): Promise<ConversationSummary> {
  let found: ConversationSummary | undefined;
  await expect
    .poll(
      async () => {
        const list = await agent.client.conversations();
        found = list.ok
          ? list.data.find((c) => c.customer.username === customer && c.department === department)
          : undefined;
        return found !== undefined;
      },
      { message: `${customer}'s conversation with ${department}` },
    )
    .toBe(true);
  return found as ConversationSummary;
}

/** Sends as the agent and waits for the server's acknowledgement. */
export async function agentSends(
  agent: ConnectedAgent,
  conversationId: string,
  text: string,
): Promise<Message> {
  const result = await agent.client.send(conversationId, text).done;
  if (!result.ok) throw new Error(`agent send failed: ${result.error.code} ${result.error.message}`);
  return result.data;
}

/** Saves a screenshot under e2e/screenshots/ (not committed) for a person to look at. */
export const screenshot = (page: Page, name: string) =>
  page.screenshot({ path: path.join(repoRoot, 'e2e', 'screenshots', `${name}.png`) });

export const customerPassword = 'correct horse battery staple';

/** Registers a new customer through the page and waits for the department list. */
export async function registerCustomer(page: Page, server: RunningServer, username = uniqueName('cust')) {
  await page.goto(server.url);
  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Email').fill(`${username}@example.test`);
  await page.getByLabel('Password').fill(customerPassword);
  await page.getByRole('button', { name: 'Create an account' }).click();
  await expect(page.getByRole('navigation', { name: 'Departments' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Billing Support', exact: true })).toBeVisible();
  return { username, password: customerPassword };
}

/** Opens a department's conversation and waits until it can be used. */
export async function openDepartment(page: Page, name: string) {
  await page.getByRole('button', { name, exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
  await expect(page.getByRole('log', { name: 'Messages' })).not.toContainText('Loading messages');
  await expect(page.getByRole('textbox', { name: 'Message' })).toBeEnabled();
}

/** Types and sends a message with the keyboard (Enter). */
export async function sendFromPage(page: Page, text: string) {
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.fill(text);
  await box.press('Enter');
}

export const test = base.extend<object, { server: RunningServer }>({
  server: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright fixtures take their dependencies as a pattern
    async ({}, use) => {
      // History paging tests have an agent send 120 messages quickly.
      const server = await startServer({ env: { MESSAGE_RATE_PER_SECOND: '500', MESSAGE_BURST: '500' } });
      await use(server);
      await server.stop();
    },
    { scope: 'worker', timeout: 120_000 },
  ],
});
