// Text rules shared by every schema: NFC, no NUL, no lone surrogates, bidi overrides stripped from names.
// Plain functions, no zod: the chat client checks messages with them in the page's first load.
import { MAX_MESSAGE_CHARS } from './limits';

// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what we refuse
const NUL = /\u0000/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** Bidi embedding, override and isolate controls (LRE..RLO, LRI..PDI) and the marks LRM/RLM/ALM. */
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/g;

export const hasNul = (s: string): boolean => NUL.test(s);
export const hasLoneSurrogate = (s: string): boolean => LONE_SURROGATE.test(s);
export const stripBidiControls = (s: string): string => s.replace(BIDI_CONTROLS, '');
/** Length in Unicode code points, which is what users count as characters. */
export const codePointLength = (s: string): number => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

/** One id format for users, conversations and messages: a MongoDB ObjectId in lowercase hex. */
export const OBJECT_ID = { pattern: /^[a-f0-9]{24}$/, rule: 'must be a 24-character hex id' } as const;

/** Why free text is refused before it is cleaned: longer than `maxRaw` UTF-16 units, NUL, lone surrogates. */
export const rawTextIssues = (s: string, maxRaw: number): string[] => [
  ...(s.length > maxRaw ? [`Too big: expected string to have <=${maxRaw} characters`] : []),
  ...(hasNul(s) ? ['must not contain NUL characters'] : []),
  ...(hasLoneSurrogate(s) ? ['must be valid Unicode (no lone surrogates)'] : []),
];

/** The form free text is stored in. */
export const normalizeText = (s: string): string => s.normalize('NFC').trim();

/** A message text as it is stored, or why it is refused (1..MAX_MESSAGE_CHARS code points once cleaned). */
export function checkMessageText(raw: string): { ok: true; text: string } | { ok: false; issues: string[] } {
  if (typeof raw !== 'string') return { ok: false, issues: ['must be a string'] };
  const issues = rawTextIssues(raw, MAX_MESSAGE_CHARS * 4);
  if (issues.length > 0) return { ok: false, issues };
  const text = normalizeText(raw);
  if (text.length === 0) return { ok: false, issues: ['must not be empty'] };
  if (codePointLength(text) > MAX_MESSAGE_CHARS)
    return { ok: false, issues: [`must be at most ${MAX_MESSAGE_CHARS} characters`] };
  return { ok: true, text };
}
