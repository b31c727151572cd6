// The reviewed versions of the security-relevant production dependencies (scripts/security-versions.json) against
// what package-lock.json installs: every production copy is a reviewed version and at or above its advisory floor.
// This is what stands in for `npm audit --omit=dev` where the registry does not answer it (scripts/test.mjs runs
// the audit where it does).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const reviewed = JSON.parse(readFileSync(path.join(root, 'scripts', 'security-versions.json'), 'utf8')) as {
  packages: Record<string, { versions: string[]; floor: string; advisories: string }>;
};
const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; dev?: boolean }>;
};

/** Every production (non-dev) copy of `name` in the lock file: where it is installed and its version. */
const productionCopies = (name: string) =>
  Object.entries(lock.packages)
    .filter(([where, entry]) => where.endsWith(`node_modules/${name}`) && !entry.dev)
    .map(([where, entry]) => ({ where, version: entry.version ?? '' }));

const atLeast = (version: string, floor: string) => {
  const a = version.split('-')[0]!.split('.').map(Number);
  const b = floor.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
};

describe('security-relevant production dependencies', () => {
  for (const [name, entry] of Object.entries(reviewed.packages)) {
    it(`${name}: only reviewed versions, none below ${entry.floor}`, () => {
      const copies = productionCopies(name);
      expect(copies.length, `${name} is no longer installed: remove it from the list`).toBeGreaterThan(0);
      for (const { where, version } of copies) {
        expect(entry.versions, `${where}@${version} has not been reviewed`).toContain(version);
        expect(atLeast(version, entry.floor), `${where}@${version} is below ${entry.floor}`).toBe(true);
      }
      for (const version of entry.versions) expect(atLeast(version, entry.floor)).toBe(true);
    });
  }

  it('covers the packages the audit must not miss', () => {
    expect(Object.keys(reviewed.packages)).toEqual(
      expect.arrayContaining(['socket.io', 'engine.io', 'ws', 'koa', 'argon2', 'mongodb']),
    );
  });
});
