// Reports from a constructed history: messages, claims, resolves and reopens at chosen instants (the process's
// clock is set for each), through the real services on a real database, with REPORT_TIMEZONE=America/New_York so
// that a message at 04:30 UTC belongs to the day before. Every figure of the report is checked exactly.
import { randomUUID } from 'node:crypto';
import type { Report } from '@support-chat/protocol';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createAgent,
  randomName,
  registerCustomer,
  startTestServer,
  type TestServer,
} from '../../test/helpers';
import type { Actor } from './actor';
import type { Services } from './index';

let t: TestServer;
const actors: Record<string, Actor> = {};
let ownerToken: string;
/**
 * The server's own chat services, with their summary writer on its timer: a summary write may run beside a claim,
 * resolve or reopen of the same conversation, as in production (FerretDB applies an update as read, change, write
 * back; the services keep one conversation's writes apart, which this test checks with exact figures).
 */
let chat: Services;

beforeAll(async () => {
  t = await startTestServer({ env: { REPORT_TIMEZONE: 'America/New_York' } });
  chat = t.server.services;
  for (const name of ['cust1', 'cust2', 'cust3']) actors[name] = (await registerCustomer(t.url)).user;
  actors.agent1 = (await createAgent(t, { departments: ['billing'] })).user;
  actors.agent2 = (await createAgent(t, { departments: ['billing'] })).user;
  actors.agent3 = (await createAgent(t, { departments: ['technical'] })).user;
  const owner = randomName('owner');
  const password = `pw-${randomUUID()}`;
  await t.server.services.owner.createOwner(
    { kind: 'cli', osUser: 't' },
    { username: owner, email: `${owner}@e.test`, password },
  );
  const res = await fetch(`${t.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: owner, password }),
  });
  ownerToken = ((await res.json()) as { accessToken: string }).accessToken;
});
afterAll(async () => {
  vi.useRealTimers();
  await t?.close();
});

const at = (iso: string) => vi.setSystemTime(new Date(iso));

async function send(who: string, conversationId: string, text: string, clientMsgId = randomUUID()) {
  const r = await chat.messages.send(actors[who] as Actor, {
    conversationId,
    clientMsgId,
    text,
  });
  expect(r.ok, JSON.stringify(r)).toBe(true);
  return clientMsgId;
}
async function open(who: string, department: string): Promise<string> {
  const r = await chat.conversations.open(actors[who] as Actor, department);
  if (!r.ok) throw new Error(r.error.message);
  return r.data.conversation._id;
}
async function step(fn: Promise<{ ok: boolean }>) {
  const r = await fn;
  expect(r.ok, JSON.stringify(r)).toBe(true);
}

async function report(query: string): Promise<Report> {
  const res = await fetch(`${t.url}/api/admin/reports?${query}`, {
    headers: { authorization: `Bearer ${ownerToken}` },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { report: Report }).report;
}

const none = { count: 0, p50: null, p90: null, average: null };
const noRatings = { count: 0, average: null, distribution: [0, 0, 0, 0, 0] };
const stats = (values: number[], p50: number, p90: number) => ({
  count: values.length,
  p50,
  p90,
  average: Math.round(values.reduce((a, b) => a + b, 0) / values.length),
});

describe('reports', () => {
  it('counts episodes, messages, first responses and resolutions per day and department, exactly', async () => {
    const { assignment, live } = chat;
    const A = await open('cust1', 'billing');
    const B = await open('cust2', 'billing');
    const C = await open('cust3', 'technical');
    vi.useFakeTimers({ toFake: ['Date'] });

    // A, episode 1: 2026-01-10 (New York) from 09:00 to 09:10 local.
    at('2026-01-10T14:00:00Z');
    const retried = await send('cust1', A, 'hello');
    at('2026-01-10T14:00:30Z');
    await send('cust1', A, 'anyone?');
    await send('cust1', A, 'hello', retried); // a retry: stored once, counted once
    at('2026-01-10T14:01:00Z');
    await step(assignment.claim(actors.agent1 as Actor, A));
    at('2026-01-10T14:02:00Z');
    await send('agent1', A, 'hi'); // first response: 120 s, agent1
    at('2026-01-10T14:03:00Z');
    await send('agent1', A, 'done?');
    at('2026-01-10T14:10:00Z');
    await step(assignment.resolve(actors.agent1 as Actor, A)); // resolution 600 s, agent1

    // B: 2026-01-10, answered by agent2 after 300 s, never resolved.
    at('2026-01-10T20:00:00Z');
    await send('cust2', B, 'question');
    at('2026-01-10T20:00:10Z');
    await send('cust2', B, 'more');
    at('2026-01-10T20:05:00Z');
    await send('agent2', B, 'answer');

    // A, episode 2: reopened by the customer at 23:30 local on the 10th (04:30 UTC on the 11th)...
    at('2026-01-11T04:30:00Z');
    await send('cust1', A, 'again');
    await live.flush();
    // ...continued from the database alone (the copy in memory is dropped): agent2 answers after the local midnight.
    live.invalidate(A);
    at('2026-01-11T05:30:00Z');
    await send('agent2', A, 'back'); // first response 3600 s, agent2, on the 11th
    at('2026-01-11T06:00:00Z');
    await step(assignment.resolve(actors.agent2 as Actor, A)); // resolution 5400 s, agent1's (a resolve keeps the assignee)

    // C (technical) on the 11th: answered after 45 s, claimed and resolved after 1800 s, reopened by the agent
    // (no episode), an agent message (no first response), then the customer writes: a new episode.
    at('2026-01-11T12:00:00Z');
    await send('cust3', C, 'broken');
    at('2026-01-11T12:00:45Z');
    await send('agent3', C, 'looking');
    await step(assignment.claim(actors.agent3 as Actor, C));
    at('2026-01-11T12:30:00Z');
    await step(assignment.resolve(actors.agent3 as Actor, C));
    at('2026-01-11T12:40:00Z');
    await step(assignment.reopen(actors.agent3 as Actor, C));
    at('2026-01-11T12:41:00Z');
    await send('agent3', C, 'one more thing');
    at('2026-01-11T12:50:00Z');
    await send('cust3', C, 'still broken');
    await step(assignment.resolve(actors.agent3 as Actor, C)); // the new episode resolved at once: 0 s
    await live.flush();
    vi.useRealTimers();

    const billing = await report('from=2026-01-09&to=2026-01-11&department=billing');
    expect(billing.timeZone).toBe('America/New_York');
    expect(billing.days).toEqual([
      {
        day: '2026-01-09',
        episodesStarted: 0,
        episodesResolved: 0,
        messages: { customer: 0, agents: 0 },
        firstResponse: none,
        resolution: none,
        satisfaction: noRatings,
      },
      {
        day: '2026-01-10',
        episodesStarted: 3,
        episodesResolved: 1,
        messages: { customer: 5, agents: 3 },
        firstResponse: stats([120_000, 300_000], 120_000, 300_000),
        resolution: stats([600_000], 600_000, 600_000),
        satisfaction: noRatings,
      },
      {
        day: '2026-01-11',
        episodesStarted: 0,
        episodesResolved: 1,
        messages: { customer: 0, agents: 1 },
        firstResponse: stats([3_600_000], 3_600_000, 3_600_000),
        resolution: stats([5_400_000], 5_400_000, 5_400_000),
        satisfaction: noRatings,
      },
    ]);
    expect(billing.totals).toEqual({
      episodesStarted: 3,
      episodesResolved: 2,
      messages: { customer: 5, agents: 4 },
      firstResponse: stats([120_000, 300_000, 3_600_000], 300_000, 3_600_000),
      resolution: stats([600_000, 5_400_000], 600_000, 5_400_000),
      satisfaction: noRatings,
    });
    expect(billing.agents).toEqual(
      [
        {
          agentId: actors.agent1?.id,
          username: actors.agent1?.username,
          messages: 2,
          episodesResolved: 2,
          firstResponse: stats([120_000], 120_000, 120_000),
          resolution: stats([600_000, 5_400_000], 600_000, 5_400_000),
          satisfaction: noRatings,
        },
        {
          agentId: actors.agent2?.id,
          username: actors.agent2?.username,
          messages: 2,
          episodesResolved: 0,
          firstResponse: stats([300_000, 3_600_000], 300_000, 3_600_000),
          resolution: none,
          satisfaction: noRatings,
        },
      ].sort((a, b) => (a.username ?? '').localeCompare(b.username ?? '')),
    );

    // Every department: technical's day is added to billing's.
    const all = await report('from=2026-01-11&to=2026-01-11');
    expect(all.department).toBeNull();
    expect(all.days).toEqual([
      {
        day: '2026-01-11',
        episodesStarted: 2,
        episodesResolved: 3,
        messages: { customer: 2, agents: 3 },
        firstResponse: stats([3_600_000, 45_000], 45_000, 3_600_000),
        resolution: stats([5_400_000, 1_800_000, 0], 1_800_000, 5_400_000),
        satisfaction: noRatings,
      },
    ]);
    const agent3 = all.agents.find((a) => a.agentId === actors.agent3?.id);
    expect(agent3).toEqual({
      agentId: actors.agent3?.id,
      username: actors.agent3?.username,
      messages: 2,
      episodesResolved: 2,
      firstResponse: stats([45_000], 45_000, 45_000),
      resolution: stats([1_800_000, 0], 0, 1_800_000),
      satisfaction: noRatings,
    });
  });

  it('writes a resolve on its own (no message after it) with the next summary flush', async () => {
    const { assignment } = t.server.services;
    const cust = (await registerCustomer(t.url)).user;
    actors.cust4 = cust;
    const D = await open('cust4', 'sales');
    const seller = (await createAgent(t, { departments: ['sales'] })).user;
    await send('cust4', D, 'price?');
    await t.server.services.live.flush(); // nothing left to write: only the resolve can schedule the next flush
    await step(assignment.resolve(seller as Actor, D));
    await expect
      .poll(async () => {
        const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/New_York' }).format(new Date());
        const [d] = await t.server.store.reports.find([`sales|${today}`]);
        return d?.resolved ?? 0;
      })
      .toBe(1);
  });

  it('validates the range', async () => {
    const bad = async (q: string) =>
      (await fetch(`${t.url}/api/admin/reports?${q}`, { headers: { authorization: `Bearer ${ownerToken}` } }))
        .status;
    expect(await bad('from=2026-01-11&to=2026-01-10')).toBe(400);
    expect(await bad('from=2025-01-01&to=2026-01-10')).toBe(400);
    expect(await bad('from=2026-02-30&to=2026-03-01')).toBe(400);
    expect(await bad('from=2026-01-01')).toBe(400);
    expect(await bad('from=2026-01-01&to=2026-01-02&department=NOPE')).toBe(400);
  });
});
