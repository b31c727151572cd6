// Availability (SPEC §12) over real sockets, HTTP and a real database: only available agents are counted online and
// assigned automatically, as soon as `agent:status` is acknowledged; going available hands out the waiting queue.
import type { PresenceEvent } from '@support-chat/protocol';
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
} from '../../test/helpers';
import { data, openConversation, sendMessage, waitFor } from './chat-test-helpers';

let srv: TestServer;
const sockets: Socket[] = [];

const connect = async (s: Session, auth?: Record<string, string>) => {
  const socket = await connectSocket(srv.url, s.accessToken, { auth });
  sockets.push(socket);
  return socket;
};

const setStatus = (socket: Socket, status: unknown) =>
  emitAck<{ status: string }>(socket, 'agent:status', { status });

const agentsOnline = async (department: string) => {
  const res = await fetch(`${srv.url}/api/departments`);
  const body = (await res.json()) as { departments: { id: string; agentsOnline: number }[] };
  return body.departments.find((d) => d.id === department)?.agentsOnline;
};

const stored = async (id: string) => {
  await srv.server.services.live.flush();
  return srv.server.services.live.refresh(id);
};

beforeAll(async () => {
  srv = await startTestServer({ env: { OPEN_RATE_PER_MINUTE: '6000' } });
  await srv.server.services.accounts.createDepartment({ id: 'availability', name: 'Availability' });
  await srv.server.services.accounts.createDepartment({ id: 'away-desk', name: 'Away Desk' });
});

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await srv.close();
});

describe('agent:status', () => {
  it('away agents are not counted online nor assigned; going available drains the queue', async () => {
    const d = 'availability';
    const first = await createAgent(srv, { departments: [d] });
    const second = await createAgent(srv, { departments: [d] });
    const a = await connect(first);
    // A connection that starts away (the desktop app reconnecting while away) is never counted.
    const b = await connect(second, { status: 'away' });
    expect(await agentsOnline(d)).toBe(1);

    // The last available agent goes away: counted out as soon as the ack arrives.
    expect(data(await setStatus(a, 'away'))).toEqual({ status: 'away' });
    expect(await agentsOnline(d)).toBe(0);

    // With everybody away a new conversation waits in the queue; the customer is told nobody is online.
    const customer = await registerCustomer(srv.url);
    const cs = await connect(customer);
    const zero = waitFor<PresenceEvent>(cs, 'presence', (p) => p.department === d);
    const convId = (await openConversation(cs, d)).id;
    expect((await zero).agentsOnline).toBe(0);
    await sendMessage(cs, convId, 'anyone there?');
    expect((await stored(convId))?.assigneeId).toBeNull();

    // The second agent becomes available: counted, and handed the waiting conversation before the ack.
    const one = waitFor<PresenceEvent>(cs, 'presence', (p) => p.department === d && p.agentsOnline === 1);
    expect(data(await setStatus(b, 'available'))).toEqual({ status: 'available' });
    expect(await agentsOnline(d)).toBe(1);
    await one;
    expect((await stored(convId))?.assigneeId).toBe(second.user.id);

    // Setting the same status again changes nothing.
    expect(data(await setStatus(b, 'available'))).toEqual({ status: 'available' });
    expect(await agentsOnline(d)).toBe(1);

    // Away agents do not hold presence when they disconnect either (no negative counts).
    a.disconnect();
    expect(await agentsOnline(d)).toBe(1);
  });

  it('a new conversation goes to an available agent even when the away one is less busy', async () => {
    const d = 'away-desk';
    const busy = await createAgent(srv, { departments: [d] });
    const idle = await createAgent(srv, { departments: [d] });
    const bs = await connect(busy);
    const is = await connect(idle);
    // The busy agent holds one conversation; the idle one would get the next, unless away.
    const c1 = await registerCustomer(srv.url);
    const c1s = await connect(c1);
    const conv1 = await openConversation(c1s, d);
    await sendMessage(c1s, conv1.id, 'first');
    const holder = (await stored(conv1.id))?.assigneeId;
    expect([busy.user.id, idle.user.id]).toContain(holder);
    const [loaded, free] = holder === busy.user.id ? [bs, is] : [is, bs];
    const freeId = holder === busy.user.id ? idle.user.id : busy.user.id;
    data(await setStatus(free, 'away'));

    const c2 = await registerCustomer(srv.url);
    const c2s = await connect(c2);
    const conv2 = await openConversation(c2s, d);
    await sendMessage(c2s, conv2.id, 'second');
    expect((await stored(conv2.id))?.assigneeId).toBe(holder);

    // Back available: the next one goes to the less busy agent again.
    data(await setStatus(free, 'available'));
    const c3 = await registerCustomer(srv.url);
    const c3s = await connect(c3);
    const conv3 = await openConversation(c3s, d);
    await sendMessage(c3s, conv3.id, 'third');
    expect((await stored(conv3.id))?.assigneeId).toBe(freeId);
    expect(loaded.connected).toBe(true);
  });

  it('is for agents only, and takes only "available" or "away"', async () => {
    const customer = await registerCustomer(srv.url);
    const cs = await connect(customer);
    const denied = await setStatus(cs, 'away');
    expect(!denied.ok && denied.error.code).toBe('forbidden');
    const agent = await createAgent(srv, { departments: ['availability'] });
    const as = await connect(agent);
    for (const bad of ['busy', { $ne: 'away' }, null]) {
      const r = await setStatus(as, bad);
      expect(!r.ok && r.error.code).toBe('invalid_input');
    }
    const extra = await emitAck(as, 'agent:status', { status: 'away', agentId: customer.user.id });
    expect(!extra.ok && extra.error.code).toBe('invalid_input');
  });
});
