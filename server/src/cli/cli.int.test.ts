// The admin CLI as a real process against a real database, alongside a real server.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  baseEnv,
  connectSocket,
  createAgent,
  emitAck,
  postJson,
  randomName,
  registerCustomer,
  runCli,
  serverDir,
  startTestServer,
  type TestServer,
  waitForDisconnect,
} from '../../test/helpers';

let t: TestServer;
let env: Record<string, string>;
beforeAll(async () => {
  t = await startTestServer({ env: { USER_RECHECK_MS: '500' } });
  env = { MONGO_URI: inject('mongoUri'), DB_NAME: t.dbName };
});
afterAll(async () => {
  await t?.close();
});

/** `create-agent` arguments: email from the username and billing by default; `tail` replaces --password-stdin. */
const createAgentArgs = (
  username: string,
  opts: { email?: string; departments?: string; tail?: string[] } = {},
): string[] => [
  'create-agent',
  '--username',
  username,
  '--email',
  opts.email ?? `${username}@example.test`,
  '--departments',
  opts.departments ?? 'billing',
  ...(opts.tail ?? ['--password-stdin']),
];

const login = (username: string, password: string) =>
  postJson(`${t.url}/api/auth/login`, { username, password });

describe('admin CLI with MONGO_URI while the server runs', () => {
  it('create-department, then create-agent in it; the agent logs in on the running server', async () => {
    const dep = await runCli(['create-department', '--id', 'returns', '--name', 'Returns'], env);
    expect(dep.code, dep.stderr).toBe(0);
    expect(dep.stdout).toContain('Department created: returns');
    const deps = (await (await fetch(`${t.url}/api/departments`)).json()) as {
      departments: { id: string }[];
    };
    expect(deps.departments.map((d) => d.id)).toContain('returns');

    const username = randomName('ann');
    const created = await runCli(
      createAgentArgs(username, { departments: 'returns,billing' }),
      env,
      'agent password 1\n',
    );
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain(`Agent created: ${username}`);
    expect(created.stdout + created.stderr).not.toContain('agent password 1');
    const res = await login(username, 'agent password 1');
    expect(res.status).toBe(200);
    expect((res.body as { user: { role: string; departments: string[] } }).user).toMatchObject({
      role: 'agent',
      departments: ['returns', 'billing'],
    });
  });

  it('set-departments moves the open socket; disable-agent ends it within seconds', async () => {
    const username = randomName('bob');
    const created = await runCli(createAgentArgs(username), env, 'agent password 2');
    expect(created.code, created.stderr).toBe(0);
    const session = (await login(username, 'agent password 2')).body as {
      accessToken: string;
      user: { id: string };
    };
    const socket = await connectSocket(t.url, session.accessToken);

    const moved = await runCli(['set-departments', '--username', username, '--departments', 'sales'], env);
    expect(moved.code, moved.stderr).toBe(0);
    // Within seconds the server moves the socket to department:sales.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const inSales = await t.server.io.in('department:sales').fetchSockets();
      if (inSales.some((s) => s.id === socket.id)) break;
      if (Date.now() > deadline) throw new Error('socket never moved to department:sales');
      await new Promise((r) => setTimeout(r, 50));
    }
    const inBilling = await t.server.io.in('department:billing').fetchSockets();
    expect(inBilling.some((s) => s.id === socket.id)).toBe(false);

    const listed = await runCli(['list-agents', '--json'], env);
    expect(listed.code).toBe(0);
    const agents = JSON.parse(listed.stdout) as {
      username: string;
      departments: string[];
      disabled: boolean;
    }[];
    expect(agents.find((a) => a.username === username)).toMatchObject({
      departments: ['sales'],
      disabled: false,
    });
    expect(listed.stdout).not.toContain('passwordHash');

    const disconnected = waitForDisconnect(socket, 10_000);
    const started = Date.now();
    const disabled = await runCli(['disable-agent', '--username', username], env);
    expect(disabled.code, disabled.stderr).toBe(0);
    expect(await disconnected).toBe('io server disconnect');
    console.log(
      `CLI disable-agent ended the open socket ${Date.now() - started} ms after the command started`,
    );
    expect((await login(username, 'agent password 2')).status).toBe(401);
  });

  it('disable-user stops a customer: socket ends within seconds, tokens refused, conversation still readable to agents; enable-user lets them back', async () => {
    const customer = await registerCustomer(t.url);
    const socket = await connectSocket(t.url, customer.accessToken);
    const opened = await emitAck<{ conversation: { id: string } }>(socket, 'conversation:open', {
      department: 'billing',
    });
    if (!opened.ok) throw new Error(opened.error.message);
    const conversationId = opened.data.conversation.id;
    const sent = await emitAck(socket, 'message:send', {
      conversationId,
      clientMsgId: crypto.randomUUID(),
      text: 'abuse',
    });
    expect(sent.ok).toBe(true);

    const disconnected = waitForDisconnect(socket, 10_000);
    const disabled = await runCli(['disable-user', '--username', customer.user.username], env);
    expect(disabled.code, disabled.stderr).toBe(0);
    expect(disabled.stdout).toContain(`User disabled: ${customer.user.username} (customer)`);
    expect(await disconnected).toBe('io server disconnect');
    const bearer = { authorization: `Bearer ${customer.accessToken}` };
    expect((await fetch(`${t.url}/api/me`, { headers: bearer })).status).toBe(401);
    expect(
      (await postJson(`${t.url}/api/auth/refresh`, { refreshToken: customer.refreshToken })).status,
    ).toBe(401);
    expect((await login(customer.user.username, customer.password)).status).toBe(401);
    await expect(connectSocket(t.url, customer.accessToken)).rejects.toThrow('unauthorized');

    const agent = await createAgent(t, { departments: ['billing'] });
    const history = await fetch(`${t.url}/api/conversations/${conversationId}/messages`, {
      headers: { authorization: `Bearer ${agent.accessToken}` },
    });
    expect(history.status).toBe(200);
    expect(((await history.json()) as { messages: { text: string }[] }).messages.map((m) => m.text)).toEqual([
      'abuse',
    ]);

    const enabled = await runCli(['enable-user', '--username', customer.user.username], env);
    expect(enabled.code, enabled.stderr).toBe(0);
    expect((await login(customer.user.username, customer.password)).status).toBe(200);
    // disable-agent stays an alias of disable-user.
    const alias = await runCli(['disable-agent', '--username', customer.user.username], env);
    expect(alias.code, alias.stderr).toBe(0);
    expect((await login(customer.user.username, customer.password)).status).toBe(401);
  });

  it('reset-password: the old password stops working, the new one works, open logins end', async () => {
    const username = randomName('cy');
    await runCli(createAgentArgs(username, { departments: 'hr' }), env, 'old password 3');
    const session = (await login(username, 'old password 3')).body as {
      accessToken: string;
      refreshToken: string;
    };
    const socket = await connectSocket(t.url, session.accessToken);
    const disconnected = waitForDisconnect(socket, 10_000);
    const reset = await runCli(
      ['reset-password', '--username', username, '--password-stdin'],
      env,
      'new password 3\n',
    );
    expect(reset.code, reset.stderr).toBe(0);
    expect((await login(username, 'old password 3')).status).toBe(401);
    expect((await login(username, 'new password 3')).status).toBe(200);
    expect((await postJson(`${t.url}/api/auth/refresh`, { refreshToken: session.refreshToken })).status).toBe(
      401,
    );
    expect(await disconnected).toBe('io server disconnect');
  });

  // Each case is a process of its own (its exit code is the point), and each costs most of a second of CPU to load
  // TypeScript through tsx: run one after the other on a loaded machine (load 10 on 2 cores) they took over a minute.
  // They are independent, so they run side by side.
  const expectRefusals = async (
    cases: [string[], string, number, RegExp][],
    cliEnv: Record<string, string>,
  ) => {
    const results = await Promise.all(cases.map(([args, stdin]) => runCli(args, cliEnv, stdin)));
    cases.forEach(([args, , code, message], i) => {
      const res = results[i] as Awaited<ReturnType<typeof runCli>>;
      expect(res.code, `${args.join(' ')}: ${res.stderr}`).toBe(code);
      expect(res.stderr, args.join(' ')).toMatch(message);
      expect(res.stderr, args.join(' ')).not.toMatch(/\n\s+at /);
    });
  };

  it('refuses wrong usage with exit code 2 before it opens the database', async () => {
    // A database nobody listens on: a usage error must not need one (it answers before connecting).
    const nowhere = { ...env, MONGO_URI: 'mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=30000' };
    await expectRefusals(
      [
        [createAgentArgs(randomName('n'), { email: 'n2@example.test', tail: [] }), '', 2, /password-stdin/],
        [
          createAgentArgs(randomName('n'), { email: 'n3@example.test', tail: ['--password', 'x'] }),
          '',
          2,
          /never taken from arguments/,
        ],
        [createAgentArgs(randomName('n'), { email: 'n4@example.test' }), 'short', 2, /at least 8/],
        [createAgentArgs('{"$ne":""}', { email: 'n5@example.test' }), 'agent password 4', 2, /username/],
        [['create-department', '--id', 'Bad Id', '--name', 'X'], '', 2, /--id/],
        [['frobnicate'], '', 2, /unknown command/],
        [['disable-agent'], '', 2, /--username/],
      ],
      nowhere,
    );
    const help = await runCli(['--help'], nowhere);
    expect(help.code).toBe(0);
    expect(help.stderr).toContain('create-agent');
  });

  it('fails clearly with exit code 1 when the command cannot be done', async () => {
    const username = randomName('dup');
    const ok = await runCli(createAgentArgs(username), env, 'agent password 4');
    expect(ok.code).toBe(0);
    await expectRefusals(
      [
        [createAgentArgs(username, { email: `x${username}@example.test` }), 'agent password 4', 1, /taken/],
        [
          createAgentArgs(randomName('n'), { email: 'n@example.test', departments: 'nope' }),
          'agent password 4',
          1,
          /Unknown department/,
        ],
        [['create-department', '--id', 'billing', '--name', 'Again'], '', 1, /already exists/],
        [['disable-user', '--username', randomName('ghost')], '', 1, /No user/],
      ],
      env,
    );
  });
});

