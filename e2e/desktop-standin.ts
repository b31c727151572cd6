/**
 * A browser stand-in for the desktop preload API (window.desktop), so the renderer runs in plain Chromium.
 * It does what main does (HTTP login and refresh, holding the refresh token outside the renderer's code) and
 * records what the renderer asks of the OS: notifications, badge counts, external links. It also plays the OS
 * window focus (document.hasFocus), which only main knows in the real app.
 */
import { createReadStream, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { NotifyRequest } from '../desktop/src/common/ipc';

export interface StandInRecord {
  calls: string[];
  /** Content-Security-Policy violations the page reported (none expected). */
  cspViolations: string[];
  notifications: NotifyRequest[];
  badge: number[];
  external: string[];
  focused: boolean;
}

export interface StandInOptions {
  serverUrl: string;
  keychain: 'available' | 'unavailable';
}

/** Runs in the page (page.addInitScript) before the renderer's scripts: no imports, no closures over Node. */
export function installDesktopStandIn(options: StandInOptions): void {
  type Json = Record<string, unknown>;
  const record = {
    calls: [] as string[],
    cspViolations: [] as string[],
    notifications: [] as unknown[],
    badge: [] as number[],
    external: [] as string[],
    focused: true,
  };
  document.addEventListener('securitypolicyviolation', (event) => {
    record.cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
  });
  const openCallbacks = new Set<(id: string) => void>();
  let tokens: { accessToken: string; refreshToken: string } | null = null;
  let session: Json | null = null;
  let settings: Json = {
    serverUrl: options.serverUrl,
    startAtLogin: false,
    lastUsername: null,
    autoAwayMinutes: 10,
  };
  // As main's AvailabilityService: the agent's choice, and auto-away played by window.__autoAway(reason | null).
  let chosen = 'available';
  let auto: string | null = null;
  const statusCallbacks = new Set<(info: unknown) => void>();
  const availability = () => ({ chosen, status: chosen === 'away' || auto ? 'away' : 'available', auto });
  const ok = (data: unknown) => ({ ok: true, data });
  const fail = (code: string, message: string) => ({ ok: false, error: { code, message } });
  const post = async (url: string, body: unknown) => {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : null) as Json | null };
    } catch {
      return { status: 0, body: null };
    }
  };
  const errorOf = (r: { status: number; body: Json | null }) =>
    (r.body?.error as Json | undefined) ?? {
      code: 'unavailable',
      message: `Cannot reach the server (${r.status}).`,
    };

  Object.defineProperty(window, '__desktop', { value: record });
  Object.defineProperty(window, '__autoAway', {
    value: (reason: string | null) => {
      auto = reason;
      for (const cb of statusCallbacks) cb(availability());
    },
  });
  Object.defineProperty(window, '__openConversation', {
    value: (id: string) => {
      for (const cb of openCallbacks) cb(id);
    },
  });
  Document.prototype.hasFocus = () => record.focused;

  Object.defineProperty(window, 'desktop', {
    value: Object.freeze({
      async login(req: { serverUrl: string; username: string; password: string }) {
        record.calls.push('login');
        const r = await post(`${req.serverUrl}/api/auth/login`, {
          username: req.username,
          password: req.password,
        });
        if (r.status !== 200 || !r.body) return { ok: false, error: errorOf(r) };
        tokens = { accessToken: r.body.accessToken as string, refreshToken: r.body.refreshToken as string };
        const user = r.body.user as Json;
        session = { serverUrl: req.serverUrl, user, keychain: options.keychain };
        settings = { ...settings, serverUrl: req.serverUrl, lastUsername: user.username };
        return ok(session);
      },
      async logout() {
        record.calls.push('logout');
        if (tokens && session)
          await post(`${session.serverUrl}/api/auth/logout`, { refreshToken: tokens.refreshToken });
        tokens = null;
        session = null;
        return ok(null);
      },
      async getSession() {
        record.calls.push('getSession');
        return ok({ session, keychain: options.keychain, restoreError: null });
      },
      async getAccessToken(forceRefresh = false) {
        record.calls.push(forceRefresh ? 'getAccessToken:force' : 'getAccessToken');
        if (!tokens || !session) return fail('unauthorized', 'Not logged in.');
        if (forceRefresh) {
          const r = await post(`${session.serverUrl}/api/auth/refresh`, {
            refreshToken: tokens.refreshToken,
          });
          if (r.status !== 200 || !r.body) return { ok: false, error: errorOf(r) };
          tokens = { accessToken: r.body.accessToken as string, refreshToken: r.body.refreshToken as string };
        }
        return ok({ accessToken: tokens.accessToken });
      },
      async notify(request: unknown) {
        record.notifications.push(request);
        return ok({ shown: true });
      },
      async setUnreadCount(count: number) {
        record.badge.push(count);
        return ok(null);
      },
      async getSettings() {
        return ok(settings);
      },
      // As the real main process: the renderer changes only startAtLogin (a login saves the server URL).
      async setSettings(patch: { startAtLogin?: boolean; autoAwayMinutes?: number }) {
        settings = {
          ...settings,
          startAtLogin: Boolean(patch.startAtLogin ?? settings.startAtLogin),
          autoAwayMinutes: patch.autoAwayMinutes ?? settings.autoAwayMinutes,
        };
        return ok(settings);
      },
      async getStatus() {
        return ok(availability());
      },
      async setStatus(status: string) {
        record.calls.push(`setStatus:${status}`);
        chosen = status;
        return ok(availability());
      },
      onStatusChanged(callback: (info: unknown) => void) {
        statusCallbacks.add(callback);
        return () => {
          statusCallbacks.delete(callback);
        };
      },
      async openExternal(url: string) {
        record.external.push(url);
        return ok({ opened: url.startsWith('https:') });
      },
      onOpenConversation(callback: (id: string) => void) {
        openCallbacks.add(callback);
        return () => {
          openCallbacks.delete(callback);
        };
      },
      platform: 'linux',
    }),
  });
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** Serves the built renderer (desktop/dist/renderer) with the CSP header main would send; port 0. */
export async function serveRenderer(
  root: string,
  csp: () => string,
): Promise<{ origin: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = path.resolve(root, pathname === '/' ? 'index.html' : pathname.slice(1));
    if (
      !file.startsWith(path.resolve(root) + path.sep) ||
      !statSync(file, { throwIfNoEntry: false })?.isFile()
    ) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      'content-type': contentTypes[path.extname(file)] ?? 'application/octet-stream',
      'content-security-policy': csp(),
      'cache-control': 'no-store',
    });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
