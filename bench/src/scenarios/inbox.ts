// Issue 10: a year of conversations (SPEC §15). 100,000 conversations of one department are written with the
// server's own document factory and inbox keys (testkit). Then, on our server: the agents' first and later inbox pages (size and latency), customer search, the
// time from a customer's message to the agent's `inbox:counts`, the assignment of a new conversation, and the
// server's RSS while 20 agents page through the whole inbox at once. Apart, the start's migration of data from before
// the index is timed on `migrationSample` conversations. While the agents page, the server's memory after a full GC
// (heap used, external, array buffers, RSS) is taken before, at each quarter and after each pass, so that a
// retained-per-conversation growth (heap after GC rising with pages) can be told from heap sizing (RSS only).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { seedConversations } from '@support-chat/server/testkit';
import { io, type Socket } from 'socket.io-client';
import { createAgents, dropBenchDatabase, newSecrets, registerCustomers, startChatServer } from '../lib/chat';
import { ask } from '../lib/procs';

/** The server's memory after a full GC (the probe's answer), in MiB, at a point of the page-through. */
export interface MemorySample {
  at: string;
  pages: number;
  heapUsedMiB: number;
  heapTotalMiB: number;
  externalMiB: number;
  arrayBuffersMiB: number;
  rssMiB: number;
}

export interface InboxRun {
  conversations: number;
  open: number;
  seedSeconds: number;
  /** A start over data from before the index: how many conversations, and seconds to the first health answer. */
  migration: { conversations: number; seconds: number };
  firstPage: { bytes: number; p50Ms: number; p99Ms: number; runs: number };
  laterPages: { p50Ms: number; p99Ms: number; runs: number };
  search: { query: string; matches: number; p50Ms: number; maxMs: number }[];
  countsLatency: { p50Ms: number; maxMs: number; runs: number };
  assignment: { p50Ms: number; maxMs: number; runs: number; assigned: number };
  pageThrough: {
    agents: number;
    pages: number;
    seconds: number;
    rssStartMiB: number;
    rssMaxMiB: number;
    rssEndMiB: number;
    everyConversationOnce: boolean;
    passes: number;
    /** Memory after a full GC: before paging, at each quarter of each pass, after each pass. */
    afterGc: MemorySample[];
    heapSnapshots: string[];
  };
}

const DEPARTMENT = 'billing';

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
const summarise = (times: number[]) => {
  const sorted = [...times].sort((a, b) => a - b);
  return {
    p50Ms: round(pct(sorted, 0.5)),
    p99Ms: round(pct(sorted, 0.99)),
    maxMs: round(sorted.at(-1) ?? 0),
  };
};
const round = (v: number) => Math.round(v * 10) / 10;
/** The process's resident set (MiB), null once it is gone. */
const rssMiB = (pid: number): number | null => {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const line = status.split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line?.match(/\d+/)?.[0] ?? 0) / 1024;
};

interface Page {
  conversations: { id: string; unread: number }[];
  nextCursor: string | null;
  counts: { mine: number; waiting: number; open: number; unread: number };
}

async function getPage(
  url: string,
  token: string,
  query: string,
): Promise<{ page: Page; bytes: number; ms: number }> {
  const t0 = performance.now();
  const res = await fetch(`${url}/api/conversations?${query}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const text = await res.text();
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`inbox page: ${res.status} ${text}`);
  return { page: JSON.parse(text) as Page, bytes: Buffer.byteLength(text), ms };
}

/** getPage as an agent who pages for longer than an access token lives (15 min): renewed once on a 401. */
async function pageRenewing(
  url: string,
  agent: { token: string; refreshToken?: string },
  query: string,
): Promise<{ page: Page; bytes: number; ms: number }> {
  try {
    return await getPage(url, agent.token, query);
  } catch (err) {
    if (!agent.refreshToken || !(err as Error).message.startsWith('inbox page: 401')) throw err;
    const res = await fetch(`${url}/api/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: agent.refreshToken }),
    });
    const renewed = (await res.json()) as { accessToken?: string; refreshToken?: string };
    if (!res.ok || !renewed.accessToken) throw new Error(`token refresh: ${res.status}`);
    agent.token = renewed.accessToken;
    agent.refreshToken = renewed.refreshToken ?? agent.refreshToken;
    return getPage(url, agent.token, query);
  }
}

const connect = (url: string, token: string): Promise<Socket> =>
  new Promise((resolve, reject) => {
    const socket = io(url, { auth: { token }, transports: ['websocket'], reconnection: false });
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });

