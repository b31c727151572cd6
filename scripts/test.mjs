#!/usr/bin/env node
// The whole suite, in order: lint and format, types, unit + integration tests, browser tests.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

const steps = [
  ['lint and format (biome)', 'npx', ['biome', 'check', '.']],
  ['type-check every workspace', 'npm', ['run', 'typecheck', '--silent']],
  ['unit and integration tests (vitest)', 'npx', ['vitest', 'run']],
];
const hasE2e =
  existsSync('e2e') && readdirSync('e2e', { recursive: true }).some((f) => String(f).endsWith('.spec.ts'));
if (hasE2e) steps.push(['browser tests (playwright, chromium)', 'npm', ['run', 'test:e2e', '--silent']]);

const started = Date.now();
for (const [name, cmd, args] of steps) {
  console.log(`\n=== ${name} ===`);
  const t = Date.now();
  const res = spawnSync(cmd, args, { stdio: 'inherit' });
  if (res.status !== 0) {
    console.error(`\n✗ ${name} failed (exit ${res.status ?? res.signal})`);
    process.exit(res.status || 1);
  }
  console.log(`✓ ${name} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
}
console.log(`\nAll checks passed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
