import type { Message, User } from '@support-chat/protocol';
import type { OutboxItem } from '@support-chat/protocol/client';
import { codePointLength, MAX_MESSAGE_CHARS } from '@support-chat/protocol/core';
import {
  type FormEvent,
  type KeyboardEvent,
  type ReactNode,
  useEffect,
  useId,
  useLayoutEffect,
  useRef,
  useState,
} from 'react';
import { type ChatState, type ChatStore, friendlyError } from './chat-store';
import { MessageText } from './MessageText';
import { openDepartment } from './navigation';

type ConnectionView = 'connected' | 'connecting' | 'reconnecting' | 'offline';

/** Stop telling the agent we're typing after this long without a keystroke. */
const TYPING_IDLE_MS = 3000;
/** Scrolled this close to the top, the next older page is fetched. */
const LOAD_OLDER_THRESHOLD_PX = 160;
const AT_BOTTOM_PX = 48;

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'long', month: 'long', day: 'numeric' });

function dayLabel(date: Date): string {
  const today = new Date();
  const yesterday = new Date();
  yesterday.setDate(today.getDate() - 1);
  if (date.toDateString() === today.toDateString()) return 'Today';
  if (date.toDateString() === yesterday.toDateString()) return 'Yesterday';
  return dayFormat.format(date);
}

function useNow(active: boolean): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(timer);
  }, [active]);
  return now;
}

