// Attachments on screen: images as thumbnails that open full size, other files as a row with name, size and a
// download action, and the composer's list of uploads (progress, cancel, refusals). Shells give the client once
// with <AttachmentProvider>; without it nothing here fetches and the composer offers no attach button.
import { type Attachment, formatBytes, isRasterImage, THUMBNAIL_MAX_PX } from '@support-chat/protocol/core';
import { createContext, type ReactNode, useContext, useEffect, useRef, useState } from 'react';
import { type AttachmentClient, attachmentImageUrl, downloadAttachment } from './attachments';

const AttachmentContext = createContext<AttachmentClient | null>(null);

export function AttachmentProvider({ client, children }: { client: AttachmentClient; children: ReactNode }) {
  return <AttachmentContext.Provider value={client}>{children}</AttachmentContext.Provider>;
}

export const useAttachmentClient = (): AttachmentClient | null => useContext(AttachmentContext);

/** The blob: URL of an image once fetched (null meanwhile; 'error' when it cannot be had). */
function useImageUrl(id: string, thumb: boolean): string | null | 'error' {
  const client = useAttachmentClient();
  const [url, setUrl] = useState<string | null | 'error'>(null);
  useEffect(() => {
    if (!client) return;
    let live = true;
    attachmentImageUrl(client, id, thumb).then(
      (u) => live && setUrl(u),
      () => live && setUrl('error'),
    );
    return () => {
      live = false;
    };
  }, [client, id, thumb]);
  return url;
}

/** The files of a message: images first as thumbnails, then file rows. */
export function MessageAttachments({ attachments }: { attachments: readonly Attachment[] }) {
  const images = attachments.filter((a) => isRasterImage(a.contentType));
  const files = attachments.filter((a) => !isRasterImage(a.contentType));
  return (
    <div className="attachments">
      {images.length > 0 ? (
        <ul className="attachments__images">
          {images.map((a) => (
            <li key={a.id}>
              <ImageThumb attachment={a} />
            </li>
          ))}
        </ul>
      ) : null}
      {files.length > 0 ? (
        <ul className="attachments__files">
          {files.map((a) => (
            <li key={a.id}>
              <FileRow attachment={a} />
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/** The thumbnail's box: the image's aspect within THUMBNAIL_MAX_PX, scaled down for the bubble. */
const thumbSize = (a: Attachment): { width: number; height: number } => {
  const w = a.width ?? THUMBNAIL_MAX_PX;
  const h = a.height ?? THUMBNAIL_MAX_PX;
  const max = 240;
  const scale = Math.min(1, max / Math.max(w, h));
  return { width: Math.max(24, Math.round(w * scale)), height: Math.max(24, Math.round(h * scale)) };
};

function ImageThumb({ attachment }: { attachment: Attachment }) {
  const url = useImageUrl(attachment.id, true);
  const [open, setOpen] = useState(false);
  const size = thumbSize(attachment);
  return (
    <>
      <button
        type="button"
        className="attachment-thumb"
        style={{ width: size.width, height: size.height }}
        onClick={() => setOpen(true)}
        aria-label={`Open ${attachment.name} full size`}
        data-testid="attachment-thumb"
      >
        {url && url !== 'error' ? (
          <img src={url} alt={attachment.name} width={size.width} height={size.height} />
        ) : (
          <span className="attachment-thumb__placeholder" aria-hidden="true">
            {url === 'error' ? '!' : ''}
          </span>
        )}
      </button>
      {open ? <ImageViewer attachment={attachment} onClose={() => setOpen(false)} /> : null}
    </>
  );
}

/** The full-size image in a modal dialog (Escape or the button closes it). */
function ImageViewer({ attachment, onClose }: { attachment: Attachment; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const url = useImageUrl(attachment.id, false);
  const client = useAttachmentClient();
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal?.();
  }, []);
  return (
    <dialog
      ref={ref}
      className="image-viewer"
      aria-label={attachment.name}
      onClose={onClose}
      onClick={(e) => {
        if (e.target === ref.current) ref.current?.close();
      }}
      onKeyDown={(e) => {
        if (e.key === 'Escape') ref.current?.close();
      }}
    >
      <div className="image-viewer__bar">
        <span className="image-viewer__name">{attachment.name}</span>
        {client ? (
          <button
            type="button"
            className="button button--ghost button--small"
            onClick={() => void downloadAttachment(client, attachment)}
          >
            Download
          </button>
        ) : null}
        <button type="button" className="button button--small" onClick={() => ref.current?.close()}>
          Close
        </button>
      </div>
      {url && url !== 'error' ? (
        <img
          className="image-viewer__image"
          src={url}
          alt={attachment.name}
          width={attachment.width}
          height={attachment.height}
          data-testid="attachment-full"
        />
      ) : url === 'error' ? (
        <p role="alert">The image could not be loaded.</p>
      ) : (
        <p className="loading" role="status">
          <span className="spinner" aria-hidden="true" /> Loading…
        </p>
      )}
    </dialog>
  );
}

function FileRow({ attachment }: { attachment: Attachment }) {
  const client = useAttachmentClient();
  const [state, setState] = useState<'idle' | 'busy' | 'error'>('idle');
  const download = async () => {
    if (!client) return;
    setState('busy');
    try {
      await downloadAttachment(client, attachment);
      setState('idle');
    } catch {
      setState('error');
    }
  };
  return (
    <div className="attachment-file" data-testid="attachment-file">
      <FileIcon />
      <span className="attachment-file__text">
        <span className="attachment-file__name">{attachment.name}</span>
        <span className="attachment-file__size">
          {formatBytes(attachment.size)}
          {state === 'error' ? ' — download failed' : ''}
        </span>
      </span>
      <button
        type="button"
        className="button button--ghost button--small"
        onClick={() => void download()}
        disabled={state === 'busy' || !client}
        aria-label={`Download ${attachment.name}`}
      >
        Download
      </button>
    </div>
  );
}

/** A file being sent with a message that is not stored yet: its name only. */
export function PendingAttachments({ attachments }: { attachments: readonly Attachment[] }) {
  return (
    <ul className="attachments__pending">
      {attachments.map((a) => (
        <li key={a.id}>
          <FileIcon />
          {a.name}
        </li>
      ))}
    </ul>
  );
}

export function FileIcon() {
  return (
    <svg
      viewBox="0 0 24 24"
      width="20"
      height="20"
      aria-hidden="true"
      focusable="false"
      className="file-icon"
    >
      <path
        d="M6 2h8l5 5v13a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2z M14 2v5h5"
        fill="none"
        stroke="currentColor"
        strokeWidth="1.6"
        strokeLinejoin="round"
      />
    </svg>
  );
}

export function PaperclipIcon() {
  return (
    <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
      <path
        d="M21 11.5l-8.6 8.6a5.5 5.5 0 0 1-7.8-7.8l8.6-8.6a3.7 3.7 0 0 1 5.2 5.2l-8.6 8.6a1.8 1.8 0 0 1-2.6-2.6l8-8"
        fill="none"
        stroke="currentColor"
        strokeWidth="1.8"
        strokeLinecap="round"
        strokeLinejoin="round"
      />
    </svg>
  );
}
