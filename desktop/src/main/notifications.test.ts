import type { NotificationConstructorOptions } from 'electron';
import { describe, expect, it } from 'vitest';
import type { NotifyRequest } from '../common/ipc';
import { NotificationService } from './notifications';
import { FakeEmitter } from './test/fakes';

const OPEN = 'aaaaaaaaaaaaaaaaaaaaaaaa';
const OTHER = 'bbbbbbbbbbbbbbbbbbbbbbbb';

class FakeNotification extends FakeEmitter {
  shown = false;
  constructor(readonly options: NotificationConstructorOptions) {
    super();
  }
  show(): void {
    this.shown = true;
  }
}

const setup = (
  window: { focused: boolean; visible?: boolean; minimized?: boolean } | null,
  supported = true,
  platform: NodeJS.Platform = 'darwin',
) => {
  const created: FakeNotification[] = [];
  const opened: string[] = [];
  const service = new NotificationService({
    platform,
    isSupported: () => supported,
    create: (options) => {
      const n = new FakeNotification(options);
      created.push(n);
      return n;
    },
    getWindow: () =>
      window && {
        isFocused: () => window.focused,
        isVisible: () => window.visible ?? true,
        isMinimized: () => window.minimized ?? false,
      },
    openConversation: (id) => opened.push(id),
  });
  return { service, created, opened };
};

const customerMessage = (over: Partial<NotifyRequest> = {}): NotifyRequest => ({
  conversationId: OTHER,
  customerName: 'alice',
  departmentName: 'Billing Support',
  text: 'My invoice is wrong',
  senderRole: 'customer',
  openConversationId: OPEN,
  ...over,
});

describe('NotificationService', () => {
  it('shows "<customer> — <department>" with the text when the window is not focused', () => {
    const { service, created } = setup({ focused: false });
    expect(service.notify(customerMessage({ conversationId: OPEN }))).toBe(true);
    expect(created).toHaveLength(1);
    expect(created[0]!.options.title).toBe('alice — Billing Support');
    expect(created[0]!.options.body).toBe('My invoice is wrong');
    expect(created[0]!.shown).toBe(true);
  });

  it('shows when focused but another conversation is open', () => {
    const { service, created } = setup({ focused: true });
    expect(service.notify(customerMessage())).toBe(true);
    expect(created).toHaveLength(1);
  });

  it('stays quiet when that conversation is open and the window focused', () => {
    const { service, created } = setup({ focused: true });
    expect(service.notify(customerMessage({ conversationId: OPEN }))).toBe(false);
    expect(created).toHaveLength(0);
  });

  it('counts a hidden or minimised window as not focused', () => {
    for (const window of [
      { focused: true, visible: false },
      { focused: true, minimized: true },
    ]) {
      const { service } = setup(window);
      expect(service.notify(customerMessage({ conversationId: OPEN }))).toBe(true);
    }
    expect(setup(null).service.notify(customerMessage({ conversationId: OPEN }))).toBe(true);
  });

  it("ignores the agent's own and other agents' messages", () => {
    const { service, created } = setup({ focused: false });
    expect(service.notify(customerMessage({ senderRole: 'agent' }))).toBe(false);
    expect(service.notify(customerMessage({ senderRole: 'owner' }))).toBe(false);
    expect(created).toHaveLength(0);
  });

  it('truncates long bodies and keeps them plain text', () => {
    const { service, created } = setup({ focused: false });
    service.notify(customerMessage({ text: `<img src=x onerror=alert(1)> ${'x'.repeat(300)}` }));
    const body = created[0]!.options.body!;
    expect(Array.from(body).length).toBeLessThanOrEqual(120);
    expect(body.startsWith('<img src=x onerror=alert(1)>')).toBe(true);
    expect(body.endsWith('…')).toBe(true);
  });

  it('on Linux, escapes markup in the body after truncating, so links and tags show as text', () => {
    const { service, created } = setup({ focused: false }, true, 'linux');
    const text = `<a href="https://evil.example/">Click</a> Tom & Jerry <b>bold</b> ${'x'.repeat(200)}`;
    service.notify(customerMessage({ text, customerName: 'Bob <b>&', departmentName: 'Sales & Support' }));
    const { title, body } = created[0]!.options;
    expect(body!.startsWith('&lt;a href="https://evil.example/"&gt;Click&lt;/a&gt; Tom &amp; Jerry ')).toBe(
      true,
    );
    expect(body).toContain('&lt;b&gt;bold&lt;/b&gt;');
    expect(body).not.toMatch(/<|>|&(?!amp;|lt;|gt;)/);
    // Truncated to 120 characters as typed, then escaped: no entity is cut in half.
    expect(body!.endsWith('x…')).toBe(true);
    expect(title).toBe('Bob \u2039b\u203A\uFF06 — Sales \uFF06 Support');
  });

  it('leaves the text as typed where the OS shows plain text', () => {
    for (const platform of ['darwin', 'win32'] as const) {
      const { service, created } = setup({ focused: false }, true, platform);
      service.notify(customerMessage({ text: 'Tom & <b>Jerry</b>', departmentName: 'Sales & Support' }));
      expect(created[0]!.options).toMatchObject({
        title: 'alice — Sales & Support',
        body: 'Tom & <b>Jerry</b>',
      });
    }
  });

  it('opens that conversation when the notification is clicked', () => {
    const { service, created, opened } = setup({ focused: false });
    service.notify(customerMessage({ conversationId: OTHER }));
    created[0]!.emit('click');
    expect(opened).toEqual([OTHER]);
  });

  it('shows nothing where the OS has no notifications', () => {
    const { service, created } = setup({ focused: false }, false);
    expect(service.notify(customerMessage())).toBe(false);
    expect(created).toHaveLength(0);
  });
});
