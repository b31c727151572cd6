// @vitest-environment happy-dom
// What the user does with the shared components: Enter sends, Delete discards, a link opens through the shell.
import { act, type ReactNode } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Composer } from './Composer';
import { ConversationStore } from './conversation-store';
import { MessageList } from './MessageList';
import { SendNotices } from './SendNotices';
import { customer, FakeClient, pending, summary } from './test/factories';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let root: Root | null = null;
const render = (node: ReactNode): HTMLElement => {
  const container = document.createElement('div');
  document.body.append(container);
  root = createRoot(container);
  act(() => root!.render(node));
  return container;
};

afterEach(() => {
  act(() => root?.unmount());
  document.body.innerHTML = '';
});

const type = (box: HTMLTextAreaElement, value: string) => {
  // React tracks the value it set last; the native setter makes the change visible to its onChange.
  Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value')!.set!.call(box, value);
  act(() => box.dispatchEvent(new Event('input', { bubbles: true })));
};
const press = (box: HTMLTextAreaElement, init: KeyboardEventInit) =>
  act(() => box.dispatchEvent(new KeyboardEvent('keydown', { bubbles: true, cancelable: true, ...init })));

describe('Composer', () => {
  it('sends the trimmed text on Enter, keeps Shift+Enter as a new line, says typing and then stops', () => {
    const onSend = vi.fn();
    const onTyping = vi.fn();
    const page = render(<Composer placeholder="Message…" onSend={onSend} onTyping={onTyping} />);
    const box = page.querySelector('textarea')!;
    type(box, '  hello ');
    expect(onTyping).toHaveBeenLastCalledWith(true);
    press(box, { key: 'Enter', shiftKey: true });
    expect(onSend).not.toHaveBeenCalled();
    press(box, { key: 'Enter' });
    expect(onSend).toHaveBeenCalledWith('hello', []);
    expect(onTyping).toHaveBeenLastCalledWith(false);
    expect(box.value).toBe('');
  });

  it('refuses a message over the limit and says by how much', () => {
    const onSend = vi.fn();
    const page = render(<Composer placeholder="Message…" onSend={onSend} onTyping={() => {}} />);
    const box = page.querySelector('textarea')!;
    type(box, '😀'.repeat(4001));
    press(box, { key: 'Enter' });
    expect(onSend).not.toHaveBeenCalled();
    expect(box.getAttribute('aria-invalid')).toBe('true');
    expect(page.querySelector('.composer__error')?.textContent).toBe(
      '1 characters over the 4000-character limit.',
    );
  });
});

describe('MessageList', () => {
  it('retries or discards a failed send, and opens links through the shell', () => {
    const conversation = summary();
    const failed = pending(conversation.id, 'see https://example.com/help', {
      status: 'failed',
      error: { code: 'unavailable', message: 'down' },
    });
    const onRetrySend = vi.fn();
    const onDiscardSend = vi.fn();
    const onOpenLink = vi.fn();
    const page = render(
      <MessageList
        view={{
          entries: [{ kind: 'pending', key: failed.clientMsgId, item: failed }],
          messages: [],
          history: 'ready',
          hasOlder: false,
          loadingOlder: false,
          olderError: false,
        }}
        me={customer}
        readSeq={0}
        connected
        empty={null}
        onLoadOlder={() => {}}
        onRetryHistory={() => {}}
        onRetrySend={onRetrySend}
        onDiscardSend={onDiscardSend}
        onOpenLink={onOpenLink}
      />,
    );
    const button = (name: string) =>
      [...page.querySelectorAll('button')].find((b) => b.textContent === name)!;
    act(() => button('Retry').click());
    act(() => button('Delete').click());
    expect(onRetrySend).toHaveBeenCalledWith(failed.clientMsgId);
    expect(onDiscardSend).toHaveBeenCalledWith(failed.clientMsgId);
    const link = page.querySelector('a')!;
    const click = new MouseEvent('click', { bubbles: true, cancelable: true });
    act(() => link.dispatchEvent(click));
    expect(onOpenLink).toHaveBeenCalledWith('https://example.com/help');
    expect(click.defaultPrevented).toBe(true);
  });
});

