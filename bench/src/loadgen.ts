// A load generator process, driven over IPC by the scenarios: customers that open a conversation and write,
// agents that receive, idle sockets for the memory test, and reconnecting clients for the storm. Each customer
// and the agent of its department live in the same process, so customer -> agent latency uses one clock.
import { randomUUID } from 'node:crypto';
import { clientMsgIdOf, eventOf, SioClient } from './lib/sio-client';
import { Samples } from './lib/stats';

export interface Participant {
  token: string;
  department: string;
  /** To renew `token` (access tokens live at most 15 minutes): the login's refresh token. */
  refreshToken?: string;
}

export type LoadgenRequest =
  | { probe: 'setup'; url: string; customers: Participant[]; agents: Participant[]; textChars: number }
  | { probe: 'closed'; window: number; warmupMs: number; durationMs: number }
  | { probe: 'open'; rate: number; warmupMs: number; durationMs: number }
  | { probe: 'idle'; url: string; tokens: string[]; parallel: number }
  | { probe: 'count' }
  | { probe: 'storm-setup'; url: string; customers: Participant[]; agents: Participant[]; idle: string[] }
  | { probe: 'storm-send'; intervalMs: number }
  | { probe: 'storm-finish'; timeoutMs: number }
  | { probe: 'close' };

export interface RunAnswer {
  probe: 'closed' | 'open';
  sent: number;
  acked: number;
  failed: number;
  rateLimited: number;
  seconds: number;
  /** message:send -> ack (the message is durably stored) */
  ackLatencies: number[];
  /** message:send on the customer's socket -> message:created on the agent's socket */
  deliveryLatencies: number[];
  delivered: number;
  /** for the open loop: how late the generator itself was against its schedule (its own saturation) */
  scheduleLagP99: number;
}

interface Customer {
  client: SioClient;
  department: string;
  conversationId: string;
  prefix: string;
  inFlight: number;
}

let customers: Customer[] = [];
let agents: SioClient[] = [];
let idle: SioClient[] = [];
let text = '';
/** clientMsgId -> send time, for messages the agent has not seen yet */
const pending = new Map<string, number>();
let measuring = false;
let delivered = 0;
const deliveryLatencies = new Samples();

function onAgentEvent(json: string): void {
  if (eventOf(json) !== 'message:created') return;
  const id = clientMsgIdOf(json);
  if (!id) return;
  const t0 = pending.get(id);
  if (t0 === undefined) return;
  pending.delete(id);
  if (measuring) {
    delivered++;
    deliveryLatencies.add(performance.now() - t0);
  }
}

async function connectAll(clients: SioClient[], parallel: number): Promise<number> {
  let next = 0;
  let failed = 0;
  const lane = async () => {
    while (next < clients.length) {
      const c = clients[next++] as SioClient;
      try {
        await c.connect();
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, clients.length) }, lane));
  return failed;
}

async function setup(req: Extract<LoadgenRequest, { probe: 'setup' }>) {
  text = 'x'.repeat(req.textChars);
  agents = req.agents.map(
    (a) => new SioClient({ url: req.url, auth: { token: a.token }, onEvent: onAgentEvent }),
  );
  const agentFailures = await connectAll(agents, 50);
  const clients = req.customers.map((c) => new SioClient({ url: req.url, auth: { token: c.token } }));
  const customerFailures = await connectAll(clients, 50);
  customers = [];
  let openFailures = 0;
  let nextOpen = 0;
  // A few opens at a time: each new conversation is assigned (presence, load, compare-and-set) in its
  // department's queue, so hundreds at once would only wait in line.
  const openLane = async () => {
    while (nextOpen < clients.length) {
      const i = nextOpen++;
      const client = clients[i] as SioClient;
      const department = (req.customers[i] as Participant).department;
      const answer = await client
        .request<{ ok: boolean; data?: { conversation: { id: string } } }>(
          'conversation:open',
          { department },
          120_000,
        )
        .catch(() => ({ ok: false }) as { ok: boolean; data?: undefined });
      if (!answer.ok || !answer.data) {
        openFailures++;
        continue;
      }
      const conversationId = answer.data.conversation.id;
      customers.push({
        client,
        department,
        conversationId,
        prefix: `["message:send",{"conversationId":"${conversationId}","clientMsgId":"`,
        inFlight: 0,
      });
    }
  };
  await Promise.all(Array.from({ length: 16 }, openLane));
  return {
    agentFailures,
    customerFailures,
    openFailures,
    customers: customers.length,
    agents: agents.length,
  };
}

