// The IPC contract shared by main, preload and renderer: channel names and payload types only
// (no zod here, so the sandboxed preload bundle stays tiny; main validates with ./ipc-schemas).
import type { AgentStatus, ApiError, Role, User } from '@support-chat/protocol';

/** Renderer → main requests (`ipcRenderer.invoke`), named `area:verb`. */
export const IpcChannel = {
  authLogin: 'auth:login',
  authLogout: 'auth:logout',
  authGetSession: 'auth:getSession',
  authGetAccessToken: 'auth:getAccessToken',
  notificationShow: 'notification:show',
  badgeSetUnread: 'badge:setUnread',
  settingsGet: 'settings:get',
  settingsSet: 'settings:set',
  shellOpenExternal: 'shell:openExternal',
  statusGet: 'status:get',
  statusSet: 'status:set',
} as const;
export type IpcChannel = (typeof IpcChannel)[keyof typeof IpcChannel];

/** Main → renderer events (`webContents.send`). */
export const MainEvent = {
  conversationOpen: 'conversation:open',
  /** The availability to tell the server changed (tray menu, auto-away). */
  statusChanged: 'status:changed',
} as const;
export type MainEvent = (typeof MainEvent)[keyof typeof MainEvent];

/** Whether an OS keychain could be used to keep the refresh token. */
export type KeychainStatus = 'available' | 'unavailable';

export interface Settings {
  /** Base URL of the support-chat server, e.g. https://chat.example.com */
  serverUrl: string;
  startAtLogin: boolean;
  /** Pre-fills the login form and names the keychain account for the silent login; not a secret. */
  lastUsername: string | null;
  /** Away after this many minutes of system idle time or on screen lock (0: never automatically). */
  autoAwayMinutes: number;
}

/** What the renderer may change; the server URL is saved by a successful login only. */
export interface SettingsPatch {
  startAtLogin?: boolean;
  autoAwayMinutes?: number;
}

/** The agent's availability as main decides it (chosen in the tray or header, or away automatically). */
export interface AvailabilityInfo {
  chosen: AgentStatus;
  status: AgentStatus;
  auto: 'idle' | 'locked' | null;
}

export interface LoginRequest {
  serverUrl: string;
  username: string;
  password: string;
}

/** What the renderer learns about a login: never the refresh token. */
export interface Session {
  serverUrl: string;
  user: User;
  /** `unavailable`: logged in for this run only, nothing was kept. */
  keychain: KeychainStatus;
}

export interface SessionState {
  session: Session | null;
  keychain: KeychainStatus;
  /** Why the silent login from the keychain did not work, if it was tried. */
  restoreError: ApiError | null;
}

export interface AccessTokenRequest {
  /** The server refused the current token: refresh even if it looks fresh. */
  forceRefresh: boolean;
}

export interface NotifyRequest {
  conversationId: string;
  customerName: string;
  departmentName: string;
  text: string;
  senderRole: Role;
  /** The conversation the renderer shows right now, if any. */
  openConversationId: string | null;
}

/** Request and response of every channel; each invoke carries exactly one argument. */
export interface IpcContract {
  'auth:login': { request: LoginRequest; response: Session };
  'auth:logout': { request: undefined; response: null };
  'auth:getSession': { request: undefined; response: SessionState };
  'auth:getAccessToken': { request: AccessTokenRequest; response: { accessToken: string } };
  'notification:show': { request: NotifyRequest; response: { shown: boolean } };
  'badge:setUnread': { request: { count: number }; response: null };
  'settings:get': { request: undefined; response: Settings };
  'settings:set': { request: SettingsPatch; response: Settings };
  'shell:openExternal': { request: { url: string }; response: { opened: boolean } };
  'status:get': { request: undefined; response: AvailabilityInfo };
  'status:set': { request: { status: AgentStatus }; response: AvailabilityInfo };
}

/** The app's own origin: a privileged custom scheme, so no file:// URL is ever trusted. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'support-chat';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;
