import type { BrowserWindowConstructorOptions } from 'electron';
import { describe, expect, it } from 'vitest';
import { FakeDialog, FakeEmitter, FakeEvent, FakeShell } from './test/fakes';
import {
  contentSecurityPolicy,
  createSecureWindow,
  ExternalLinkOpener,
  hardenSession,
  hardenWebContents,
  hideOnClose,
  isAppUrl,
  isInternationalisedHost,
  safeExternalUrl,
  secureWebPreferences,
  showConversation,
} from './window';

class FakeWebContents extends FakeEmitter {
  windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }) {
    this.windowOpenHandler = handler;
  }
}

class FakeBrowserWindow {
  static made: FakeBrowserWindow[] = [];
  readonly webContents = new FakeWebContents();
  constructor(readonly options: BrowserWindowConstructorOptions) {
    FakeBrowserWindow.made.push(this);
  }
}

const makeLinks = (dialogAnswer = 0) => {
  const shell = new FakeShell();
  const dialog = new FakeDialog(dialogAnswer);
  return { shell, dialog, links: new ExternalLinkOpener(shell, dialog) };
};

const makeWindow = () => {
  const { shell, links } = makeLinks();
  const window = createSecureWindow(
    { BrowserWindow: FakeBrowserWindow as never, links, preloadPath: '/app/dist/preload/preload.cjs' },
    { width: 800, height: 600 },
  ) as unknown as FakeBrowserWindow;
  return { window, shell, links };
};

/** Lets the fire-and-forget `links.open` of an event handler finish. */
const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('createSecureWindow', () => {
  it('creates windows with exactly the hardened web preferences', () => {
    const { window } = makeWindow();
    expect(window.options.webPreferences).toEqual({
      preload: '/app/dist/preload/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
    });
    expect(window.options.show).toBe(false);
    expect(secureWebPreferences('x')).toEqual({ ...window.options.webPreferences, preload: 'x' });
  });

  it('prevents navigation away from the app, and opens https links in the OS browser instead', async () => {
    const { window, shell } = makeWindow();
    const away = new FakeEvent();
    window.webContents.emit('will-navigate', away, 'https://evil.example/phish');
    expect(away.defaultPrevented).toBe(true);
    await settled();
    expect(shell.opened).toEqual(['https://evil.example/phish']);

    for (const url of ['file:///etc/passwd', 'http://example.com/', 'javascript:alert(1)']) {
      const event = new FakeEvent();
      window.webContents.emit('will-navigate', event, url);
      expect(event.defaultPrevented).toBe(true);
    }
    await settled();
    expect(shell.opened).toHaveLength(1);

    const inside = new FakeEvent();
    window.webContents.emit('will-navigate', inside, 'app://support-chat/index.html');
    expect(inside.defaultPrevented).toBe(false);
  });

  it('prevents redirects, frame navigations and webviews', () => {
    const { window } = makeWindow();
    const redirect = new FakeEvent();
    window.webContents.emit('will-redirect', redirect, 'https://evil.example/');
    const frame = new FakeEvent('https://evil.example/');
    window.webContents.emit('will-frame-navigate', frame);
    const webview = new FakeEvent();
    window.webContents.emit('will-attach-webview', webview);
    expect([redirect, frame, webview].map((e) => e.defaultPrevented)).toEqual([true, true, true]);
  });

  it('denies window.open; https targets go to the OS browser, others nowhere', async () => {
    const { window, shell } = makeWindow();
    const open = window.webContents.windowOpenHandler!;
    expect(open({ url: 'https://docs.example/help' })).toEqual({ action: 'deny' });
    expect(open({ url: 'javascript:alert(1)' })).toEqual({ action: 'deny' });
    expect(open({ url: 'app://support-chat/index.html' })).toEqual({ action: 'deny' });
    await settled();
    expect(shell.opened).toEqual(['https://docs.example/help']);
  });
});

describe('opening external links', () => {
  it('opens only parsed https: URLs', async () => {
    const { shell, dialog, links } = makeLinks();
    const refused = [
      'javascript:alert(1)',
      'file:///etc/passwd',
      'http://example.com/',
      'smb://host/share',
      'data:text/html,<script>alert(1)</script>',
      'https://user:pass@example.com/',
      'not a url',
      '',
      42,
      null,
    ];
    for (const url of refused) expect(await links.open(url)).toBe(false);
    expect(shell.opened).toEqual([]);
    expect(await links.open('HTTPS://Example.com/a b')).toBe(true);
    expect(shell.opened).toEqual(['https://example.com/a%20b']);
    expect(dialog.shown).toEqual([]);
    expect(safeExternalUrl(' javascript:alert(1)')).toBeNull();
  });

  it('shows the real (punycode) host of an internationalised link before opening it', async () => {
    const lookalike = 'https://\u0430pple.com/account?x=1'; // Cyrillic а, reads as apple.com
    const refused = makeLinks(0);
    expect(await refused.links.open(lookalike)).toBe(false);
    expect(refused.shell.opened).toEqual([]);
    const [box] = refused.dialog.shown;
    expect(box).toMatchObject({
      type: 'warning',
      message: 'Open a link to xn--pple-43d.com?',
      defaultId: 0,
      cancelId: 0,
      buttons: ['Cancel', 'Open in browser'],
    });
    expect(box!.detail).toContain('"\u0430pple.com"');
    expect(box!.detail).toContain('https://xn--pple-43d.com/account?x=1');

    const confirmed = makeLinks(1);
    expect(await confirmed.links.open(lookalike)).toBe(true);
    expect(confirmed.shell.opened).toEqual(['https://xn--pple-43d.com/account?x=1']);

    // Also when the window navigates (a clicked link) rather than asking through IPC.
    const { window, shell } = makeWindow();
    window.webContents.emit('will-navigate', new FakeEvent(), 'https://b\u00fccher.example/');
    await settled();
    expect(shell.opened).toEqual([]);
  });

  it('tells internationalised hosts from plain ones', () => {
    expect(isInternationalisedHost(new URL('https://m\u00fcnchen.de').hostname)).toBe(true);
    expect(isInternationalisedHost(new URL('https://xn--mnchen-3ya.de').hostname)).toBe(true);
    expect(isInternationalisedHost(new URL('https://shop.\u4f8b\u3048.jp').hostname)).toBe(true);
    expect(isInternationalisedHost(new URL('https://example.com').hostname)).toBe(false);
    expect(isInternationalisedHost(new URL('https://axn--b.example').hostname)).toBe(false);
  });

  it('knows its own pages', () => {
    expect(isAppUrl('app://support-chat/index.html')).toBe(true);
    expect(isAppUrl('app://other/index.html')).toBe(false);
    expect(isAppUrl('file:///app/index.html')).toBe(false);
    expect(isAppUrl('https://support-chat/')).toBe(false);
    expect(isAppUrl(null)).toBe(false);
  });
});