interface Counters {
  sent: number;
  acked: number;
  failed: number;
  rateLimited: number;
  ackLatencies: Samples;
}

function sendOne(c: Customer, counters: Counters, onDone?: () => void): void {
  const id = randomUUID();
  const t0 = performance.now();
  pending.set(id, t0);
  c.inFlight++;
  if (measuring) counters.sent++;
  const ok = c.client.sendRaw(`${c.prefix}${id}","text":"${text}"}]`, (json) => {
    c.inFlight--;
    if (json?.startsWith('[{"ok":true')) {
      // Throughput counts the acknowledgements that arrive inside the window.
      if (measuring) {
        counters.acked++;
        counters.ackLatencies.add(performance.now() - t0);
      }
    } else {
      pending.delete(id);
      if (measuring) {
        if (json?.includes('rate_limited')) counters.rateLimited++;
        else counters.failed++;
      }
    }
    onDone?.();
  });
  if (!ok) {
    c.inFlight--;
    pending.delete(id);
    if (measuring) counters.failed++;
  }
}

const newCounters = (): Counters => ({
  sent: 0,
  acked: 0,
  failed: 0,
  rateLimited: 0,
  ackLatencies: new Samples(),
});

async function measureWindow(warmupMs: number, durationMs: number, counters: Counters) {
  await new Promise((r) => setTimeout(r, warmupMs));
  Object.assign(counters, newCounters());
  delivered = 0;
  deliveryLatencies.length = 0;
  measuring = true;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, durationMs));
  measuring = false;
  return (performance.now() - t0) / 1000;
}

async function closedLoop(req: Extract<LoadgenRequest, { probe: 'closed' }>): Promise<RunAnswer> {
  const counters = newCounters();
  let stop = false;
  for (const c of customers) {
    const again = () => {
      if (!stop) sendOne(c, counters, again);
    };
    for (let i = 0; i < req.window; i++) again();
  }
  const seconds = await measureWindow(req.warmupMs, req.durationMs, counters);
  stop = true;
  await drain();
  return answer('closed', counters, seconds, 0);
}

async function openLoop(req: Extract<LoadgenRequest, { probe: 'open' }>): Promise<RunAnswer> {
  const counters = newCounters();
  const start = performance.now();
  let scheduled = 0;
  let next = 0;
  const lags = new Samples();
  // Sends whatever is due every millisecond, round-robin over the customers (open loop: no waiting for acks).
  const timer = setInterval(() => {
    const now = performance.now();
    const due = Math.floor(((now - start) * req.rate) / 1000);
    while (scheduled < due) {
      const intended = start + (scheduled * 1000) / req.rate;
      if (measuring) lags.add(now - intended);
      scheduled++;
      const c = customers[next++ % customers.length] as Customer;
      sendOne(c, counters);
    }
  }, 1);
  const seconds = await measureWindow(req.warmupMs, req.durationMs, counters);
  clearInterval(timer);
  await drain();
  return answer('open', counters, seconds, lags.summary().p99);
}

/** Waits (bounded) until every message sent is acknowledged, so the next run starts clean. */
async function drain(): Promise<void> {
  const until = Date.now() + 30_000;
  while (customers.some((c) => c.inFlight > 0) && Date.now() < until)
    await new Promise((r) => setTimeout(r, 20));
  pending.clear();
}

function answer(probe: 'closed' | 'open', c: Counters, seconds: number, lagP99: number): RunAnswer {
  return {
    probe,
    sent: c.sent,
    acked: c.acked,
    failed: c.failed,
    rateLimited: c.rateLimited,
    seconds,
    ackLatencies: Array.from(c.ackLatencies.values()),
    deliveryLatencies: Array.from(deliveryLatencies.values()),
    delivered,
    scheduleLagP99: lagP99,
  };
}

async function connectIdle(req: Extract<LoadgenRequest, { probe: 'idle' }>) {
  const t0 = performance.now();
  const clients = req.tokens.map((token) => new SioClient({ url: req.url, auth: { token } }));
  idle.push(...clients);
  const failed = await connectAll(clients, req.parallel);
  return { connected: clients.length - failed, failed, ms: performance.now() - t0 };
}

// ---- reconnect storm: every client reconnects by itself; writers retry until acked and sync after reconnect ----

interface StormWriter {
  client: SioClient;
  conversationId: string;
  /** clientMsgId of the message being sent, retried until acknowledged */
  current: string | null;
  inFlight: boolean;
  nextAt: number;
  acked: Map<string, number>;
  retries: number;
}

