// The preload: a narrow API of domain verbs on window.desktop. ipcRenderer itself never reaches the page.
import type { AgentStatus, Result } from '@support-chat/protocol';
import { contextBridge, type IpcRendererEvent, ipcRenderer } from 'electron';
import {
  type AvailabilityInfo,
  IpcChannel,
  type IpcContract,
  type LoginRequest,
  MainEvent,
  type NotifyRequest,
  type SettingsPatch,
} from '../common/ipc';

const invoke = <C extends IpcChannel>(
  channel: C,
  ...request: IpcContract[C]['request'] extends undefined ? [] : [IpcContract[C]['request']]
): Promise<Result<IpcContract[C]['response']>> => ipcRenderer.invoke(channel, ...request);

const api = {
  login: (request: LoginRequest) => invoke(IpcChannel.authLogin, request),
  logout: () => invoke(IpcChannel.authLogout),
  getSession: () => invoke(IpcChannel.authGetSession),
  /** A short-lived access token; the refresh token stays in main. */
  getAccessToken: (forceRefresh = false) => invoke(IpcChannel.authGetAccessToken, { forceRefresh }),
  notify: (request: NotifyRequest) => invoke(IpcChannel.notificationShow, request),
  setUnreadCount: (count: number) => invoke(IpcChannel.badgeSetUnread, { count }),
  getSettings: () => invoke(IpcChannel.settingsGet),
  setSettings: (patch: SettingsPatch) => invoke(IpcChannel.settingsSet, patch),
  openExternal: (url: string) => invoke(IpcChannel.shellOpenExternal, { url }),
  getStatus: () => invoke(IpcChannel.statusGet),
  setStatus: (status: AgentStatus) => invoke(IpcChannel.statusSet, { status }),
  /** The availability to tell the server changed (tray menu, auto-away); returns a function that stops listening. */
  onStatusChanged: (callback: (info: AvailabilityInfo) => void): (() => void) => {
    const listener = (_event: IpcRendererEvent, info: AvailabilityInfo) => callback(info);
    ipcRenderer.on(MainEvent.statusChanged, listener);
    return () => {
      ipcRenderer.removeListener(MainEvent.statusChanged, listener);
    };
  },
  /** Called when the user clicks a notification; returns a function that stops listening. */
  onOpenConversation: (callback: (conversationId: string) => void): (() => void) => {
    const listener = (_event: IpcRendererEvent, conversationId: unknown) => {
      if (typeof conversationId === 'string') callback(conversationId);
    };
    ipcRenderer.on(MainEvent.conversationOpen, listener);
    return () => {
      ipcRenderer.removeListener(MainEvent.conversationOpen, listener);
    };
  },
  platform: process.platform,
};

export type DesktopApi = typeof api;

contextBridge.exposeInMainWorld('desktop', api);
