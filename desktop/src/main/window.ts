// One function creates every window, and one hardens every web contents: no Node, no navigation, no popups.
import { domainToUnicode } from 'node:url';
import type {
  BrowserWindow,
  BrowserWindowConstructorOptions,
  MessageBoxOptions,
  Session,
  WebContents,
  WebPreferences,
} from 'electron';
import { APP_HOST, APP_SCHEME, MainEvent } from '../common/ipc';
import { checkServerUrl } from '../common/server-url';
import { createLogger } from './logger';

const log = createLogger('window');

/** True only for pages of the app itself (app://support-chat/...). */
export const isAppUrl = (url: string | undefined | null): boolean => {
  if (!url) return false;
  try {
    const parsed = new URL(url);
    return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST;
  } catch {
    return false;
  }
};

/** Parses the URL and accepts only `https:` without embedded credentials; everything else is refused. */
export const safeExternalUrl = (url: unknown): string | null => {
  if (typeof url !== 'string' || url.length > 8192) return null;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'https:' || parsed.username || parsed.password || !parsed.hostname) return null;
    return parsed.href;
  } catch {
    return null;
  }
};

export interface ShellLike {
  openExternal(url: string): Promise<void>;
}

/** Electron's `dialog` as far as the link confirmation needs it. */
export interface ConfirmDialogLike {
  showMessageBox(options: MessageBoxOptions): Promise<{ response: number }>;
}

/** A host written with non-ASCII characters: the URL parser turned at least one label into punycode. */
export const isInternationalisedHost = (hostname: string): boolean =>
  hostname.split('.').some((label) => label.startsWith('xn--'));

const OPEN_BUTTON = 1;

/** Opens links in the OS browser: parsed https: URLs only, and IDN hosts only after showing the real host. */
export class ExternalLinkOpener {
  constructor(
    private readonly shell: ShellLike,
    private readonly dialog: ConfirmDialogLike,
  ) {}

  /** Returns whether the link was handed to the OS browser. */
  async open(url: unknown): Promise<boolean> {
    const safe = safeExternalUrl(url);
    if (!safe) {
      log.warn(
        { scheme: typeof url === 'string' ? url.split(':', 1)[0]?.slice(0, 16) : typeof url },
        'external URL refused',
      );
      return false;
    }
    const { hostname } = new URL(safe);
    if (isInternationalisedHost(hostname) && !(await this.confirmInternationalHost(safe, hostname))) {
      log.info({}, 'external link to an internationalised host not confirmed');
      return false;
    }
    this.shell
      .openExternal(safe)
      .catch((error: unknown) => log.warn({ error: String(error) }, 'openExternal failed'));
    return true;
  }

  // Lookalike letters (Cyrillic а for Latin a) can imitate a known site: the agent sees the punycode host.
  private async confirmInternationalHost(href: string, hostname: string): Promise<boolean> {
    const { response } = await this.dialog.showMessageBox({
      type: 'warning',
      title: 'Open link',
      message: `Open a link to ${hostname}?`,
      detail:
        `The link's site name has international characters and reads as "${domainToUnicode(hostname)}". ` +
        `Such names can imitate another site. The real address is:\n\n${href}`,
      buttons: ['Cancel', 'Open in browser'],
      defaultId: 0,
      cancelId: 0,
      noLink: true,
    });
    return response === OPEN_BUTTON;
  }
}

export type LinkOpener = Pick<ExternalLinkOpener, 'open'>;

/** The exact web preferences of every window. */
export const secureWebPreferences = (preloadPath: string): WebPreferences => ({
  preload: preloadPath,
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

/** Strict CSP: only the app's own scripts and styles, and network only to the configured server. */
export const contentSecurityPolicy = (serverUrl: string | null): string => {
  const connect = ["'self'"];
  // A URL outside the server rule adds nothing: the page can then reach only itself.
  const checked = serverUrl ? checkServerUrl(serverUrl) : null;
  if (checked?.ok) {
    const server = new URL(checked.url);
    const ws = server.protocol === 'https:' ? 'wss:' : 'ws:';
    connect.push(server.origin, `${ws}//${server.host}`);
  }
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src ${connect.join(' ')}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-src 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
    "worker-src 'none'",
  ].join('; ');
};

type WebContentsLike = Pick<WebContents, 'on' | 'setWindowOpenHandler'>;

const hardened = new WeakSet<object>();

/** Denies navigation, redirects, webviews and new windows; https: links go to the OS browser instead. */
export const hardenWebContents = (contents: WebContentsLike, links: LinkOpener): void => {
  // Called by createSecureWindow and again for every `web-contents-created`: one set of listeners only.
  if (hardened.has(contents)) return;
  hardened.add(contents);
  const refuseNavigation = (event: { preventDefault(): void }, url: string) => {
    if (isAppUrl(url)) return;
    event.preventDefault();
    void links.open(url);
  };
  contents.on('will-navigate', (event, url) => refuseNavigation(event, url));
  contents.on('will-frame-navigate', (event) => {
    if (!isAppUrl(event.url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    void links.open(url);
    return { action: 'deny' };
  });
};

type SessionLike = {
  webRequest: Pick<Session['webRequest'], 'onHeadersReceived'>;
} & Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler'>;

/** Adds the CSP header to every response of the app's session and refuses every permission request. */
export const hardenSession = (session: SessionLike, getServerUrl: () => string | null): void => {
  session.webRequest.onHeadersReceived((details, callback) => {
    const headers = { ...details.responseHeaders };
    // A second layer only: app:// answers carry their own CSP (this hook may not fire for custom schemes).
    // Only our own pages get our CSP; responses of the chat server keep their own headers.
    if (isAppUrl(details.url) || details.resourceType === 'mainFrame') {
      headers['Content-Security-Policy'] = [contentSecurityPolicy(getServerUrl())];
    }
    callback({ responseHeaders: headers });
  });
  // Notifications are shown by main, so the page itself needs no permission at all.
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
};

export interface SecureWindowDeps {
  BrowserWindow: new (options: BrowserWindowConstructorOptions) => BrowserWindow;
  links: LinkOpener;
  preloadPath: string;
}

/** The only way a window is made. */
export const createSecureWindow = (
  deps: SecureWindowDeps,
  options: Omit<BrowserWindowConstructorOptions, 'webPreferences'> = {},
): BrowserWindow => {
  const window = new deps.BrowserWindow({
    ...options,
    show: false,
    webPreferences: secureWebPreferences(deps.preloadPath),
  });
  hardenWebContents(window.webContents, deps.links);
  return window;
};

type ClosableWindow = Pick<BrowserWindow, 'on' | 'hide'>;

/** Closing the window hides it to the tray; only a real quit (tray menu, Cmd+Q, shutdown) closes it. */
export const hideOnClose = (window: ClosableWindow, isQuitting: () => boolean): void => {
  window.on('close', (event) => {
    if (isQuitting()) return;
    event.preventDefault();
    window.hide();
  });
};

type FocusableWindow = Pick<BrowserWindow, 'isMinimized' | 'restore' | 'show' | 'focus'> & {
  webContents: Pick<WebContents, 'send'>;
};

/** A notification click: bring the window back and tell the renderer which conversation to open. */
export const showConversation = (window: FocusableWindow, conversationId: string): void => {
  if (window.isMinimized()) window.restore();
  window.show();
  window.focus();
  window.webContents.send(MainEvent.conversationOpen, conversationId);
};
