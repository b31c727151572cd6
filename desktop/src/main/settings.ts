// Settings in a small JSON file in userData: server URL, start at login, last username, auto-away. Never a secret.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { Settings, SettingsPatch } from '../common/ipc';
import { checkServerUrl } from '../common/server-url';
import { serverUrl } from './ipc-schemas';
import { createLogger } from './logger';

const log = createLogger('settings');

export const DEFAULT_SETTINGS: Settings = {
  serverUrl: 'http://127.0.0.1:3000',
  startAtLogin: false,
  lastUsername: null,
  autoAwayMinutes: 10,
};

const SettingsFile = z.object({
  serverUrl: serverUrl.catch(DEFAULT_SETTINGS.serverUrl),
  startAtLogin: z.boolean().catch(false),
  lastUsername: z.string().min(1).max(200).nullable().catch(null),
  autoAwayMinutes: z.int().min(0).max(1440).catch(DEFAULT_SETTINGS.autoAwayMinutes),
});

export class SettingsStore {
  private current: Settings = { ...DEFAULT_SETTINGS };
  private discarded: { serverUrl: string; username: string } | null = null;

  constructor(private readonly file: string) {}

  static inDirectory(userData: string): SettingsStore {
    return new SettingsStore(path.join(userData, 'settings.json'));
  }

  async load(): Promise<Settings> {
    try {
      const raw = JSON.parse(await readFile(this.file, 'utf8')) as Record<string, unknown>;
      const parsed = SettingsFile.safeParse(raw);
      this.current = parsed.success ? parsed.data : { ...DEFAULT_SETTINGS };
      // A saved server that breaks today's URL rule is dropped, and so is the login kept for it.
      const saved = raw.serverUrl;
      if (this.current.lastUsername && typeof saved === 'string' && !checkServerUrl(saved).ok) {
        this.discarded = { serverUrl: saved, username: this.current.lastUsername };
        this.current.lastUsername = null;
        log.warn({}, 'saved server URL is not allowed any more (https, or http on loopback); log in again');
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        log.warn({}, 'settings file unreadable, using defaults');
      this.current = { ...DEFAULT_SETTINGS };
    }
    return this.get();
  }

  /** The login kept for a server URL that load() dropped, once: its keychain entry is to be deleted. */
  takeDiscardedLogin(): { serverUrl: string; username: string } | null {
    const discarded = this.discarded;
    this.discarded = null;
    return discarded;
  }

  get(): Settings {
    return { ...this.current };
  }

  /** `serverUrl` and `lastUsername` come from a successful login in main, never from the renderer. */
  async update(
    patch: SettingsPatch & { serverUrl?: string; lastUsername?: string | null },
  ): Promise<Settings> {
    const next: Settings = { ...this.current };
    if (patch.serverUrl !== undefined) next.serverUrl = patch.serverUrl;
    if (patch.startAtLogin !== undefined) next.startAtLogin = patch.startAtLogin;
    if (patch.lastUsername !== undefined) next.lastUsername = patch.lastUsername;
    if (patch.autoAwayMinutes !== undefined) next.autoAwayMinutes = patch.autoAwayMinutes;
    this.current = next;
    await mkdir(path.dirname(this.file), { recursive: true });
    // Write then rename, so a crash never leaves half a file.
    const temp = `${this.file}.${process.pid}.tmp`;
    await writeFile(temp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
    await rename(temp, this.file);
    return this.get();
  }
}
