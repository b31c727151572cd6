// Summarizes a V8 .cpuprofile: self time per function and per area (our code by file, each package, GC, idle).
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileRow {
  name: string;
  selfMs: number;
  percent: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** share of the window the process was busy (not idle) */
  busyPercent: number;
  functions: ProfileRow[];
  areas: ProfileRow[];
}

/** "socket.io", "mongodb", "server/src/services/messages.ts", "(garbage collector)", ... */
export function areaOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const repo = url.indexOf('/work/main/');
  const at = repo >= 0 ? url.slice(repo + '/work/main/'.length) : url.replace(/^file:\/\//, '');
  return at.replace(/^file:\/\//, '');
}

export function summarizeProfile(file: string, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const totalUs = profile.endTime - profile.startTime;
  const fns = new Map<string, number>();
  const areas = new Map<string, number>();
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const area = areaOf(url, functionName);
    const name = `${functionName || '(anonymous)'} — ${area}${url ? `:${lineNumber + 1}` : ''}`;
    fns.set(name, (fns.get(name) ?? 0) + us);
    areas.set(area, (areas.get(area) ?? 0) + us);
  }
  const rows = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({
        name,
        selfMs: Math.round(us / 100) / 10,
        percent: Math.round((us / totalUs) * 1000) / 10,
      }));
  return {
    totalMs: Math.round(totalUs / 1000),
    busyPercent: Math.round(((totalUs - idleUs) / totalUs) * 1000) / 10,
    functions: rows(fns),
    areas: rows(areas),
  };
}

export function profileMarkdown(p: ProfileSummary, title: string): string {
  return [
    `#### ${title}`,
    '',
    `Window ${p.totalMs} ms, process busy ${p.busyPercent}% of it.`,
    '',
    '| self time by area | ms | % of window |',
    '|---|---|---|',
    ...p.areas.map((r) => `| ${r.name} | ${r.selfMs} | ${r.percent} |`),
    '',
    '| top functions by self time | ms | % of window |',
    '|---|---|---|',
    ...p.functions.map((r) => `| \`${r.name.replace(/\|/g, '\\|')}\` | ${r.selfMs} | ${r.percent} |`),
  ].join('\n');
}