export function ConversationView({
  store,
  state,
  department,
  departmentName,
  agentsOnline,
  connection,
  me,
}: {
  store: ChatStore;
  state: ChatState;
  department: string;
  departmentName: string;
  agentsOnline: number;
  connection: ConnectionView;
  me: User;
}) {
  const conversation = state.conversations[department];
  const opening = state.opening[department];
  const titleId = useId();
  const inputId = useId();
  const counterId = useId();
  const logRef = useRef<HTMLDivElement>(null);
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const [draft, setDraft] = useState('');
  const typingSent = useRef(false);
  const typingTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const atBottom = useRef(true);
  const scrollAnchor = useRef<{ firstSeq: number; height: number; top: number } | null>(null);
  const forceBottom = useRef(true);

  const rateLimited = state.rateLimitedUntil !== null;
  const now = useNow(rateLimited);
  const waitSeconds = state.rateLimitedUntil ? Math.ceil((state.rateLimitedUntil - now) / 1000) : 0;
  useEffect(() => {
    if (state.rateLimitedUntil !== null && waitSeconds <= 0) store.clearRateLimit();
  }, [state.rateLimitedUntil, waitSeconds, store]);

  const messages = conversation?.messages ?? [];
  const entries = conversation?.entries ?? [];
  const history = conversation?.history ?? 'loading';
  const readByAgents = conversation?.summary.readSeq.agents ?? 0;

  // Measure "conversation usable" for the performance report read by the browser tests.
  useEffect(() => {
    if (history === 'ready') performance.mark('conversation:ready');
  }, [history]);

  // Put the cursor in the message box once it is usable, on devices with a keyboard (on phones it would pop
  // the keyboard up over the conversation).
  const usable = !!conversation;
  const focused = useRef(false);
  useEffect(() => {
    if (!usable || focused.current) return;
    focused.current = true;
    if (window.matchMedia('(pointer: fine)').matches) inputRef.current?.focus({ preventScroll: true });
  }, [usable]);

  // Stop the typing indicator when leaving the conversation.
  useEffect(
    () => () => {
      if (typingTimer.current) clearTimeout(typingTimer.current);
      if (typingSent.current) store.setTyping(department, false);
    },
    [store, department],
  );

  // Keep the view pinned to the newest message, and keep the reader's place when older pages are prepended.
  // biome-ignore lint/correctness/useExhaustiveDependencies: re-runs whenever the rendered content changes
  useLayoutEffect(() => {
    const log = logRef.current;
    if (!log) return;
    const anchor = scrollAnchor.current;
    const firstSeq = messages[0]?.seq ?? 0;
    if (anchor && firstSeq < anchor.firstSeq) {
      log.scrollTop = anchor.top + (log.scrollHeight - anchor.height);
      scrollAnchor.current = null;
    } else if (forceBottom.current || atBottom.current) {
      log.scrollTop = log.scrollHeight;
      if (history === 'ready') forceBottom.current = false;
    }
  }, [entries, conversation?.agentTyping, history]);

  const loadOlder = () => {
    const log = logRef.current;
    if (!conversation || !log || !conversation.hasOlder || conversation.loadingOlder) return;
    scrollAnchor.current = { firstSeq: messages[0]?.seq ?? 0, height: log.scrollHeight, top: log.scrollTop };
    void store.loadOlder(department);
  };

  // A first page shorter than the viewport gives nothing to scroll: fetch older pages until it fills.
  // biome-ignore lint/correctness/useExhaustiveDependencies: loadOlder reads the latest state through refs
  useEffect(() => {
    const log = logRef.current;
    if (log && conversation?.hasOlder && !conversation.loadingOlder && log.scrollHeight <= log.clientHeight) {
      loadOlder();
    }
  }, [conversation?.hasOlder, conversation?.loadingOlder, messages.length]);

  const onScroll = () => {
    const log = logRef.current;
    if (!log) return;
    atBottom.current = log.scrollHeight - log.scrollTop - log.clientHeight < AT_BOTTOM_PX;
    if (log.scrollTop < LOAD_OLDER_THRESHOLD_PX) loadOlder();
  };

  const stopTyping = () => {
    if (typingTimer.current) clearTimeout(typingTimer.current);
    typingTimer.current = null;
    if (typingSent.current) {
      typingSent.current = false;
      store.setTyping(department, false);
    }
  };

  const onDraftChange = (value: string) => {
    setDraft(value);
    if (!value.trim()) {
      stopTyping();
      return;
    }
    // Every keystroke says "typing" (the client throttles it), so the agent's indicator stays up while we type.
    typingSent.current = true;
    store.setTyping(department, true);
    if (typingTimer.current) clearTimeout(typingTimer.current);
    typingTimer.current = setTimeout(stopTyping, TYPING_IDLE_MS);
  };

  const length = codePointLength(draft.trim());
  const tooLong = length > MAX_MESSAGE_CHARS;
  // While rate limited, new messages still queue: the client sends them, in order, once the wait is over.
  const canSend = !!conversation && length > 0 && !tooLong;

  const send = () => {
    if (!canSend) return;
    store.send(department, draft.trim());
    setDraft('');
    stopTyping();
    forceBottom.current = true;
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    send();
    inputRef.current?.focus();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    // Enter sends, Shift+Enter is a new line; Enter that confirms an IME composition is left alone.
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      send();
    }
  };

  const ownSeqs = messages.filter((m) => m.sender.id === me.id).map((m) => m.seq);
  const lastOwnSeq = ownSeqs.at(-1) ?? 0;

  let lastDay = '';
  let lastSender = '';
  const items: ReactNode[] = [];
  // Sends go out one at a time per conversation: behind a held-back message, the next ones wait too.
  let held = false;
  for (const entry of entries) {
    if (entry.kind === 'pending') {
      held ||= entry.item.status === 'pending' && entry.item.error?.code === 'rate_limited';
      items.push(
        <OutboxMessage
          key={entry.key}
          item={entry.item}
          held={held}
          connected={connection === 'connected'}
          onRetry={() => store.retry(entry.item.clientMsgId)}
          onDiscard={() => store.discard(entry.item.clientMsgId)}
        />,
      );
      lastSender = me.id;
      continue;
    }
    const m = entry.message;
    const created = new Date(m.createdAt);
    const day = created.toDateString();
    if (day !== lastDay) {
      items.push(
        <li key={`day-${day}`} className="day-separator">
          <span>{dayLabel(created)}</span>
        </li>,
      );
      lastDay = day;
      lastSender = '';
    }
    const own = m.sender.id === me.id;
    const showName = !own && lastSender !== m.sender.id;
    lastSender = m.sender.id;
    items.push(
      <MessageItem
        key={entry.key}
        message={m}
        own={own}
        showName={showName}
        receipt={own ? (m.seq <= readByAgents ? 'read' : 'sent') : null}
        showReceipt={own && m.seq === lastOwnSeq}
      />,
    );
  }

  const typing = conversation?.agentTyping ?? null;
  const empty = history === 'ready' && entries.length === 0;

  return (
    <section className="conversation" aria-labelledby={titleId}>
      <header className="conversation__header">
        <button
          type="button"
          className="icon-button conversation__back"
          onClick={() => openDepartment(null)}
          aria-label="Back to departments"
        >
          <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false">
            <path
              d="M15 5l-7 7 7 7"
              fill="none"
              stroke="currentColor"
              strokeWidth="2"
              strokeLinecap="round"
              strokeLinejoin="round"
            />
          </svg>
        </button>
        <span className="department__avatar department__avatar--large" aria-hidden="true">
          {departmentName.slice(0, 1).toUpperCase()}
        </span>
        <div className="conversation__heading">
          <h1 id={titleId} className="conversation__title">
            {departmentName}
          </h1>
          <p className="conversation__subtitle">
            <span className={`presence${agentsOnline > 0 ? ' presence--online' : ''}`}>
              {agentsOnline === 0
                ? 'No agents online — we’ll reply soon'
                : agentsOnline === 1
                  ? '1 agent online'
                  : `${agentsOnline} agents online`}
            </span>
          </p>
        </div>
      </header>

      {connection === 'reconnecting' || connection === 'offline' ? (
        <p className="banner banner--warning">
          {connection === 'offline' ? 'You’re offline.' : 'Connection lost, reconnecting…'} Messages you write
          now are queued and sent when the connection is back.
        </p>
      ) : null}
      {rateLimited && waitSeconds > 0 ? (
        <p className="banner banner--error" role="status" data-testid="rate-limited">
          You're sending messages too fast, wait {waitSeconds} s.
        </p>
      ) : null}
      {state.notice ? (
        <p className="banner banner--error" role="alert">
          {state.notice}
        </p>
      ) : null}

      <div
        ref={logRef}
        className="messages"
        role="log"
        aria-label="Messages"
        // Focusable so keyboard users can scroll the history.
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
        tabIndex={0}
        onScroll={onScroll}
      >
        {conversation?.hasOlder ? (
          <div className="messages__older">
            <button
              type="button"
              className="button button--ghost button--small"
              onClick={loadOlder}
              disabled={conversation.loadingOlder}
            >
              {conversation.loadingOlder ? 'Loading earlier messages…' : 'Load earlier messages'}
            </button>
          </div>
        ) : history === 'ready' && messages.length > 0 && messages[0]?.seq === 1 ? (
          <p className="messages__start">This is the start of your conversation with {departmentName}.</p>
        ) : null}
        {conversation?.olderError ? (
          <p className="messages__status" role="alert">
            Couldn't load earlier messages.
          </p>
        ) : null}

        {opening === 'error' || history === 'error' ? (
          <div className="messages__status">
            <p role="alert">
              {connection === 'connected'
                ? 'We couldn’t load this conversation.'
                : 'We can’t reach the support server right now.'}
            </p>
            <button
              type="button"
              className="button button--primary button--small"
              onClick={() => store.retryHistory(department)}
            >
              Try again
            </button>
          </div>
        ) : history === 'loading' && messages.length === 0 ? (
          <p className="messages__status loading" role="status">
            <span className="spinner" aria-hidden="true" />
            Loading messages…
          </p>
        ) : empty ? (
          <div className="empty">
            <p className="empty__title">No messages yet</p>
            <p>
              {agentsOnline > 0
                ? `Say hello — ${departmentName} usually replies within a few minutes.`
                : `Leave a message and ${departmentName} will reply as soon as someone is available.`}
            </p>
          </div>
        ) : null}

        <ul className="messages__list">{items}</ul>
      </div>

      <p className="typing" aria-live="polite" data-testid="typing-indicator">
        {typing ? (
          <>
            <span className="typing__dots" aria-hidden="true">
              <span />
              <span />
              <span />
            </span>
            {typing} is typing…
          </>
        ) : null}
      </p>

      <form className="composer" onSubmit={onSubmit}>
        <label htmlFor={inputId} className="visually-hidden">
          Message
        </label>
        <textarea
          ref={inputRef}
          id={inputId}
          className="composer__input"
          name="message"
          rows={1}
          placeholder={`Message ${departmentName}…`}
          value={draft}
          onChange={(e) => onDraftChange(e.target.value)}
          onKeyDown={onKeyDown}
          onBlur={stopTyping}
          aria-describedby={tooLong ? counterId : undefined}
          aria-invalid={tooLong ? true : undefined}
          disabled={!conversation}
          enterKeyHint="send"
        />
        <button type="submit" className="button button--primary composer__send" disabled={!canSend}>
          <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">
            <path d="M3.4 20.4l17.45-7.48a1 1 0 0 0 0-1.84L3.4 3.6a.993.993 0 0 0-1.39.91L2 9.12c0 .5.37.93.87.99L17 12 2.87 13.88c-.5.07-.87.5-.87 1l.01 4.61c0 .71.73 1.2 1.39.91z" />
          </svg>
          <span>Send</span>
        </button>
        {tooLong ? (
          <p id={counterId} className="composer__error">
            {length - MAX_MESSAGE_CHARS} characters over the {MAX_MESSAGE_CHARS}-character limit.
          </p>
        ) : null}
      </form>
    </section>
  );
}

