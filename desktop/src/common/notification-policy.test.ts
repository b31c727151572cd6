import { describe, expect, it } from 'vitest';
import {
  escapeNotificationMarkup,
  notificationContent,
  notificationTitle,
  shouldNotify,
  toNotificationText,
} from './notification-policy';

const A = 'aaaaaaaaaaaaaaaaaaaaaaaa';
const B = 'bbbbbbbbbbbbbbbbbbbbbbbb';

describe('notification policy', () => {
  it('notifies for a customer message when the window is not focused, whatever is open', () => {
    expect(
      shouldNotify(
        { conversationId: A, senderRole: 'customer' },
        { windowFocused: false, openConversationId: A },
      ),
    ).toBe(true);
    expect(
      shouldNotify(
        { conversationId: A, senderRole: 'customer' },
        { windowFocused: false, openConversationId: null },
      ),
    ).toBe(true);
  });

  it('notifies when focused but another conversation (or none) is open', () => {
    expect(
      shouldNotify(
        { conversationId: A, senderRole: 'customer' },
        { windowFocused: true, openConversationId: B },
      ),
    ).toBe(true);
    expect(
      shouldNotify(
        { conversationId: A, senderRole: 'customer' },
        { windowFocused: true, openConversationId: null },
      ),
    ).toBe(true);
  });

  it('does not notify when that conversation is open and the window focused', () => {
    expect(
      shouldNotify(
        { conversationId: A, senderRole: 'customer' },
        { windowFocused: true, openConversationId: A },
      ),
    ).toBe(false);
  });

  it("never notifies for agents' messages, the agent's own included", () => {
    for (const senderRole of ['agent', 'owner'] as const) {
      expect(
        shouldNotify({ conversationId: A, senderRole }, { windowFocused: false, openConversationId: B }),
      ).toBe(false);
    }
  });

  it('truncates the body to 120 characters with an ellipsis, counting code points', () => {
    const long = '😀'.repeat(200);
    const body = toNotificationText(long);
    expect(Array.from(body)).toHaveLength(120);
    expect(body.endsWith('…')).toBe(true);
    expect(toNotificationText('short text')).toBe('short text');
    expect(toNotificationText('x'.repeat(120))).toBe('x'.repeat(120));
  });

  it('keeps the body plain text on one line, without control or bidi characters', () => {
    expect(toNotificationText('<b>hi</b>\n\nthere\u202Egnp.exe\u0007')).toBe('<b>hi</b> theregnp.exe');
  });

  it('titles with customer and department', () => {
    expect(notificationTitle('alice', 'Billing Support')).toBe('alice — Billing Support');
  });

  it('escapes libnotify markup on Linux only, after truncating to the visible length', () => {
    expect(escapeNotificationMarkup('<a href="x">&amp;</a>')).toBe('&lt;a href="x"&gt;&amp;amp;&lt;/a&gt;');
    const message = { customerName: 'a&b', departmentName: '<i>D</i>', text: `${'&'.repeat(130)}` };
    const linux = notificationContent(message, 'linux');
    // 119 ampersands and the ellipsis were kept, each ampersand then escaped whole.
    expect(linux.body).toBe(`${'&amp;'.repeat(119)}…`);
    expect(linux.title).toBe('a\uFF06b — \u2039i\u203AD\u2039/i\u203A');
    expect(notificationContent(message, 'darwin')).toEqual({
      title: 'a&b — <i>D</i>',
      body: `${'&'.repeat(119)}…`,
    });
  });
});
