// The messages of one conversation: older pages on scroll, day separators, sender names at each change of
// sender, read receipts on the user's side, system lines (transfers), pending and failed sends with Retry and Delete. The view stays
// pinned to the newest message, and keeps the reader's place when an older page is prepended.

import type { OutboxItem } from '@support-chat/protocol/client';
import type { Message, Note, Side, User } from '@support-chat/protocol/core';
import { type ReactNode, useEffect, useLayoutEffect, useRef } from 'react';
import { MessageAttachments, PendingAttachments } from './Attachments';
import type { ConversationView } from './conversation-store';
import { friendlyError } from './friendly-error';
import { MessageText } from './MessageText';
import { isSystemMessage, sideOf } from './summary';

/** Scrolled this close to the top, the next older page is fetched. */
const LOAD_OLDER_THRESHOLD_PX = 160;
const AT_BOTTOM_PX = 48;

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'long', month: 'long', day: 'numeric' });

export function dayLabel(date: Date, now = new Date()): string {
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (date.toDateString() === now.toDateString()) return 'Today';
  if (date.toDateString() === yesterday.toDateString()) return 'Yesterday';
  return dayFormat.format(date);
}

/** An internal note as the list shows it (agents only): stored, or still in the notes' outbox. */
export type NoteEntry =
  | { kind: 'note'; key: string; note: Note }
  | { kind: 'pendingNote'; key: string; item: OutboxItem<Note> };

export interface MessageListProps {
  /** The open conversation; undefined while it is being opened. */
  view: ConversationView | undefined;
  me: User;
  /** The other side's read cursor: the user's side's messages up to it show "Read". */
  readSeq: number;
  connected: boolean;
  /** Shown when the conversation has no message yet. */
  empty: ReactNode;
  /** Shown above the first message of the conversation once it is loaded. */
  start?: ReactNode;
  /** Opening the conversation itself failed (before any history): shown like a failed load. */
  failed?: boolean;
  onLoadOlder: () => void;
  onRetryHistory: () => void;
  onRetrySend: (clientMsgId: string) => void;
  onDiscardSend: (clientMsgId: string) => void;
  onOpenLink?: (href: string) => void;
  /** Internal notes (agents' shells only), placed between the messages by time; pending ones last. */
  notes?: readonly NoteEntry[];
  onRetryNote?: (clientMsgId: string) => void;
  onDiscardNote?: (clientMsgId: string) => void;
}