/** Seconds from the start of a server over `count` conversations without index keys to its first health answer. */
async function migrationSeconds(opts: { mongoUri: string; runDir: string }, count: number): Promise<number> {
  const dbName = `bench_inbox_migration_${Date.now().toString(36)}`;
  await seedConversations({ mongoUri: opts.mongoUri, dbName, count, department: DEPARTMENT, indexed: false });
  const started = Date.now();
  const server = await startChatServer({
    name: 'inbox-migration',
    runDir: opts.runDir,
    mongoUri: opts.mongoUri,
    dbName,
    secrets: newSecrets(),
    startTimeoutMs: 30 * 60_000,
  });
  const seconds = (Date.now() - started) / 1000;
  await server.stop();
  await dropBenchDatabase(opts.mongoUri, dbName);
  return seconds;
}

export async function inboxRun(opts: {
  mongoUri: string;
  runDir: string;
  conversations?: number;
  migrationSample?: number;
  /** Agents paging through everything at once (default 20). */
  pagingAgents?: number;
  /** How many times the agents page through everything (default 1; a second pass shows whether memory keeps rising). */
  passes?: number;
  /** Heap snapshots of the server before paging and after each pass (files in runDir). */
  heapSnapshots?: boolean;
  /** Extra environment of the measured server (experiments, e.g. allocator settings). */
  env?: Record<string, string>;
}): Promise<InboxRun> {
  const total = opts.conversations ?? 100_000;
  const sample = opts.migrationSample ?? 10_000;
  const migration = await migrationSeconds(opts, sample);
  const tag = Date.now().toString(36);
  const dbName = `bench_inbox_${tag}`;
  // A year: one conversation every ~5 minutes, the newest now; 1 % still open (held by a colleague who is away).
  const yearMs = 365 * 86_400_000;
  const start = Date.now() - yearMs;
  const seedStarted = Date.now();
  await seedConversations({
    mongoUri: opts.mongoUri,
    dbName,
    count: total,
    department: DEPARTMENT,
    activity: (i) => new Date(start + Math.floor((i * yearMs) / total)),
    open: (i) => i % 100 === 0,
    assignee: () => `a${randomBytes(11).toString('hex')}`.slice(0, 24),
  });
  const seedSeconds = (Date.now() - seedStarted) / 1000;

  const server = await startChatServer({
    name: 'inbox',
    runDir: opts.runDir,
    mongoUri: opts.mongoUri,
    dbName,
    secrets: newSecrets(),
    // info: a server that stops during the run says why in its log (a signal is logged as "shutting down").
    env: { LOG_LEVEL: 'info', ...opts.env },
  });
  server.child.once('exit', (code, signal) => {
    if (!stopping) console.error(`inbox: the server exited during the run (code ${code}, signal ${signal})`);
  });
  let stopping = false;
  const sockets: Socket[] = [];
  try {
    const agents = await createAgents(server.url, opts.mongoUri, dbName, tag, opts.pagingAgents ?? 20, [
      DEPARTMENT,
    ]);
    const token = agents[0]?.token as string;

    // The first page and later pages, one agent, one request at a time.
    const first: number[] = [];
    let bytes = 0;
    for (let run = 0; run < 21; run++) {
      const r = await getPage(server.url, token, 'limit=50');
      if (run > 0) first.push(r.ms);
      bytes = Math.max(bytes, r.bytes);
    }
    const later: number[] = [];
    let cursor: string | null = (await getPage(server.url, token, 'limit=50')).page.nextCursor;
    for (let run = 0; run < 200 && cursor; run++) {
      const r: { page: Page; ms: number } = await getPage(server.url, token, `limit=50&cursor=${cursor}`);
      later.push(r.ms);
      cursor = r.page.nextCursor;
    }

    // Customer search: one customer, and a prefix that matches thousands.
    const search: InboxRun['search'] = [];
    for (const q of ['customer-4242', 'customer-9', 'customer-4242@seed']) {
      const times: number[] = [];
      let matches = 0;
      for (let run = 0; run < 11; run++) {
        const r = await getPage(server.url, token, `q=${encodeURIComponent(q)}`);
        if (run > 0) times.push(r.ms);
        matches = r.page.conversations.length;
      }
      const s = summarise(times);
      search.push({ query: q, matches, p50Ms: s.p50Ms, maxMs: s.maxMs });
    }

    // A customer's message to the agent's inbox:counts; a new conversation's assignment (the open's answer carries
    // the assignee). The agent is online, so new conversations are assigned to them.
    const agentSocket = await connect(server.url, token);
    sockets.push(agentSocket);
    let lastCounts: Page['counts'] = (await getPage(server.url, token, 'limit=1')).page.counts;
    agentSocket.on('inbox:counts', (e: { counts: Page['counts'] }) => {
      lastCounts = e.counts;
    });
    const customerTokens = await registerCustomers(server.url, 21, tag);
    const assignTimes: number[] = [];
    const countsTimes: number[] = [];
    let assigned = 0;
    for (const [i, customerToken] of customerTokens.entries()) {
      const customer = await connect(server.url, customerToken);
      sockets.push(customer);
      const mineBefore = lastCounts.mine;
      const t0 = performance.now();
      const opened = (await customer
        .timeout(10_000)
        .emitWithAck('conversation:open', { department: DEPARTMENT })) as {
        ok: boolean;
        data: { conversation: { id: string; assigneeId: string | null } };
      };
      const openMs = performance.now() - t0;
      if (opened.data.conversation.assigneeId) assigned++;
      // The assignment's own counts reach the agent first (one more conversation of theirs).
      if (opened.data.conversation.assigneeId)
        await new Promise<void>((resolve) => {
          const check = () => (lastCounts.mine > mineBefore ? resolve() : setTimeout(check, 1));
          check();
        });
      // The counts that show this message: one more unread than the agent heard last.
      const unreadBefore = lastCounts.unread;
      const heard = new Promise<number>((resolve) => {
        const on = (e: { counts: Page['counts'] }) => {
          if (e.counts.unread <= unreadBefore) return;
          agentSocket.off('inbox:counts', on);
          resolve(performance.now());
        };
        agentSocket.on('inbox:counts', on);
      });
      const sent = performance.now();
      await customer.timeout(10_000).emitWithAck('message:send', {
        conversationId: opened.data.conversation.id,
        clientMsgId: crypto.randomUUID(),
        text: 'hello',
      });
      const at = await Promise.race([
        heard,
        new Promise<number>((r) => setTimeout(() => r(Number.NaN), 5000)),
      ]);
      if (i > 0) {
        assignTimes.push(openMs);
        if (!Number.isNaN(at)) countsTimes.push(at - sent);
      }
    }

    // 20 agents page through the whole inbox at once (200 a page); the server's RSS sampled every 200 ms, and its
    // memory after a full GC at each quarter (the probes queue behind each other; paging goes on meanwhile).
    const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
    const afterGc: MemorySample[] = [];
    const heapSnapshots: string[] = [];
    let probes: Promise<void> = Promise.resolve();
    let pages = 0;
    const probe = (at: string, snapshot = false) => {
      const pagesThen = pages;
      probes = probes.then(async () => {
        const m = await ask<{
          heapUsed: number;
          heapTotal: number;
          external: number;
          arrayBuffers: number;
          rss: number;
        }>(server.child, { probe: 'memory' });
        afterGc.push({
          at,
          pages: pagesThen,
          heapUsedMiB: mib(m.heapUsed),
          heapTotalMiB: mib(m.heapTotal),
          externalMiB: mib(m.external),
          arrayBuffersMiB: mib(m.arrayBuffers),
          rssMiB: mib(m.rss),
        });
        if (snapshot && opts.heapSnapshots) {
          const file = path.join(opts.runDir, `inbox-${at.replace(/\W+/g, '-')}.heapsnapshot`);
          await ask(server.child, { probe: 'heap-snapshot', file }, 300_000);
          heapSnapshots.push(file);
        }
      });
      return probes;
    };
    const passes = opts.passes ?? 1;
    await probe('before paging', true);
    const rss: number[] = [];
    const sampleRss = () => {
      const v = rssMiB(server.pid);
      if (v !== null) rss.push(v);
    };
    sampleRss();
    const sampler = setInterval(sampleRss, 200);
    const t0 = Date.now();
    const perPass = agents.length * Math.ceil((total + customerTokens.length) / 200);
    const seenCounts: number[] = [];
    for (let pass = 1; pass <= passes; pass++) {
      const label = passes > 1 ? `pass ${pass}, ` : '';
      let quarter = 1;
      const counts = await Promise.all(
        agents.map(async (agent) => {
          const seen = new Set<string>();
          let c: string | null = null;
          do {
            const r: { page: Page } = await pageRenewing(
              server.url,
              agent,
              `limit=200${c ? `&cursor=${c}` : ''}`,
            );
            pages++;
            if (quarter < 4 && pages - (pass - 1) * perPass >= (perPass * quarter) / 4)
              void probe(`${label}${25 * quarter++} %`);
            for (const conv of r.page.conversations) seen.add(conv.id);
            c = r.page.nextCursor;
          } while (c);
          return seen.size;
        }),
      );
      await probe(`${label}end`, true);
      seenCounts.push(...counts);
    }
    clearInterval(sampler);
    sampleRss();
    const firstSummary = summarise(first);
    const laterSummary = summarise(later);
    const countsSummary = summarise(countsTimes);
    const assignSummary = summarise(assignTimes);
    return {
      conversations: total,
      open: Math.ceil(total / 100),
      seedSeconds,
      migration: { conversations: sample, seconds: migration },
      firstPage: { bytes, p50Ms: firstSummary.p50Ms, p99Ms: firstSummary.p99Ms, runs: first.length },
      laterPages: { p50Ms: laterSummary.p50Ms, p99Ms: laterSummary.p99Ms, runs: later.length },
      search,
      countsLatency: { p50Ms: countsSummary.p50Ms, maxMs: countsSummary.maxMs, runs: countsTimes.length },
      assignment: {
        p50Ms: assignSummary.p50Ms,
        maxMs: assignSummary.maxMs,
        runs: assignTimes.length,
        assigned,
      },
      pageThrough: {
        agents: agents.length,
        pages,
        seconds: (Date.now() - t0) / 1000,
        rssStartMiB: Math.round(rss[0] ?? 0),
        rssMaxMiB: Math.round(Math.max(...rss)),
        rssEndMiB: Math.round(rss.at(-1) ?? 0),
        // The 21 conversations opened above are in the inbox too.
        everyConversationOnce: seenCounts.every((n) => n === total + customerTokens.length),
        passes,
        afterGc,
        heapSnapshots,
      },
    };
  } finally {
    stopping = true;
    for (const s of sockets) s.disconnect();
    await server.stop();
    await dropBenchDatabase(opts.mongoUri, dbName);
  }
}

