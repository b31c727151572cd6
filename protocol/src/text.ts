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
/** Characters that render as nothing (U+3164 HANGUL FILLER, zero-width joiners, variation selectors...). */
export const hasInvisible = (s: string): boolean => /\p{Default_Ignorable_Code_Point}/u.test(s);

const SCRIPTS = [
  'Latin',
  'Greek',
  'Cyrillic',
  'Armenian',
  'Hebrew',
  'Arabic',
  'Syriac',
  'Thaana',
  'Devanagari',
  'Bengali',
  'Gurmukhi',
  'Gujarati',
  'Oriya',
  'Tamil',
  'Telugu',
  'Kannada',
  'Malayalam',
  'Sinhala',
  'Thai',
  'Lao',
  'Tibetan',
  'Myanmar',
  'Georgian',
  'Hangul',
  'Ethiopic',
  'Cherokee',
  'Khmer',
  'Mongolian',
  'Hiragana',
  'Katakana',
  'Bopomofo',
  'Han',
].map((name) => [name, new RegExp(`\\p{Script=${name}}`, 'u')] as const);
/** Scripts one name may mix (UTS #39 "highly restrictive"): Latin with Japanese, Chinese or Korean. */
const MIXES = [
  ['Latin', 'Han', 'Hiragana', 'Katakana'],
  ['Latin', 'Han', 'Bopomofo'],
  ['Latin', 'Han', 'Hangul'],
];

/** True when a name's letters (after NFKC) come from scripts that do not belong together, e.g. Latin and Cyrillic. */
export function mixesScripts(s: string): boolean {
  const found = new Set<string>();
  for (const ch of s.normalize('NFKC')) {
    const script = SCRIPTS.find(([, re]) => re.test(ch))?.[0];
    // Digits and punctuation are Common; a letter of a script not listed counts as one more script.
    if (script) found.add(script);
    else if (/\p{L}/u.test(ch)) found.add('other');
  }
  return found.size > 1 && !MIXES.some((mix) => [...found].every((x) => mix.includes(x)));
}
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