describe('admin CLI with the embedded database (no MONGO_URI)', () => {
  let dataDir: string;
  let server: ChildProcess | null = null;
  beforeAll(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'support-chat-cli-'));
  });
  afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server?.once('exit', r));
      server.kill('SIGKILL');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('reuses the running server’s database through DATA_DIR, and starts its own when none runs', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: serverDir,
      env: { ...baseEnv(), DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server = child;
    let out = '';
    child.stdout?.on('data', (b) => {
      out += b;
    });
    child.stderr?.on('data', (b) => {
      out += b;
    });
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 60_000);
      const check = () => {
        const m = /Support chat listening on (http:\/\/[\d.:]+)/.exec(out);
        if (m?.[1]) {
          clearTimeout(timer);
          child.stdout?.off('data', check);
          resolve(m[1]);
        }
      };
      child.stdout?.on('data', check);
    });
    const lock = JSON.parse(readFileSync(path.join(dataDir, 'embedded-db.json'), 'utf8')) as {
      pid: number;
      uri: string;
    };

    const username = randomName('emb');
    const created = await runCli(createAgentArgs(username), { DATA_DIR: dataDir }, 'embedded password');
    expect(created.code, created.stderr).toBe(0);
    // Same database: the running server sees the new agent at once.
    const res = await fetch(`${url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: 'embedded password' }),
    });
    expect(res.status).toBe(200);
    // The CLI left the server's database running and its lock in place.
    expect(() => process.kill(lock.pid, 0)).not.toThrow();
    expect(JSON.parse(readFileSync(path.join(dataDir, 'embedded-db.json'), 'utf8'))).toEqual(lock);

    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    expect(existsSync(path.join(dataDir, 'embedded-db.json'))).toBe(false);

    // No server now: the CLI starts the database for the command and stops it afterwards.
    const listed = await runCli(['list-agents'], { DATA_DIR: dataDir });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(username);
    expect(existsSync(path.join(dataDir, 'embedded-db.json'))).toBe(false);
  });
});
