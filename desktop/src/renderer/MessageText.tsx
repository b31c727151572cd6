// Message text as React text nodes only; https links open in the OS browser through main.
import { Fragment } from 'react';
import { desktop } from './desktop-api';

const LINK = /https:\/\/[^\s<>"'`]+[^\s<>"'`.,;:!?)\]]/g;

export function MessageText(props: { text: string }) {
  const parts: Array<{ text: string; link: boolean }> = [];
  let last = 0;
  for (const match of props.text.matchAll(LINK)) {
    if (match.index > last) parts.push({ text: props.text.slice(last, match.index), link: false });
    parts.push({ text: match[0], link: true });
    last = match.index + match[0].length;
  }
  if (last < props.text.length) parts.push({ text: props.text.slice(last), link: false });
  return (
    <>
      {parts.map((part, i) =>
        part.link ? (
          <a
            // biome-ignore lint/suspicious/noArrayIndexKey: parts of one immutable text
            key={i}
            href={part.text}
            rel="noreferrer noopener"
            onClick={(event) => {
              event.preventDefault();
              void desktop.openExternal(part.text);
            }}
          >
            {part.text}
          </a>
        ) : (
          // biome-ignore lint/suspicious/noArrayIndexKey: parts of one immutable text
          <Fragment key={i}>{part.text}</Fragment>
        ),
      )}
    </>
  );
}