describe('content security policy', () => {
  it('allows only our scripts and the configured server', () => {
    const csp = contentSecurityPolicy('https://chat.example.com');
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).toContain("connect-src 'self' https://chat.example.com wss://chat.example.com");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(contentSecurityPolicy('http://127.0.0.1:3000')).toContain(
      "connect-src 'self' http://127.0.0.1:3000 ws://127.0.0.1:3000",
    );
    expect(contentSecurityPolicy(null)).toContain("connect-src 'self';");
    // A server outside the rule (plain http off loopback, other schemes) is not reachable at all.
    for (const server of ['http://chat.example.com', 'ws://chat.example.com', 'javascript:alert(1)', 'x']) {
      expect(contentSecurityPolicy(server), server).toContain("connect-src 'self';");
    }
  });

  it('is added to our pages through the session and every permission is refused', () => {
    type HeadersListener = (
      details: { url: string; resourceType: string; responseHeaders?: Record<string, string[]> },
      callback: (response: { responseHeaders?: Record<string, string[]> }) => void,
    ) => void;
    let onHeaders: HeadersListener | null = null;
    let permissionHandler: ((c: unknown, p: string, cb: (granted: boolean) => void) => void) | null = null;
    let checkHandler: (() => boolean) | null = null;
    hardenSession(
      {
        webRequest: { onHeadersReceived: ((listener: HeadersListener) => (onHeaders = listener)) as never },
        setPermissionRequestHandler: ((h: typeof permissionHandler) => (permissionHandler = h)) as never,
        setPermissionCheckHandler: ((h: typeof checkHandler) => (checkHandler = h)) as never,
      },
      () => 'https://chat.example.com',
    );
    let headers: Record<string, string[]> | undefined;
    onHeaders!(
      { url: 'app://support-chat/index.html', resourceType: 'mainFrame', responseHeaders: {} },
      (r) => {
        headers = r.responseHeaders;
      },
    );
    expect(headers?.['Content-Security-Policy']?.[0]).toBe(contentSecurityPolicy('https://chat.example.com'));
    onHeaders!(
      { url: 'https://chat.example.com/api/me', resourceType: 'xhr', responseHeaders: { A: ['1'] } },
      (r) => {
        headers = r.responseHeaders;
      },
    );
    expect(headers).toEqual({ A: ['1'] });
    const answers: boolean[] = [];
    for (const permission of ['notifications', 'media', 'geolocation', 'openExternal']) {
      permissionHandler!(null, permission, (granted) => answers.push(granted));
    }
    expect(answers).toEqual([false, false, false, false]);
    expect(checkHandler!()).toBe(false);
  });
});

describe('window behaviour', () => {
  it('hardens a web contents once, however often it is asked', async () => {
    const { window, shell, links } = makeWindow();
    hardenWebContents(window.webContents as never, links);
    window.webContents.emit('will-navigate', new FakeEvent(), 'https://docs.example/');
    await settled();
    expect(shell.opened).toEqual(['https://docs.example/']);
    expect(window.webContents.listeners.get('will-navigate')).toHaveLength(1);
  });

  it('hides to the tray on close, and really closes when quitting', () => {
    let quitting = false;
    const events = new FakeEmitter();
    const hidden: string[] = [];
    hideOnClose({ on: events.on.bind(events), hide: () => hidden.push('hide') } as never, () => quitting);
    const close = new FakeEvent();
    events.emit('close', close);
    expect(close.defaultPrevented).toBe(true);
    expect(hidden).toEqual(['hide']);
    quitting = true;
    const quit = new FakeEvent();
    events.emit('close', quit);
    expect(quit.defaultPrevented).toBe(false);
    expect(hidden).toEqual(['hide']);
  });

  it('brings the window back and opens the conversation of a clicked notification', () => {
    const calls: string[] = [];
    showConversation(
      {
        isMinimized: () => true,
        restore: () => calls.push('restore'),
        show: () => calls.push('show'),
        focus: () => calls.push('focus'),
        webContents: { send: (channel: string, id: string) => calls.push(`${channel} ${id}`) },
      } as never,
      'aaaaaaaaaaaaaaaaaaaaaaaa',
    );
    expect(calls).toEqual(['restore', 'show', 'focus', 'conversation:open aaaaaaaaaaaaaaaaaaaaaaaa']);
  });
});
