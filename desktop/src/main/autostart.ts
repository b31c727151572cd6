// Start at login: the OS login items on macOS and Windows, an XDG autostart entry on Linux.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface LoginItemApp {
  setLoginItemSettings(settings: { openAtLogin: boolean; args?: string[] }): void;
}

export interface AutoStartDeps {
  app: LoginItemApp;
  platform: NodeJS.Platform;
  /** The command that starts the app (the AppImage path when run from one). */
  executable: string;
  /** ~/.config on Linux ($XDG_CONFIG_HOME). */
  configHome: string;
}

export const HIDDEN_ARG = '--hidden';

/**
 * One argument of a Desktop Entry `Exec=` value, by the spec's rules in their order: quoted, with `"`, backtick,
 * `$` and backslash escaped by a backslash; `%` doubled (field codes); then the string escapes of every value
 * (backslash, newline, tab, carriage return). Other control characters cannot be written in a desktop entry.
 */
export const quoteExecArgument = (argument: string): string => {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we refuse
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(argument)) {
    throw new Error('The path of the app contains control characters: no autostart entry can name it.');
  }
  const quoted = `"${argument.replace(/["`$\\]/g, '\\$&').replace(/%/g, '%%')}"`;
  return quoted.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\t/g, '\\t').replace(/\r/g, '\\r');
};

export const desktopEntry = (executable: string): string =>
  [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Support Chat',
    `Exec=${quoteExecArgument(executable)} ${HIDDEN_ARG}`,
    'X-GNOME-Autostart-enabled=true',
    'Terminal=false',
    '',
  ].join('\n');

export class AutoStartService {
  constructor(private readonly deps: AutoStartDeps) {}

  get linuxEntryPath(): string {
    return path.join(this.deps.configHome, 'autostart', 'support-chat.desktop');
  }

  async apply(startAtLogin: boolean): Promise<void> {
    if (this.deps.platform === 'linux') {
      // Electron's login items do nothing on Linux; the XDG autostart spec is what desktops read.
      if (startAtLogin) {
        await mkdir(path.dirname(this.linuxEntryPath), { recursive: true });
        await writeFile(this.linuxEntryPath, desktopEntry(this.deps.executable));
      } else {
        await rm(this.linuxEntryPath, { force: true });
      }
      return;
    }
    this.deps.app.setLoginItemSettings({ openAtLogin: startAtLogin, args: startAtLogin ? [HIDDEN_ARG] : [] });
  }
}
