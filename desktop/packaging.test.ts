// The packaging configuration is security-relevant: these tests fail when a fuse or the update feed drifts.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { UPDATE_FEED_PATH } from './src/main/updates';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const configText = readFileSync(path.join(root, 'electron-builder.yml'), 'utf8');
const config = parse(configText) as Record<string, unknown>;

// electron-builder's own validation (its JSON schema), loaded from the electron-builder we depend on.
const requireFromBuilder = createRequire(createRequire(import.meta.url).resolve('electron-builder'));
const { validateConfiguration } = requireFromBuilder('app-builder-lib/out/util/config/config') as {
  validateConfiguration: (config: unknown, debugLogger: { isEnabled: boolean }) => Promise<void>;
};

describe('electron-builder.yml', () => {
  // Compiling electron-builder's schema takes seconds of CPU; on a busy two-core machine more than 5.
  it('passes electron-builder 26 schema validation (so no option name is misspelt)', {
    timeout: 60_000,
  }, async () => {
    await expect(
      validateConfiguration(structuredClone(config), { isEnabled: false }),
    ).resolves.toBeUndefined();
    await expect(
      validateConfiguration({ ...config, electronFuses: { runAsNodeX: false } }, { isEnabled: false }),
    ).rejects.toThrow(/configuration\.electronFuses/);
  });

  it('flips every security fuse', () => {
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      enableCookieEncryption: true,
      grantFileProtocolExtraPrivileges: false,
    });
  });

  it('writes the update files for a generic feed at /desktop/updates/, with names free of spaces', () => {
    const publish = config.publish as Array<{ provider: string; url: string }>;
    expect(publish).toHaveLength(1);
    expect(publish[0]!.provider).toBe('generic');
    expect(new URL(publish[0]!.url).pathname).toBe(UPDATE_FEED_PATH);
    expect(config.artifactName).not.toMatch(/\s/);
    const mac = config.mac as { target: string[]; hardenedRuntime: boolean; notarize: boolean };
    // electron-updater updates macOS apps from the zip; notarisation needs the hardened runtime.
    expect(mac.target).toContain('zip');
    expect(mac).toMatchObject({ hardenedRuntime: true, notarize: true });
    expect((config.win as { verifyUpdateCodeSignature: boolean }).verifyUpdateCodeSignature).toBe(true);
  });

  it('holds no signing secret: those come from the build environment only', () => {
    const secretKey = /password|secret|csclink|certificatefile|certificatesha1|apikey|token|keychain/i;
    const keys = (value: unknown, at: string): string[] =>
      value && typeof value === 'object'
        ? Object.entries(value).flatMap(([key, inner]) => [`${at}.${key}`, ...keys(inner, `${at}.${key}`)])
        : [];
    expect(keys(config, 'config').filter((key) => secretKey.test(key.split('.').at(-1)!))).toEqual([]);
    expect(configText).not.toMatch(/-----BEGIN|[A-Za-z0-9+/]{120,}/);
  });
});