interface StormAgent {
  client: SioClient;
  department: string;
  /** conversationId -> seq -> clientMsgId, as the agent's screen would show it */
  seen: Map<string, Map<number, string>>;
  duplicates: number;
}

let writers: StormWriter[] = [];
let stormAgents: StormAgent[] = [];
let stormClients: SioClient[] = [];
/** conversationId -> department, of the writers' conversations */
const departmentOf = new Map<string, string>();
/** final-sync answers that were not ok */
let syncRefusals = 0;
let stormTimer: NodeJS.Timeout | null = null;
let sending = false;

interface SyncedMessage {
  seq: number;
  clientMsgId: string;
  conversationId: string;
}

function agentRecord(agent: StormAgent, m: SyncedMessage): void {
  let conv = agent.seen.get(m.conversationId);
  if (!conv) {
    conv = new Map();
    agent.seen.set(m.conversationId, conv);
  }
  if (conv.has(m.seq)) agent.duplicates++;
  else conv.set(m.seq, m.clientMsgId);
}

/**
 * Syncs each conversation from the agent's contiguous floor. Returns the conversations whose sync got no answer
 * (disconnected, or none in time: to try again) and counts refusals (an answer that is not ok: a bug).
 */
async function agentSync(agent: StormAgent, conversationIds: string[]): Promise<string[]> {
  const failed: string[] = [];
  for (const conversationId of conversationIds) {
    for (;;) {
      const conv = agent.seen.get(conversationId);
      const afterSeq = conv ? contiguousUpTo(conv) : 0;
      const res = await agent.client
        .request<{ ok: boolean; data?: { messages: SyncedMessage[] } }>('conversation:sync', {
          conversationId,
          afterSeq,
        })
        .catch(() => null);
      if (!res) {
        // disconnected again or no answer in time: the next connect (or the final pass) syncs it
        failed.push(conversationId);
        break;
      }
      if (!res.ok || !res.data) {
        syncRefusals++;
        break;
      }
      for (const m of res.data.messages) agentRecord(agent, m);
      if (res.data.messages.length < 500) break;
    }
  }
  return failed;
}

const contiguousUpTo = (conv: Map<number, string>): number => {
  let s = 0;
  while (conv.has(s + 1)) s++;
  return s;
};

let stormIntervalMs = 100;

function writerSend(w: StormWriter): void {
  const id = w.current as string;
  w.inFlight = true;
  const sent = w.client.emit(
    'message:send',
    { conversationId: w.conversationId, clientMsgId: id, text },
    (json) => {
      w.inFlight = false;
      const res = json
        ? ((JSON.parse(json) as unknown[])[0] as { ok: boolean; data?: { message: SyncedMessage } })
        : null;
      if (res?.ok && res.data) {
        w.acked.set(id, res.data.message.seq);
        w.current = null;
        w.nextAt = performance.now() + stormIntervalMs;
      } else {
        // Same clientMsgId again: at once after a reconnect, shortly after an error answer.
        w.retries++;
        w.nextAt = json === null ? 0 : performance.now() + 200;
      }
    },
  );
  if (!sent) w.inFlight = false;
}

async function stormSetup(req: Extract<LoadgenRequest, { probe: 'storm-setup' }>) {
  text = 'storm message';
  const byDepartment = new Map<string, string[]>();
  stormAgents = req.agents.map((a) => {
    const agent: StormAgent = {
      client: null as unknown as SioClient,
      department: a.department,
      seen: new Map(),
      duplicates: 0,
    };
    agent.client = new SioClient({
      url: req.url,
      auth: { token: a.token },
      reconnect: true,
      onEvent: (json) => {
        if (eventOf(json) !== 'message:created') return;
        const m = (JSON.parse(json) as [string, { message: SyncedMessage }])[1].message;
        agentRecord(agent, m);
      },
      onConnect: () => {
        if (agent.client.connects > 1) void agentSync(agent, byDepartment.get(a.department) ?? []);
      },
    });
    return agent;
  });
  const customerClients = req.customers.map(
    (c) => new SioClient({ url: req.url, auth: { token: c.token }, reconnect: true }),
  );
  const idleClients = req.idle.map(
    (token) => new SioClient({ url: req.url, auth: { token }, reconnect: true }),
  );
  stormClients = [...stormAgents.map((a) => a.client), ...customerClients, ...idleClients];
  const failed = await connectAll(stormClients, 100);
  writers = [];
  await Promise.all(
    customerClients.map(async (client, i) => {
      const department = (req.customers[i] as Participant).department;
      const res = await client
        .request<{ ok: boolean; data?: { conversation: { id: string } } }>(
          'conversation:open',
          { department },
          120_000,
        )
        .catch(() => null);
      if (!res?.ok || !res.data) return;
      const conversationId = res.data.conversation.id;
      departmentOf.set(conversationId, department);
      const ids = byDepartment.get(department) ?? [];
      ids.push(conversationId);
      byDepartment.set(department, ids);
      const w: StormWriter = {
        client,
        conversationId,
        current: null,
        inFlight: false,
        nextAt: 0,
        acked: new Map(),
        retries: 0,
      };
      writers.push(w);
    }),
  );
  return { clients: stormClients.length, failed, writers: writers.length };
}

