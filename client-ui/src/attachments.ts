// Files over HTTP for every shell (SPEC §11): uploads with progress and cancel (XMLHttpRequest: the one browser API
// that reports upload progress over HTTP/1.1), and downloads fetched with the access token into blob: URLs, so that
// a token never goes into a URL and the page's CSP only has to allow blob: images.
import {
  type ApiError,
  type Attachment,
  DEFAULT_ATTACHMENT_MAX_BYTES,
  DEFAULT_ATTACHMENT_TYPES,
} from '@support-chat/protocol/core';

/** What attachments need of ChatClient. */
export interface AttachmentClient {
  readonly serverUrl: string;
  freshAccessToken(): Promise<string | null>;
}

export interface AttachmentLimits {
  maxBytes: number;
  types: string[];
}

export type UploadOutcome =
  | { kind: 'done'; attachment: Attachment }
  | { kind: 'failed'; error: ApiError }
  | { kind: 'cancelled' };

export interface UploadHandle {
  done: Promise<UploadOutcome>;
  cancel(): void;
}

const errorOfBody = (status: number, text: string): ApiError => {
  try {
    const body = JSON.parse(text) as { error?: ApiError };
    if (body?.error?.code) return body.error;
  } catch {
    // not JSON: a proxy's page
  }
  if (status === 413) return { code: 'payload_too_large', message: 'The file is too big.' };
  if (status === 0) return { code: 'unavailable', message: 'The upload was interrupted.' };
  return { code: 'internal_error', message: `The upload failed (${status}).` };
};

/** Uploads one file to a conversation; `onProgress` gets the bytes sent so far. */
export function uploadAttachment(
  client: AttachmentClient,
  conversationId: string,
  file: Blob,
  name: string,
  onProgress: (loaded: number, total: number) => void,
): UploadHandle {
  const xhr = new XMLHttpRequest();
  let cancelled = false;
  const done = (async (): Promise<UploadOutcome> => {
    const token = await client.freshAccessToken();
    if (cancelled) return { kind: 'cancelled' };
    if (!token) return { kind: 'failed', error: { code: 'unauthorized', message: 'Not signed in.' } };
    return new Promise<UploadOutcome>((resolve) => {
      xhr.open('POST', `${client.serverUrl}/api/conversations/${conversationId}/attachments`);
      xhr.setRequestHeader('Authorization', `Bearer ${token}`);
      xhr.setRequestHeader('X-Filename', encodeURIComponent(name));
      if (file.type) xhr.setRequestHeader('Content-Type', file.type);
      xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
      xhr.onload = () => {
        if (xhr.status === 201) {
          try {
            const body = JSON.parse(xhr.responseText) as { attachment: Attachment };
            resolve({ kind: 'done', attachment: body.attachment });
            return;
          } catch {
            // fall through
          }
        }
        resolve({ kind: 'failed', error: errorOfBody(xhr.status, xhr.responseText) });
      };
      xhr.onerror = () => resolve({ kind: 'failed', error: errorOfBody(0, '') });
      xhr.onabort = () => resolve({ kind: 'cancelled' });
      xhr.send(file);
    });
  })();
  return {
    done,
    cancel() {
      cancelled = true;
      xhr.abort();
    },
  };
}

const limitsCache = new WeakMap<AttachmentClient, Promise<AttachmentLimits>>();
const DEFAULT_LIMITS: AttachmentLimits = {
  maxBytes: DEFAULT_ATTACHMENT_MAX_BYTES,
  types: [...DEFAULT_ATTACHMENT_TYPES],
};

/** The server's limits (once per client); the defaults when they cannot be had (the server still decides). */
export function attachmentLimits(client: AttachmentClient): Promise<AttachmentLimits> {
  let p = limitsCache.get(client);
  if (!p) {
    p = (async () => {
      const token = await client.freshAccessToken();
      const res = await fetch(`${client.serverUrl}/api/attachments/limits`, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
        credentials: 'omit',
      });
      if (!res.ok) throw new Error(String(res.status));
      return (await res.json()) as AttachmentLimits;
    })().catch(() => {
      limitsCache.delete(client);
      return DEFAULT_LIMITS;
    });
    limitsCache.set(client, p);
  }
  return p;
}

async function fetchBlob(client: AttachmentClient, id: string, thumb: boolean): Promise<Blob> {
  const token = await client.freshAccessToken();
  const res = await fetch(`${client.serverUrl}/api/attachments/${id}${thumb ? '?thumb=1' : ''}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
    credentials: 'omit',
  });
  if (!res.ok) throw new Error(`attachment ${res.status}`);
  return res.blob();
}

/** blob: URLs of fetched images, kept while the page lives (the most recent ones; older ones are revoked). */
const MAX_CACHED = 120;
const urlCache = new Map<string, Promise<string>>();

/** A blob: URL for an attachment's image (or its thumbnail), fetched once. */
export function attachmentImageUrl(client: AttachmentClient, id: string, thumb: boolean): Promise<string> {
  const key = `${client.serverUrl}|${id}|${thumb ? 't' : 'f'}`;
  let p = urlCache.get(key);
  if (p) {
    urlCache.delete(key);
    urlCache.set(key, p);
    return p;
  }
  p = fetchBlob(client, id, thumb).then((blob) => URL.createObjectURL(blob));
  p.catch(() => urlCache.delete(key));
  urlCache.set(key, p);
  while (urlCache.size > MAX_CACHED) {
    const [oldKey, old] = urlCache.entries().next().value as [string, Promise<string>];
    urlCache.delete(oldKey);
    old.then((url) => URL.revokeObjectURL(url)).catch(() => {});
  }
  return p;
}

/**
 * Saves a file: fetched with the token, handed to the browser as a download of a blob: URL (in the desktop app the
 * main process's download handler asks where to save it and never opens it).
 */
export async function downloadAttachment(client: AttachmentClient, attachment: Attachment): Promise<void> {
  const blob = await fetchBlob(client, attachment.id, false);
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = attachment.name;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  // The download has taken its copy once click() returned in every engine; a minute is generous.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
