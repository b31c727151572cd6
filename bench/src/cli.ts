// `npm run bench -w bench -- <scenario> [options]`: starts everything the scenario needs (by pid), measures,
// stops it all, prints a markdown fragment for RESULTS.md and saves the numbers under bench/results/.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startEmbeddedDb } from '@support-chat/server/testkit';
import type { LoadResult } from './lib/generators';
import { loadAverage, machineInfo } from './lib/procs';
import { profileMarkdown } from './lib/profile';
import { cpuLine, lat, loadHeader, loadRow, machineBlock, ms, save } from './lib/report';
import { dbBaseline, type LoadOptions, relayBaseline, type ThroughputRun } from './scenarios/baselines';
import { chatThroughput } from './scenarios/chat';
import { hotpathRun } from './scenarios/hotpath';
import { inboxMarkdown, inboxRun } from './scenarios/inbox';
import { type MemoryRun, memoryRun } from './scenarios/memory';
import { pointReadsMarkdown, pointReadsRun } from './scenarios/point-reads';
import { reportsMarkdown, reportsRun } from './scenarios/reports';
import { stormRun } from './scenarios/storm';
import { uploadsRun } from './scenarios/uploads';

const SCENARIOS = [
  'relay',
  'db',
  'chat',
  'throughput',
  'hotpath',
  'memory',
  'storm',
  'reports',
  'uploads',
  'inbox',
  'point-reads',
  'all',
] as const;
type Scenario = (typeof SCENARIOS)[number];

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    customers: { type: 'string' },
    window: { type: 'string', default: '1' },
    duration: { type: 'string', default: '15' },
    warmup: { type: 'string', default: '3' },
    generators: { type: 'string', default: '1' },
    text: { type: 'string', default: '64' },
    'db-levels': { type: 'string', default: '1,4,16,64' },
    'db-writers': { type: 'string', default: '2' },
    connections: { type: 'string', default: '1000,5000,10000' },
    'max-connections': { type: 'string', default: '19000' },
    'storm-clients': { type: 'string', default: '5000' },
    'storm-writers': { type: 'string', default: '100' },
    'storm-targets': { type: 'string', default: 'relay,chat' },
    users: { type: 'string' },
    rates: { type: 'string' },
    'server-env': { type: 'string' },
    rounds: { type: 'string', default: '3' },
    'file-mib': { type: 'string', default: '10' },
    kind: { type: 'string', default: 'pdf' },
    'before-server': { type: 'string' },
    passes: { type: 'string', default: '1' },
    'heap-snapshots': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

const scenario = positionals[0] as Scenario | undefined;
if (values.help || !scenario || !SCENARIOS.includes(scenario)) {
  console.log(`usage: npm run bench -w bench -- <${SCENARIOS.join('|')}> [--customers N (500; hotpath 40)] [--window W]
  [--duration s] [--warmup s] [--generators G] [--text chars] [--db-levels 1,8,32] [--db-writers W]
  [--connections 1000,5000,10000] [--max-connections N] [--storm-clients N] [--storm-targets relay,chat] [--profile] [--keep]
  [--rounds N --file-mib M --kind pdf|jpeg (uploads: 20 concurrent customers by default)]
  [--before-server <server folder of another checkout> (hotpath: also measure that copy in the same run)]
  [inbox: --customers conversations (100000) --users agents paging (20) --connections migrated (10000)
   --passes N (page through everything N times) --heap-snapshots (server heap before paging and after each pass; the run folder is kept)]`);
  process.exit(scenario ? 1 : 0);
}

/** `--server-env A=1,B=2`: extra environment for the chat server (experiments; printed in the report). */
const serverEnv: Record<string, string> = Object.fromEntries(
  (values['server-env'] ?? '')
    .split(',')
    .filter(Boolean)
    .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);

const runDir = mkdtempSync(path.join(os.tmpdir(), `bench-${scenario}-`));
const load: LoadOptions = {
  // hotpath: issue 9's workload, 40 closed-loop customers
  customers: Number(values.customers ?? (scenario === 'hotpath' ? 40 : 500)),
  window: Number(values.window),
  warmupMs: Number(values.warmup) * 1000,
  durationMs: Number(values.duration) * 1000,
  generators: Number(values.generators),
  textChars: Number(values.text),
  logDir: runDir,
};