export function MessageList(props: MessageListProps) {
  const { view, me, connected } = props;
  const entries = view?.entries ?? [];
  const messages = view?.messages ?? [];
  const history = view?.history ?? 'loading';
  const logRef = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const scrollAnchor = useRef<{ firstSeq: number; height: number; top: number } | null>(null);
  /** Until the first page shows, and after each own send. */
  const forceBottom = useRef(true);
  const lastKey = useRef<string | undefined>(undefined);

  // biome-ignore lint/correctness/useExhaustiveDependencies: re-runs whenever the rendered content changes
  useLayoutEffect(() => {
    const log = logRef.current;
    if (!log) return;
    const last = entries.at(-1);
    // A new pending send at the end is the user's own: show it.
    if (last?.kind === 'pending' && last.key !== lastKey.current) forceBottom.current = true;
    lastKey.current = last?.key;
    const anchor = scrollAnchor.current;
    const firstSeq = messages[0]?.seq ?? 0;
    if (anchor && firstSeq < anchor.firstSeq) {
      log.scrollTop = anchor.top + (log.scrollHeight - anchor.height);
      scrollAnchor.current = null;
    } else if (forceBottom.current || atBottom.current) {
      log.scrollTop = log.scrollHeight;
      if (history === 'ready') forceBottom.current = false;
    }
  }, [entries, history]);

  const loadOlder = () => {
    const log = logRef.current;
    if (!view || !log || !view.hasOlder || view.loadingOlder) return;
    scrollAnchor.current = { firstSeq: messages[0]?.seq ?? 0, height: log.scrollHeight, top: log.scrollTop };
    props.onLoadOlder();
  };

  // A first page shorter than the viewport gives nothing to scroll: fetch older pages until it fills.
  // biome-ignore lint/correctness/useExhaustiveDependencies: loadOlder reads the latest state through refs
  useEffect(() => {
    const log = logRef.current;
    if (log && view?.hasOlder && !view.loadingOlder && log.scrollHeight <= log.clientHeight) loadOlder();
  }, [view?.hasOlder, view?.loadingOlder, messages.length]);

  const onScroll = () => {
    const log = logRef.current;
    if (!log) return;
    atBottom.current = log.scrollHeight - log.scrollTop - log.clientHeight < AT_BOTTOM_PX;
    if (log.scrollTop < LOAD_OLDER_THRESHOLD_PX) loadOlder();
  };

  const side = sideOf(me.role);
  const lastOwnSeq =
    messages.findLast((m) => !isSystemMessage(m) && sideOf(m.sender.role) === side)?.seq ?? 0;
  const rows: ReactNode[] = [];
  let lastDay = '';
  let lastSender = '';
  // Sends go out one at a time per conversation: behind a held-back message, the next ones wait too.
  let held = false;
  // Notes older than the oldest message loaded wait until that page is loaded.
  const floor = view?.hasOlder && messages[0] ? Date.parse(messages[0].createdAt) : Number.NEGATIVE_INFINITY;
  const storedNotes = (props.notes ?? []).filter(
    (n): n is Extract<NoteEntry, { kind: 'note' }> =>
      n.kind === 'note' && Date.parse(n.note.createdAt) >= floor,
  );
  let nextNote = 0;
  /** Stored notes written before `until` (all of them without it). */
  const notesBefore = (until?: number) => {
    for (; nextNote < storedNotes.length; nextNote++) {
      const n = storedNotes[nextNote]!;
      if (until !== undefined && Date.parse(n.note.createdAt) >= until) return;
      rows.push(<NoteRow key={n.key} note={n.note} me={me} onOpenLink={props.onOpenLink} />);
      lastSender = '';
    }
  };
  for (const entry of entries) {
    notesBefore(entry.kind === 'message' ? Date.parse(entry.message.createdAt) : undefined);
    switch (entry.kind) {
      case 'pending': {
        held ||= entry.item.status === 'pending' && entry.item.error?.code === 'rate_limited';
        const id = entry.item.clientMsgId;
        rows.push(
          <PendingRow
            key={entry.key}
            item={entry.item}
            side={side}
            status={
              entry.item.status === 'failed' ? 'failed' : !connected ? 'queued' : held ? 'waiting' : 'sending'
            }
            onRetry={() => props.onRetrySend(id)}
            onDiscard={() => props.onDiscardSend(id)}
            onOpenLink={props.onOpenLink}
          />,
        );
        lastSender = me.id;
        break;
      }
      case 'message': {
        const m = entry.message;
        const day = new Date(m.createdAt).toDateString();
        if (day !== lastDay) {
          rows.push(
            <li key={`day-${day}`} className="day-separator">
              <span>{dayLabel(new Date(m.createdAt))}</span>
            </li>,
          );
          lastDay = day;
          lastSender = '';
        }
        if (isSystemMessage(m)) {
          rows.push(<SystemRow key={entry.key} message={m} />);
          lastSender = '';
          break;
        }
        const ownSide = sideOf(m.sender.role) === side;
        rows.push(
          <MessageRow
            key={entry.key}
            message={m}
            me={me}
            showName={m.sender.id !== me.id && lastSender !== m.sender.id}
            receipt={ownSide ? (m.seq <= props.readSeq ? 'read' : 'sent') : null}
            showReceipt={ownSide && m.seq === lastOwnSeq}
            onOpenLink={props.onOpenLink}
          />,
        );
        lastSender = m.sender.id;
        break;
      }
    }
  }
  notesBefore();
  for (const n of props.notes ?? []) {
    if (n.kind !== 'pendingNote') continue;
    const id = n.item.clientMsgId;
    rows.push(
      <PendingNoteRow
        key={n.key}
        item={n.item}
        connected={connected}
        onRetry={() => props.onRetryNote?.(id)}
        onDiscard={() => props.onDiscardNote?.(id)}
      />,
    );
  }

  return (
    <div
      ref={logRef}
      className="messages"
      role="log"
      aria-label="Messages"
      // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
      tabIndex={0}
      onScroll={onScroll}
    >
      {view?.hasOlder ? (
        <div className="messages__older">
          <button
            type="button"
            className="button button--ghost button--small"
            onClick={loadOlder}
            disabled={view.loadingOlder}
          >
            {view.loadingOlder ? 'Loading older messages…' : 'Load older messages'}
          </button>
        </div>
      ) : history === 'ready' && messages[0]?.seq === 1 && props.start ? (
        <p className="messages__start">{props.start}</p>
      ) : null}
      {view?.olderError ? (
        <p className="messages__status" role="alert">
          Couldn't load older messages.
        </p>
      ) : null}
      {props.failed || history === 'error' ? (
        <div className="messages__status">
          <p role="alert">
            {connected
              ? 'We couldn’t load this conversation.'
              : 'We can’t reach the support server right now.'}
          </p>
          <button
            type="button"
            className="button button--primary button--small"
            onClick={props.onRetryHistory}
          >
            Try again
          </button>
        </div>
      ) : history === 'loading' && messages.length === 0 ? (
        <p className="messages__status loading" role="status">
          <span className="spinner" aria-hidden="true" />
          Loading messages…
        </p>
      ) : history === 'ready' && entries.length === 0 ? (
        props.empty
      ) : null}
      <ul className="messages__list">{rows}</ul>
    </div>
  );
}

