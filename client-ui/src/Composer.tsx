// The message box: Enter sends, Shift+Enter is a new line; length in code points against the protocol's limit;
// "typing" while keys are pressed, stopped after a pause, on blur, on send and when the box goes away.
import {
  type Attachment,
  codePointLength,
  formatBytes,
  MAX_ATTACHMENTS_PER_MESSAGE,
  MAX_MESSAGE_CHARS,
  precheckFile,
} from '@support-chat/protocol/core';
import {
  type ClipboardEvent,
  type DragEvent,
  type FormEvent,
  type KeyboardEvent,
  useEffect,
  useId,
  useMemo,
  useRef,
  useState,
} from 'react';
import { PaperclipIcon, useAttachmentClient } from './Attachments';
import {
  type AttachmentClient,
  type AttachmentLimits,
  attachmentLimits,
  type UploadHandle,
  uploadAttachment,
} from './attachments';
import { friendlyError } from './friendly-error';

/** A file the composer holds: uploading, uploaded (goes with the next send), or refused with the reason. */
export interface UploadEntry {
  key: string;
  name: string;
  size: number;
  loaded: number;
  status: 'uploading' | 'done' | 'refused';
  message?: string;
  attachment?: Attachment;
  /** A local preview of an image (blob: URL of the picked file). */
  preview?: string;
}

let uploadKeys = 0;

/** Uploads of one composer: started as files are added, cancellable, refused before upload when they cannot go. */
function useUploads(client: AttachmentClient | null, conversationId: string | undefined) {
  const [entries, setEntries] = useState<UploadEntry[]>([]);
  const handles = useRef(new Map<string, UploadHandle>());
  const [limits, setLimits] = useState<AttachmentLimits | null>(null);
  useEffect(() => {
    if (!client) return;
    let live = true;
    void attachmentLimits(client).then((l) => live && setLimits(l));
    return () => {
      live = false;
    };
  }, [client]);
  // Uploads still running when the composer goes away are cancelled; previews released.
  const entriesRef = useRef(entries);
  entriesRef.current = entries;
  useEffect(
    () => () => {
      for (const h of handles.current.values()) h.cancel();
      for (const e of entriesRef.current) if (e.preview) URL.revokeObjectURL(e.preview);
    },
    [],
  );

  const patch = (key: string, change: Partial<UploadEntry>) =>
    setEntries((list) => list.map((e) => (e.key === key ? { ...e, ...change } : e)));

  const remove = (key: string) => {
    handles.current.get(key)?.cancel();
    handles.current.delete(key);
    setEntries((list) => {
      const gone = list.find((e) => e.key === key);
      if (gone?.preview) URL.revokeObjectURL(gone.preview);
      return list.filter((e) => e.key !== key);
    });
  };

  const add = (files: readonly File[]) => {
    if (!client || !conversationId || files.length === 0) return;
    const current = entriesRef.current.filter((e) => e.status !== 'refused').length;
    const added: UploadEntry[] = [];
    files.forEach((file, i) => {
      const key = `u${++uploadKeys}`;
      const name = file.name || `pasted-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}.png`;
      const base = { key, name, size: file.size, loaded: 0 };
      const refusal =
        current + i >= MAX_ATTACHMENTS_PER_MESSAGE
          ? `${name}: at most ${MAX_ATTACHMENTS_PER_MESSAGE} files per message.`
          : limits
            ? precheckFile({ name, size: file.size, type: file.type }, limits)
            : null;
      if (refusal) {
        added.push({ ...base, status: 'refused', message: refusal });
        return;
      }
      const preview = file.type.startsWith('image/') ? URL.createObjectURL(file) : undefined;
      added.push({ ...base, status: 'uploading', preview });
      const handle = uploadAttachment(client, conversationId, file, name, (loaded) => patch(key, { loaded }));
      handles.current.set(key, handle);
      void handle.done.then((outcome) => {
        handles.current.delete(key);
        if (outcome.kind === 'done') {
          patch(key, { status: 'done', loaded: file.size, attachment: outcome.attachment });
        } else if (outcome.kind === 'failed') {
          patch(key, { status: 'refused', message: `${name}: ${uploadError(outcome.error)}` });
        }
      });
    });
    setEntries((list) => [...list, ...added]);
  };

  const take = (): Attachment[] => {
    const done = entries.filter((e) => e.status === 'done' && e.attachment);
    for (const e of done) if (e.preview) URL.revokeObjectURL(e.preview);
    setEntries((list) => list.filter((e) => e.status !== 'done'));
    return done.map((e) => e.attachment as Attachment);
  };

  return { entries, add, remove, take, enabled: Boolean(client && conversationId) };
}

