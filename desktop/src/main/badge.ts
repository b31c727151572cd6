// The unread total everywhere the OS shows one: dock/launcher badge, tray tooltip, Windows taskbar overlay.
import type { NativeImage } from 'electron';
import type { TrayService } from './tray';

export interface BadgeApp {
  setBadgeCount(count?: number): boolean;
}

export interface BadgeWindow {
  setOverlayIcon(overlay: NativeImage | null, description: string): void;
  isDestroyed(): boolean;
}

export interface BadgeDeps {
  app: BadgeApp;
  platform: NodeJS.Platform;
  tray: Pick<TrayService, 'setUnread'> | null;
  getWindow: () => BadgeWindow | null;
  /** Draws the small red overlay for Windows' taskbar. */
  overlayIcon: (count: number) => NativeImage;
}

export class BadgeService {
  private count = 0;

  constructor(private readonly deps: BadgeDeps) {}

  setUnreadCount(count: number): void {
    const n = Math.max(0, Math.floor(count));
    this.count = n;
    // macOS dock and Unity-style Linux launchers; returns false where unsupported, which is fine.
    if (this.deps.platform !== 'win32') this.deps.app.setBadgeCount(n);
    this.deps.tray?.setUnread(n);
    if (this.deps.platform === 'win32') {
      const window = this.deps.getWindow();
      if (window && !window.isDestroyed()) {
        window.setOverlayIcon(n > 0 ? this.deps.overlayIcon(n) : null, n > 0 ? `${n} unread` : '');
      }
    }
  }

  get unreadCount(): number {
    return this.count;
  }
}
