// Electron main process: wires the services to the real Electron objects. Everything testable lives elsewhere.
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ok } from '@support-chat/protocol';
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  Notification,
  nativeImage,
  powerMonitor,
  protocol,
  session,
  shell,
  Tray,
} from 'electron';
import { APP_ENTRY_URL, APP_SCHEME, MainEvent } from '../common/ipc';
import { createAppProtocolHandler } from './app-protocol';
import { AuthService } from './auth';
import { AutoStartService, HIDDEN_ARG } from './autostart';
import { AvailabilityService } from './availability';
import { BadgeService } from './badge';
import { CredentialStore, loadKeytar } from './credentials';
import { DownloadService } from './downloads';
import { appIconPng, unreadOverlayPng } from './icon';
import { registerIpcHandlers } from './ipc';
import { createLogger } from './logger';
import { NotificationService } from './notifications';
import { SettingsStore } from './settings';
import { TrayService } from './tray';
import { UpdateService } from './updates';
import {
  createSecureWindow,
  ExternalLinkOpener,
  hardenSession,
  hardenWebContents,
  hideOnClose,
  showConversation,
} from './window';

const log = createLogger('main');

// Must happen before `ready`: our scheme behaves like https (secure context, fetch, a real origin).
protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);

// Every web contents, whoever made it, gets the same navigation and popup rules.
const links = new ExternalLinkOpener(shell, dialog);
app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, links));

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  void start();
}

async function start(): Promise<void> {
  await app.whenReady();
  app.setAppUserModelId('org.supportchat.desktop');

  const settings = SettingsStore.inDirectory(app.getPath('userData'));
  await settings.load();
  // A plain require in the CommonJS bundle: keytar's .node file is loaded from app.asar.unpacked.
  const credentials = new CredentialStore(() => loadKeytar(async () => require('keytar')));
  const auth = new AuthService({ fetch: globalThis.fetch, credentials, settings });
  const autoStart = new AutoStartService({
    app,
    platform: process.platform,
    executable: process.env.APPIMAGE ?? process.execPath,
    configHome: process.env.XDG_CONFIG_HOME ?? path.join(os.homedir(), '.config'),
  });

  const currentServerUrl = () => auth.serverUrl ?? settings.get().serverUrl;
  const rendererRoot = path.join(__dirname, '../renderer');
  protocol.handle(
    APP_SCHEME,
    createAppProtocolHandler(rendererRoot, (file) => readFile(file), currentServerUrl),
  );
  hardenSession(session.defaultSession, currentServerUrl);
  // Attachments the renderer saves: the OS dialog asks where; nothing is opened.
  new DownloadService({ session: session.defaultSession, downloadsDir: () => app.getPath('downloads') });

  let quitting = false;
  let window: BrowserWindow | null = null;
  const icon = nativeImage.createFromBuffer(appIconPng(256));

  const showWindow = () => {
    if (!window || window.isDestroyed()) window = makeWindow();
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
  };

  const makeWindow = (): BrowserWindow => {
    const win = createSecureWindow(
      { BrowserWindow, links, preloadPath: path.join(__dirname, '../preload/preload.cjs') },
      { width: 1200, height: 800, minWidth: 720, minHeight: 480, title: 'Support Chat', icon },
    );
    hideOnClose(win, () => quitting);
    win.once('ready-to-show', () => {
      if (!process.argv.includes(HIDDEN_ARG)) win.show();
    });
    void win.loadURL(APP_ENTRY_URL);
    return win;
  };

  const trayImage = nativeImage.createFromBuffer(appIconPng(process.platform === 'darwin' ? 22 : 32));
  const tray = new TrayService(new Tray(trayImage), (template) => Menu.buildFromTemplate(template), {
    open: showWindow,
    quit: () => {
      quitting = true;
      app.quit();
    },
    setStatus: (status) => availability.choose(status),
  });
  const availability = new AvailabilityService({
    powerMonitor,
    autoAwayMinutes: settings.get().autoAwayMinutes,
    every: (ms, check) => {
      const timer = setInterval(check, ms);
      return () => clearInterval(timer);
    },
  });
  // The renderer tells the server; the tray shows it.
  availability.onChange((state) => {
    tray.setStatus(state.status);
    if (window && !window.isDestroyed()) window.webContents.send(MainEvent.statusChanged, state);
  });
  const badge = new BadgeService({
    app,
    platform: process.platform,
    tray,
    getWindow: () => window,
    overlayIcon: () => nativeImage.createFromBuffer(unreadOverlayPng(16)),
  });
  const notifications = new NotificationService({
    platform: process.platform,
    isSupported: () => Notification.isSupported(),
    create: (options) => new Notification({ ...options, icon }),
    getWindow: () => (window && !window.isDestroyed() ? window : null),
    openConversation: (conversationId) => {
      if (!window || window.isDestroyed()) window = makeWindow();
      showConversation(window, conversationId);
    },
  });

  const updates = new UpdateService({
    // Loaded only when packaged: a development run has no installer to replace.
    updater: app.isPackaged
      ? (require('electron-updater') as typeof import('electron-updater')).autoUpdater
      : null,
    // The feed of the server an agent logged into (a saved last username means a login saved that URL).
    getServerUrl: () => auth.serverUrl ?? (settings.get().lastUsername ? settings.get().serverUrl : null),
    every: (ms, check) => {
      const timer = setInterval(() => void check(), ms);
      return () => clearInterval(timer);
    },
  });
  registerIpcHandlers(ipcMain, {
    'auth:login': async (request, event) => {
      const before = currentServerUrl();
      const result = await auth.login(request);
      // The CSP allows only the configured server; a new server needs a reload to get the new policy.
      if (result.ok && new URL(before).origin !== new URL(result.data.serverUrl).origin) {
        setImmediate(() => event.sender.reload());
      }
      // A first login (or another server) gives the updater its feed: check now rather than in a day.
      if (result.ok) void updates.check();
      return result;
    },
    'auth:logout': async () => {
      const result = await auth.logout();
      badge.setUnreadCount(0);
      tray.setStatus(null);
      return result;
    },
    'auth:getSession': async () => ok(await auth.getSessionState()),
    'auth:getAccessToken': async (request) => auth.getAccessToken(request.forceRefresh),
    'notification:show': async (request) => ok({ shown: notifications.notify(request) }),
    'badge:setUnread': async (request) => {
      badge.setUnreadCount(request.count);
      return ok(null);
    },
    'settings:get': async () => ok(settings.get()),
    'settings:set': async (patch) => {
      if (patch.startAtLogin !== undefined) await autoStart.apply(patch.startAtLogin);
      if (patch.autoAwayMinutes !== undefined) availability.setAutoAwayMinutes(patch.autoAwayMinutes);
      return ok(await settings.update(patch));
    },
    'shell:openExternal': async (request) => ok({ opened: await links.open(request.url) }),
    'status:get': async () => {
      tray.setStatus(availability.state.status);
      return ok(availability.state);
    },
    'status:set': async (request) => ok(availability.choose(request.status)),
  });

  await auth.restore();
  await autoStart
    .apply(settings.get().startAtLogin)
    .catch(() => log.warn({}, 'could not apply start at login'));

  app.on('second-instance', showWindow);
  app.on('activate', showWindow);
  app.on('before-quit', () => {
    quitting = true;
  });
  // With the window hidden in the tray the app keeps running; quitting is explicit.
  app.on('window-all-closed', () => undefined);

  window = makeWindow();
  log.info({ version: app.getVersion() }, 'started');

  void updates.start();
}
