#!/usr/bin/env node
// The whole suite, in order: system check (installs or names missing packages), lint and format, types, the
// production dependencies' audit, unit + integration tests, browser tests.
// `npm test -- <vitest filters>` runs the same checks with only the matching Vitest files and no browser tests.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { PreflightStop, preflight } from './preflight.mjs';

const filters = process.argv.slice(2);

/** `npm audit --omit=dev` where the registry answers it; elsewhere the reviewed versions' test stands in. */
function audit() {
  const res = spawnSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8' });
  let report = null;
  try {
    report = JSON.parse(res.stdout);
  } catch {
    // no JSON at all: treated as unreachable below
  }
  const counts = report?.metadata?.vulnerabilities;
  if (!counts) {
    const why =
      report?.error?.summary || report?.message || res.stderr.trim().split('\n').pop() || 'no answer';
    console.log(
      `npm audit cannot be answered by this registry (${why.slice(0, 160)}).\n` +
        'The reviewed versions in scripts/security-versions.json apply instead (scripts/security-versions.test.ts).',
    );
    return true;
  }
  const serious = (counts.high ?? 0) + (counts.critical ?? 0);
  console.log(
    `npm audit --omit=dev: ${Object.entries(counts)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ')}`,
  );
  if (serious > 0) spawnSync('npm', ['audit', '--omit=dev'], { stdio: 'inherit' });
  return serious === 0;
}

const run = (cmd, args) => () => spawnSync(cmd, args, { stdio: 'inherit' }).status === 0;

const steps = [
  [
    'system packages (apt) and the keychain module',
    () => {
      try {
        preflight();
        return true;
      } catch (err) {
        if (!(err instanceof PreflightStop)) throw err;
        console.error(`\n${err.message}`);
        return false;
      }
    },
  ],
  ['lint and format (biome)', run('npx', ['biome', 'check', '.'])],
  ['type-check every workspace', run('npm', ['run', 'typecheck', '--silent'])],
  ['security audit of production dependencies', audit],
  ['unit and integration tests (vitest)', run('npx', ['vitest', 'run', ...filters])],
];
const hasE2e =
  existsSync('e2e') && readdirSync('e2e', { recursive: true }).some((f) => String(f).endsWith('.spec.ts'));
if (hasE2e && filters.length === 0)
  steps.push(['browser tests (playwright, chromium)', run('npm', ['run', 'test:e2e', '--silent'])]);

const started = Date.now();
for (const [name, step] of steps) {
  console.log(`\n=== ${name} ===`);
  const t = Date.now();
  if (!step()) {
    console.error(`\n✗ ${name} failed`);
    process.exit(1);
  }
  console.log(`✓ ${name} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
}
console.log(`\nAll checks passed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
