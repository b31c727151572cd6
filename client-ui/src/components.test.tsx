// The components both shells render, rendered to markup: what is a link, rows, receipts, pending sends, badge.
import { MAX_MESSAGE_CHARS } from '@support-chat/protocol/core';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { draftStatus } from './Composer';
import type { ConversationView } from './conversation-store';
import { MessageList, type MessageListProps } from './MessageList';
import { MessageText } from './MessageText';
import { agent, customer, message, pending, summary, transferLine } from './test/factories';
import { UnreadBadge } from './UnreadBadge';

const html = (text: string) => renderToStaticMarkup(<MessageText text={text} />);

describe('MessageText (the web page and the desktop app render messages through it)', () => {
  it('renders a link with credentials and a javascript: URL as text', () => {
    for (const text of [
      'https://user:pw@example.com',
      'see https://user:pw@example.com/login now',
      'javascript:alert(1)',
      '<a href="javascript:alert(1)">x</a>',
    ]) {
      // One text node, no element but its span.
      expect(html(text)).toMatch(/^<span>[^<]*<\/span>$/);
    }
    expect(html('https://user:pw@example.com')).toBe('<span>https://user:pw@example.com</span>');
    expect(html('javascript:alert(1)')).toBe('<span>javascript:alert(1)</span>');
  });

  it('links a plain https URL, opening in a new tab without referrer or opener', () => {
    expect(html('see https://example.com/help.')).toBe(
      '<span>see </span><a href="https://example.com/help" target="_blank" rel="noopener noreferrer">https://example.com/help</a><span>.</span>',
    );
  });

  it('escapes markup', () => {
    expect(html('<img src=x onerror=alert(1)>')).toBe('<span>&lt;img src=x onerror=alert(1)&gt;</span>');
  });
});

const conversation = summary();
const view = (over: Partial<ConversationView> = {}): ConversationView => ({
  entries: [],
  messages: [],
  history: 'ready',
  hasOlder: false,
  loadingOlder: false,
  olderError: false,
  ...over,
});
const withMessages = (
  messages: ReturnType<typeof message>[],
  pendingItems: ReturnType<typeof pending>[] = [],
) =>
  view({
    messages,
    entries: [
      ...messages.map((m) => ({ kind: 'message' as const, key: m.clientMsgId, message: m })),
      ...pendingItems.map((item) => ({ kind: 'pending' as const, key: item.clientMsgId, item })),
    ],
  });
const noop = () => {};
const list = (over: Partial<MessageListProps>) =>
  renderToStaticMarkup(
    <MessageList
      view={undefined}
      me={customer}
      readSeq={0}
      connected
      empty={<p>No messages yet</p>}
      onLoadOlder={noop}
      onRetryHistory={noop}
      onRetrySend={noop}
      onDiscardSend={noop}
      {...over}
    />,
  );
const count = (markup: string, part: string) => markup.split(part).length - 1;