function stormSend(intervalMs: number) {
  sending = true;
  stormIntervalMs = intervalMs;
  stormTimer = setInterval(() => {
    const now = performance.now();
    for (const w of writers) {
      if (w.inFlight || !w.client.connected || now < w.nextAt) continue;
      if (!w.current) {
        if (!sending) continue;
        w.current = randomUUID();
      }
      writerSend(w);
    }
  }, 10);
  return {};
}

async function stormFinish(req: Extract<LoadgenRequest, { probe: 'storm-finish' }>) {
  sending = false;
  const until = Date.now() + req.timeoutMs;
  while (writers.some((w) => w.current) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  if (stormTimer) clearInterval(stormTimer);
  const unacked = writers.filter((w) => w.current).length;
  // The agents' final view: a sync of every conversation fills whatever live delivery missed (a sync that got no
  // answer is tried again, up to the deadline, and counted: a message is only "lost" when its sync answered).
  let syncFailures = 0;
  for (const agent of stormAgents) {
    let pending = [...new Set(writers.map((w) => w.conversationId))].filter(
      (id) => departmentOf.get(id) === agent.department,
    );
    while (pending.length && Date.now() < until) {
      pending = await agentSync(agent, pending);
      syncFailures += pending.length;
    }
  }
  let acked = 0;
  let lost = 0;
  let misplaced = 0;
  let retries = 0;
  let gaps = 0;
  for (const w of writers) {
    retries += w.retries;
    for (const [clientMsgId, seq] of w.acked) {
      acked++;
      const views = stormAgents.map((a) => a.seen.get(w.conversationId)?.get(seq));
      if (!views.some((v) => v !== undefined)) lost++;
      else if (!views.some((v) => v === clientMsgId)) misplaced++;
    }
  }
  for (const a of stormAgents) {
    for (const conv of a.seen.values()) {
      const top = Math.max(0, ...conv.keys());
      if (contiguousUpTo(conv) !== top) gaps++;
    }
  }
  return {
    acked,
    lost,
    misplaced,
    gaps,
    unacked,
    retries,
    duplicatesDelivered: stormAgents.reduce((s, a) => s + a.duplicates, 0),
    syncFailures,
    syncRefusals,
    ackedIds: writers.flatMap((w) =>
      [...w.acked].map(([id, seq]) => ({ conversationId: w.conversationId, id, seq })),
    ),
  };
}

function connectedCount(): number {
  let n = 0;
  for (const c of customers) if (c.client.connected) n++;
  for (const c of agents) if (c.connected) n++;
  for (const c of idle) if (c.connected) n++;
  for (const c of stormClients) if (c.connected) n++;
  return n;
}

function closeAll(): void {
  if (stormTimer) clearInterval(stormTimer);
  for (const c of [...customers.map((x) => x.client), ...agents, ...idle, ...stormClients]) c.close();
  customers = [];
  agents = [];
  idle = [];
  stormClients = [];
  writers = [];
  stormAgents = [];
}

async function handle(req: LoadgenRequest): Promise<Record<string, unknown>> {
  switch (req.probe) {
    case 'setup':
      return setup(req);
    case 'closed':
      return { ...(await closedLoop(req)) };
    case 'open':
      return { ...(await openLoop(req)) };
    case 'idle':
      return connectIdle(req);
    case 'count':
      return { connected: connectedCount() };
    case 'storm-setup':
      return stormSetup(req);
    case 'storm-send':
      return stormSend(req.intervalMs);
    case 'storm-finish':
      return stormFinish(req);
    case 'close':
      closeAll();
      return {};
  }
}

if (process.send) {
  process.on('message', (msg: LoadgenRequest) => {
    if (!msg || typeof msg.probe !== 'string') return;
    handle(msg).then(
      (result) => process.send?.({ ...result, probe: msg.probe }),
      (err: Error) => process.send?.({ probe: msg.probe, error: err.message }),
    );
  });
}
