// @vitest-environment happy-dom
// @vitest-environment-options {"settings":{"disableJavaScriptFileLoading":true,"disableIframePageLoading":true,"handleDisabledFileLoadingAsSuccess":true}}
// postMessage between the shop's page and the widget frame (SPEC §10, SECURITY.md "Website widget"): each side
// takes messages only from the exact origin and window it expects. A message of the right shape from another origin,
// or from the right origin through another window, changes nothing; the same message from the right sender does.
import { WidgetMessage } from '@support-chat/protocol/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type HostCommand, HostLink } from './widget-session';

const CHAT = 'https://chat.example';
const SHOP = 'https://shop.example';

function deliver(data: unknown, origin: string, source: unknown): void {
  window.dispatchEvent(new MessageEvent('message', { data, origin, source: source as Window }));
}

describe('the frame (HostLink)', () => {
  const realParent = Object.getOwnPropertyDescriptor(window, 'parent');
  afterEach(() => {
    if (realParent) Object.defineProperty(window, 'parent', realParent);
  });

  /** The frame inside the shop's page: `window.parent` is the page's window. */
  function framed() {
    const parent = { postMessage: vi.fn() };
    Object.defineProperty(window, 'parent', { value: parent, configurable: true });
    const commands: HostCommand[] = [];
    const hellos = vi.fn();
    const link = new HostLink((c) => commands.push(c), hellos);
    link.allow([SHOP]);
    return { parent, commands, hellos, link };
  }

  it('answers hello only from one of the site’s origins, through its parent window', () => {
    const { parent, hellos, link } = framed();
    const hello = { type: WidgetMessage.hello, pageUrl: 'https://evil.example/x' };
    deliver(hello, 'https://evil.example', parent);
    deliver(hello, 'https://shop.example.evil.example', parent);
    deliver(hello, 'http://shop.example', parent);
    deliver(hello, SHOP, { postMessage: vi.fn() }); // right origin, another window (a popup, another frame)
    expect(hellos).not.toHaveBeenCalled();
    expect(parent.postMessage).not.toHaveBeenCalled();
    expect(link.pageUrl).toBeNull();

    deliver({ type: WidgetMessage.hello, pageUrl: `${SHOP}/products/1` }, SHOP, parent);
    expect(hellos).toHaveBeenCalledOnce();
    expect(link.pageUrl).toBe(`${SHOP}/products/1`);
    // The answer goes to that exact origin, never to '*'.
    expect(parent.postMessage).toHaveBeenCalledWith({ type: WidgetMessage.ready }, SHOP);
  });

  it('takes commands only from the origin that said hello', () => {
    const { parent, commands } = framed();
    const identify = { type: WidgetMessage.command, command: 'identify', arg: 'token' };
    deliver(identify, SHOP, parent); // before hello: no host yet
    expect(commands).toEqual([]);
    deliver({ type: WidgetMessage.hello }, SHOP, parent);
    deliver(identify, 'https://evil.example', parent);
    deliver(identify, SHOP, { postMessage: vi.fn() });
    deliver({ type: WidgetMessage.command, command: 'steal', arg: 1 }, SHOP, parent);
    expect(commands).toEqual([]);
    deliver(identify, SHOP, parent);
    expect(commands).toEqual([{ command: 'identify', arg: 'token' }]);
  });

  it('judges messages that came before the site’s origins were known once they are', () => {
    const parent = { postMessage: vi.fn() };
    Object.defineProperty(window, 'parent', { value: parent, configurable: true });
    const hellos = vi.fn();
    const link = new HostLink(() => {}, hellos);
    deliver({ type: WidgetMessage.hello }, 'https://evil.example', parent);
    link.allow([SHOP]);
    expect(hellos).not.toHaveBeenCalled();
    expect(parent.postMessage).not.toHaveBeenCalled();
  });
});

describe('the loader (widget.js)', () => {
  it('takes the frame’s messages only from the chat server’s origin and the frame’s own window', async () => {
    const script = document.createElement('script');
    script.dataset.site = 'shop';
    script.setAttribute('src', `${CHAT}/widget.js`);
    document.head.append(script);
    await import('./loader');
    const shadow = document.querySelector('[data-support-chat]')?.shadowRoot;
    const launcher = shadow?.querySelector<HTMLButtonElement>('button.launcher');
    const badge = shadow?.querySelector<HTMLElement>('.badge');
    if (!launcher || !badge) throw new Error('no launcher');
    launcher.click(); // creates the frame and opens the panel
    const frame = shadow?.querySelector('iframe');
    expect(frame?.getAttribute('src')).toBe(`${CHAT}/widget/frame?site=shop`);
    if (!frame) throw new Error('no frame');
    // The frame's window as the page sees it (the frame's page itself is not loaded here).
    const frameWindow = { postMessage: vi.fn() };
    Object.defineProperty(frame, 'contentWindow', { value: frameWindow });
    frame.dispatchEvent(new Event('load'));
    expect(frameWindow.postMessage).toHaveBeenCalledWith(
      { type: WidgetMessage.hello, pageUrl: location.href },
      CHAT,
    );
    const panel = shadow?.querySelector<HTMLElement>('.panel');
    // "ready" from elsewhere does not release the queued commands.
    deliver({ type: WidgetMessage.ready }, 'https://evil.example', frameWindow);
    deliver({ type: WidgetMessage.ready }, CHAT, window);
    expect(frameWindow.postMessage).toHaveBeenCalledTimes(1);
    deliver({ type: WidgetMessage.ready }, CHAT, frameWindow);
    expect(frameWindow.postMessage).toHaveBeenLastCalledWith(
      { type: WidgetMessage.command, command: 'open', arg: undefined },
      CHAT,
    );

    const unread = { type: WidgetMessage.unread, count: 3 };
    deliver(unread, 'https://evil.example', frameWindow);
    deliver(unread, SHOP, frameWindow);
    deliver(unread, CHAT, window); // right origin, another window
    deliver({ type: WidgetMessage.close }, 'https://evil.example', frameWindow);
    expect(badge.hidden).toBe(true);
    expect(panel?.hidden).toBe(false);

    deliver(unread, CHAT, frameWindow);
    expect(badge.hidden).toBe(false);
    expect(badge.textContent).toBe('3');
    deliver({ type: WidgetMessage.close }, CHAT, frameWindow);
    expect(panel?.hidden).toBe(true);
  });
});
