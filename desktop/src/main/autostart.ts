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

export const desktopEntry = (executable: string): string =>
  [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Support Chat',
    `Exec="${executable.replace(/(["`$\\])/g, '\\$1')}" ${HIDDEN_ARG}`,
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
