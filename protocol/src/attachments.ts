// Attachment rules every side shares (SPEC §11): the kinds of file, what is shown inline, how a message with files
// is previewed. Plain functions, no zod: the page and the desktop renderer check files before uploading.
import type { Attachment, Message } from './types';

/** Raster images: re-encoded by the server, the only files served inline and shown as thumbnails. */
export const RASTER_IMAGE_TYPES: readonly string[] = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];

export const isRasterImage = (contentType: string): boolean =>
  RASTER_IMAGE_TYPES.includes(contentType.split(';')[0]?.trim().toLowerCase() ?? '');

/** The `ATTACHMENT_TYPES` names a deployer lists, with their content types and usual extensions. */
export const ATTACHMENT_KINDS: Readonly<
  Record<string, { contentType: string; extensions: readonly string[] }>
> = {
  png: { contentType: 'image/png', extensions: ['png'] },
  jpeg: { contentType: 'image/jpeg', extensions: ['jpg', 'jpeg', 'jfif'] },
  gif: { contentType: 'image/gif', extensions: ['gif'] },
  webp: { contentType: 'image/webp', extensions: ['webp'] },
  pdf: { contentType: 'application/pdf', extensions: ['pdf'] },
  text: {
    contentType: 'text/plain',
    extensions: ['', 'txt', 'text', 'log', 'csv', 'tsv', 'md', 'json', 'yaml', 'yml', 'ini', 'conf'],
  },
};

/** The default allow-list of ATTACHMENT_TYPES. */
export const DEFAULT_ATTACHMENT_TYPES: readonly string[] = ['png', 'jpeg', 'gif', 'webp', 'pdf', 'text'];

/** The extension of a file name, lowercase, without the dot ('' when none). */
export const extensionOf = (name: string): string => {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
};

/** The kind (key of ATTACHMENT_KINDS) a file name suggests, or null when the extension says nothing we know. */
export const kindOfName = (name: string): string | null => {
  const ext = extensionOf(name);
  for (const [kind, k] of Object.entries(ATTACHMENT_KINDS)) if (k.extensions.includes(ext)) return kind;
  return null;
};

/** "2.4 MB"-style size for people (decimal units, as file managers show them). */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB'];
  let v = bytes / 1000;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v >= 10 ? Math.round(v) : Math.round(v * 10) / 10} ${units[u]}`;
}

/** What a client can tell before uploading: too big, or a kind the server does not take (null when it may go). */
export function precheckFile(
  file: { name: string; size: number; type?: string },
  limits: { maxBytes: number; types: readonly string[] },
): string | null {
  if (file.size > limits.maxBytes)
    return `${file.name} is too big (${formatBytes(file.size)}; the limit is ${formatBytes(limits.maxBytes)}).`;
  if (file.size === 0) return `${file.name} is empty.`;
  // The server decides from the content; here the name (or, without an extension, the browser's type) tells.
  const byName = kindOfName(file.name);
  const byType = Object.entries(ATTACHMENT_KINDS).find(([, k]) => k.contentType === file.type)?.[0];
  const known = extensionOf(file.name) === '' ? (byType ?? byName) : byName;
  if (known === null || !limits.types.includes(known)) {
    return `${file.name}: this type of file cannot be sent (allowed: ${describeTypes(limits.types)}).`;
  }
  return null;
}

/** "PNG, JPEG, PDF or plain text" */
export function describeTypes(types: readonly string[]): string {
  const names = types.map((t) => (t === 'text' ? 'plain text' : t.toUpperCase()));
  return names.length <= 1 ? (names[0] ?? 'none') : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
}

/** The line a conversation list or a notification shows for files sent without text. */
export function attachmentsPreview(attachments: readonly Pick<Attachment, 'name' | 'contentType'>[]): string {
  if (attachments.length === 0) return '';
  const images = attachments.filter((a) => isRasterImage(a.contentType)).length;
  if (images === attachments.length) return images === 1 ? 'sent a photo' : `sent ${images} photos`;
  if (attachments.length === 1) return `sent a file: ${attachments[0]?.name}`;
  return `sent ${attachments.length} files`;
}

/** The text of a message, or what it sent when it has none: for previews and notifications. */
export const messagePreview = (message: Pick<Message, 'text' | 'attachments'>): string =>
  message.text.length > 0 ? message.text : attachmentsPreview(message.attachments ?? []);
