import * as protocol from '@support-chat/protocol';
import { expect, it } from 'vitest';
import { codePointLength, MAX_MESSAGE_CHARS } from './limits';

it('matches the protocol limits', () => {
  expect(MAX_MESSAGE_CHARS).toBe(protocol.MAX_MESSAGE_CHARS);
  for (const s of ['', 'abc', '👋🏽 hello', 'e\u0301'])
    expect(codePointLength(s)).toBe(protocol.codePointLength(s));
});
