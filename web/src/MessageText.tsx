import { linkify } from './linkify';

/** Message text as React text nodes; only parsed https: URLs become links, which open in a new tab. */
export function MessageText({ text }: { text: string }) {
  return (
    <>
      {linkify(text).map((part, i) =>
        part.kind === 'link' ? (
          // biome-ignore lint/suspicious/noArrayIndexKey: parts are derived from immutable text, never reordered
          <a key={i} href={part.href} target="_blank" rel="noopener noreferrer">
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
