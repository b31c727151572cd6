// The tray icon: its tooltip carries the unread total; its menu opens the window or quits.
import type { AgentStatus } from '@support-chat/protocol';
import type { MenuItemConstructorOptions, NativeImage } from 'electron';

export const PRODUCT_NAME = 'Support Chat';

export interface TrayLike {
  setToolTip(toolTip: string): void;
  setContextMenu(menu: unknown): void;
  setImage(image: NativeImage): void;
  on(event: 'click', listener: () => void): unknown;
  destroy(): void;
}

export interface TrayActions {
  open(): void;
  quit(): void;
  /** The agent picked available or away (absent: no status items, e.g. logged out). */
  setStatus?(status: AgentStatus): void;
}

export const unreadTooltip = (count: number): string =>
  count > 0 ? `${PRODUCT_NAME} — ${count} unread` : `${PRODUCT_NAME} — no unread messages`;

export class TrayService {
  private unread = 0;
  private status: AgentStatus | null = null;

  constructor(
    private readonly tray: TrayLike,
    private readonly buildMenu: (template: MenuItemConstructorOptions[]) => unknown,
    private readonly actions: TrayActions,
  ) {
    this.tray.setToolTip(unreadTooltip(0));
    this.tray.setContextMenu(this.buildMenu(this.menuTemplate()));
    this.tray.on('click', () => this.actions.open());
  }

  menuTemplate(): MenuItemConstructorOptions[] {
    return [
      { label: this.unread > 0 ? `Open (${this.unread} unread)` : 'Open', click: () => this.actions.open() },
      ...this.statusItems(),
      { type: 'separator' },
      { label: 'Quit', click: () => this.actions.quit() },
    ];
  }

  private statusItems(): MenuItemConstructorOptions[] {
    const set = this.actions.setStatus;
    if (!this.status || !set) return [];
    const item = (status: AgentStatus, label: string): MenuItemConstructorOptions => ({
      label,
      type: 'radio',
      checked: this.status === status,
      click: () => set(status),
    });
    return [{ type: 'separator' }, item('available', 'Available'), item('away', 'Away')];
  }

  /** Shows the agent's status in the menu (null: logged out, no status items). */
  setStatus(status: AgentStatus | null): void {
    if (status === this.status) return;
    this.status = status;
    this.tray.setContextMenu(this.buildMenu(this.menuTemplate()));
  }

  setUnread(count: number): void {
    if (count === this.unread) return;
    this.unread = count;
    this.tray.setToolTip(unreadTooltip(count));
    this.tray.setContextMenu(this.buildMenu(this.menuTemplate()));
  }

  get unreadCount(): number {
    return this.unread;
  }

  destroy(): void {
    this.tray.destroy();
  }
}
