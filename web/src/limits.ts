// Mirrors of protocol limits. Importing values from '@support-chat/protocol' would pull zod (its schemas run at
// module load, so they cannot be tree-shaken) into the page's first load; limits.test.ts keeps these in step.

export const MAX_MESSAGE_CHARS = 4000;

/** Length in Unicode code points, which is what the server counts. */
export const codePointLength = (s: string): number => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};
