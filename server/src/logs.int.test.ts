// A rule for every line the server logs: no sent message's text (under any key), no password, no token, at any level.
// The server runs as a real process at LOG_LEVEL=trace; customers and an agent send, fail to send and read back;
// then every line it printed is searched.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AuthResponse } from '@support-chat/protocol';
import type { Socket } from 'socket.io-client';
import { afterAll, expect, inject, it } from 'vitest';
import { fixedSecrets, serverEnv, spawnServer, stopAllServers } from '../test/fault/server-process';
import {
  connectSocket,
  emitAck,
  postJson,
  randomName,
  registerCustomer,
  uniqueDbName,
} from '../test/helpers';
import { AccountService } from './services/accounts';
import { connectStore, type Store } from './store/db';
import { freePort } from './store/embedded';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'support-chat-logs-'));
const sockets: Socket[] = [];
let store: Store | null = null;

afterAll(async () => {
  for (const s of sockets) s.close();
  await stopAllServers();
  await store?.db.dropDatabase().catch(() => {});
  await store?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

it('never logs message text, passwords or tokens, whatever the key and the level', async () => {
  const dbName = uniqueDbName('logs');
  const env = serverEnv({
    port: await freePort(),
    mongoUri: inject('mongoUri'),
    dbName,
    dataDir,
    secrets: fixedSecrets(),
    extra: { LOG_LEVEL: 'trace' },
  });
  const server = await spawnServer(env);
  let output = '';
  const collect = (b: Buffer) => {
    output += b.toString();
  };
  server.child.stdout?.on('data', collect);
  server.child.stderr?.on('data', collect);
  const closed = new Promise<void>((resolve) => server.child.once('close', () => resolve()));

  // Every secret below is a distinct marker, ASCII only, so a JSON log line would show it as is.
  const secrets: string[] = [];
  const marker = (what: string) => {
    const m = `${what}-${randomBytes(8).toString('hex')}`;
    secrets.push(m);
    return m;
  };

  const customer = await registerCustomer(server.url);
  secrets.push(customer.password, customer.accessToken, customer.refreshToken);
  store = await connectStore(inject('mongoUri'), dbName);
  const agentName = randomName('agent');
  const agentPassword = marker('agentpw');
  const created = await new AccountService(store).createAgent({
    username: agentName,
    email: `${agentName}@example.test`,
    password: agentPassword,
    departments: ['billing'],
  });
  expect(created.ok).toBe(true);
  const agentLogin = await postJson(`${server.url}/api/auth/login`, {
    username: agentName,
    password: agentPassword,
  });
  const agent = agentLogin.body as AuthResponse;
  secrets.push(agent.accessToken, agent.refreshToken);
  expect(
    (await postJson(`${server.url}/api/auth/login`, { username: agentName, password: marker('wrongpw') }))
      .status,
  ).toBe(401);

  const cs = await connectSocket(server.url, customer.accessToken);
  const as = await connectSocket(server.url, agent.accessToken);
  sockets.push(cs, as);
  const opened = await emitAck<{ conversation: { id: string } }>(cs, 'conversation:open', {
    department: 'billing',
  });
  if (!opened.ok) throw new Error(opened.error.message);
  const conversationId = opened.data.conversation.id;
  const send = (socket: Socket, text: string, clientMsgId: string = randomUUID(), id = conversationId) =>
    emitAck(socket, 'message:send', { conversationId: id, clientMsgId, text });

  const repeated = randomUUID();
  expect((await send(cs, marker('customer-text'), repeated)).ok).toBe(true);
  expect((await send(as, marker('agent-reply'))).ok).toBe(true);
  // Refused and repeated sends: the paths that log why.
  expect((await send(cs, marker('same-id-other-text'), repeated)).ok).toBe(true);
  expect((await send(cs, `${marker('too-long')} ${'x'.repeat(4001)}`)).ok).toBe(false);
  expect((await send(cs, `${marker('with-nul')}\u0000`)).ok).toBe(false);
  expect((await send(cs, marker('unknown-conversation'), randomUUID(), '0'.repeat(24))).ok).toBe(false);
  expect((await send(cs, marker('agent-conflict'), repeated.replace(/^./, 'a'))).ok).toBe(true);
  // Read back over both transports (decryption paths).
  expect((await emitAck(as, 'conversation:sync', { conversationId, afterSeq: 0 })).ok).toBe(true);
  const history = await fetch(`${server.url}/api/conversations/${conversationId}/messages`, {
    headers: { authorization: `Bearer ${agent.accessToken}` },
  });
  expect(history.status).toBe(200);

  for (const s of sockets.splice(0)) s.close();
  await server.stop('SIGTERM');
  await closed;
  const lines = output.split('\n').filter(Boolean);
  // The output was captured, debug level included, so silence is not what passes.
  for (const msg of ['logged in', 'socket connected', 'conversation created', 'server closed'])
    expect(
      lines.some((l) => l.includes(`"msg":"${msg}"`)),
      msg,
    ).toBe(true);
  // The failed login is there, with the address it came from.
  expect(lines.filter((l) => l.includes('"msg":"login failed"') && /"address":"[^"]+"/.test(l))).toHaveLength(
    1,
  );
  for (const secret of secrets) {
    const leaking = lines.filter((line) => line.includes(secret));
    expect(leaking, `logged: ${secret.slice(0, 12)}…`).toEqual([]);
  }
});
