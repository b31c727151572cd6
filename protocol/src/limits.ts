// Size limits of the wire contract. Plain constants (no zod) so the page's first load can use them.

export const MAX_MESSAGE_CHARS = 4000;
export const MAX_PAGE_LIMIT = 200;
export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_SYNC_MESSAGES = 500;