describe('MessageList', () => {
  it('shows loading, empty and failed states', () => {
    expect(list({})).toContain('Loading messages…');
    expect(list({ view: view() })).toContain('No messages yet');
    expect(list({ view: view({ history: 'error' }) })).toContain('Try again');
    expect(list({ view: undefined, failed: true })).toContain('Try again');
  });

  it('groups by day, names the other side once per run, and marks receipts up to the read cursor', () => {
    const day1 = (seq: number, from = customer) =>
      message(conversation.id, seq, from, { createdAt: `2026-01-01T10:0${seq}:00.000Z` });
    const messages = [
      day1(1),
      day1(2, agent),
      day1(3, agent),
      message(conversation.id, 4, customer, { createdAt: '2026-01-02T10:00:00.000Z' }),
    ];
    const markup = list({ view: withMessages(messages), readSeq: 1, start: 'This is the start.' });
    expect(count(markup, 'class="day-separator"')).toBe(2);
    expect(count(markup, 'data-testid="message"')).toBe(4);
    expect(count(markup, 'class="message__sender"')).toBe(1);
    expect(count(markup, 'message message--own from-customer')).toBe(2);
    expect(count(markup, 'message message--theirs from-agent')).toBe(2);
    expect(count(markup, 'receipt receipt--read')).toBe(1);
    expect(count(markup, 'receipt receipt--sent')).toBe(1);
    // The newest own message says its state in words; earlier ones only to screen readers.
    expect(markup).toMatch(/receipt--sent" data-testid="receipt">.*?<span>Sent<\/span>/);
    expect(markup).toContain('This is the start.');
  });

  it('shows an agent their colleagues on their own side, with the customer on the other', () => {
    const colleague = { ...agent, id: 'a00000000000000000000002', username: 'bea' };
    const markup = list({
      me: agent,
      view: withMessages([message(conversation.id, 1, customer), message(conversation.id, 2, colleague)]),
    });
    expect(markup).toContain('message message--theirs from-customer');
    expect(markup).toContain('message message--own from-agent');
    expect(count(markup, 'class="message__sender"')).toBe(2);
  });

  it('shows a transfer as a centred line of the timeline: its text and time, no bubble, name or receipt', () => {
    const messages = [
      message(conversation.id, 1, customer),
      transferLine(conversation.id, 2),
      message(conversation.id, 3, agent),
    ];
    for (const me of [customer, agent]) {
      const markup = list({ me, view: withMessages(messages), readSeq: 3 });
      expect(count(markup, 'data-testid="system-message"')).toBe(1);
      expect(count(markup, 'data-testid="message"')).toBe(2);
      const line = /<li class="system-line system-line--transfer"[\s\S]*?<\/li>/.exec(markup)?.[0] ?? '';
      expect(line).toContain('data-seq="2"');
      expect(line).toContain('>Transferred to Technical Support</span>');
      expect(line).toMatch(/<time dateTime="2026-01-01T10:02:00.000Z">/);
      expect(line).not.toContain('message__bubble');
      expect(line).not.toContain('receipt');
      expect(line).not.toContain('alex');
      expect(line).not.toContain('You');
    }
    // The customer's own message keeps the receipt, and the agent after the line is named again.
    const markup = list({ me: customer, view: withMessages(messages), readSeq: 3 });
    expect(count(markup, 'receipt receipt--read')).toBe(1);
    expect(count(markup, 'class="message__sender"')).toBe(1);
  });

  it('names a transfer from its ends when the server sent no text, as plain text', () => {
    const line = transferLine(conversation.id, 1, { text: '' });
    expect(list({ view: withMessages([line]) })).toContain('>Transferred to Technical Support</span>');
    const markup = list({
      view: withMessages([
        transferLine(conversation.id, 1, { text: '<b>Transferred</b> https://x.example' }),
      ]),
    });
    expect(markup).toContain('&lt;b&gt;Transferred&lt;/b&gt; https://x.example');
    expect(markup).not.toContain('<a ');
  });

  it('shows pending sends as sending, queued when offline, waiting behind a held-back one', () => {
    const held = pending(conversation.id, 'one', {
      error: { code: 'rate_limited', message: 'slow down', retryAfterMs: 2000 },
    });
    const next = pending(conversation.id, 'two');
    expect(list({ view: withMessages([], [next]) })).toContain('data-status="sending"');
    expect(list({ view: withMessages([], [next]), connected: false })).toContain('data-status="queued"');
    const markup = list({ view: withMessages([], [held, next]) });
    expect(count(markup, 'data-status="waiting"')).toBe(2);
    expect(markup).toContain('Waiting to send…');
  });

  it('shows a failed send with its reason, Retry and Delete', () => {
    const failed = pending(conversation.id, 'too long', {
      status: 'failed',
      error: { code: 'payload_too_large', message: 'too large' },
    });
    const markup = list({ view: withMessages([], [failed]) });
    expect(markup).toContain('data-status="failed"');
    expect(markup).toContain('Not sent — That message is too long.');
    expect(markup).toContain('>Retry</button>');
    expect(markup).toContain('>Delete</button>');
  });
});

describe('UnreadBadge', () => {
  it('shows the count, 99+ past 99, nothing at 0', () => {
    expect(renderToStaticMarkup(<UnreadBadge count={0} />)).toBe('');
    expect(renderToStaticMarkup(<UnreadBadge count={2} />)).toBe(
      '<span class="unread" data-testid="unread-badge" aria-hidden="true">2</span>',
    );
    expect(renderToStaticMarkup(<UnreadBadge count={120} label="unread" />)).toBe(
      '<span class="unread" data-testid="unread-badge">99+<span class="visually-hidden"> unread</span></span>',
    );
  });
});

describe('draftStatus', () => {
  it('counts code points, not UTF-16 units, against the protocol limit', () => {
    const emoji = '😀'.repeat(MAX_MESSAGE_CHARS);
    expect(emoji.length).toBe(MAX_MESSAGE_CHARS * 2);
    expect(draftStatus(emoji)).toMatchObject({ length: MAX_MESSAGE_CHARS, tooLong: false, canSend: true });
    expect(draftStatus(`${emoji}😀`)).toMatchObject({ tooLong: true, canSend: false });
    expect(draftStatus('  hi \n')).toEqual({ text: 'hi', length: 2, tooLong: false, canSend: true });
    expect(draftStatus(' \n ').canSend).toBe(false);
  });
});
