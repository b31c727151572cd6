import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { accountName, CredentialStore, KEYCHAIN_SERVICE } from './credentials';
import { SettingsStore } from './settings';
import { FakeKeychain } from './test/fakes';

const SERVER = 'https://chat.example.com';
const TOKEN = 'refresh-token-that-must-never-hit-the-disk';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Every byte written under `dir`, to prove the token is nowhere in a file. */
const allFileText = (dir: string): string =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => readFileSync(path.join(e.parentPath, e.name), 'utf8'))
    .join('\n');

describe('CredentialStore', () => {
  it('names the account by server URL and username', () => {
    expect(accountName(SERVER, 'Ann')).toBe('https://chat.example.com|ann');
    expect(KEYCHAIN_SERVICE).toBe('SupportChat');
  });

  it('keeps, reads back and deletes the refresh token in the keychain', async () => {
    const keychain = new FakeKeychain();
    const store = new CredentialStore(async () => keychain);
    expect(await store.availability()).toBe('available');
    expect(await store.saveRefreshToken(SERVER, 'ann', TOKEN)).toBe(true);
    expect(keychain.entries.get(`SupportChat/${SERVER}|ann`)).toBe(TOKEN);
    expect(await new CredentialStore(async () => keychain).readRefreshToken(SERVER, 'ann')).toBe(TOKEN);
    expect(await store.deleteRefreshToken(SERVER, 'ann')).toBe(true);
    expect(keychain.entries.size).toBe(0);
  });

  it('without keytar: reports unavailable and keeps nothing anywhere', async () => {
    const userData = mkdtempSync(path.join(os.tmpdir(), 'desktop-credentials-'));
    dirs.push(userData);
    const settings = SettingsStore.inDirectory(userData);
    await settings.update({ lastUsername: 'ann' });
    const store = new CredentialStore(async () => null);
    expect(await store.availability()).toBe('unavailable');
    expect(await store.saveRefreshToken(SERVER, 'ann', TOKEN)).toBe(false);
    expect(await store.readRefreshToken(SERVER, 'ann')).toBeNull();
    expect(await store.deleteRefreshToken(SERVER, 'ann')).toBe(false);
    expect(allFileText(userData)).not.toContain(TOKEN);
  });

  it('with a keychain that fails (no D-Bus, locked): reports unavailable and keeps nothing', async () => {
    const keychain = new FakeKeychain(true);
    const store = new CredentialStore(async () => keychain);
    expect(await store.saveRefreshToken(SERVER, 'ann', TOKEN)).toBe(false);
    expect(await store.availability()).toBe('unavailable');
    expect(keychain.entries.size).toBe(0);
    expect(await store.readRefreshToken(SERVER, 'ann')).toBeNull();
  });

  it('removes a half-written entry when writing fails', async () => {
    const keychain = new FakeKeychain();
    keychain.setPassword = async (service, account, password) => {
      keychain.entries.set(`${service}/${account}`, password);
      throw new Error('write failed');
    };
    const store = new CredentialStore(async () => keychain);
    expect(await store.saveRefreshToken(SERVER, 'ann', TOKEN)).toBe(false);
    expect(keychain.entries.size).toBe(0);
  });
});