function MessageItem({
  message,
  own,
  showName,
  receipt,
  showReceipt,
}: {
  message: Message;
  own: boolean;
  showName: boolean;
  receipt: 'sent' | 'read' | null;
  showReceipt: boolean;
}) {
  const created = new Date(message.createdAt);
  return (
    <li
      className={`message ${own ? 'message--own' : 'message--theirs'}`}
      data-seq={message.seq}
      data-testid="message"
    >
      {showName ? (
        <span className="message__sender" aria-hidden="true">
          {message.sender.username}
        </span>
      ) : null}
      <div className="message__bubble">
        <span className="visually-hidden">{own ? 'You' : message.sender.username}: </span>
        <p className="message__text" data-testid="message-text">
          <MessageText text={message.text} />
        </p>
      </div>
      <div className="message__meta">
        <time dateTime={message.createdAt}>{timeFormat.format(created)}</time>
        {receipt ? (
          <span
            className={`receipt receipt--${receipt}${showReceipt ? '' : ' receipt--quiet'}`}
            data-testid="receipt"
          >
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

function OutboxMessage({
  item,
  held,
  connected,
  onRetry,
  onDiscard,
}: {
  item: OutboxItem;
  held: boolean;
  connected: boolean;
  onRetry: () => void;
  onDiscard: () => void;
}) {
  const failed = item.status === 'failed';
  const status = failed ? 'failed' : !connected ? 'queued' : held ? 'waiting' : 'sending';
  const label = {
    failed: '',
    queued: 'Queued — will send when you’re back online',
    waiting: 'Waiting to send…',
    sending: 'Sending…',
  }[status];
  return (
    <li
      className={`message message--own message--${status}`}
      data-testid="message"
      data-status={status}
      data-client-msg-id={item.clientMsgId}
    >
      <div className="message__bubble">
        <span className="visually-hidden">You: </span>
        <p className="message__text" data-testid="message-text">
          <MessageText text={item.text} />
        </p>
      </div>
      <div className="message__meta">
        {failed ? (
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
            {label}
          </span>
        )}
      </div>
    </li>
  );
}

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
