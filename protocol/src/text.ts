// Text rules shared by every schema: NFC, no NUL, no lone surrogates, bidi overrides stripped from names.

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
