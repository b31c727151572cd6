// Wiring of main.ts with a fake `electron` module: what the real app would do at start, short of launching.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const fake = vi.hoisted(() => {
  type Handler = (...args: unknown[]) => unknown;
  class Emitter {
    listeners = new Map<string, Handler[]>();
    on(event: string, handler: Handler) {
      this.listeners.set(event, [...(this.listeners.get(event) ?? []), handler]);
      return this;
    }
    once(event: string, handler: Handler) {
      return this.on(event, handler);
    }
    emit(event: string, ...args: unknown[]) {
      for (const h of this.listeners.get(event) ?? []) h(...args);
    }
  }
  const state = {
    userData: '',
    /** The default session: main registers its download handler on it. */
    session: new Emitter(),
    schemes: [] as unknown[],
    protocolHandlers: new Map<string, (request: { url: string }) => Promise<Response>>(),
    ipc: new Map<string, Handler>(),
    windows: [] as FakeWindow[],
    trays: [] as FakeTray[],
    notifications: [] as FakeNotification[],
    badge: [] as number[],
    opened: [] as string[],
    ready: null as null | (() => void),
    permissionHandler: null as null | Handler,
    dialogs: [] as string[],
    dialogAnswer: 0,
  };
  class FakeWebContents extends Emitter {
    sent: unknown[][] = [];
    openHandler: Handler | null = null;
    setWindowOpenHandler(h: Handler) {
      this.openHandler = h;
    }
    send(...args: unknown[]) {
      this.sent.push(args);
    }
    reload() {}
  }
  class FakeWindow extends Emitter {
    webContents = new FakeWebContents();
    visible = false;
    focused = false;
    url = '';
    constructor(readonly options: Record<string, unknown>) {
      super();
      state.windows.push(this);
    }
    loadURL(url: string) {
      this.url = url;
      return Promise.resolve();
    }
    isDestroyed() {
      return false;
    }
    isMinimized() {
      return false;
    }
    isVisible() {
      return this.visible;
    }
    isFocused() {
      return this.focused;
    }
    restore() {}
    show() {
      this.visible = true;
    }
    hide() {
      this.visible = false;
    }
    focus() {
      this.focused = true;
    }
    setOverlayIcon() {}
  }
  class FakeTray extends Emitter {
    tooltip = '';
    menu: unknown = null;
    constructor() {
      super();
      state.trays.push(this);
    }
    setToolTip(t: string) {
      this.tooltip = t;
    }
    setContextMenu(m: unknown) {
      this.menu = m;
    }
    setImage() {}
    destroy() {}
  }
  class FakeNotification extends Emitter {
    shown = false;
    constructor(readonly options: Record<string, unknown>) {
      super();
      state.notifications.push(this);
    }
    static isSupported() {
      return true;
    }
    show() {
      this.shown = true;
    }
  }
  const app = Object.assign(new Emitter(), {
    requestSingleInstanceLock: () => true,
    whenReady: () => new Promise<void>((resolve) => (state.ready = resolve)),
    setAppUserModelId() {},
    getPath: () => state.userData,
    getVersion: () => '0.1.0',
    setBadgeCount: (n: number) => state.badge.push(n) > 0,
    setLoginItemSettings() {},
    quit() {},
  });
  const electron = {
    app,
    BrowserWindow: FakeWindow,
    Tray: FakeTray,
    Notification: FakeNotification,
    powerMonitor: Object.assign(new Emitter(), {
      getSystemIdleTime: () => 0,
      removeListener() {},
    }),
    Menu: { buildFromTemplate: (t: unknown) => t },
    nativeImage: { createFromBuffer: (b: Buffer) => ({ png: b }) },
    ipcMain: { handle: (c: string, h: Handler) => state.ipc.set(c, h), removeHandler() {} },
    protocol: {
      registerSchemesAsPrivileged: (s: unknown[]) => state.schemes.push(...s),
      handle: (scheme: string, h: (request: { url: string }) => Promise<Response>) =>
        state.protocolHandlers.set(scheme, h),
    },
    session: {
      defaultSession: Object.assign(state.session, {
        webRequest: { onHeadersReceived() {} },
        setPermissionRequestHandler: (h: Handler) => (state.permissionHandler = h),
        setPermissionCheckHandler() {},
      }),
    },
    shell: { openExternal: async (url: string) => void state.opened.push(url) },
    dialog: {
      showMessageBox: async (options: { message: string }) => {
        state.dialogs.push(options.message);
        return { response: state.dialogAnswer };
      },
    },
  };
  return { state, electron };
});

vi.mock('electron', () => ({ ...fake.electron, default: fake.electron }));

const APP_FRAME = { url: 'app://support-chat/index.html', parent: null };
const invoke = (channel: string, arg?: unknown, frame: unknown = APP_FRAME) =>
  fake.state.ipc.get(channel)!(
    { senderFrame: frame, sender: fake.state.windows[0]?.webContents },
    ...(arg === undefined ? [] : [arg]),
  );

const savedConfigHome = process.env.XDG_CONFIG_HOME;

beforeAll(async () => {
  fake.state.userData = mkdtempSync(path.join(os.tmpdir(), 'desktop-main-'));
  process.env.XDG_CONFIG_HOME = fake.state.userData;
  await import('./main');
  fake.state.ready!();
  await vi.waitFor(() => expect(fake.state.windows).toHaveLength(1), { timeout: 5000 });
});

