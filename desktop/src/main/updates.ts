// Updates from the chat server itself (<server>/desktop/updates/, electron-updater's generic provider): checked
// at start and daily, downloaded in the background, installed when the app quits.
import { checkServerUrl } from '../common/server-url';
import { createLogger } from './logger';

const log = createLogger('updates');

export const UPDATE_CHECK_INTERVAL_MS = 24 * 60 * 60 * 1000;
/** Where the server serves what `desktop:dist` builds (latest*.yml and the installers beside them). */
export const UPDATE_FEED_PATH = '/desktop/updates/';

/** electron-updater's logger interface. */
export interface UpdaterLogger {
  info(message?: unknown): void;
  warn(message?: unknown): void;
  error(message?: unknown): void;
  debug?(message: string): void;
}

/** electron-updater's GenericServerOptions as this app sets them. */
export interface GenericFeed {
  provider: 'generic';
  url: string;
  /** Single-range requests only, so the server's static route needs no multipart/byteranges answers. */
  useMultipleRangeRequest: false;
}

/** The part of electron-updater's `autoUpdater` (an AppUpdater) this service uses. */
export interface UpdaterLike {
  autoDownload: boolean;
  autoInstallOnAppQuit: boolean;
  allowDowngrade: boolean;
  allowPrerelease: boolean;
  logger: UpdaterLogger | null;
  setFeedURL(options: GenericFeed): void;
  checkForUpdates(): Promise<unknown>;
  on(
    event: 'update-available' | 'update-not-available' | 'update-downloaded',
    listener: (info: { version: string }) => void,
  ): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

export interface UpdateServiceDeps {
  /** null in a development run (not packaged): electron-updater has nothing to replace then. */
  updater: UpdaterLike | null;
  /** The server the agent logged into, if any: its feed is the only one trusted. */
  getServerUrl: () => string | null;
  /** Runs `check` every `ms`; returns a function that stops it. */
  every: (ms: number, check: () => Promise<unknown>) => () => void;
}

/**
 * The feed of a server: https only. The updater runs only in the packaged app, where a loopback http server
 * (allowed for logins in development) could be any local process serving an installer.
 */
export const updateFeedUrl = (serverUrl: string | null): string | null => {
  if (!serverUrl) return null;
  const checked = checkServerUrl(serverUrl);
  return checked.ok && checked.url.startsWith('https:') ? `${checked.url}${UPDATE_FEED_PATH}` : null;
};

/** What an updater error may tell the log: its code and the start of its message (URLs, never credentials). */
const describeError = (error: unknown) => ({
  code: (error as { code?: unknown } | null)?.code ?? null,
  error: error instanceof Error ? error.message.slice(0, 200) : String(error).slice(0, 200),
});

export type UpdateCheck = 'checked' | 'disabled' | 'no-feed' | 'busy' | 'failed';

export class UpdateService {
  private feed: string | null = null;
  private checking = false;
  private stopTimer: (() => void) | null = null;

  constructor(private readonly deps: UpdateServiceDeps) {}

  /** Configures the updater, checks now and then daily. Safe to call once at start. */
  start(): Promise<UpdateCheck> {
    const { updater } = this.deps;
    if (!updater) {
      log.info({}, 'updates off: development run (not packaged)');
      return Promise.resolve('disabled');
    }
    updater.autoDownload = true;
    updater.autoInstallOnAppQuit = true;
    // Never go back to an older (possibly vulnerable) version, never to a pre-release.
    updater.allowDowngrade = false;
    updater.allowPrerelease = false;
    updater.logger = {
      info: () => undefined,
      warn: (message) => log.warn({ detail: String(message).slice(0, 300) }, 'updater warning'),
      error: (message) => log.error({ detail: String(message).slice(0, 300) }, 'updater error'),
    };
    updater.on('update-available', (info) => log.info({ version: info.version }, 'update available'));
    updater.on('update-not-available', (info) => log.info({ version: info.version }, 'up to date'));
    updater.on('update-downloaded', (info) =>
      log.info({ version: info.version }, 'update downloaded, installs on quit'),
    );
    updater.on('error', (error) => log.warn(describeError(error), 'updater error'));
    this.stopTimer = this.deps.every(UPDATE_CHECK_INTERVAL_MS, () => this.check());
    return this.check();
  }

  stop(): void {
    this.stopTimer?.();
    this.stopTimer = null;
  }

  /** One check against the current server's feed; overlapping checks are skipped. */
  async check(): Promise<UpdateCheck> {
    const { updater } = this.deps;
    if (!updater) return 'disabled';
    const feed = updateFeedUrl(this.deps.getServerUrl());
    if (!feed) {
      log.info({}, 'no update check: no server logged into, or its URL is not https');
      return 'no-feed';
    }
    if (this.checking) return 'busy';
    this.checking = true;
    try {
      if (feed !== this.feed) {
        updater.setFeedURL({ provider: 'generic', url: feed, useMultipleRangeRequest: false });
        this.feed = feed;
        log.info({ feed }, 'update feed set');
      }
      await updater.checkForUpdates();
      return 'checked';
    } catch (error) {
      // Offline or no feed on this server: the next daily check tries again.
      log.warn(describeError(error), 'update check failed');
      return 'failed';
    } finally {
      this.checking = false;
    }
  }
}
