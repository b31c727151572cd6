// Issue 14: a year's report with 100,000 conversations behind it, answered from the kept facts (SPEC §13). A year of
// fabricated history (one episode per conversation: its messages, first response and resolution, 20 agents over the
// five departments) is aggregated into the per-(department, day) fact documents exactly as the server keeps them,
// the 100,000 conversations are stored too, then our server answers GET /api/admin/reports for the whole year (all
// departments: 1825 day documents; one department: 365), timed from the owner's HTTP client.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeReportDay, seedConversations } from '@support-chat/server/testkit';
import { MongoClient, ObjectId } from 'mongodb';
import { DEPARTMENTS, dropBenchDatabase, newSecrets, startChatServer } from '../lib/chat';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface ReportsRun {
  conversations: number;
  dayDocuments: number;
  seedSeconds: number;
  year: { department: string; runs: number; p50Ms: number; maxMs: number; episodes: number }[];
  matches: boolean;
}

/** A small deterministic generator (the same history every run). */
function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function cli(mongoUri: string, dbName: string, args: string[], stdin: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(repoRoot, 'server', 'src', 'cli', 'main.ts'), ...args],
      {
        cwd: repoRoot,
        env: { ...process.env, MONGO_URI: mongoUri, DB_NAME: dbName, LOG_LEVEL: 'warn' },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b;
    });
    child.stderr.on('data', (b: Buffer) => {
      out += b;
    });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`admin ${args[0]}: ${out}`))));
    child.stdin.end(stdin);
  });
}

