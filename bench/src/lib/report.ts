// Markdown fragments for RESULTS.md, printed by every scenario and saved with the raw numbers.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LoadResult } from './generators';
import { benchRoot, type CpuReport, type MachineInfo } from './procs';
import { type LatencySummary, round } from './stats';

export const ms = (v: number) => `${round(v, v < 10 ? 2 : 1)}`;
export const lat = (s: LatencySummary) =>
  s.count === 0 ? 'n/a' : `${ms(s.p50)} / ${ms(s.p95)} / ${ms(s.p99)} (max ${ms(s.max)})`;

export const cpuLine = (c: CpuReport) =>
  `${Object.entries(c.perProcess)
    .map(([k, v]) => `${k} ${v.toFixed(2)}`)
    .join(', ')}; whole machine ${c.machine.toFixed(2)} of 2 cores, other work ${c.others.toFixed(2)}`;

export function machineBlock(m: MachineInfo): string {
  return [
    `- date: ${m.date}`,
    `- nproc: ${m.nproc}; CPU: ${m.cpuModel}`,
    `- memory (free -h, Mem:): ${m.memory}`,
    `- node ${m.node}; ${Object.entries(m.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `- ulimit -n: ${m.ulimitNofile}; load average at start (1/5/15 min): ${m.loadAverage.join(' / ')}`,
  ].join('\n');
}

export function loadRow(label: string, r: LoadResult): string {
  return `| ${label} | ${r.throughput} | ${r.acked} | ${r.failed + r.rateLimited} | ${lat(r.ack)} | ${lat(r.delivery)} | ${ms(r.generatorLagP99)} |`;
}

export const loadHeader = [
  '| run | msgs/s acked | acked | failed | ack p50/p95/p99 ms | customer→agent p50/p95/p99 ms | generator lag p99 ms |',
  '|---|---|---|---|---|---|---|',
].join('\n');

/** Saves the scenario's numbers (without raw samples) and its markdown under bench/results/. */
export function save(scenario: string, data: unknown, markdown: string): string {
  const dir = path.join(benchRoot, 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const base = path.join(dir, `${scenario}-${stamp}`);
  writeFileSync(`${base}.json`, JSON.stringify(data, null, 2));
  writeFileSync(`${base}.md`, markdown);
  return base;
}