const uploadError = (error: { code: string; message: string; retryAfterMs?: number }): string =>
  error.code === 'payload_too_large' || error.code === 'unsupported_media_type'
    ? error.message
    : error.code === 'rate_limited'
      ? 'too many uploads at once; try again in a moment.'
      : friendlyError(error as Parameters<typeof friendlyError>[0]);

/** Stop telling the other side we're typing after this long without a keystroke. */
const TYPING_IDLE_MS = 3000;

/** What the composer would send: the trimmed text, its length in code points, and whether it may go. */
export function draftStatus(draft: string): {
  text: string;
  length: number;
  tooLong: boolean;
  canSend: boolean;
} {
  const text = draft.trim();
  const length = codePointLength(text);
  const tooLong = length > MAX_MESSAGE_CHARS;
  return { text, length, tooLong, canSend: length > 0 && !tooLong };
}

/** A canned reply the composer's `/` picker offers. */
export interface ComposerReply {
  id: string;
  shortcut: string;
  title: string;
  text: string;
  /** A short tag shown beside it ("Mine", a department's name). */
  tag?: string;
}

/** At most this many replies in the picker at once (type more to narrow). */
const PICKER_LIMIT = 8;

/** The replies a `/query` draft offers: shortcut prefix first, then shortcut, title or text containing it. */
export function matchReplies(replies: readonly ComposerReply[], query: string): ComposerReply[] {
  const q = query.toLowerCase();
  const score = (r: ComposerReply): number => {
    if (r.shortcut.startsWith(q)) return 0;
    if (r.shortcut.includes(q)) return 1;
    if (r.title.toLowerCase().includes(q)) return 2;
    if (r.text.toLowerCase().includes(q)) return 3;
    return -1;
  };
  return replies
    .map((r) => ({ r, s: score(r) }))
    .filter((x) => x.s >= 0)
    .sort((a, b) => a.s - b.s || a.r.shortcut.localeCompare(b.r.shortcut))
    .slice(0, PICKER_LIMIT)
    .map((x) => x.r);
}

