import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AutoStartService } from './autostart';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const setup = (platform: NodeJS.Platform) => {
  const configHome = mkdtempSync(path.join(os.tmpdir(), 'desktop-autostart-'));
  dirs.push(configHome);
  const loginItems: unknown[] = [];
  const service = new AutoStartService({
    app: { setLoginItemSettings: (s) => loginItems.push(s) },
    platform,
    executable: '/opt/Support Chat/support-chat',
    configHome,
  });
  return { service, loginItems };
};

describe('AutoStartService', () => {
  it('uses the OS login items on macOS and Windows', async () => {
    for (const platform of ['darwin', 'win32'] as const) {
      const { service, loginItems } = setup(platform);
      await service.apply(true);
      await service.apply(false);
      expect(loginItems).toEqual([
        { openAtLogin: true, args: ['--hidden'] },
        { openAtLogin: false, args: [] },
      ]);
    }
  });

  it('writes and removes an XDG autostart entry on Linux', async () => {
    const { service, loginItems } = setup('linux');
    await service.apply(true);
    const entry = readFileSync(service.linuxEntryPath, 'utf8');
    expect(entry).toContain('Exec="/opt/Support Chat/support-chat" --hidden');
    expect(entry).toContain('Type=Application');
    await service.apply(false);
    expect(existsSync(service.linuxEntryPath)).toBe(false);
    expect(loginItems).toEqual([]);
  });
});