afterAll(() => {
  process.env.XDG_CONFIG_HOME = savedConfigHome;
  rmSync(fake.state.userData, { recursive: true, force: true });
});

describe('main process wiring (fake electron)', () => {
  it('registers app:// as a privileged scheme and serves the renderer with a CSP', async () => {
    expect(fake.state.schemes).toEqual([
      { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } },
    ]);
    const handler = fake.state.protocolHandlers.get('app')!;
    const response = await handler({ url: 'app://support-chat/index.html' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
  });

  it('saves downloads through the download handler: only blobs of the app page, the save dialog asks where', () => {
    const download = (url: string) => {
      const event = { defaultPrevented: false, preventDefault: () => (event.defaultPrevented = true) };
      const item = {
        once() {},
        dialog: null as null | { defaultPath?: string },
        getURL: () => url,
        getFilename: () => '../invoice.pdf',
        setSaveDialogOptions: (o: { defaultPath?: string }) => {
          item.dialog = o;
        },
      };
      fake.state.session.emit('will-download', event, item, {});
      return { event, item };
    };
    const ok = download('blob:app://support-chat/0b7c');
    expect(ok.event.defaultPrevented).toBe(false);
    expect(ok.item.dialog?.defaultPath).toBe(path.join(fake.state.userData, 'invoice.pdf'));
    const refused = download('https://example.com/x.exe');
    expect(refused.event.defaultPrevented).toBe(true);
    expect(refused.item.dialog).toBeNull();
  });

  it('makes one hardened window on the app URL with the sandboxed preload', () => {
    const [window] = fake.state.windows;
    const prefs = window!.options.webPreferences as Record<string, unknown>;
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    });
    expect(String(prefs.preload)).toMatch(/preload[/\\]preload\.cjs$/);
    expect(window!.url).toBe('app://support-chat/index.html');
    expect(window!.webContents.openHandler!({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
    const answers: boolean[] = [];
    fake.state.permissionHandler!(null, 'media', (granted: boolean) => answers.push(granted));
    expect(answers).toEqual([false]);
  });

  it('answers every IPC channel only from the app frame', async () => {
    expect([...fake.state.ipc.keys()].sort()).toEqual([
      'auth:getAccessToken',
      'auth:getSession',
      'auth:login',
      'auth:logout',
      'badge:setUnread',
      'notification:show',
      'settings:get',
      'settings:set',
      'shell:openExternal',
      'status:get',
      'status:set',
    ]);
    expect(await invoke('settings:get')).toMatchObject({ ok: true, data: { startAtLogin: false } });
    expect(
      await invoke('settings:get', undefined, { url: 'https://evil.example/', parent: null }),
    ).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
    // keytar cannot load here: the app says so instead of keeping anything.
    expect(await invoke('auth:getSession')).toMatchObject({
      ok: true,
      data: { session: null, keychain: 'unavailable' },
    });
  });

  it('sends the unread count to the tray tooltip and the badge', async () => {
    await invoke('badge:setUnread', { count: 4 });
    expect(fake.state.trays[0]!.tooltip).toBe('Support Chat — 4 unread');
    expect(fake.state.badge.at(-1)).toBe(4);
  });

  it('shows a notification when unfocused; its click shows the window on that conversation', async () => {
    const window = fake.state.windows[0]!;
    window.focused = false;
    const id = 'aaaaaaaaaaaaaaaaaaaaaaaa';
    const answer = await invoke('notification:show', {
      conversationId: id,
      customerName: 'alice',
      departmentName: 'Billing Support',
      text: 'hello',
      senderRole: 'customer',
      openConversationId: null,
    });
    expect(answer).toEqual({ ok: true, data: { shown: true } });
    const [notification] = fake.state.notifications;
    expect(notification!.options).toMatchObject({ title: 'alice — Billing Support', body: 'hello' });
    notification!.emit('click');
    expect(window.visible && window.focused).toBe(true);
    expect(window.webContents.sent).toEqual([['conversation:open', id]]);
  });

  it('hides the window on close instead of quitting', () => {
    const window = fake.state.windows[0]!;
    window.show();
    let prevented = false;
    window.emit('close', { preventDefault: () => (prevented = true) });
    expect(prevented).toBe(true);
    expect(window.visible).toBe(false);
  });

  it('opens only https links externally', async () => {
    fake.state.opened.length = 0;
    expect(await invoke('shell:openExternal', { url: 'javascript:alert(1)' })).toEqual({
      ok: true,
      data: { opened: false },
    });
    expect(await invoke('shell:openExternal', { url: 'https://example.com/' })).toEqual({
      ok: true,
      data: { opened: true },
    });
    expect(fake.state.opened).toEqual(['https://example.com/']);
  });

  it('shows the punycode host of an internationalised link and opens it only when confirmed', async () => {
    fake.state.opened.length = 0;
    const url = 'https://\u0430pple.com/login'; // Cyrillic а
    fake.state.dialogAnswer = 0;
    expect(await invoke('shell:openExternal', { url })).toEqual({ ok: true, data: { opened: false } });
    expect(fake.state.dialogs).toEqual(['Open a link to xn--pple-43d.com?']);
    fake.state.dialogAnswer = 1;
    expect(await invoke('shell:openExternal', { url })).toEqual({ ok: true, data: { opened: true } });
    expect(fake.state.opened).toEqual(['https://xn--pple-43d.com/login']);
  });
});