const fractions = (max: number) =>
  values.rates
    ? values.rates
        .split(',')
        .map((r) => ({ rate: Number(r), label: `${Math.round((Number(r) / max) * 100)}%` }))
    : [
        { rate: Math.max(1, Math.round(max * 0.5)), label: '50%' },
        { rate: Math.max(1, Math.round(max * 0.9)), label: '90%' },
      ];

const trafficTable = (title: string, run: ThroughputRun) =>
  [
    `### ${title}`,
    '',
    loadHeader,
    loadRow('max (closed loop)', run.max),
    ...run.atRates.map((r) => loadRow(`${r.label} = ${r.rate} msgs/s (open loop)`, r.result)),
    '',
    `CPU at max (cores): ${cpuLine(run.maxCpu)}`,
    ...run.atRates.map((r) => `CPU at ${r.label}: ${cpuLine(r.cpu)}`),
  ].join('\n');

const numbers: Record<string, unknown> = {};

async function runRelay(rates = fractions): Promise<ThroughputRun> {
  const run = await relayBaseline(load, rates);
  numbers.relay = strip(run);
  return run;
}

async function runDb(uri: string, pid: number, kind: string): Promise<string> {
  const result = await dbBaseline(uri, pid, {
    levels: values['db-levels'].split(',').map(Number),
    writers: Number(values['db-writers']),
    durationMs: load.durationMs,
    warmupMs: load.warmupMs,
    logDir: runDir,
    conversations: load.customers,
  });
  numbers.db = result;
  dbBest = result.best.messagesPerSecond;
  return [
    `### Database capacity: one findOneAndUpdate + one insertOne per message (${kind})`,
    '',
    '| concurrent writers | processes | msgs/s | pair latency p50/p95/p99 ms | errors | CPU (cores) |',
    '|---|---|---|---|---|---|',
    ...result.levels.map(
      (l) =>
        `| ${l.concurrency} | ${l.writers} | ${l.messagesPerSecond} | ${lat(l.latency)} | ${l.errors} | ${cpuLine(l.cpu)} |`,
    ),
    '',
    `Best: ${result.best.messagesPerSecond} msgs/s at ${result.best.concurrency} concurrent writers.`,
    ...result.levels
      .filter((l) => l.errorSamples.length)
      .map((l) => `Errors at ${l.concurrency} writers: ${l.errorSamples.map((e) => `"${e}"`).join('; ')}`),
  ].join('\n');
}

let dbBest = 0;

/** Results without raw samples, for the JSON file. */
const strip = (v: unknown): unknown =>
  JSON.parse(JSON.stringify(v, (k, x) => (k.endsWith('Latencies') ? undefined : x)));

async function withDb<T>(fn: (uri: string, pid: number, kind: string) => Promise<T>): Promise<T> {
  const db = await startEmbeddedDb({ dir: path.join(runDir, 'db') });
  try {
    return await fn(db.uri, db.pid, db.kind);
  } finally {
    await db.stop();
  }
}

const memoryTable = (m: MemoryRun) =>
  [
    `### Memory per idle authenticated connection: ${m.target === 'chat' ? 'our server' : 'bare Socket.IO relay'}`,
    '',
    `Baseline after GC (no connections): heap ${m.baseline.heapUsedMB} MB, RSS ${m.baseline.rssMB} MB; ${m.users} distinct users.`,
    '',
    '| connections | heap used MB | RSS MB | heap per connection KB | RSS per connection KB | time to connect s |',
    '|---|---|---|---|---|---|',
    ...m.points.map(
      (p) =>
        `| ${p.connections} | ${p.heapUsedMB} | ${p.rssMB} | ${p.heapPerConnectionKB} | ${p.rssPerConnectionKB} | ${p.connectSeconds} |`,
    ),
    '',
    m.idleCpu
      ? `CPU while ${m.points.at(-1)?.connections} connections sat idle for ${m.idleCpu.wallSeconds} s (cores): ${cpuLine(m.idleCpu)}`
      : '',
    '',
    `Most connections held by one process: ${m.maxHeld} (${m.maxReason}).`,
  ].join('\n');

