// The website widget's loader (`/widget.js`, SPEC §10): plain TypeScript, no framework, no request of its own. It
// draws the launcher ("Chat with us", unread badge) in a shadow root, and opens the chat in an iframe of the chat
// server (created when the browser is idle, or on first click). Calls to window.SupportChat made before it arrived
// are replayed (the command-queue pattern). It never throws into the page: when the chat server is down or slow,
// the page works as before, and nothing it draws moves the page's layout (everything is position: fixed).
// Messages to the frame go to the chat server's exact origin; messages from it are taken from that origin and that
// frame's window only.
import { WidgetMessage } from '@support-chat/protocol/core';

type Command = 'identify' | 'open' | 'close' | 'logout' | 'department';
type Queued = ArrayLike<unknown>;
interface SupportChatFn {
  (command: Command, arg?: unknown): void;
  q?: Queued[];
  loaded?: boolean;
}

const w = window as unknown as Window & { SupportChat?: SupportChatFn };

const STYLE = `
:host { all: initial; }
.launcher { position: fixed; right: 20px; bottom: 20px; z-index: 2147483646; display: inline-flex;
  align-items: center; gap: 8px; height: 52px; padding: 0 20px 0 16px; border: 0; border-radius: 26px;
  background: #4338ca; color: #fff; font: 600 15px/1 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  box-shadow: 0 4px 14px rgb(16 24 40 / 25%); cursor: pointer; }
.launcher:hover { background: #3730a3; }
.launcher:focus-visible { outline: 3px solid #a5b4fc; outline-offset: 3px; }
.launcher svg { width: 22px; height: 22px; flex: none; }
.face { display: inline-flex; align-items: center; gap: 8px; }
.badge { position: absolute; top: -6px; right: -6px; min-width: 22px; height: 22px; padding: 0 6px;
  border: 2px solid #fff; border-radius: 11px; background: #b42318; color: #fff; font: 700 12px/18px system-ui,
  sans-serif; text-align: center; box-sizing: border-box; }
.badge[hidden], .panel[hidden], .launcher[hidden] { display: none; }
.panel { position: fixed; right: 20px; bottom: 84px; z-index: 2147483647; width: 380px; height: 600px;
  max-height: calc(100vh - 104px); border-radius: 16px; overflow: hidden; background: #fff;
  box-shadow: 0 12px 40px rgb(16 24 40 / 28%); }
.panel iframe { display: block; width: 100%; height: 100%; border: 0; }
.fallback { position: absolute; inset: 0; display: grid; place-items: center; padding: 24px; color: #555d70;
  font: 15px/1.4 system-ui, sans-serif; text-align: center; background: #fff; }
.fallback[hidden] { display: none; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
@media (max-width: 480px) {
  .panel { inset: 0; width: 100%; height: 100%; max-height: none; border-radius: 0; }
  .launcher { right: 16px; bottom: 16px; }
}
@media (prefers-reduced-motion: no-preference) { .panel { transition: opacity .15s; } }
`;

const ICON =
  '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path fill="currentColor" d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"/></svg>';
const CLOSE_ICON =
  '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M6 6l12 12M18 6L6 18" stroke="currentColor" stroke-width="2.4" stroke-linecap="round"/></svg>';

// Only known while this script first runs: kept for a start after DOMContentLoaded.
const currentScript = document.currentScript as HTMLScriptElement | null;