describe('SendNotices', () => {
  it('says why the server refuses to connect, until a connection is made', () => {
    const client = new FakeClient();
    const store = new ConversationStore(client, customer, { isVisible: () => true });
    store.start();
    const page = render(<SendNotices store={store} />);
    act(() => client.emit('refused', 'too_many_connections'));
    expect(page.querySelector('[data-testid="too-many-connections"]')?.textContent).toMatch(
      /too many tabs or windows/,
    );
    act(() => client.emit('refused', null));
    expect(page.querySelector('[data-testid="too-many-connections"]')).toBeNull();
  });

  it("counts a rate limit down and clears it, and shows a refused send or the shell's own notice", () => {
    vi.useFakeTimers();
    try {
      const client = new FakeClient();
      const conversation = summary();
      client.summaries = [conversation];
      const store = new ConversationStore(client, customer, { isVisible: () => true });
      store.start();
      const page = render(<SendNotices store={store} />);
      expect(page.textContent).toBe('');
      act(() =>
        client.emit('outbox', [
          pending(conversation.id, 'x', {
            error: { code: 'rate_limited', message: 'slow', retryAfterMs: 2000 },
          }),
        ]),
      );
      expect(page.querySelector('[data-testid="rate-limited"]')?.textContent).toBe(
        "You're sending messages too fast, wait 2 s.",
      );
      act(() => vi.advanceTimersByTime(2500));
      expect(page.querySelector('[data-testid="rate-limited"]')).toBeNull();
      expect(store.getSnapshot().rateLimitedUntil).toBeNull();

      // A send the client refuses at once (e.g. too long) fails without reaching the outbox.
      client.send = (conversationId, text) => ({
        ...pending(conversationId, text),
        status: 'failed',
        error: { code: 'invalid_input', message: 'too long' },
      });
      act(() => store.send(conversation.id, 'x'.repeat(5000)));
      expect(page.querySelector('[role="alert"]')?.textContent).toBeTruthy();
      act(() => root?.render(<SendNotices store={store} notice="Could not open this conversation." />));
      expect(page.querySelector('[role="alert"]')?.textContent).toBe('Could not open this conversation.');
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('Composer canned reply picker', () => {
  const replies = [
    { id: '1', shortcut: 'refund', title: 'Refund', text: 'Hi {customer.name}, refunded.' },
    { id: '2', shortcut: 'invoice', title: 'Invoice copy', text: 'Sent the invoice.', tag: 'Mine' },
  ];
  it('opens on /, filters, moves with the arrows, inserts the filled text on Enter, closes on Escape', () => {
    const onSend = vi.fn();
    const page = render(
      <Composer
        placeholder="Reply"
        onSend={onSend}
        onTyping={() => {}}
        replies={replies}
        fillReply={(t) => t.replace('{customer.name}', 'Ann')}
      />,
    );
    const box = page.querySelector('textarea')!;
    const options = () => [...page.querySelectorAll('[role="option"]')];
    const selected = () => page.querySelector('[role="option"][aria-selected="true"]')?.textContent;
    type(box, '/');
    expect(options().map((o) => o.textContent)).toEqual([
      expect.stringContaining('/invoice'),
      expect.stringContaining('/refund'),
    ]);
    expect(box.getAttribute('aria-activedescendant')).toBe(options()[0]?.id);
    press(box, { key: 'ArrowDown' });
    expect(selected()).toContain('/refund');
    press(box, { key: 'ArrowDown' });
    expect(selected()).toContain('/invoice');
    press(box, { key: 'ArrowUp' });
    expect(selected()).toContain('/refund');
    type(box, '/inv');
    expect(options()).toHaveLength(1);
    press(box, { key: 'Escape' });
    expect(options()).toHaveLength(0);
    expect(box.value).toBe('/inv');
    // Closed until the box no longer starts with "/".
    type(box, '/in');
    expect(options()).toHaveLength(0);
    type(box, '');
    type(box, '/ref');
    press(box, { key: 'Enter' });
    expect(onSend).not.toHaveBeenCalled();
    expect(box.value).toBe('Hi Ann, refunded.');
    expect(options()).toHaveLength(0);
    press(box, { key: 'Enter' });
    expect(onSend).toHaveBeenCalledWith('Hi Ann, refunded.', []);
  });
});
