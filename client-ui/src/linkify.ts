// Splits plain message text into text and https: link parts; nothing here ever produces HTML.

export type TextPart = { kind: 'text'; text: string } | { kind: 'link'; text: string; href: string };

const CANDIDATE = /https:\/\/[^\s<>"'`]+/gi;
/** Punctuation that usually ends a sentence rather than a URL. */
const TRAILING = /[.,;:!?'")\]}>]+$/;

/** Returns the URL only when it parses as https: with a host; everything else stays text. */
export function safeHttpsUrl(raw: string): string | null {
  try {
    const url = new URL(raw);
    if (url.protocol !== 'https:' || !url.hostname || url.username || url.password) return null;
    return url.href;
  } catch {
    return null;
  }
}

export function linkify(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let last = 0;
  for (const match of text.matchAll(CANDIDATE)) {
    let candidate = match[0];
    const trailing = TRAILING.exec(candidate);
    // Keep a closing bracket that belongs to the URL, e.g. https://en.wikipedia.org/wiki/A_(b)
    if (trailing) candidate = candidate.slice(0, candidate.length - trailing[0].length);
    const href = safeHttpsUrl(candidate);
    const start = match.index;
    if (!href) continue;
    if (start > last) parts.push({ kind: 'text', text: text.slice(last, start) });
    parts.push({ kind: 'link', text: candidate, href });
    last = start + candidate.length;
  }
  if (last < text.length) parts.push({ kind: 'text', text: text.slice(last) });
  return parts;
}