/** One composer per conversation: shells key it by conversation, so each starts with an empty box. */
export function Composer({
  onSend,
  onTyping,
  disabled = false,
  placeholder,
  conversationId,
  label = 'Message',
  variant = 'reply',
  replies,
  fillReply = (text) => text,
}: {
  /** `attachments`: files uploaded already, to go with the text (which may then be empty). */
  onSend: (text: string, attachments: Attachment[]) => void;
  onTyping: (isTyping: boolean) => void;
  disabled?: boolean;
  placeholder: string;
  /** Where files go; with an <AttachmentProvider> around, the composer takes files (button, paste, drop). */
  conversationId?: string;
  /** The box's accessible name. */
  label?: string;
  /** `note`: an internal note is being written (styled apart from a reply; no files). */
  variant?: 'reply' | 'note';
  /** With replies, `/` at the start of the box opens a searchable picker (arrows, Enter, Escape). */
  replies?: readonly ComposerReply[];
  /** Fills a chosen reply's placeholders before it goes into the box. */
  fillReply?: (text: string) => string;
}) {
  const uploads = useUploads(useAttachmentClient(), variant === 'note' ? undefined : conversationId);
  const fileInputRef = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);
  const inputId = useId();
  const errorId = useId();
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const [draft, setDraft] = useState('');
  const pickerId = useId();
  const [active, setActive] = useState(0);
  const [dismissed, setDismissed] = useState(false);
  const slash = replies ? /^\/(\S*)$/.exec(draft) : null;
  const query = slash ? (slash[1] ?? '') : null;
  const matches = useMemo(
    () => (query !== null && replies ? matchReplies(replies, query) : []),
    [query, replies],
  );
  const pickerOpen = query !== null && !dismissed;
  const activeIndex = Math.min(active, Math.max(0, matches.length - 1));
  const typingSent = useRef(false);
  const typingTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const typingCallback = useRef(onTyping);
  typingCallback.current = onTyping;

  // The cursor goes to the box once it is usable, on devices with a keyboard (on phones it would pop the
  // keyboard up over the conversation).
  const focused = useRef(false);
  useEffect(() => {
    if (disabled || focused.current) return;
    focused.current = true;
    if (window.matchMedia?.('(pointer: fine)').matches) inputRef.current?.focus({ preventScroll: true });
  }, [disabled]);

  const stopTyping = () => {
    if (typingTimer.current) clearTimeout(typingTimer.current);
    typingTimer.current = null;
    if (typingSent.current) {
      typingSent.current = false;
      typingCallback.current(false);
    }
  };
  // biome-ignore lint/correctness/useExhaustiveDependencies: only when the box goes away
  useEffect(() => stopTyping, []);

  const onChange = (value: string) => {
    setDraft(value);
    setActive(0);
    // Escape closes the picker for this "/…"; a fresh "/" (or no "/") opens it again.
    if (value === '/' || !value.startsWith('/')) setDismissed(false);
    if (!value.trim()) {
      stopTyping();
      return;
    }
    // Every keystroke says "typing" (the client throttles it), so the indicator stays up while we type.
    typingSent.current = true;
    onTyping(true);
    if (typingTimer.current) clearTimeout(typingTimer.current);
    typingTimer.current = setTimeout(stopTyping, TYPING_IDLE_MS);
  };

  const { text, length, tooLong, canSend: textCanSend } = draftStatus(draft);
  const uploading = uploads.entries.some((e) => e.status === 'uploading');
  const ready = uploads.entries.some((e) => e.status === 'done');
  const canSend = !uploading && !tooLong && (textCanSend || ready);
  const send = () => {
    if (disabled || !canSend) return;
    onSend(text, uploads.take());
    setDraft('');
    stopTyping();
  };

  const hasFiles = (e: DragEvent) => uploads.enabled && Array.from(e.dataTransfer.types).includes('Files');
  const onDragOver = (e: DragEvent) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
    setDragging(true);
  };
  const onDrop = (e: DragEvent) => {
    setDragging(false);
    if (!hasFiles(e)) return;
    e.preventDefault();
    uploads.add(Array.from(e.dataTransfer.files));
  };
  const onPaste = (e: ClipboardEvent<HTMLTextAreaElement>) => {
    const files = Array.from(e.clipboardData.files);
    if (!uploads.enabled || files.length === 0) return;
    e.preventDefault();
    uploads.add(files);
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    send();
    inputRef.current?.focus();
  };

  const choose = (reply: ComposerReply | undefined) => {
    if (!reply) return;
    const text = fillReply(reply.text);
    setDismissed(false);
    onChange(text);
    inputRef.current?.focus();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (pickerOpen && !event.nativeEvent.isComposing) {
      const n = matches.length;
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault();
        if (n) setActive((activeIndex + (event.key === 'ArrowDown' ? 1 : n - 1)) % n);
        return;
      }
      if (event.key === 'Enter' || event.key === 'Tab') {
        // With nothing matching, Enter does nothing (Escape first to send "/…" as text).
        if (event.key === 'Tab' && n === 0) return;
        event.preventDefault();
        choose(matches[activeIndex]);
        return;
      }
      if (event.key === 'Escape') {
        event.preventDefault();
        setDismissed(true);
        return;
      }
    }
    // Enter sends, Shift+Enter is a new line; Enter that confirms an IME composition is left alone.
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      send();
    }
  };

  return (
    <form
      className={`composer composer--${variant}${dragging ? ' composer--dragging' : ''}`}
      onSubmit={onSubmit}
      onDragOver={onDragOver}
      onDragLeave={() => setDragging(false)}
      onDrop={onDrop}
    >
      {uploads.entries.length > 0 ? (
        <ul className="uploads" aria-label="Files to send">
          {uploads.entries.map((entry) => (
            <UploadRow key={entry.key} entry={entry} onRemove={() => uploads.remove(entry.key)} />
          ))}
        </ul>
      ) : null}
      {uploads.enabled ? (
        <>
          <input
            ref={fileInputRef}
            type="file"
            multiple
            hidden
            tabIndex={-1}
            data-testid="attach-input"
            onChange={(e) => {
              uploads.add(Array.from(e.target.files ?? []));
              e.target.value = '';
            }}
          />
          <button
            type="button"
            className="button button--ghost composer__attach"
            aria-label="Attach files"
            title="Attach files (or paste, or drop them here)"
            disabled={disabled}
            onClick={() => fileInputRef.current?.click()}
          >
            <PaperclipIcon />
          </button>
        </>
      ) : null}
      {pickerOpen ? (
        <div className="reply-picker">
          <div
            id={pickerId}
            className="reply-picker__list"
            role="listbox"
            aria-label="Canned replies"
            data-testid="reply-picker"
          >
            {matches.map((r, i) => (
              // biome-ignore lint/a11y/useKeyWithClickEvents: the keyboard drives it from the message box
              <div
                key={r.id}
                id={`${pickerId}-${i}`}
                role="option"
                tabIndex={-1}
                aria-selected={i === activeIndex}
                className={`reply-picker__option${i === activeIndex ? ' reply-picker__option--active' : ''}`}
                // Keeps the focus in the box, so typing and arrows go on working.
                onMouseDown={(e) => e.preventDefault()}
                onClick={() => choose(r)}
              >
                <span className="reply-picker__shortcut">/{r.shortcut}</span>
                <span className="reply-picker__title">{r.title}</span>
                {r.tag ? <span className="reply-picker__tag">{r.tag}</span> : null}
                <span className="reply-picker__text">{r.text}</span>
              </div>
            ))}
          </div>
          <p className="reply-picker__hint" role="status">
            {matches.length === 0
              ? replies?.length
                ? `No canned reply matches “/${query}”. Esc to write it as text.`
                : 'No canned replies yet.'
              : '↑ ↓ to choose · Enter to insert · Esc to close'}
          </p>
        </div>
      ) : null}
      <label htmlFor={inputId} className="visually-hidden">
        {label}
      </label>
      <textarea
        ref={inputRef}
        id={inputId}
        className="composer__input"
        name="message"
        rows={1}
        placeholder={placeholder}
        value={draft}
        onChange={(e) => onChange(e.target.value)}
        onKeyDown={onKeyDown}
        onPaste={onPaste}
        onBlur={stopTyping}
        aria-describedby={tooLong ? errorId : undefined}
        aria-controls={pickerOpen ? pickerId : undefined}
        aria-activedescendant={pickerOpen && matches.length ? `${pickerId}-${activeIndex}` : undefined}
        aria-autocomplete={replies ? 'list' : undefined}
        aria-invalid={tooLong ? true : undefined}
        disabled={disabled}
        enterKeyHint="send"
      />
      <button type="submit" className="button button--primary composer__send" disabled={disabled || !canSend}>
        <svg
          viewBox="0 0 24 24"
          width="18"
          height="18"
          fill="currentColor"
          aria-hidden="true"
          focusable="false"
        >
          <path d="M3.4 20.4l17.45-7.48a1 1 0 0 0 0-1.84L3.4 3.6a.993.993 0 0 0-1.39.91L2 9.12c0 .5.37.93.87.99L17 12 2.87 13.88c-.5.07-.87.5-.87 1l.01 4.61c0 .71.73 1.2 1.39.91z" />
        </svg>
        <span>{variant === 'note' ? 'Add note' : 'Send'}</span>
      </button>
      {tooLong ? (
        <p id={errorId} className="composer__error">
          {length - MAX_MESSAGE_CHARS} characters over the {MAX_MESSAGE_CHARS}-character limit.
        </p>
      ) : null}
      {dragging ? (
        <p className="composer__drop" aria-hidden="true">
          Drop files to attach them
        </p>
      ) : null}
    </form>
  );
}

