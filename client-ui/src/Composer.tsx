// The message box: Enter sends, Shift+Enter is a new line; length in code points against the protocol's limit;
// "typing" while keys are pressed, stopped after a pause, on blur, on send and when the box goes away.
import { codePointLength, MAX_MESSAGE_CHARS } from '@support-chat/protocol/core';
import { type FormEvent, type KeyboardEvent, useEffect, useId, useRef, useState } from 'react';

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

/** One composer per conversation: shells key it by conversation, so each starts with an empty box. */
export function Composer({
  onSend,
  onTyping,
  disabled = false,
  placeholder,
}: {
  onSend: (text: string) => void;
  onTyping: (isTyping: boolean) => void;
  disabled?: boolean;
  placeholder: string;
}) {
  const inputId = useId();
  const errorId = useId();
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const [draft, setDraft] = useState('');
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

  const { text, length, tooLong, canSend } = draftStatus(draft);
  const send = () => {
    if (disabled || !canSend) return;
    onSend(text);
    setDraft('');
    stopTyping();
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

  return (
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
        placeholder={placeholder}
        value={draft}
        onChange={(e) => onChange(e.target.value)}
        onKeyDown={onKeyDown}
        onBlur={stopTyping}
        aria-describedby={tooLong ? errorId : undefined}
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
        <span>Send</span>
      </button>
      {tooLong ? (
        <p id={errorId} className="composer__error">
          {length - MAX_MESSAGE_CHARS} characters over the {MAX_MESSAGE_CHARS}-character limit.
        </p>
      ) : null}
    </form>
  );
}
