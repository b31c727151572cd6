// The embedded database is reachable only by this server and its CLI (issue 16, item 1): FerretDB listens on a
// Unix socket inside the 0700 data folder and on no TCP port; another user's process cannot connect, even
// knowing the path; the server's own connection (and the CLI's, through the lock file) works.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireEmbeddedDb, type EmbeddedDb, findRunningEmbeddedDb, startEmbeddedDb } from './embedded';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'support-chat-dblock-'));
let db: EmbeddedDb;

beforeAll(async () => {
  db = await startEmbeddedDb({ dir: path.join(tmp, 'db') });
});
afterAll(async () => {
  await db?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const socketPathOf = (uri: string) => decodeURIComponent(/^mongodb:\/\/([^/]+)\//.exec(uri)?.[1] ?? '');

/** The TCP ports a process listens on, from /proc (its socket inodes matched against the kernel's LISTEN table). */
function tcpListenPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is f[1] ("IP:PORT" in hex), st is f[3] ("0A" = LISTEN), inode is f[9].
      if (f[3] === '0A' && inodes.has(f[9] ?? '')) ports.push(Number.parseInt(f[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}

/** A Node binary another user can run: this one, unless it lives under a folder they cannot enter (/root/...). */
const nodeForOthers = (): string => {
  const reachable = (file: string): boolean =>
    (statSync(file).mode & 0o001) !== 0 && (file === '/' || reachable(path.dirname(file)));
  return reachable(process.execPath) ? process.execPath : '/usr/bin/node';
};

/** Connects to the socket from a process running as another user (nobody); resolves with what it saw. */
const connectAsNobody = (socketPath: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const child = spawn(
      nodeForOthers(),
      [
        '-e',
        `require('node:net').connect(${JSON.stringify(socketPath)})
           .on('connect', () => { console.log('CONNECTED'); process.exit(0); })
           .on('error', (e) => { console.log('REFUSED ' + e.code); process.exit(0); });`,
      ],
      {
        uid: 65534,
        gid: 65534,
        cwd: '/',
        env: { PATH: process.env.PATH ?? '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (b) => {
      out += b;
    });
    child.stderr.on('data', (b) => {
      out += b;
    });
    child.on('error', reject);
    child.on('exit', () => resolve(out.trim()));
  });

describe('the embedded database is this server’s alone', () => {
  it('FerretDB listens on a Unix socket inside the 0700 data folder, on no TCP port at all', async () => {
    expect(db.kind).toBe('ferretdb');
    expect(db.uri).toMatch(/^mongodb:\/\/%2F[^/]+\.sock\/\?directConnection=true&retryWrites=false$/);
    const socketPath = socketPathOf(db.uri);
    expect(path.dirname(socketPath)).toBe(path.join(tmp, 'db'));
    expect(statSync(path.join(tmp, 'db')).mode & 0o777).toBe(0o700);
    expect(statSync(socketPath).isSocket()).toBe(true);
    expect(statSync(socketPath).mode & 0o077).toBe(0); // and the socket itself is for its owner only
    expect(tcpListenPorts(db.pid)).toEqual([]);
    // Its files too.
    for (const f of readdirSync(path.join(tmp, 'db', 'ferretdb')))
      expect(statSync(path.join(tmp, 'db', 'ferretdb', f)).mode & 0o077, f).toBe(0);
  });

  it('the server connects with the URI it was given', async () => {
    const client = new MongoClient(db.uri, { serverSelectionTimeoutMS: 5000 });
    try {
      const users = client.db('dblock').collection('users');
      await users.insertOne({ username: 'alice', role: 'agent' });
      expect(await users.countDocuments({ role: 'agent' })).toBe(1);
    } finally {
      await client.close();
    }
  });

  it('another user’s process is refused, even knowing the socket path', async () => {
    const socketPath = socketPathOf(db.uri);
    if (process.getuid?.() === 0) {
      expect(await connectAsNobody(socketPath)).toBe('REFUSED EACCES');
    } else {
      // Without root there is no other user to run as: the permissions that refuse them are checked instead.
      expect(statSync(path.dirname(socketPath)).mode & 0o077).toBe(0);
      expect(statSync(socketPath).mode & 0o077).toBe(0);
    }
  });

  it('the CLI finds the running server’s database through the 0600 lock file in the 0700 DATA_DIR', async () => {
    const dataDir = path.join(tmp, 'data');
    const owner = await acquireEmbeddedDb(dataDir);
    try {
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
      expect(statSync(path.join(dataDir, 'embedded-db.json')).mode & 0o777).toBe(0o600);
      expect(findRunningEmbeddedDb(dataDir)).toBe(owner.uri);
      const cli = await acquireEmbeddedDb(dataDir);
      expect(cli).toMatchObject({ uri: owner.uri, kind: 'shared' });
      await cli.release();
      const client = new MongoClient(owner.uri, { serverSelectionTimeoutMS: 5000 });
      try {
        expect((await client.db('admin').command({ ping: 1 })).ok).toBe(1);
      } finally {
        await client.close();
      }
    } finally {
      await owner.release();
    }
    expect(findRunningEmbeddedDb(dataDir)).toBeNull();
  });

  it('a restart in the same folder has the same URI (a killed one leaves a stale socket that is cleared)', async () => {
    const dir = path.join(tmp, 'restart');
    const first = await startEmbeddedDb({ dir });
    process.kill(first.pid, 'SIGKILL');
    await first.stop(); // resolves once the killed process is reaped
    const second = await startEmbeddedDb({ dir });
    try {
      expect(second.uri).toBe(first.uri);
      await expect(startEmbeddedDb({ dir })).rejects.toThrow(/another database already runs/);
    } finally {
      await second.stop();
    }
  });
});