/** A stored message. `message--own`/`--theirs` is the side (the user's, the other); `from-*` the sender's role. */
export function MessageRow({
  message,
  me,
  showName,
  receipt,
  showReceipt,
  onOpenLink,
}: {
  message: Message;
  me: User;
  showName: boolean;
  receipt: 'sent' | 'read' | null;
  showReceipt: boolean;
  onOpenLink?: (href: string) => void;
}) {
  const ownSide = sideOf(message.sender.role) === sideOf(me.role);
  const byMe = message.sender.id === me.id;
  return (
    <li
      className={`message message--${ownSide ? 'own' : 'theirs'} ${fromClass(sideOf(message.sender.role))}`}
      data-seq={message.seq}
      data-testid="message"
    >
      {showName ? (
        <span className="message__sender" aria-hidden="true">
          {message.sender.username}
        </span>
      ) : null}
      <div className="message__bubble">
        <span className="visually-hidden">{byMe ? 'You' : message.sender.username}: </span>
        {message.attachments?.length ? <MessageAttachments attachments={message.attachments} /> : null}
        {message.text ? (
          <p className="message__text" data-testid="message-text">
            <MessageText text={message.text} onOpenLink={onOpenLink} />
          </p>
        ) : null}
      </div>
      <div className="message__meta">
        <time dateTime={message.createdAt}>{timeFormat.format(new Date(message.createdAt))}</time>
        {receipt ? (
          <span className={`receipt receipt--${receipt}`} data-testid="receipt">
            <Ticks double={receipt === 'read'} />
            <span className={showReceipt ? undefined : 'visually-hidden'}>
              {receipt === 'read' ? 'Read' : 'Sent'}
            </span>
          </span>
        ) : null}
      </div>
    </li>
  );
}

/**
 * A line of the timeline written by the server (a transfer): centred and muted, never a bubble, no sender, no
 * receipt. Both sides see it; its text comes from the server, shown as plain text.
 */
export function SystemRow({ message }: { message: Message }) {
  const transfer = message.system?.type === 'transfer' ? message.system : undefined;
  const text = message.text || (transfer ? `Transferred to ${transfer.to.name}` : '');
  return (
    <li
      className={`system-line${transfer ? ' system-line--transfer' : ''}`}
      data-testid="system-message"
      data-seq={message.seq}
    >
      <p className="system-line__body">
        {transfer ? <TransferIcon /> : null}
        <span className="system-line__text" data-testid="system-text">
          {text}
        </span>
        <time dateTime={message.createdAt}>{timeFormat.format(new Date(message.createdAt))}</time>
      </p>
    </li>
  );
}

function TransferIcon() {
  return (
    <svg
      viewBox="0 0 16 16"
      width="13"
      height="13"
      aria-hidden="true"
      focusable="false"
      className="system-line__icon"
    >
      <path
        d="M2.5 5.5h9m0 0L9 3m2.5 2.5L9 8M13.5 10.5h-9m0 0L7 8m-2.5 2.5L7 13"
        fill="none"
        stroke="currentColor"
        strokeWidth="1.3"
        strokeLinecap="round"
        strokeLinejoin="round"
      />
    </svg>
  );
}

const NOTE_LABEL = 'Note — only agents see this';

/** An internal note: set apart from the conversation (agents only), never styled like a reply. */
export function NoteRow({
  note,
  me,
  onOpenLink,
}: {
  note: Note;
  me: User;
  onOpenLink?: (href: string) => void;
}) {
  const author = note.author.id === me.id ? 'You' : note.author.username;
  return (
    <li className="note" data-testid="note" data-note-seq={note.noteSeq}>
      <div className="note__bubble">
        <p className="note__label">
          <NoteIcon />
          <span>
            {NOTE_LABEL}
            <span aria-hidden="true"> · </span>
            <span className="note__author">{author}</span>
          </span>
        </p>
        <p className="note__text" data-testid="note-text">
          <MessageText text={note.text} onOpenLink={onOpenLink} />
        </p>
      </div>
      <div className="message__meta">
        <time dateTime={note.createdAt}>{timeFormat.format(new Date(note.createdAt))}</time>
      </div>
    </li>
  );
}