function UploadRow({ entry, onRemove }: { entry: UploadEntry; onRemove: () => void }) {
  const percent = entry.size > 0 ? Math.round((entry.loaded / entry.size) * 100) : 0;
  return (
    <li className={`upload upload--${entry.status}`} data-testid="upload" data-status={entry.status}>
      {entry.preview && entry.status !== 'refused' ? (
        <img className="upload__preview" src={entry.preview} alt="" width={40} height={40} />
      ) : null}
      <span className="upload__text">
        <span className="upload__name">{entry.name}</span>
        {entry.status === 'refused' ? (
          <span className="upload__error" role="alert">
            {entry.message}
          </span>
        ) : (
          <span className="upload__size">
            {entry.status === 'uploading'
              ? `${formatBytes(entry.loaded)} of ${formatBytes(entry.size)}`
              : formatBytes(entry.size)}
          </span>
        )}
        {entry.status === 'uploading' ? (
          <progress
            className="upload__progress"
            max={100}
            value={percent}
            aria-label={`Uploading ${entry.name}`}
          />
        ) : null}
      </span>
      <button
        type="button"
        className="button button--ghost button--small"
        onClick={onRemove}
        aria-label={`${entry.status === 'uploading' ? 'Cancel' : 'Remove'} ${entry.name}`}
      >
        {entry.status === 'uploading' ? 'Cancel' : 'Remove'}
      </button>
    </li>
  );
}
