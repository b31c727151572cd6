// The refresh token in the OS keychain (keytar), nowhere else: no keychain means nothing is kept.
import type { KeychainStatus } from '../common/ipc';
import { createLogger } from './logger';

const log = createLogger('credentials');

export const KEYCHAIN_SERVICE = 'SupportChat';

/** The part of keytar we use. */
export interface Keychain {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
  findCredentials(service: string): Promise<Array<{ account: string; password: string }>>;
}

/**
 * keytar is an optional native module: a machine without its build tools installs and type-checks everything
 * else. Named through a variable so `tsc` never needs its types (Keychain above is the part we use).
 */
const KEYTAR_MODULE: string = 'keytar';

/** Loads keytar lazily; a missing native module means no keychain, not a crash. */
export const loadKeytar = async (
  load: () => Promise<unknown> = () => import(/* @vite-ignore */ KEYTAR_MODULE),
): Promise<Keychain | null> => {
  try {
    const mod = (await load()) as Keychain & { default?: Keychain };
    return mod.default ?? mod;
  } catch (error) {
    log.warn(
      { error: error instanceof Error ? error.message.slice(0, 200) : 'unknown' },
      'keytar could not be loaded',
    );
    return null;
  }
};

/** Keychain account: server URL + username, so one machine can keep logins to several servers. */
export const accountName = (serverUrl: string, username: string): string =>
  `${serverUrl}|${username.toLowerCase()}`;

export class CredentialStore {
  private status: KeychainStatus | null = null;

  constructor(
    private readonly keychain: () => Promise<Keychain | null>,
    private readonly service = KEYCHAIN_SERVICE,
  ) {}

  private async use(): Promise<Keychain | null> {
    if (this.status === 'unavailable') return null;
    const keychain = await this.keychain();
    if (!keychain) this.status = 'unavailable';
    return keychain;
  }

  /** Asks the keychain once whether it answers (no D-Bus, a locked or missing Secret Service: unavailable). */
  async availability(): Promise<KeychainStatus> {
    if (this.status) return this.status;
    const keychain = await this.use();
    if (!keychain) return 'unavailable';
    try {
      await keychain.findCredentials(this.service);
      this.status = 'available';
    } catch (error) {
      this.markUnavailable(error);
    }
    return this.status ?? 'unavailable';
  }

  private markUnavailable(error: unknown): void {
    this.status = 'unavailable';
    log.warn(
      { error: error instanceof Error ? error.message.slice(0, 200) : 'unknown' },
      'no keychain available',
    );
  }

  /** Keeps the refresh token; returns false (and keeps nothing) when there is no working keychain. */
  async saveRefreshToken(serverUrl: string, username: string, refreshToken: string): Promise<boolean> {
    const keychain = await this.use();
    if (!keychain) return false;
    const account = accountName(serverUrl, username);
    try {
      await keychain.setPassword(this.service, account, refreshToken);
      this.status = 'available';
      return true;
    } catch (error) {
      this.markUnavailable(error);
      // A half-written entry must not survive a failure.
      await keychain.deletePassword(this.service, account).catch(() => false);
      return false;
    }
  }

  async readRefreshToken(serverUrl: string, username: string): Promise<string | null> {
    const keychain = await this.use();
    if (!keychain) return null;
    try {
      return await keychain.getPassword(this.service, accountName(serverUrl, username));
    } catch (error) {
      this.markUnavailable(error);
      return null;
    }
  }

  async deleteRefreshToken(serverUrl: string, username: string): Promise<boolean> {
    const keychain = await this.use();
    if (!keychain) return false;
    try {
      return await keychain.deletePassword(this.service, accountName(serverUrl, username));
    } catch (error) {
      this.markUnavailable(error);
      return false;
    }
  }
}