export async function reportsRun(opts: {
  mongoUri: string;
  runDir: string;
  conversations?: number;
}): Promise<ReportsRun> {
  const total = opts.conversations ?? 100_000;
  const dbName = `bench_reports_${Date.now().toString(36)}`;
  const seedStarted = Date.now();

  // The year's facts, as report-facts.ts would have written them.
  const rnd = random(14);
  const agents = Array.from({ length: 20 }, (_, i) => ({
    id: new ObjectId(),
    username: `agent${String(i).padStart(2, '0')}`,
    department: DEPARTMENTS[i % DEPARTMENTS.length] as string,
  }));
  type Doc = {
    _id: string;
    department: string;
    day: string;
    started: number;
    resolved: number;
    messages: { customer: number; agents: number };
    firstResponseMs: number[];
    resolutionMs: number[];
    agents: Record<
      string,
      { messages: number; resolved: number; firstResponseMs: number[]; resolutionMs: number[] }
    >;
  };
  const docs = new Map<string, Doc>();
  const startOfYear = Date.UTC(2025, 0, 1);
  for (let i = 0; i < total; i++) {
    const department = DEPARTMENTS[i % DEPARTMENTS.length] as string;
    const day = new Date(startOfYear + Math.floor(rnd() * 365) * 86_400_000).toISOString().slice(0, 10);
    const key = `${department}|${day}`;
    let d = docs.get(key);
    if (!d) {
      d = {
        _id: key,
        department,
        day,
        started: 0,
        resolved: 0,
        messages: { customer: 0, agents: 0 },
        firstResponseMs: [],
        resolutionMs: [],
        agents: {},
      };
      docs.set(key, d);
    }
    const staff = agents.filter((a) => a.department === department);
    const agent = staff[Math.floor(rnd() * staff.length)] ?? agents[0];
    if (!agent) throw new Error('no agents');
    const agentKey = agent.id.toHexString();
    d.agents[agentKey] ??= { messages: 0, resolved: 0, firstResponseMs: [], resolutionMs: [] };
    const a = d.agents[agentKey];
    const customerMessages = 1 + Math.floor(rnd() * 6);
    const agentMessages = 1 + Math.floor(rnd() * 6);
    const firstResponse = Math.round(5_000 + rnd() * rnd() * 3_600_000);
    const resolution = firstResponse + Math.round(rnd() * 7_200_000);
    d.started++;
    d.resolved++;
    d.messages.customer += customerMessages;
    d.messages.agents += agentMessages;
    d.firstResponseMs.push(firstResponse);
    d.resolutionMs.push(resolution);
    a.messages += agentMessages;
    a.resolved++;
    a.firstResponseMs.push(firstResponse);
    a.resolutionMs.push(resolution);
  }

  const client = new MongoClient(opts.mongoUri, { retryWrites: false });
  await client.connect();
  const db = client.db(dbName);
  const now = new Date();
  await db
    .collection('report_days')
    .insertMany([...docs.values()].map((d) => encodeReportDay(d)) as never[], { ordered: false });
  await db.collection('users').insertMany(
    agents.map((a) => ({
      _id: a.id,
      username: a.username,
      usernameLower: a.username,
      usernameSkeleton: a.username,
      email: `${a.username}@bench.test`,
      emailLower: `${a.username}@bench.test`,
      passwordHash: '!bench',
      role: 'agent',
      departments: [a.department],
      disabled: false,
      version: 1,
      createdAt: now,
      updatedAt: now,
    })) as never[],
  );
  await client.close();
  // The conversations themselves (the report never reads them: they are here so that it cannot).
  for (const department of DEPARTMENTS)
    await seedConversations({
      mongoUri: opts.mongoUri,
      dbName,
      count: total / DEPARTMENTS.length,
      department,
    });
  const seedSeconds = (Date.now() - seedStarted) / 1000;

  const server = await startChatServer({
    name: 'reports',
    runDir: opts.runDir,
    mongoUri: opts.mongoUri,
    dbName,
    secrets: newSecrets(),
  });
  try {
    const password = 'bench owner password';
    await cli(
      opts.mongoUri,
      dbName,
      ['create-owner', '--username', 'benchowner', '--email', 'owner@bench.test', '--password-stdin'],
      password,
    );
    const login = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'benchowner', password }),
    });
    const { accessToken } = (await login.json()) as { accessToken: string };
    const year: ReportsRun['year'] = [];
    let matches = true;
    for (const department of ['', 'billing']) {
      const q = `from=2025-01-01&to=2025-12-31${department ? `&department=${department}` : ''}`;
      const times: number[] = [];
      let episodes = 0;
      for (let run = 0; run < 11; run++) {
        const t0 = performance.now();
        const res = await fetch(`${server.url}/api/admin/reports?${q}`, {
          headers: { authorization: `Bearer ${accessToken}` },
        });
        const body = (await res.json()) as {
          report: { totals: { episodesStarted: number }; days: unknown[] };
        };
        const elapsed = performance.now() - t0;
        if (run > 0) times.push(elapsed); // the first warms the connection and the JIT
        episodes = body.report.totals.episodesStarted;
      }
      const expected = department ? total / DEPARTMENTS.length : total;
      if (episodes !== expected) matches = false;
      times.sort((a, b) => a - b);
      year.push({
        department: department || 'all',
        runs: times.length,
        p50Ms: Math.round(times[Math.floor(times.length / 2)] ?? 0),
        maxMs: Math.round(times.at(-1) ?? 0),
        episodes,
      });
    }
    return { conversations: total, dayDocuments: docs.size, seedSeconds, year, matches };
  } finally {
    await server.stop();
    await dropBenchDatabase(opts.mongoUri, dbName);
  }
}

export const reportsMarkdown = (r: ReportsRun) =>
  [
    `### A year's report over ${r.conversations.toLocaleString('en')} conversations (${r.dayDocuments} day documents; seeded in ${r.seedSeconds.toFixed(1)} s)`,
    '',
    '| departments | requests timed | p50 ms | max ms | episodes in the report |',
    '|---|---|---|---|---|',
    ...r.year.map((y) => `| ${y.department} | ${y.runs} | ${y.p50Ms} | ${y.maxMs} | ${y.episodes} |`),
    '',
    `Totals equal the fabricated history: ${r.matches ? 'yes' : 'NO'}.`,
  ].join('\n');
