// Size limits of the wire contract. Plain constants (no zod) so the page's first load can use them.

export const MAX_MESSAGE_CHARS = 4000;
export const MAX_PAGE_LIMIT = 200;
export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_SYNC_MESSAGES = 500;

/** Most files one message carries. */
export const MAX_ATTACHMENTS_PER_MESSAGE = 10;
/** ATTACHMENT_MAX_BYTES's default: 10 MiB. */
export const DEFAULT_ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024;
/** Thumbnails are at most this many pixels wide and high. */
export const THUMBNAIL_MAX_PX = 320;