function start(): void {
  const existing = w.SupportChat;
  if (existing?.loaded) return;
  const script =
    currentScript ?? document.querySelector<HTMLScriptElement>('script[data-site][src*="/widget.js"]');
  const site = script?.dataset.site;
  if (!script || !site || !/^[a-z][a-z0-9-]{1,31}$/.test(site)) return;
  const chatOrigin = new URL(script.src).origin;
  const queued: Queued[] = existing?.q ?? [];

  const host = document.createElement('div');
  host.setAttribute('data-support-chat', '');
  const root = host.attachShadow({ mode: 'open' });
  // A constructed stylesheet where the browser has them: a shop's CSP without 'unsafe-inline' does not block it.
  let style: HTMLStyleElement | null = null;
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(STYLE);
    root.adoptedStyleSheets = [sheet];
  } catch {
    style = document.createElement('style');
    style.textContent = STYLE;
  }
  const launcher = document.createElement('button');
  launcher.type = 'button';
  launcher.className = 'launcher';
  launcher.setAttribute('aria-label', 'Chat with us');
  launcher.setAttribute('aria-expanded', 'false');
  const face = document.createElement('span');
  face.className = 'face';
  const showFace = (open: boolean) => {
    // Open: the icon alone (a visible word other than its name would break "label in name").
    face.innerHTML = open ? CLOSE_ICON : `${ICON}<span aria-hidden="true">Chat</span>`;
  };
  showFace(false);
  launcher.append(face);
  const badge = document.createElement('span');
  badge.className = 'badge';
  badge.hidden = true;
  badge.setAttribute('aria-hidden', 'true');
  const unreadText = document.createElement('span');
  unreadText.className = 'sr';
  unreadText.id = 'support-chat-unread';
  launcher.append(badge);
  launcher.setAttribute('aria-describedby', unreadText.id);
  const panel = document.createElement('div');
  panel.className = 'panel';
  panel.hidden = true;
  const fallback = document.createElement('div');
  fallback.className = 'fallback';
  fallback.setAttribute('role', 'status');
  fallback.textContent = 'Connecting to the chat…';
  panel.append(fallback);
  if (style) root.append(style);
  root.append(launcher, unreadText, panel);

  let frame: HTMLIFrameElement | null = null;
  let ready = false;
  let isOpen = false;
  const pending: [Command, unknown][] = [];

  const post = (type: string, data: Record<string, unknown> = {}) => {
    frame?.contentWindow?.postMessage({ type, ...data }, chatOrigin);
  };
  const send = (command: Command, arg?: unknown) => {
    if (ready) post(WidgetMessage.command, { command, arg });
    else pending.push([command, arg]);
  };

  const createFrame = () => {
    if (frame) return;
    frame = document.createElement('iframe');
    frame.title = 'Chat with us';
    frame.src = `${chatOrigin}/widget/frame?site=${encodeURIComponent(site)}`;
    frame.setAttribute('allow', 'clipboard-write');
    frame.addEventListener('load', () => post(WidgetMessage.hello, { pageUrl: location.href }));
    panel.append(frame);
  };

  let unavailableTimer: ReturnType<typeof setTimeout> | undefined;
  const open = () => {
    createFrame();
    isOpen = true;
    panel.hidden = false;
    launcher.setAttribute('aria-expanded', 'true');
    showFace(true);
    // Full screen on a phone: the launcher would cover the composer.
    if (matchMedia('(max-width: 480px)').matches) launcher.hidden = true;
    send('open');
    if (ready) frame?.focus();
    else {
      clearTimeout(unavailableTimer);
      unavailableTimer = setTimeout(() => {
        if (!ready) fallback.textContent = 'The chat is not available right now. Please try again later.';
      }, 10_000);
    }
  };
  const close = (focusLauncher: boolean) => {
    if (!isOpen) return;
    isOpen = false;
    panel.hidden = true;
    launcher.hidden = false;
    launcher.setAttribute('aria-expanded', 'false');
    showFace(false);
    send('close');
    if (focusLauncher) launcher.focus();
  };

  launcher.addEventListener('click', () => (isOpen ? close(true) : open()));
  root.addEventListener('keydown', (e) => {
    if ((e as KeyboardEvent).key === 'Escape' && isOpen) close(true);
  });

  window.addEventListener('message', (e: MessageEvent) => {
    if (!frame || e.source !== frame.contentWindow || e.origin !== chatOrigin) return;
    const data = e.data as { type?: unknown; count?: unknown } | null;
    if (!data || typeof data.type !== 'string') return;
    if (data.type === WidgetMessage.ready) {
      ready = true;
      fallback.hidden = true;
      clearTimeout(unavailableTimer);
      for (const [command, arg] of pending.splice(0)) post(WidgetMessage.command, { command, arg });
      if (isOpen) frame.focus();
    } else if (data.type === WidgetMessage.unread && typeof data.count === 'number') {
      const n = Math.max(0, Math.floor(data.count));
      badge.hidden = n === 0;
      badge.textContent = n > 99 ? '99+' : String(n);
      unreadText.textContent = n === 0 ? '' : n === 1 ? '1 unread message' : `${n} unread messages`;
    } else if (data.type === WidgetMessage.close) {
      close(true);
    }
  });

  const api: SupportChatFn = (command, arg) => {
    try {
      if (command === 'open') open();
      else if (command === 'close') close(false);
      else if (command === 'identify' || command === 'logout' || command === 'department') {
        createFrame();
        send(command, arg);
      }
    } catch {
      // Never into the page.
    }
  };
  api.loaded = true;
  w.SupportChat = api;

  document.body.append(host);
  for (const args of queued) api(args[0] as Command, args[1]);
  // The frame (and the visitor's unread count) once the page has nothing better to do.
  // Only after the page's own load: a frame made earlier would hold the page's load event while the chat loads.
  const later = () => {
    if (typeof window.requestIdleCallback === 'function')
      window.requestIdleCallback(() => createFrame(), { timeout: 4000 });
    else setTimeout(createFrame, 1500);
  };
  if (document.readyState === 'complete') later();
  else window.addEventListener('load', later, { once: true });
}

try {
  if (document.body) start();
  else document.addEventListener('DOMContentLoaded', () => start(), { once: true });
} catch {
  // A broken page or a blocked feature must not break the shop.
}