async function main() {
  const machine = machineInfo();
  const parts: string[] = [`## ${scenario} — ${machine.date}`, '', machineBlock(machine), ''];
  const command = `npm run bench -w bench -- ${process.argv.slice(2).join(' ')}`;
  parts.push(`Command: \`${command}\``, '');
  if (Object.keys(serverEnv).length) parts.push(`Server environment added: ${JSON.stringify(serverEnv)}`, '');
  const want = (s: Scenario) => scenario === s || scenario === 'all';

  if (scenario === 'uploads') {
    // Issue 12: concurrent 10 MiB PDF uploads, throughput and the server's RSS (not part of `all`).
    await withDb(async (uri, pid, kind) => {
      const run = await uploadsRun({
        logDir: runDir,
        mongoUri: uri,
        dbPid: pid,
        concurrency: Number(values.customers ?? 20),
        rounds: Number(values.rounds),
        fileMiB: Number(values['file-mib']),
        kind: values.kind === 'jpeg' ? 'jpeg' : 'pdf',
        env: serverEnv,
      });
      numbers.uploads = run;
      parts.push(
        `### ${run.concurrency} concurrent uploads of a ${(run.fileBytes / 1024 / 1024).toFixed(1)} MiB ${run.kind.toUpperCase()}, ${run.rounds.length} rounds (${kind})`,
        '',
        `Server RSS idle (after one warm-up upload): ${run.rssIdleMiB} MiB. Stored file verified by download (PDF: SHA-256 equal; JPEG: re-encoded, served): ${run.verified ? 'yes' : 'NO'}.`,
        '',
        '| round | uploads ok / failed | wall s | aggregate MiB/s | per upload p50 / p95 / max ms | server RSS before / peak / after MiB | database RSS peak MiB | CPU (cores) |',
        '|---|---|---|---|---|---|---|---|',
        ...run.rounds.map(
          (r) =>
            `| ${r.round} | ${r.uploads - r.failed} / ${r.failed} | ${r.wallSeconds} | ${r.mibPerSecond} | ${ms(r.perUploadMs.p50)} / ${ms(r.perUploadMs.p95)} / ${ms(r.perUploadMs.max)} | ${r.rssBeforeMiB} / ${r.rssPeakMiB} / ${r.rssAfterMiB} | ${r.dbRssPeakMiB ?? '–'} | ${cpuLine(r.cpu)} |`,
        ),
        '',
      );
    });
  }

  if (scenario === 'point-reads') {
    // Issue 9: what the reconnect storm's handshake reads cost the embedded database (not part of `all`).
    await withDb(async (uri, pid) => {
      const run = await pointReadsRun({ mongoUri: uri, dbPid: pid });
      numbers.pointReads = run;
      parts.push(pointReadsMarkdown(run), '');
    });
  }

  if (scenario === 'reports') {
    // Issue 14: a year's report from the kept facts, 100,000 conversations behind it (not part of `all`).
    await withDb(async (uri) => {
      const run = await reportsRun({
        mongoUri: uri,
        runDir,
        conversations: Number(values.customers ?? 100_000),
      });
      numbers.reports = run;
      parts.push(reportsMarkdown(run), '');
    });
  }

  if (scenario === 'inbox') {
    // Issue 10: the paged inbox over 100,000 conversations of one department (not part of `all`).
    await withDb(async (uri) => {
      const run = await inboxRun({
        mongoUri: uri,
        runDir,
        conversations: Number(values.customers ?? 100_000),
        // --connections: conversations migrated at start (default 10,000); --users: agents paging at once (20).
        migrationSample: Number(values.connections.includes(',') ? 10_000 : values.connections),
        pagingAgents: Number(values.users ?? 20),
        // --passes: how many times they page through everything; --heap-snapshots: before paging and at the end.
        passes: Number(values.passes),
        heapSnapshots: values['heap-snapshots'],
        env: serverEnv,
      });
      numbers.inbox = run;
      parts.push(inboxMarkdown(run), '');
    });
  }

  if (scenario === 'chat') {
    // Our server alone (no baselines): for A/B runs while optimising.
    await withDb(async (uri, pid) => {
      const chat = await chatThroughput(
        { ...load, mongoUri: uri, dbPid: pid, profile: values.profile, env: serverEnv },
        fractions,
      );
      numbers.chat = strip(chat);
      parts.push(trafficTable(`Our server (${load.customers} customers, window ${load.window})`, chat), '');
      if (chat.profile)
        parts.push(
          profileMarkdown(chat.profile.summary, `CPU profile of the server at max (${chat.profile.file})`),
          '',
        );
    });
  }

  if (want('hotpath')) {
    await withDb(async (uri, pid, kind) => {
      const run = await hotpathRun({
        ...load,
        mongoUri: uri,
        dbPid: pid,
        dbWriters: Number(values['db-writers']),
        env: serverEnv,
        manyConversations: true,
        ...(values['before-server'] ? { beforeServerDir: path.resolve(values['before-server']) } : {}),
      });
      numbers.hotpath = strip(run);
      const db = (label: string, l: typeof run.insertOne) =>
        `| ${label} | ${l.messagesPerSecond} | ${lat(l.latency)} | ${l.meanBatch ?? '–'} | ${l.dbCpuPerDocUs} | ${l.errors} | ${cpuLine(l.cpu)} |`;
      parts.push(
        `### Hot path (issue 9): ${load.customers} closed-loop customers, window ${load.window}, one agent receiving everything (${kind})`,
        '',
        '| database baseline | docs/s | latency p50/p95/p99 ms | docs per insertMany | database CPU per doc µs | errors | CPU (cores) |',
        '|---|---|---|---|---|---|---|',
        db(
          `insertOne loop, ${run.insertOne.concurrency} concurrent writers (${run.insertOne.writers} processes)`,
          run.insertOne,
        ),
        db(`group insertMany of whatever is waiting, ${run.group.concurrency} writers`, run.group),
        '',
        '| target | msgs/s acked | failed | ack p50 / p99 ms | customer→agent p50 / p99 ms | CPU per message µs (server + database) | server cores | database cores | msgs per insertMany | other work (cores) |',
        '|---|---|---|---|---|---|---|---|---|---|',
        ...run.targets.map(
          (t) =>
            `| ${t.label} | ${t.result.throughput} | ${t.result.failed + t.result.rateLimited} | ${ms(t.result.ack.p50)} / ${ms(t.result.ack.p99)} | ${ms(t.result.delivery.p50)} / ${ms(t.result.delivery.p99)} | ${t.cpuPerMessageUs} | ${t.serverCores.toFixed(2)} | ${t.dbCores.toFixed(2)} | ${t.meanBatch ?? '–'} | ${t.cpu.others.toFixed(2)} |`,
        ),
        '',
        ...run.targets.map((t) => `CPU during ${t.label} (cores): ${cpuLine(t.cpu)}`),
        '',
        '#### Open loop (a fixed offered rate; the relay and our server at the same rate)',
        '',
        '| target | conversations | offered msgs/s | acked msgs/s | sent / acked / delivered to the agent | failed | ack p50 / p99 ms | customer→agent p50 / p99 / max ms | server cores | database cores |',
        '|---|---|---|---|---|---|---|---|---|---|',
        ...run.open.map(
          (o) =>
            `| ${o.label} | ${o.customers} | ${o.rate} | ${o.result.throughput} | ${o.result.sent} / ${o.result.acked} / ${o.result.delivered} | ${o.result.failed + o.result.rateLimited} | ${ms(o.result.ack.p50)} / ${ms(o.result.ack.p99)} | ${ms(o.result.delivery.p50)} / ${ms(o.result.delivery.p99)} / ${ms(o.result.delivery.max)} | ${(o.cpu.perProcess.server ?? 0).toFixed(2)} | ${(o.cpu.perProcess.ferretdb ?? 0).toFixed(2)} |`,
        ),
        '',
        'Targets: at half of the throughput, p99 customer→agent <= 20 ms; 1,000 conversations at 2 msgs/s each: p99 customer→agent <= 100 ms, nothing lost.',
        '',
      );
      const chat = run.targets.at(-1);
      const limit = run.targets.find((t) => t.label.includes('coalesced'));
      const bare = run.targets.find((t) => t.label.startsWith('bare'));
      const before = run.targets.find((t) => t.label.endsWith('before'));
      const of = (n: number, base: number) => (base ? (n / base).toFixed(2) : '–');
      if (chat && limit && bare)
        parts.push(
          '### Against the baselines (all from this run)',
          '',
          `- our server ${chat.result.throughput} msgs/s = ${of(chat.result.throughput, run.group.messagesPerSecond)} of the database's own grouped writes (${run.group.messagesPerSecond} docs/s), ${of(chat.result.throughput, run.insertOne.messagesPerSecond)} of its single writes (${run.insertOne.messagesPerSecond} docs/s), ${of(chat.result.throughput, bare.result.throughput)} of the bare relay (${bare.result.throughput} msgs/s)`,
          `- our server = ${of(chat.result.throughput, limit.result.throughput)} of the design-limit relay with coalesced summaries (${limit.result.throughput} msgs/s); target >= 0.6 and >= 2,400 msgs/s (5× the original app's 444–480 msgs/s measured in the issue)`,
          `- our server p99 ack ${ms(chat.result.ack.p99)} ms (target <= 50 ms); CPU per message ${chat.cpuPerMessageUs} µs (target <= 450 µs)`,
          ...(before
            ? [
                `- before this change (same run): ${before.result.throughput} msgs/s, p99 ack ${ms(before.result.ack.p99)} ms, CPU per message ${before.cpuPerMessageUs} µs; after: ${of(chat.result.throughput, before.result.throughput)}× the throughput`,
              ]
            : []),
          `- database: group insertMany ${run.group.messagesPerSecond} docs/s, ${(run.group.messagesPerSecond / Math.max(1, run.insertOne.messagesPerSecond)).toFixed(1)}× the insertOne loop (${run.insertOne.messagesPerSecond} docs/s)`,
          '',
        );
    });
  }

  if (want('db') || want('relay') || want('throughput')) {
    await withDb(async (uri, pid, kind) => {
      if (want('db') || want('throughput')) parts.push(await runDb(uri, pid, kind), '');
      if (want('throughput')) {
        const chat = await chatThroughput(
          { ...load, mongoUri: uri, dbPid: pid, profile: values.profile, env: serverEnv },
          fractions,
        );
        numbers.chat = strip(chat);
        // The relay carries the same pattern at the same absolute rates, for a like-for-like latency.
        const relay = await runRelay(() =>
          chat.atRates.map((r) => ({ rate: r.rate, label: `chat ${r.label}` })),
        );
        parts.push(trafficTable(`Our server (${load.customers} customers, window ${load.window})`, chat), '');
        parts.push(`Setup (server start, accounts, connections): ${Math.round(chat.setupSeconds)} s.`, '');
        if (chat.profile)
          parts.push(
            profileMarkdown(chat.profile.summary, `CPU profile of the server at max (${chat.profile.file})`),
            '',
          );
        parts.push(
          trafficTable(`Bare Socket.IO relay (${load.customers} customers, window ${load.window})`, relay),
          '',
        );
        const lower = Math.min(dbBest, relay.max.throughput);
        parts.push(
          '### Against the baselines',
          '',
          `- persisted throughput ${chat.max.throughput} msgs/s = ${(chat.max.throughput / lower).toFixed(2)} of the lower baseline (${lower} msgs/s; database ${dbBest}, relay ${relay.max.throughput}); target >= 0.8`,
          `- customer → agent p99 at 50%: ${(chat.atRates[0]?.result as LoadResult | undefined)?.delivery.p99.toFixed(1)} ms (target < 50 ms)`,
          '',
        );
      } else if (want('relay')) {
        const relay = await runRelay();
        parts.push(
          trafficTable(
            `Bare Socket.IO relay (${load.customers} customers, window ${load.window}, ${load.generators} generator process(es))`,
            relay,
          ),
          '',
        );
      }
    });
  }

  if (want('memory')) {
    await withDb(async (uri, dbPid) => {
      const counts = values.connections.split(',').map(Number);
      const max = Number(values['max-connections']);
      const chat = await memoryRun({
        target: 'chat',
        logDir: runDir,
        mongoUri: uri,
        counts,
        max,
        users: Number(values.users ?? max),
        dbPid,
        env: serverEnv,
      });
      numbers.memoryChat = chat;
      parts.push(memoryTable(chat), '');
      const relay = await memoryRun({
        target: 'relay',
        logDir: runDir,
        mongoUri: uri,
        counts,
        max: Math.max(...counts),
        users: Number(values.users ?? Math.max(...counts)),
      });
      numbers.memoryRelay = relay;
      parts.push(memoryTable(relay), '');
    });
  }

  if (want('storm')) {
    const targets = values['storm-targets'].split(',').map((t) => {
      if (t !== 'chat' && t !== 'relay') throw new Error(`--storm-targets: chat or relay, not ${t}`);
      return t;
    });
    for (const target of targets) {
      await withDb(async (uri, dbPid) => {
        const storm = await stormRun({
          target,
          logDir: runDir,
          mongoUri: uri,
          clients: Number(values['storm-clients']),
          writers: Number(values['storm-writers']),
          users: Number(values.users ?? values['storm-clients']),
          generators: 2,
          sendIntervalMs: 1000,
          env: serverEnv,
          dbPid,
          profile: values.profile,
        });
        numbers[target === 'chat' ? 'storm' : 'stormRelay'] = storm;
        const what = target === 'chat' ? 'server' : 'bare Socket.IO relay (trusted tokens, nothing stored)';
        parts.push(
          `### Reconnect storm: ${storm.clients} clients (${storm.writers} writing), ${what} SIGKILLed at ${storm.killedAt} and restarted`,
          '',
          `- ${target === 'chat' ? 'server' : 'relay'} down (SIGKILL until the restarted process answered): ${storm.downSeconds} s`,
          `- 99% of clients back: ${storm.to99Seconds} s after the kill (${storm.to99AfterReadySeconds} s after the restart was up)`,
          `- 100% back: ${storm.to100Seconds} s after the kill (${storm.to100AfterReadySeconds} s after the restart was up)`,
          ...(storm.db
            ? [
                `- messages acknowledged: ${storm.acked}; lost (acked but not seen by the agent after sync): ${storm.lost}; in the wrong slot: ${storm.misplaced}; conversations with gaps: ${storm.gaps}; never acked: ${storm.unacked}`,
                `- database: ${storm.db.stored} stored, acked-but-missing ${storm.db.missingAcked}, duplicate clientMsgIds ${storm.db.duplicateClientMsgIds}, seq gaps ${storm.db.seqGaps}`,
                `- sends retried: ${storm.retries}; duplicate deliveries the clients de-duplicated: ${storm.duplicatesDelivered}; final agent syncs without an answer (retried): ${storm.syncFailures}, answered with an error: ${storm.syncRefusals}`,
              ]
            : [`- messages acknowledged: ${storm.acked} (nothing is stored: no loss check)`]),
          `- CPU from the restart being up until all were back (cores): ${cpuLine(storm.recoveryCpu)}`,
          `- kernel listen-queue overflows during the run (SYNs dropped, retried by the clients' TCP): ${storm.listenOverflows}`,
          `- connected clients over time (ms after the kill → count): ${storm.timeline.map((p) => `${p.t}→${p.connected}`).join(', ')}`,
          '',
        );
        if (storm.profile)
          parts.push(
            profileMarkdown(
              storm.profile.summary,
              `CPU profile of the restarted ${target === 'chat' ? 'server' : 'relay'} until all were back (${storm.profile.file})`,
            ),
            '',
          );
      });
    }
  }

  parts.push(`Load average at the end (1/5/15 min): ${loadAverage()}`);
  const markdown = parts.join('\n');
  console.log(markdown);
  const file = save(scenario as string, { machine, command, numbers }, markdown);
  console.log(`\nsaved ${file}.md`);
}

main()
  .catch((err: Error) => {
    console.error(err.stack ?? err.message);
    process.exitCode = 1;
  })
  .finally(() => {
    if (!values.keep && !values['heap-snapshots']) rmSync(runDir, { recursive: true, force: true });
    else console.log(`logs kept in ${runDir}`);
    // the IPC channels of stopped children are closed; nothing else should keep us alive
    setTimeout(() => process.exit(), 500).unref();
  });
