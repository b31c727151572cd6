// Where the notification policy lives: one pure function, applied by the renderer (which knows the open
// conversation) before asking and again by main (which knows the real window focus) before showing.
import type { Role } from '@support-chat/protocol';

export interface NotificationCandidate {
  conversationId: string;
  senderRole: Role;
}

export interface NotificationContext {
  windowFocused: boolean;
  openConversationId: string | null;
}

/** Notify for a new customer message when the window is not focused or another conversation is open. */
export const shouldNotify = (message: NotificationCandidate, context: NotificationContext): boolean => {
  if (message.senderRole !== 'customer') return false;
  if (!context.windowFocused) return true;
  return context.openConversationId !== message.conversationId;
};

export const NOTIFICATION_BODY_MAX_CHARS = 120;

// Control characters and bidi overrides could spoof or garble an OS notification; collapse whitespace too.
const UNPRINTABLE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what we remove
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/g;

/** Plain text for an OS notification: one line, no control characters, at most `max` code points. */
export const toNotificationText = (text: string, max = NOTIFICATION_BODY_MAX_CHARS): string => {
  const oneLine = text.replace(UNPRINTABLE, '').replace(/\s+/g, ' ').trim();
  const chars = Array.from(oneLine);
  if (chars.length <= max) return oneLine;
  return `${chars
    .slice(0, max - 1)
    .join('')
    .trimEnd()}…`;
};

export const notificationTitle = (customerName: string, departmentName: string): string =>
  `${toNotificationText(customerName, 64)} — ${toNotificationText(departmentName, 64)}`;

/** Markup escapes for a libnotify body (the spec's body markup): tags and entities then show as typed. */
export const escapeNotificationMarkup = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

// The summary is plain text by the spec (GNOME, KDE, mako show an entity as typed) but markup on others
// (dunst): only text without markup characters reads right and stays inert on both.
const TITLE_MARKUP_LOOKALIKES: Record<string, string> = { '&': '\uFF06', '<': '\u2039', '>': '\u203A' };

/** A title free of markup characters: `&`, `<`, `>` become ＆ ‹ ›. */
export const neutraliseTitleMarkup = (text: string): string =>
  text.replace(/[&<>]/g, (char) => TITLE_MARKUP_LOOKALIKES[char] ?? '');

export interface NotificationContent {
  title: string;
  body: string;
}

/** Title and body as the OS receives them: truncated first, then escaped where the OS renders markup. */
export const notificationContent = (
  message: { customerName: string; departmentName: string; text: string },
  /** `process.platform` of main: only Linux (libnotify) renders markup. */
  platform: string,
): NotificationContent => {
  const title = notificationTitle(message.customerName, message.departmentName);
  const body = toNotificationText(message.text);
  if (platform !== 'linux') return { title, body };
  return { title: neutraliseTitleMarkup(title), body: escapeNotificationMarkup(body) };
};
