// GET /api/departments/:id/agents and assigning a conversation to a colleague, on a real server and database.
import type { DepartmentAgent } from '@support-chat/protocol';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectSocket,
  createAgent,
  emitAck,
  registerCustomer,
  type Session,
  startTestServer,
  type TestServer,
} from '../../../test/helpers';
import { openConversation } from '../../realtime/chat-test-helpers';

let srv: TestServer;
const sockets: Socket[] = [];
let customer: Session;
let alice: Session;
let bob: Session;
let disabled: Session;
let salesAgent: Session;

const agentsOf = async (department: string, token?: string) => {
  const res = await fetch(`${srv.url}/api/departments/${department}/agents`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return {
    status: res.status,
    body: (await res.json()) as { agents?: DepartmentAgent[]; error?: { code: string } },
  };
};

beforeAll(async () => {
  srv = await startTestServer();
  [customer, alice, bob, disabled, salesAgent] = await Promise.all([
    registerCustomer(srv.url),
    createAgent(srv, { departments: ['billing'], username: 'alice-billing' }),
    createAgent(srv, { departments: ['billing', 'sales'], username: 'bob-billing' }),
    createAgent(srv, { departments: ['billing'], username: 'carol-billing' }),
    createAgent(srv, { departments: ['sales'], username: 'dave-sales' }),
  ]);
  const result = await srv.server.services.accounts.disableUser({ username: 'carol-billing' });
  expect(result.ok).toBe(true);
  void disabled;
});

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await srv.close();
});

describe('GET /api/departments/:id/agents', () => {
  it("lists the department's enabled agents with who is online", async () => {
    const socket = await connectSocket(srv.url, bob.accessToken);
    sockets.push(socket);
    const { status, body } = await agentsOf('billing', alice.accessToken);
    expect(status).toBe(200);
    expect(body.agents).toEqual([
      { id: alice.user.id, username: 'alice-billing', online: false },
      { id: bob.user.id, username: 'bob-billing', online: true },
    ]);
  });

  it('refuses customers, other departments, strangers and bad ids', async () => {
    expect((await agentsOf('billing')).status).toBe(401);
    const asCustomer = await agentsOf('billing', customer.accessToken);
    expect(asCustomer.status).toBe(403);
    expect(asCustomer.body.error?.code).toBe('forbidden');
    const foreign = await agentsOf('billing', salesAgent.accessToken);
    const unknown = await agentsOf('nowhere', salesAgent.accessToken);
    expect(foreign.status).toBe(404);
    expect(unknown).toEqual(foreign);
    const bad = await agentsOf('%24ne', alice.accessToken);
    expect(bad.status).toBe(400);
    expect(bad.body.error?.code).toBe('invalid_input');
  });

  it('gives the ids that conversation:assign takes: assign to a colleague, not to an outsider', async () => {
    const customerSocket = await connectSocket(srv.url, customer.accessToken);
    const aliceSocket = await connectSocket(srv.url, alice.accessToken);
    sockets.push(customerSocket, aliceSocket);
    const conversation = await openConversation(customerSocket, 'billing');
    const { body } = await agentsOf('billing', alice.accessToken);
    const colleague = body.agents?.find((a) => a.username === 'bob-billing');
    expect(colleague).toBeDefined();

    const assigned = await emitAck(aliceSocket, 'conversation:assign', {
      conversationId: conversation.id,
      agentId: colleague!.id,
    });
    expect(assigned).toMatchObject({ ok: true, data: { conversation: { assigneeId: bob.user.id } } });

    const outsider = await emitAck(aliceSocket, 'conversation:assign', {
      conversationId: conversation.id,
      agentId: salesAgent.user.id,
    });
    expect(outsider.ok).toBe(false);
  });
});
