import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, SettingsStore } from './settings';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'desktop-settings-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('SettingsStore', () => {
  it('starts from defaults and persists changes to a private JSON file', async () => {
    const store = SettingsStore.inDirectory(dir);
    expect(await store.load()).toEqual(DEFAULT_SETTINGS);
    await store.update({ serverUrl: 'https://chat.example.com', startAtLogin: true, lastUsername: 'ann' });
    const file = path.join(dir, 'settings.json');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      serverUrl: 'https://chat.example.com',
      startAtLogin: true,
      lastUsername: 'ann',
      autoAwayMinutes: 10,
    });
    if (process.platform !== 'win32') expect(statSync(file).mode & 0o077).toBe(0);
    expect(await SettingsStore.inDirectory(dir).load()).toMatchObject({
      startAtLogin: true,
      lastUsername: 'ann',
    });
  });

  it('keeps a saved URL that the rule accepts, normalised, with its login', async () => {
    writeFileSync(
      path.join(dir, 'settings.json'),
      JSON.stringify({ serverUrl: 'https://chat.example.com/', startAtLogin: false, lastUsername: 'ann' }),
    );
    const store = SettingsStore.inDirectory(dir);
    expect(await store.load()).toMatchObject({ serverUrl: 'https://chat.example.com', lastUsername: 'ann' });
    expect(store.takeDiscardedLogin()).toBeNull();
  });

  it('falls back to defaults field by field for a damaged file, and drops unknown fields', async () => {
    writeFileSync(
      path.join(dir, 'settings.json'),
      JSON.stringify({
        serverUrl: 'javascript:alert(1)',
        startAtLogin: 'yes',
        lastUsername: 'ann',
        password: 'x',
      }),
    );
    // The login kept for a server URL that is dropped is dropped with it (its keychain entry: auth.ts).
    const damaged = SettingsStore.inDirectory(dir);
    expect(await damaged.load()).toEqual(DEFAULT_SETTINGS);
    expect(damaged.takeDiscardedLogin()).toEqual({ serverUrl: 'javascript:alert(1)', username: 'ann' });
    expect(damaged.takeDiscardedLogin()).toBeNull();
    writeFileSync(path.join(dir, 'settings.json'), '{not json');
    expect(await SettingsStore.inDirectory(dir).load()).toEqual(DEFAULT_SETTINGS);
  });

  it('keeps a saved server URL only if it passes the server rule (https, or http on loopback)', async () => {
    const file = path.join(dir, 'settings.json');
    writeFileSync(file, JSON.stringify({ serverUrl: 'http://chat.example.com', lastUsername: 'ann' }));
    expect((await SettingsStore.inDirectory(dir).load()).serverUrl).toBe(DEFAULT_SETTINGS.serverUrl);
    writeFileSync(file, JSON.stringify({ serverUrl: 'http://localhost:3000/' }));
    expect((await SettingsStore.inDirectory(dir).load()).serverUrl).toBe('http://localhost:3000');
    writeFileSync(file, JSON.stringify({ serverUrl: 'https://chat.example.com/' }));
    expect((await SettingsStore.inDirectory(dir).load()).serverUrl).toBe('https://chat.example.com');
  });
});
