import { linkify } from './linkify';

/**
 * Message text as React text nodes; only parsed https: URLs without credentials become links, opened in a new
 * tab or, when the shell says how (the desktop: the OS browser), through `onOpenLink`.
 */
export function MessageText({ text, onOpenLink }: { text: string; onOpenLink?: (href: string) => void }) {
  return (
    <>
      {linkify(text).map((part, i) =>
        part.kind === 'link' ? (
          <a
            // biome-ignore lint/suspicious/noArrayIndexKey: parts are derived from immutable text, never reordered
            key={i}
            href={part.href}
            target="_blank"
            rel="noopener noreferrer"
            onClick={
              onOpenLink &&
              ((event) => {
                event.preventDefault();
                onOpenLink(part.href);
              })
            }
          >
            {part.text}
          </a>
        ) : (
          // biome-ignore lint/suspicious/noArrayIndexKey: parts are derived from immutable text, never reordered
          <span key={i}>{part.text}</span>
        ),
      )}
    </>
  );
}
