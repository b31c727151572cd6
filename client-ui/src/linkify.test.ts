import { describe, expect, it } from 'vitest';
import { linkify, safeHttpsUrl } from './linkify';

describe('linkify', () => {
  it('turns https URLs into links and keeps the rest as text', () => {
    expect(linkify('see https://example.com/a?b=1, thanks')).toEqual([
      { kind: 'text', text: 'see ' },
      { kind: 'link', text: 'https://example.com/a?b=1', href: 'https://example.com/a?b=1' },
      { kind: 'text', text: ', thanks' },
    ]);
  });

  it('leaves javascript:, http:, data: and markup as text', () => {
    for (const text of [
      'javascript:alert(1)',
      '[x](javascript:alert(1))',
      'http://example.com',
      'data:text/html,<script>alert(1)</script>',
      '<img src=x onerror=alert(1)>',
      '<a href="javascript:alert(1)">https</a>',
    ]) {
      expect(linkify(text)).toEqual([{ kind: 'text', text }]);
    }
  });

  it('does not swallow sentence punctuation or quotes', () => {
    const parts = linkify('Go to https://example.com/help. Or "https://example.org"!');
    expect(parts.filter((p) => p.kind === 'link').map((p) => p.text)).toEqual([
      'https://example.com/help',
      'https://example.org',
    ]);
  });

  it('refuses URLs with credentials or without a host', () => {
    expect(safeHttpsUrl('https://user:pw@example.com')).toBeNull();
    expect(safeHttpsUrl('https://')).toBeNull();
    expect(linkify('https://')).toEqual([{ kind: 'text', text: 'https://' }]);
  });

  it('keeps an empty string empty', () => {
    expect(linkify('')).toEqual([]);
  });
});
