import { describe, expect, it } from 'vitest';
import { FakeEmitter } from './test/fakes';
import { GenericProvider } from './test/generic-provider';
import {
  type GenericFeed,
  UPDATE_CHECK_INTERVAL_MS,
  type UpdaterLike,
  UpdateService,
  updateFeedUrl,
} from './updates';

class FakeUpdater extends FakeEmitter implements UpdaterLike {
  autoDownload = false;
  autoInstallOnAppQuit = false;
  allowDowngrade = true;
  allowPrerelease = true;
  logger: UpdaterLike['logger'] = null;
  readonly feeds: string[] = [];
  checks = 0;
  /** The next check's outcome; a pending promise lets a test overlap two checks. */
  nextCheck: () => Promise<unknown> = async () => null;
  setFeedURL(options: GenericFeed): void {
    expect(options).toMatchObject({ provider: 'generic', useMultipleRangeRequest: false });
    this.feeds.push(options.url);
  }
  checkForUpdates(): Promise<unknown> {
    this.checks++;
    return this.nextCheck();
  }
}

const setup = (serverUrl: string | null = 'https://chat.example.com', packaged = true) => {
  const updater = new FakeUpdater();
  const timers: Array<{ ms: number; run: () => Promise<unknown>; stopped: boolean }> = [];
  let server = serverUrl;
  const service = new UpdateService({
    updater: packaged ? updater : null,
    getServerUrl: () => server,
    every: (ms, run) => {
      const timer = { ms, run, stopped: false };
      timers.push(timer);
      return () => {
        timer.stopped = true;
      };
    },
  });
  return { service, updater, timers, setServer: (url: string | null) => (server = url) };
};

describe('UpdateService', () => {
  it('checks the server feed at start and then daily, downloads in the background, installs on quit', async () => {
    const { service, updater, timers } = setup();
    expect(await service.start()).toBe('checked');
    expect(updater).toMatchObject({
      autoDownload: true,
      autoInstallOnAppQuit: true,
      allowDowngrade: false,
      allowPrerelease: false,
    });
    expect(updater.logger).not.toBeNull();
    expect(updater.feeds).toEqual(['https://chat.example.com/desktop/updates/']);
    expect(updater.checks).toBe(1);
    expect(timers.map((t) => t.ms)).toEqual([UPDATE_CHECK_INTERVAL_MS]);
    expect(UPDATE_CHECK_INTERVAL_MS).toBe(86_400_000);
    expect(await timers[0]!.run()).toBe('checked');
    expect(updater.checks).toBe(2);
    // The same feed is not set again.
    expect(updater.feeds).toHaveLength(1);
    service.stop();
    expect(timers[0]!.stopped).toBe(true);
  });

  it('does nothing in a development run (not packaged)', async () => {
    const { service, updater, timers } = setup('https://chat.example.com', false);
    expect(await service.start()).toBe('disabled');
    expect(await service.check()).toBe('disabled');
    expect(timers).toEqual([]);
    expect(updater.checks).toBe(0);
  });

  it('never uses a feed that is not https, not even http on loopback; no server means no check', async () => {
    for (const server of [
      'http://chat.example.com',
      'http://192.168.1.5:3000',
      // Logins may use a loopback http server in development; an installer from one could come from any process.
      'http://127.0.0.1:3000',
      'http://localhost:3000',
      'ftp://chat.example.com',
      null,
    ]) {
      const { service, updater } = setup(server);
      expect(await service.start(), String(server)).toBe('no-feed');
      expect(updater.feeds).toEqual([]);
      expect(updater.checks).toBe(0);
    }
  });

  it('follows the server the agent logs into next', async () => {
    const { service, updater, setServer } = setup();
    await service.start();
    setServer('https://support.other.example/chat');
    expect(await service.check()).toBe('checked');
    expect(updater.feeds).toEqual([
      'https://chat.example.com/desktop/updates/',
      'https://support.other.example/chat/desktop/updates/',
    ]);
  });

  it('logs a failed check and tries again next time; overlapping checks are skipped', async () => {
    const { service, updater } = setup();
    updater.nextCheck = async () => {
      throw Object.assign(new Error('Cannot find channel "latest-linux.yml"'), {
        code: 'ERR_UPDATER_CHANNEL_FILE_NOT_FOUND',
      });
    };
    expect(await service.start()).toBe('failed');
    let finish: () => void = () => undefined;
    updater.nextCheck = () => new Promise<void>((resolve) => (finish = resolve));
    const first = service.check();
    expect(await service.check()).toBe('busy');
    finish();
    expect(await first).toBe('checked');
    expect(updater.checks).toBe(2);
  });

  it('makes the feed URL from the server URL by the one server rule', () => {
    expect(updateFeedUrl('https://chat.example.com')).toBe('https://chat.example.com/desktop/updates/');
    expect(updateFeedUrl('https://chat.example.com/support/')).toBe(
      'https://chat.example.com/support/desktop/updates/',
    );
    expect(updateFeedUrl('http://localhost:3000')).toBeNull();
    expect(updateFeedUrl('http://chat.example.com')).toBeNull();
    expect(updateFeedUrl('https://user:pw@chat.example.com')).toBeNull();
    expect(updateFeedUrl(null)).toBeNull();
  });
});

// electron-updater's own generic provider, with a stand-in HTTP executor: what the server must serve, and where.
const SHA = 'c2hhNTEy'.repeat(11);

describe('the update feed as electron-updater reads it', () => {
  it('asks <server>/desktop/updates/latest*.yml per platform and takes the installers beside it', async () => {
    const channels: Record<string, [string, string]> = {
      linux: ['latest-linux.yml', 'support-chat-0.2.0-linux-x86_64.AppImage'],
      darwin: ['latest-mac.yml', 'support-chat-0.2.0-mac-arm64.zip'],
      win32: ['latest.yml', 'support-chat-0.2.0-win-x64.exe'],
    };
    for (const [platform, [channelFile, installer]] of Object.entries(channels)) {
      const requested: string[] = [];
      const provider = new GenericProvider(
        { provider: 'generic', url: updateFeedUrl('https://chat.example.com')! },
        { channel: null, isAddNoCacheQuery: true },
        {
          platform: platform as NodeJS.Platform,
          executor: {
            request: async (options) => {
              requested.push(`${options.protocol}//${options.hostname}${options.path}`);
              return `version: 0.2.0\nfiles:\n  - url: ${installer}\n    sha512: ${SHA}\n    size: 1234\npath: ${installer}\nsha512: ${SHA}\nreleaseDate: '2026-12-01T00:00:00.000Z'\n`;
            },
          },
        },
      );
      const info = await provider.getLatestVersion();
      expect(info.version).toBe('0.2.0');
      // A cache-busting query is added: the server must ignore query strings.
      expect(requested[0], platform).toMatch(
        new RegExp(`^https://chat\\.example\\.com/desktop/updates/${channelFile}\\?noCache=\\w+$`),
      );
      const [file] = provider.resolveFiles(info);
      expect(file!.url.href).toBe(`https://chat.example.com/desktop/updates/${installer}`);
      expect(file!.info.sha512).toBe(SHA);
    }
  });
});
