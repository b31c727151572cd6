// The mongod download path, offline: mongodb-memory-server-core's real downloader against a local mirror on
// 127.0.0.1 that serves a stand-in archive (the real binary cannot be had here). URL, published checksum, unpack,
// cache, progress and failure messages are the real code's; each case runs in its own process and cache folder.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFerretDb, freePort } from './embedded';

const serverDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'support-chat-mongod-dl-'));
const STANDIN_VERSION_LINE = 'db version v0.0.0-standin';

let archive: Buffer;
let mirror: http.Server;
let mirrorUrl: string;
let checksum: 'right' | 'wrong' = 'right';
const requests: string[] = [];
const children = new Set<ChildProcess>();

beforeAll(async () => {
  // A stand-in mongod: a script that answers --version, padded past the downloader's 1 MiB sanity minimum.
  const root = path.join(tmp, 'archive', 'mongodb-linux-x86_64-standin', 'bin');
  mkdirSync(root, { recursive: true });
  writeFileSync(
    path.join(root, 'mongod'),
    `#!/bin/sh\necho "${STANDIN_VERSION_LINE}"\nexit 0\n#${'x'.repeat(1200 * 1024)}\n`,
    { mode: 0o755 },
  );
  const tgz = path.join(tmp, 'standin.tgz');
  const tar = spawnSync('tar', ['-czf', tgz, '-C', path.join(tmp, 'archive'), '.']);
  expect(tar.status, String(tar.stderr)).toBe(0);
  archive = readFileSync(tgz);
  const md5 = createHash('md5').update(archive).digest('hex');

  mirror = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    const url = req.url ?? '';
    if (url.endsWith('.tgz.md5')) {
      const sum = checksum === 'right' ? md5 : createHash('md5').update('something else').digest('hex');
      const body = `${sum}  ${path.basename(url, '.md5')}\n`;
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    } else if (url.endsWith('.tgz')) {
      res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': archive.length });
      res.end(archive);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => mirror.listen(0, '127.0.0.1', resolve));
  mirrorUrl = `http://127.0.0.1:${(mirror.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await new Promise((resolve) => mirror?.close(resolve));
  rmSync(tmp, { recursive: true, force: true });
});

/** Environment of a machine with no database tools: our own cache, home and mirror; nothing inherited. */
const cleanEnv = (cache: string, mirrorBase: string): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(MONGOMS_|FERRETDB_|EMBEDDED_DB|XDG_CACHE_HOME|HOME$)/.test(k)) env[k] = v;
  }
  return { ...env, HOME: path.join(tmp, 'home'), XDG_CACHE_HOME: cache, MONGOMS_DOWNLOAD_MIRROR: mirrorBase };
};

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `script` (an ES module body with `embedded` imported) in a fresh Node process. */
function runWith(script: string, env: NodeJS.ProcessEnv): Promise<Run> {
  const started = Date.now();
  const code = `const embedded = await import(${JSON.stringify(path.join(serverDir, 'src/store/embedded.ts'))});\n${script}`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: serverDir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => {
      stdout += b;
    });
    child.stderr.on('data', (b) => {
      stderr += b;
    });
    child.on('error', reject);
    child.on('exit', (exitCode) => {
      children.delete(child);
      resolve({ code: exitCode, stdout, stderr, ms: Date.now() - started });
    });
  });
}

const DOWNLOAD = `
try {
  const bin = await embedded.downloadMongod((line) => console.log('[progress] ' + line));
  console.log('RESULT ' + bin);
} catch (err) {
  console.log('ERROR ' + err.message);
  process.exitCode = 1;
}`;

const downloadDirOf = (cache: string) => path.join(cache, 'support-chat', 'mongodb-binaries');

describe('mongod download through a mirror (MONGOMS_DOWNLOAD_MIRROR)', () => {
  it('downloads, verifies the published MD5, unpacks into the cache with progress; the next start uses the cache', async () => {
    checksum = 'right';
    const cache = path.join(tmp, 'cache-ok');
    requests.length = 0;
    const first = await runWith(DOWNLOAD, cleanEnv(cache, mirrorUrl));
    expect(first.code, first.stdout + first.stderr).toBe(0);
    // The archive mongodb-memory-server names for this platform, then its checksum file.
    expect(requests).toEqual([
      expect.stringMatching(/^\/linux\/mongodb-linux-x86_64-[\w.-]+-\d+\.\d+\.\d+\.tgz$/),
      expect.stringMatching(/^\/linux\/mongodb-linux-x86_64-[\w.-]+-\d+\.\d+\.\d+\.tgz\.md5$/),
    ]);
    expect(first.stdout).toMatch(
      /\[progress\] Downloading MongoDB [\d.]+ \(mongod\) from http:\/\/127\.0\.0\.1/,
    );
    expect(first.stdout).toMatch(/Downloading MongoDB "[\d.]+": 100%/); // the downloader's own progress
    expect(first.stdout).toMatch(/\[progress\] mongod [\d.]+ downloaded and verified/);
    const bin = /RESULT (.+)/.exec(first.stdout)?.[1] ?? '';
    expect(path.dirname(bin)).toBe(downloadDirOf(cache));
    expect(statSync(bin).mode & 0o100).toBeTruthy();
    expect(spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.trim()).toBe(STANDIN_VERSION_LINE);
    // Only the binary (and its checksum sidecar) stays; the archive is gone.
    expect(readdirSync(downloadDirOf(cache)).filter((f) => f.endsWith('.tgz'))).toEqual([]);

    requests.length = 0;
    const second = await runWith(DOWNLOAD, cleanEnv(cache, mirrorUrl));
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(second.stdout).toContain(`RESULT ${bin}`);
    expect(requests).toEqual([]);
    console.log(
      `[mongod download] stand-in ${archive.length} bytes: ${first.ms} ms; cached start ${second.ms} ms`,
    );
  });

  it('refuses an archive that does not match its published checksum and keeps nothing', async () => {
    checksum = 'wrong';
    const cache = path.join(tmp, 'cache-bad');
    const run = await runWith(DOWNLOAD, cleanEnv(cache, mirrorUrl));
    checksum = 'right';
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /ERROR downloading mongod from http:\/\/127\.0\.0\.1:\d+\/linux\/\S+\.tgz failed: the archive does not match its published MD5 checksum \(got [0-9a-f]{32}, published [0-9a-f]{32}\); nothing was kept/,
    );
    const left = existsSync(downloadDirOf(cache)) ? readdirSync(downloadDirOf(cache)) : [];
    // No archive, checksum file or binary (only the note of the failure, for the next start's back-off).
    expect(left.filter((f) => f.startsWith('mongo'))).toEqual([]);
    expect(left).toContain('download-failed.json');
  });

  it('says which URL failed and why when the mirror is down, at once', async () => {
    const deadPort = await freePort();
    const run = await runWith(
      DOWNLOAD,
      cleanEnv(path.join(tmp, 'cache-down'), `http://127.0.0.1:${deadPort}`),
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      new RegExp(
        `ERROR downloading mongod from http://127\\.0\\.0\\.1:${deadPort}/linux/\\S+\\.tgz failed: .*ECONNREFUSED`,
      ),
    );
    expect(run.ms).toBeLessThan(15_000); // one attempt, no back-off
  });

  it('after a failed download, the next starts use FerretDB at once for a day; EMBEDDED_DB=mongod tries again', async () => {
    const deadPort = await freePort();
    const cache = path.join(tmp, 'cache-backoff');
    const env = cleanEnv(cache, `http://127.0.0.1:${deadPort}`);
    expect((await runWith(DOWNLOAD, env)).code).toBe(1);
    expect(existsSync(path.join(downloadDirOf(cache), 'download-failed.json'))).toBe(true);
    const ferretdb = findFerretDb();
    expect(ferretdb, 'this test needs a FerretDB binary (the suite has one)').toBeTruthy();
    const start = `
const db = await embedded.startEmbeddedDb({
  dir: ${JSON.stringify(path.join(tmp, 'backoff-db'))},
  progress: (line) => console.log('[progress] ' + line),
});
console.log('STARTED ' + db.kind);
await db.stop();`;
    const next = await runWith(start, { ...env, FERRETDB_BIN: ferretdb ?? '' });
    expect(next.code, next.stdout + next.stderr).toBe(0);
    expect(next.stdout).toContain('STARTED ferretdb');
    expect(next.stdout).toMatch(
      /No mongod: its download failed less than a day ago, not tried again until then/,
    );
    expect(next.stdout).not.toContain('Downloading MongoDB');
    const forced = await runWith(
      `
try {
  await embedded.startEmbeddedDb({ dir: ${JSON.stringify(path.join(tmp, 'forced-db'))}, progress: (l) => console.log('[progress] ' + l) });
} catch (err) {
  console.log('ERROR ' + err.message);
}`,
      { ...env, EMBEDDED_DB: 'mongod' },
    );
    expect(forced.stdout).toContain('[progress] Downloading MongoDB'); // tried again,
    expect(forced.stdout).toMatch(/ERROR No MongoDB-compatible database[\s\S]*ECONNREFUSED/); // failed, and no fallback
  });

  it('with no mongod to download, no FerretDB and no Go: one error that names the three ways out', async () => {
    const deadPort = await freePort();
    const run = await runWith(
      `
try {
  await embedded.startEmbeddedDb({ dir: ${JSON.stringify(path.join(tmp, 'nothing-db'))}, goBin: null });
  console.log('STARTED');
} catch (err) {
  console.log('ERROR ' + err.message);
  process.exitCode = 1;
}`,
      cleanEnv(path.join(tmp, 'cache-nothing'), `http://127.0.0.1:${deadPort}`),
    );
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const message = run.stdout.slice(run.stdout.indexOf('ERROR '));
    expect(message).toContain('No MongoDB-compatible database is available');
    expect(message).toContain('mongod: none on the PATH');
    expect(message).toMatch(/downloading mongod from http:\/\/127\.0\.0\.1:\d+\/\S+ failed: .*ECONNREFUSED/);
    expect(message).toMatch(/FerretDB: none .* and no Go toolchain to build it/);
    expect(message).toContain('1. install MongoDB');
    expect(message).toContain('2. install Go');
    expect(message).toContain('3. set MONGO_URI');
  });
});
