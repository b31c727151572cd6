// The test command's system check as a real process, with stand-in `dpkg-query` and `apt-get` first on the PATH
// (the real ones must not change this machine): a user who cannot install gets the exact command at once; root
// with apt gets the packages installed; a system without dpkg is told which commands are missing.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'preflight.mjs');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'support-chat-preflight-'));
chmodSync(tmp, 0o755); // the non-root case runs as another user
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const isRoot = process.getuid?.() === 0;

/** A folder with a dpkg-query that reports `missing` as not installed, and an apt-get that records its calls. */
function standInTools(name: string, missing: string[]): { bin: string; aptLog: string } {
  const bin = path.join(tmp, name);
  const aptLog = path.join(bin, 'apt-get.log');
  spawnSync('mkdir', ['-p', bin]);
  chmodSync(bin, 0o777);
  writeFileSync(
    path.join(bin, 'dpkg-query'),
    `#!/bin/sh
shift 2
for p in "$@"; do
  case " ${missing.join(' ')} " in
    *" $p "*) echo "$p not-installed" ;;
    *) echo "$p installed" ;;
  esac
done
`,
    { mode: 0o755 },
  );
  writeFileSync(path.join(bin, 'apt-get'), `#!/bin/sh\necho "$@" >> "${aptLog}"\nexit 0\n`, { mode: 0o755 });
  return { bin, aptLog };
}

/** A Node binary another user can run: this one, unless it lives under a folder they cannot enter (/root/...). */
const nodeForOthers = (): string => {
  const reachable = (file: string): boolean =>
    (statSync(file).mode & 0o001) !== 0 && (file === '/' || reachable(path.dirname(file)));
  return reachable(process.execPath) ? process.execPath : '/usr/bin/node';
};

const runPreflight = (pathEnv: string, asUser?: number) => {
  const started = Date.now();
  const res = spawnSync(asUser === undefined ? process.execPath : nodeForOthers(), [script], {
    encoding: 'utf8',
    cwd: '/',
    env: { PATH: pathEnv, HOME: tmp },
    ...(asUser === undefined ? {} : { uid: asUser, gid: asUser }),
  });
  return { ...res, ms: Date.now() - started };
};

describe('the test command’s system check', () => {
  it('without the right to install: stops at once with the exact apt command, and installs nothing', () => {
    const { bin, aptLog } = standInTools('user', ['redis-server', 'xvfb']);
    const res = runPreflight(`${bin}:${process.env.PATH}`, isRoot ? 65534 : undefined);
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('redis-server: multi-node tests');
    expect(res.stderr).toContain(
      '  sudo apt-get update && sudo apt-get install -y --no-install-recommends redis-server xvfb\n',
    );
    expect(existsSync(aptLog)).toBe(false);
    expect(res.ms).toBeLessThan(5000);
  });

  it.runIf(isRoot)('as root with apt: installs exactly what is missing, then goes on', () => {
    const { bin, aptLog } = standInTools('root', ['chromium', 'libsecret-1-dev']);
    const res = runPreflight(`${bin}:${process.env.PATH}`);
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toContain('Installing missing system packages with apt: chromium libsecret-1-dev');
    expect(readFileSync(aptLog, 'utf8')).toBe(
      'update -qq\ninstall -y -qq --no-install-recommends chromium libsecret-1-dev\n',
    );
  });

  it('on a system without dpkg: names the missing commands and the Debian packages to look for', () => {
    const empty = path.join(tmp, 'empty');
    spawnSync('mkdir', ['-p', empty]);
    const res = runPreflight(empty);
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/Missing commands the tests use: chromium, redis-server, xvfb-run/);
    expect(res.stderr).toContain('libsecret-1-dev');
  });
});