function PendingNoteRow({
  item,
  connected,
  onRetry,
  onDiscard,
}: {
  item: OutboxItem<Note>;
  connected: boolean;
  onRetry: () => void;
  onDiscard: () => void;
}) {
  const failed = item.status === 'failed';
  return (
    <li
      className={`note note--${failed ? 'failed' : 'pending'}`}
      data-testid="note"
      data-status={failed ? 'failed' : connected ? 'sending' : 'queued'}
    >
      <div className="note__bubble">
        <p className="note__label">
          <NoteIcon />
          <span>{NOTE_LABEL}</span>
        </p>
        <p className="note__text" data-testid="note-text">
          <MessageText text={item.text} />
        </p>
      </div>
      <div className="message__meta">
        {failed ? (
          <>
            <span className="receipt receipt--failed">
              Note not saved{item.error ? ` — ${friendlyError(item.error)}` : ''}
            </span>
            <button type="button" className="link-button" onClick={onRetry}>
              Retry
            </button>
            <button type="button" className="link-button" onClick={onDiscard}>
              Delete
            </button>
          </>
        ) : (
          <span className="receipt receipt--pending">
            <ClockIcon />
            {connected ? 'Saving…' : 'Queued — will save when you’re back online'}
          </span>
        )}
      </div>
    </li>
  );
}

function NoteIcon() {
  return (
    <svg
      viewBox="0 0 16 16"
      width="13"
      height="13"
      aria-hidden="true"
      focusable="false"
      className="note__icon"
    >
      <path
        d="M4 2.5h8a1 1 0 0 1 1 1v6.2L9.7 13.5H4a1 1 0 0 1-1-1v-9a1 1 0 0 1 1-1zM9.5 13.3V10h3.3M5.5 6h5M5.5 8.5h3"
        fill="none"
        stroke="currentColor"
        strokeWidth="1.3"
        strokeLinejoin="round"
      />
    </svg>
  );
}

export type PendingStatus = 'queued' | 'waiting' | 'sending' | 'failed';

const pendingLabel: Record<Exclude<PendingStatus, 'failed'>, string> = {
  queued: 'Queued — will send when you’re back online',
  waiting: 'Waiting to send…',
  sending: 'Sending…',
};

/** A send not stored yet: queued, waiting, sending, or failed with Retry and Delete. */
export function PendingRow({
  item,
  side,
  status,
  onRetry,
  onDiscard,
  onOpenLink,
}: {
  item: OutboxItem;
  side: Side;
  status: PendingStatus;
  onRetry: () => void;
  onDiscard: () => void;
  onOpenLink?: (href: string) => void;
}) {
  return (
    <li
      className={`message message--own ${fromClass(side)} message--${status}`}
      data-testid="message"
      data-status={status}
      data-client-msg-id={item.clientMsgId}
    >
      <div className="message__bubble">
        <span className="visually-hidden">You: </span>
        {item.attachments?.length ? <PendingAttachments attachments={item.attachments} /> : null}
        {item.text ? (
          <p className="message__text" data-testid="message-text">
            <MessageText text={item.text} onOpenLink={onOpenLink} />
          </p>
        ) : null}
      </div>
      <div className="message__meta">
        {status === 'failed' ? (
          <>
            <span className="receipt receipt--failed" data-testid="receipt">
              Not sent{item.error ? ` — ${friendlyError(item.error)}` : ''}
            </span>
            <button type="button" className="link-button" onClick={onRetry}>
              Retry
            </button>
            <button type="button" className="link-button" onClick={onDiscard}>
              Delete
            </button>
          </>
        ) : (
          <span className="receipt receipt--pending" data-testid="receipt">
            <ClockIcon />
            {pendingLabel[status]}
          </span>
        )}
      </div>
    </li>
  );
}

const fromClass = (side: Side) => (side === 'customer' ? 'from-customer' : 'from-agent');

function Ticks({ double }: { double: boolean }) {
  return (
    <svg viewBox="0 0 18 12" width="18" height="12" aria-hidden="true" focusable="false" className="ticks">
      <path
        d="M1 6.5l3.5 3.5L11 2"
        fill="none"
        stroke="currentColor"
        strokeWidth="1.6"
        strokeLinecap="round"
      />
      {double ? (
        <path d="M7.5 9l1 1L16 2" fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" />
      ) : null}
    </svg>
  );
}

function ClockIcon() {
  return (
    <svg viewBox="0 0 16 16" width="12" height="12" aria-hidden="true" focusable="false" className="clock">
      <circle cx="8" cy="8" r="6.5" fill="none" stroke="currentColor" strokeWidth="1.5" />
      <path d="M8 4.5V8l2.5 1.5" fill="none" stroke="currentColor" strokeWidth="1.5" strokeLinecap="round" />
    </svg>
  );
}
