import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AutoStartService, desktopEntry, quoteExecArgument } from './autostart';

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

  it('quotes the Exec= argument as the Desktop Entry spec requires', () => {
    expect(quoteExecArgument('/opt/Support Chat/support-chat')).toBe('"/opt/Support Chat/support-chat"');
    // Quote rule (\" \` \$ \\), then the string rule doubles every backslash: "\\\\" is one literal backslash.
    expect(quoteExecArgument('/a"b')).toBe(String.raw`"/a\\"b"`);
    expect(quoteExecArgument('/a`b')).toBe('"/a\\\\`b"');
    expect(quoteExecArgument('/a$HOME')).toBe(String.raw`"/a\\$HOME"`);
    expect(quoteExecArgument('/a\\b')).toBe(String.raw`"/a\\\\b"`);
    expect(quoteExecArgument('/100%u')).toBe('"/100%%u"');
    expect(quoteExecArgument("/it's;~|&<>*?#()")).toBe(`"/it's;~|&<>*?#()"`);
    expect(quoteExecArgument('/a\nb\tc')).toBe(String.raw`"/a\nb\tc"`);
    expect(() => quoteExecArgument('/a\u0007b')).toThrow(/control characters/);
  });

  it('writes an Exec= line that a spec-following reader turns back into the exact path', () => {
    const paths = [
      '/home/ann/Apps/Support Chat.AppImage',
      '/home/o\'brien/"quoted" dir/app',
      '/tmp/back\\slash/$HOME/`id`/app',
      '/tmp/100% sure/%f %U/app',
      '/tmp/tab\there/new\nline/app',
      '/tmp/ünïcödé/app',
    ];
    for (const executable of paths) {
      const exec = desktopEntry(executable)
        .split('\n')
        .find((line) => line.startsWith('Exec='))!
        .slice('Exec='.length);
      expect(readExecLine(exec), executable).toEqual([executable, '--hidden']);
    }
  });
});

/** A reader of the spec's Exec key: string escapes first, then quoting, then field codes (%% only here). */
function readExecLine(value: string): string[] {
  const unescaped = value.replace(/\\([sntr\\])/g, (_m, c: string) =>
    c === 's' ? ' ' : c === 'n' ? '\n' : c === 't' ? '\t' : c === 'r' ? '\r' : '\\',
  );
  const args: string[] = [];
  let i = 0;
  while (i < unescaped.length) {
    if (unescaped[i] === ' ') {
      i++;
      continue;
    }
    let arg = '';
    if (unescaped[i] === '"') {
      i++;
      while (unescaped[i] !== '"') {
        if (i >= unescaped.length) throw new Error(`unterminated quote in ${value}`);
        if (unescaped[i] === '\\') {
          const next = unescaped[i + 1]!;
          if (!'"`$\\'.includes(next)) throw new Error(`bad escape \\${next} in ${value}`);
          arg += next;
          i += 2;
        } else arg += unescaped[i++];
      }
      i++;
    } else {
      while (i < unescaped.length && unescaped[i] !== ' ') {
        if (`"'\\><~|&;$*?#()\`\t\n`.includes(unescaped[i]!)) throw new Error(`reserved character unquoted`);
        arg += unescaped[i++];
      }
    }
    args.push(
      arg.replace(/%(.)/g, (_m, c: string) => {
        if (c !== '%') throw new Error(`field code %${c} in ${value}`);
        return '%';
      }),
    );
  }
  return args;
}
