/** "<name> is typing…" under the messages; the line keeps its height when empty so nothing jumps. */
export function TypingIndicator({ name }: { name: string | null | undefined }) {
  return (
    <p className="typing" aria-live="polite" data-testid="typing-indicator">
      {name ? (
        <>
          <span className="typing__dots" aria-hidden="true">
            <span />
            <span />
            <span />
          </span>
          {name} is typing…
        </>
      ) : null}
    </p>
  );
}
