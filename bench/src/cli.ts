// `npm run bench -w bench -- <scenario> [options]`: starts everything the scenario needs (by pid), measures,
// stops it all, prints a markdown fragment for RESULTS.md and saves the numbers under bench/results/.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startEmbeddedDb } from '../../server/src/store/embedded';
import { loadAverage, machineInfo } from './lib/procs';
import { cpuLine, lat, loadHeader, loadRow, machineBlock, save } from './lib/report';
import { dbBaseline, type LoadOptions, relayBaseline } from './scenarios/baselines';

const SCENARIOS = ['relay', 'db', 'throughput', 'memory', 'storm', 'all'] as const;
type Scenario = (typeof SCENARIOS)[number];

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    customers: { type: 'string', default: '500' },
    window: { type: 'string', default: '1' },
    duration: { type: 'string', default: '15' },
    warmup: { type: 'string', default: '3' },
    generators: { type: 'string', default: '1' },
    text: { type: 'string', default: '64' },
    'db-levels': { type: 'string', default: '1,8,32,128' },
    'db-writers': { type: 'string', default: '2' },
    connections: { type: 'string', default: '1000,5000,10000' },
    'max-connections': { type: 'string', default: '19000' },
    'storm-clients': { type: 'string', default: '5000' },
    rates: { type: 'string' },
    profile: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

const scenario = positionals[0] as Scenario | undefined;
if (values.help || !scenario || !SCENARIOS.includes(scenario)) {
  console.log(`usage: npm run bench -w bench -- <${SCENARIOS.join('|')}> [--customers N] [--window W]
  [--duration s] [--warmup s] [--generators G] [--text chars] [--db-levels 1,8,32] [--db-writers W]
  [--connections 1000,5000,10000] [--max-connections N] [--storm-clients N] [--profile] [--keep]`);
  process.exit(scenario ? 1 : 0);
}

const runDir = mkdtempSync(path.join(os.tmpdir(), `bench-${scenario}-`));
const load: LoadOptions = {
  customers: Number(values.customers),
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

async function runRelay(): Promise<string> {
  const run = await relayBaseline(load, fractions);
  const lines = [
    `### Bare Socket.IO relay (${load.customers} customers, window ${load.window}, ${load.generators} generator process(es))`,
    '',
    loadHeader,
    loadRow('max (closed loop)', run.max),
    ...run.atRates.map((r) => loadRow(`${r.label} = ${r.rate} msgs/s (open loop)`, r.result)),
    '',
    `CPU at max (cores): ${cpuLine(run.maxCpu)}`,
  ];
  return lines.join('\n');
}

async function runDb(): Promise<string> {
  const db = await startEmbeddedDb({ dir: path.join(runDir, 'db') });
  try {
    const result = await dbBaseline(db.uri, db.pid, {
      levels: values['db-levels'].split(',').map(Number),
      writers: Number(values['db-writers']),
      durationMs: load.durationMs,
      warmupMs: load.warmupMs,
      logDir: runDir,
    });
    return [
      `### Database capacity: one findOneAndUpdate + one insertOne per message (${db.kind})`,
      '',
      '| concurrent writers | processes | msgs/s | pair latency p50/p95/p99 ms | errors | CPU (cores) |',
      '|---|---|---|---|---|---|',
      ...result.levels.map(
        (l) =>
          `| ${l.concurrency} | ${l.writers} | ${l.messagesPerSecond} | ${lat(l.latency)} | ${l.errors} | ${cpuLine(l.cpu)} |`,
      ),
      '',
      `Best: ${result.best.messagesPerSecond} msgs/s at ${result.best.concurrency} concurrent writers.`,
    ].join('\n');
  } finally {
    await db.stop();
  }
}

async function main() {
  const machine = machineInfo();
  const parts: string[] = [`## ${scenario} — ${machine.date}`, '', machineBlock(machine), ''];
  const command = `npm run bench -w bench -- ${process.argv.slice(2).join(' ')}`;
  parts.push(`Command: \`${command}\``, '');
  const want = (s: Scenario) => scenario === s || scenario === 'all';
  if (want('db') || scenario === 'throughput') parts.push(await runDb(), '');
  if (want('relay') || scenario === 'throughput') parts.push(await runRelay(), '');
  parts.push(`Load average at the end (1/5/15 min): ${loadAverage()}`);
  const markdown = parts.join('\n');
  console.log(markdown);
  const file = save(scenario as string, { machine, command }, markdown);
  console.log(`\nsaved ${file}.md`);
}

main()
  .catch((err: Error) => {
    console.error(err.stack ?? err.message);
    process.exitCode = 1;
  })
  .finally(() => {
    if (!values.keep) rmSync(runDir, { recursive: true, force: true });
    else console.log(`logs kept in ${runDir}`);
    // the IPC channels of stopped children are closed; nothing else should keep us alive
    setTimeout(() => process.exit(), 500).unref();
  });
