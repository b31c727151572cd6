import { describe, expect, it } from 'vitest';
import { friendlyError } from './friendly-error';

describe('friendlyError', () => {
  it('explains a send whose files are gone, and an unknown conversation', () => {
    const files =
      'A file of this message is not available (already sent, expired or not uploaded here); attach it again';
    expect(friendlyError({ code: 'not_found', message: files })).toBe(files);
    expect(friendlyError({ code: 'not_found', message: 'No such conversation' })).toBe(
      'That conversation could not be found.',
    );
  });
});