export const inboxMarkdown = (r: InboxRun) =>
  [
    `### The agent's inbox over ${r.conversations.toLocaleString('en')} conversations of one department (${r.open.toLocaleString('en')} open)`,
    '',
    `Seeded with the server's documents and inbox keys in ${r.seedSeconds.toFixed(1)} s. A start over ${r.migration.conversations.toLocaleString('en')} conversations from before the index (migrated: index keys, search terms, counts) answered its first health check after ${r.migration.seconds.toFixed(1)} s.`,
    '',
    '| measure | target | result |',
    '|---|---|---|',
    `| first page (50): size | ≤ 60 KiB | ${(r.firstPage.bytes / 1024).toFixed(1)} KiB |`,
    `| first page: latency (${r.firstPage.runs} runs) | p50 ≤ 100 ms | p50 ${r.firstPage.p50Ms} ms, p99 ${r.firstPage.p99Ms} ms |`,
    `| later pages (${r.laterPages.runs} pages) | p50 ≤ 100 ms | p50 ${r.laterPages.p50Ms} ms, p99 ${r.laterPages.p99Ms} ms |`,
    ...r.search.map(
      (s) =>
        `| search \`q=${s.query}\` (${s.matches} shown) | ≤ 200 ms | p50 ${s.p50Ms} ms, max ${s.maxMs} ms |`,
    ),
    `| customer message → agent's \`inbox:counts\` (${r.countsLatency.runs} runs) | ≤ 50 ms | p50 ${r.countsLatency.p50Ms} ms, max ${r.countsLatency.maxMs} ms |`,
    `| new conversation assigned (open answered with the assignee; ${r.assignment.assigned} of ${r.assignment.runs + 1} assigned) | ≤ 20 ms | p50 ${r.assignment.p50Ms} ms, max ${r.assignment.maxMs} ms |`,
    `| ${r.pageThrough.agents} agents page through everything at once${r.pageThrough.passes > 1 ? `, ${r.pageThrough.passes} times` : ''} (${r.pageThrough.pages} pages of 200 in ${r.pageThrough.seconds.toFixed(1)} s) | RSS flat | RSS ${r.pageThrough.rssStartMiB} → max ${r.pageThrough.rssMaxMiB} → ${r.pageThrough.rssEndMiB} MiB; every conversation exactly once: ${r.pageThrough.everyConversationOnce ? 'yes' : 'NO'} |`,
    '',
    `Server memory after a full GC while the ${r.pageThrough.agents} agents paged${r.pageThrough.passes > 1 ? ` (${r.pageThrough.passes} passes through everything)` : ''} (MiB; pages done when taken):`,
    '',
    '| at | pages | heap used | heap total | external | array buffers | RSS |',
    '|---|---|---|---|---|---|---|',
    ...r.pageThrough.afterGc.map(
      (m) =>
        `| ${m.at} | ${m.pages} | ${m.heapUsedMiB} | ${m.heapTotalMiB} | ${m.externalMiB} | ${m.arrayBuffersMiB} | ${m.rssMiB} |`,
    ),
  ].join('\n');
