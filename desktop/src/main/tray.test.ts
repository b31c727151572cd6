import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it } from 'vitest';
import { BadgeService } from './badge';
import { FakeEmitter } from './test/fakes';
import { TrayService } from './tray';

class FakeTray extends FakeEmitter {
  tooltip = '';
  menu: MenuItemConstructorOptions[] = [];
  destroyed = false;
  setToolTip(tooltip: string) {
    this.tooltip = tooltip;
  }
  setContextMenu(menu: unknown) {
    this.menu = menu as MenuItemConstructorOptions[];
  }
  setImage() {}
  destroy() {
    this.destroyed = true;
  }
}

const makeTray = () => {
  const fake = new FakeTray();
  const calls: string[] = [];
  const service = new TrayService(fake, (template) => template, {
    open: () => calls.push('open'),
    quit: () => calls.push('quit'),
  });
  return { fake, calls, service };
};

const click = (item: MenuItemConstructorOptions | undefined) => (item?.click as (() => void) | undefined)?.();

describe('TrayService', () => {
  it('has an Open / Quit menu whose items do what they say', () => {
    const { fake, calls } = makeTray();
    const labels = fake.menu.filter((i) => i.type !== 'separator').map((i) => i.label);
    expect(labels).toEqual(['Open', 'Quit']);
    click(fake.menu.find((i) => i.label === 'Open'));
    click(fake.menu.find((i) => i.label === 'Quit'));
    expect(calls).toEqual(['open', 'quit']);
  });

  it('offers Available / Away once logged in, checked as the status is, and passes the choice on', () => {
    const fake = new FakeTray();
    const chosen: string[] = [];
    const service = new TrayService(fake, (template) => template, {
      open() {},
      quit() {},
      setStatus: (status) => chosen.push(status),
    });
    expect(fake.menu.some((i) => i.label === 'Away')).toBe(false);
    service.setStatus('available');
    const radio = () => fake.menu.filter((i) => i.type === 'radio').map((i) => [i.label, i.checked]);
    expect(radio()).toEqual([
      ['Available', true],
      ['Away', false],
    ]);
    click(fake.menu.find((i) => i.label === 'Away'));
    expect(chosen).toEqual(['away']);
    service.setStatus('away');
    expect(radio()).toEqual([
      ['Available', false],
      ['Away', true],
    ]);
    service.setStatus(null);
    expect(radio()).toEqual([]);
  });

  it('shows the unread total in the tooltip', () => {
    const { fake, service } = makeTray();
    expect(fake.tooltip).toBe('Support Chat — no unread messages');
    service.setUnread(3);
    expect(fake.tooltip).toBe('Support Chat — 3 unread');
    expect(fake.menu[0]?.label).toBe('Open (3 unread)');
    service.setUnread(0);
    expect(fake.tooltip).toBe('Support Chat — no unread messages');
  });

  it('opens the window on a click on the icon', () => {
    const { fake, calls } = makeTray();
    fake.emit('click');
    expect(calls).toEqual(['open']);
  });
});

describe('BadgeService', () => {
  const setup = (platform: NodeJS.Platform) => {
    const badgeCounts: number[] = [];
    const overlays: Array<{ icon: unknown; description: string }> = [];
    const tray = makeTray();
    const badge = new BadgeService({
      app: {
        setBadgeCount: (n?: number) => {
          badgeCounts.push(n ?? 0);
          return true;
        },
      },
      platform,
      tray: tray.service,
      getWindow: () => ({
        isDestroyed: () => false,
        setOverlayIcon: (icon, description) => overlays.push({ icon, description }),
      }),
      overlayIcon: (n) => ({ overlayFor: n }) as never,
    });
    return { badge, badgeCounts, overlays, tray };
  };

  it('sets the dock/launcher badge and the tray tooltip on macOS and Linux', () => {
    for (const platform of ['darwin', 'linux'] as const) {
      const { badge, badgeCounts, overlays, tray } = setup(platform);
      badge.setUnreadCount(5);
      badge.setUnreadCount(0);
      expect(badgeCounts).toEqual([5, 0]);
      expect(overlays).toEqual([]);
      expect(tray.fake.tooltip).toBe('Support Chat — no unread messages');
    }
  });

  it('uses the taskbar overlay icon on Windows and clears it at zero', () => {
    const { badge, badgeCounts, overlays, tray } = setup('win32');
    badge.setUnreadCount(7);
    expect(tray.fake.tooltip).toBe('Support Chat — 7 unread');
    badge.setUnreadCount(0);
    expect(badgeCounts).toEqual([]);
    expect(overlays).toEqual([
      { icon: { overlayFor: 7 }, description: '7 unread' },
      { icon: null, description: '' },
    ]);
  });

  it('never shows a negative or fractional count', () => {
    const { badge, badgeCounts } = setup('linux');
    badge.setUnreadCount(-3);
    badge.setUnreadCount(2.7);
    expect(badgeCounts).toEqual([0, 2]);
  });
});
