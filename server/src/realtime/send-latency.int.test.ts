// Measures message:send round trips on loopback (real server, real database) and prints them. Timings are
// printed, never asserted; what is asserted is that every message was stored once, in order.
import { randomUUID } from 'node:crypto';
import type { Message, Result } from '@support-chat/protocol';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  connectSocket,
  createAgent,
  registerCustomer,
  startTestServer,
  type TestServer,
} from '../../test/helpers';
import { openConversation, syncMessages } from './chat-test-helpers';

let srv: TestServer;
const sockets: Socket[] = [];

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;

const report = (label: string, ms: number[], wallMs: number) => {
  const sorted = [...ms].sort((a, b) => a - b);
  const fmt = (n: number) => n.toFixed(2);
  console.log(
    `[send-latency] ${label}: n=${ms.length} p50=${fmt(percentile(sorted, 50))}ms p90=${fmt(percentile(sorted, 90))}ms ` +
      `p99=${fmt(percentile(sorted, 99))}ms max=${fmt(sorted.at(-1) ?? 0)}ms throughput=${((ms.length / wallMs) * 1000).toFixed(0)}/s`,
  );
};

const timedSend = async (socket: Socket, conversationId: string, text: string) => {
  const t0 = performance.now();
  const res = (await socket
    .timeout(30_000)
    .emitWithAck('message:send', { conversationId, clientMsgId: randomUUID(), text })) as Result<{
    message: Message;
  }>;
  if (!res.ok) throw new Error(res.error.code);
  return performance.now() - t0;
};

beforeAll(async () => {
  srv = await startTestServer({ env: { MESSAGE_RATE_PER_SECOND: '100000', MESSAGE_BURST: '100000' } });
});

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await srv.close();
});

it('1,000 sequential sends by one customer (an agent online receiving them)', async () => {
  const customer = await registerCustomer(srv.url);
  const agent = await createAgent(srv, { departments: ['billing'] });
  const cs = await connectSocket(srv.url, customer.accessToken);
  const as = await connectSocket(srv.url, agent.accessToken);
  sockets.push(cs, as);
  let received = 0;
  as.on('message:created', () => received++);
  const conv = await openConversation(cs, 'billing');
  const text = 'A typical support message of about eighty characters, give or take a few words.';
  for (let i = 0; i < 20; i++) await timedSend(cs, conv.id, text); // warm-up
  const ms: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < 1000; i++) ms.push(await timedSend(cs, conv.id, text));
  report('sequential, one conversation', ms, performance.now() - t0);
  const all = await syncMessages(as, conv.id);
  expect(all.length).toBe(500);
  expect(all.at(-1)?.seq).toBe(500);
  const rest = await syncMessages(as, conv.id, 500);
  expect(rest.map((m) => m.seq)).toEqual(Array.from({ length: 500 }, (_, i) => 501 + i));
});

it('10 customers sending 50 each at the same time, in 10 conversations', async () => {
  const customers = await Promise.all(Array.from({ length: 10 }, () => registerCustomer(srv.url)));
  const socks = await Promise.all(customers.map((c) => connectSocket(srv.url, c.accessToken)));
  sockets.push(...socks);
  const convs = await Promise.all(socks.map((s) => openConversation(s, 'sales')));
  const ms: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    socks.map(async (s, i) => {
      for (let n = 0; n < 50; n++)
        ms.push(await timedSend(s, (convs[i] as { id: string }).id, `message ${n}`));
    }),
  );
  report('10 concurrent customers', ms, performance.now() - t0);
  for (const [i, s] of socks.entries()) {
    const msgs = await syncMessages(s, (convs[i] as { id: string }).id);
    expect(msgs.map((m) => m.seq)).toEqual(Array.from({ length: 50 }, (_, k) => k + 1));
  }
});
