// The keytar CredentialStore against a real Secret Service: a private D-Bus session and gnome-keyring.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CredentialStore as CredentialStoreType, Keychain } from './credentials';

const run = promisify(execFile);
const SERVER = 'http://127.0.0.1:3000';
const USERNAME = 'agent-ann';
const PASSWORD = 'the agent password never goes in';
const TOKEN = `refresh.${Date.now()}.token`;

let home = '';
let dbusPid = 0;
let keyringPid = 0;
const savedEnv = { ...process.env };
let keytar: Keychain;
let CredentialStore: typeof CredentialStoreType;
let loadKeytar: () => Promise<Keychain | null>;

/** Waits until gnome-keyring owns the Secret Service name, so D-Bus never auto-starts another, locked one. */
const waitForSecretService = async (timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { stdout } = await run('dbus-send', [
      '--session',
      '--print-reply',
      '--dest=org.freedesktop.DBus',
      '/org/freedesktop/DBus',
      'org.freedesktop.DBus.NameHasOwner',
      'string:org.freedesktop.secrets',
    ]);
    if (stdout.includes('boolean true')) return;
    if (Date.now() > deadline) throw new Error('gnome-keyring did not register org.freedesktop.secrets');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

beforeAll(async () => {
  home = mkdtempSync(path.join(os.tmpdir(), 'desktop-keyring-'));
  const runtimeDir = path.join(home, 'run');
  mkdirSync(runtimeDir, { mode: 0o700 });
  Object.assign(process.env, {
    HOME: home,
    XDG_RUNTIME_DIR: runtimeDir,
    XDG_DATA_HOME: path.join(home, 'data'),
  });
  delete process.env.DISPLAY;

  const dbus = spawnSync('dbus-daemon', ['--session', '--fork', '--print-address=1', '--print-pid=1'], {
    env: process.env,
    encoding: 'utf8',
  });
  if (dbus.error || dbus.status !== 0) throw new Error(`dbus-daemon failed: ${dbus.error ?? dbus.stderr}`);
  const [address, pid] = dbus.stdout.trim().split('\n');
  dbusPid = Number(pid);
  process.env.DBUS_SESSION_BUS_ADDRESS = address;

  const keyring = spawn('gnome-keyring-daemon', ['--unlock', '--components=secrets', '--foreground'], {
    env: process.env,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  await new Promise<void>((resolve, reject) => {
    keyring.once('spawn', resolve);
    keyring.once('error', reject);
  });
  keyringPid = keyring.pid!;
  keyring.stdin!.end('keyring-test-pass');
  await waitForSecretService(15_000);

  // Only now: libsecret connects to the bus named in the environment on first use.
  ({ CredentialStore, loadKeytar } = await import('./credentials'));
  const loaded = await loadKeytar();
  if (!loaded) throw new Error('keytar did not load');
  keytar = loaded;
});

afterAll(() => {
  for (const pid of [keyringPid, dbusPid]) {
    if (pid) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
    }
  }
  process.env = savedEnv;
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('CredentialStore with a real gnome-keyring', () => {
  it('reports the keychain as available', async () => {
    expect(await new CredentialStore(loadKeytar).availability()).toBe('available');
  });

  it('stores the refresh token, reads it back from a new instance, and deletes it on logout', async () => {
    const store = new CredentialStore(loadKeytar);
    expect(await store.saveRefreshToken(SERVER, USERNAME, TOKEN)).toBe(true);

    const again = new CredentialStore(loadKeytar);
    expect(await again.readRefreshToken(SERVER, USERNAME)).toBe(TOKEN);

    // Exactly one entry, under our service and account, holding only the refresh token.
    const entries = await keytar.findCredentials('SupportChat');
    expect(entries).toEqual([{ account: `${SERVER}|${USERNAME}`, password: TOKEN }]);
    expect(JSON.stringify(entries)).not.toContain(PASSWORD);

    expect(await again.deleteRefreshToken(SERVER, USERNAME)).toBe(true);
    expect(await new CredentialStore(loadKeytar).readRefreshToken(SERVER, USERNAME)).toBeNull();
    expect(await keytar.findCredentials('SupportChat')).toEqual([]);
  });

  it('replaces the token on rotation instead of adding a second one', async () => {
    const store = new CredentialStore(loadKeytar);
    await store.saveRefreshToken(SERVER, USERNAME, 'first');
    await store.saveRefreshToken(SERVER, USERNAME, 'second');
    expect(await keytar.findCredentials('SupportChat')).toEqual([
      { account: `${SERVER}|${USERNAME}`, password: 'second' },
    ]);
    await store.deleteRefreshToken(SERVER, USERNAME);
  });
});
