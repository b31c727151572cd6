// electron-updater's own generic provider (what the packaged app reads its feed with), loaded for tests.
import { createRequire } from 'node:module';

export type ResolvedFile = { url: URL; info: { sha512: string; size?: number } };
export interface ProviderRequest {
  protocol?: string;
  hostname?: string;
  host?: string;
  port?: string | number;
  path?: string;
}
type GenericProviderClass = new (
  configuration: { provider: 'generic'; url: string },
  updater: { channel: string | null; isAddNoCacheQuery: boolean },
  runtimeOptions: {
    platform: NodeJS.Platform;
    executor: { request(options: ProviderRequest): Promise<string> };
  },
) => {
  getLatestVersion(): Promise<{ version: string; files: unknown[] }>;
  resolveFiles(info: unknown): ResolvedFile[];
};

export const { GenericProvider } = createRequire(import.meta.url)(
  'electron-updater/out/providers/GenericProvider',
) as { GenericProvider: GenericProviderClass };
