import { describe, expect, it } from 'vitest';
import { isSystemPreview, mergeSummary, withMessage } from './summary';
import { agent, customer, message, summary, transferLine } from './test/factories';

describe('mergeSummary', () => {
  const mine = summary({ assigneeId: agent.id, lastSeq: 1, unread: 1, readSeq: { customer: 1, agents: 0 } });

  it('never lets an older summary overwrite a newer one', () => {
    const newer = { ...mine, lastSeq: 5, updatedAt: '2026-01-02T00:00:00.000Z' };
    expect(mergeSummary(newer, { ...mine, lastSeq: 4 }, 'agents')).toBe(newer);
    const update = { ...newer, unread: 0, updatedAt: '2026-01-02T00:00:01.000Z' };
    expect(mergeSummary(newer, update, 'agents')).toEqual(update);
    expect(mergeSummary(newer, { ...mine, lastSeq: 4, status: 'resolved' }, 'agents', true).status).toBe(
      'resolved',
    );
  });

  it('keeps read cursors moving forward, so a raced broadcast does not bring unread back', () => {
    const read = { ...mine, lastSeq: 2, unread: 0, readSeq: { customer: 1, agents: 2 } };
    const stale = {
      ...mine,
      lastSeq: 2,
      unread: 1,
      readSeq: { customer: 1, agents: 1 },
      updatedAt: '2026-01-03T00:00:00.000Z',
    };
    expect(mergeSummary(read, stale, 'agents')).toMatchObject({
      unread: 0,
      readSeq: { customer: 1, agents: 2 },
    });
    const newMessage = { ...stale, lastSeq: 3, unread: 1 };
    expect(mergeSummary(read, newMessage, 'agents')).toMatchObject({ unread: 1, lastSeq: 3 });
  });

  it("counts unread against the reader's own cursor", () => {
    const held = summary({ lastSeq: 3, unread: 2, readSeq: { customer: 1, agents: 3 } });
    expect(mergeSummary(held, { ...held, readSeq: { customer: 3, agents: 3 } }, 'customer').unread).toBe(0);
    expect(mergeSummary(held, { ...held, readSeq: { customer: 3, agents: 3 } }, 'agents').unread).toBe(0);
    expect(mergeSummary(held, { ...held, readSeq: { customer: 2, agents: 3 } }, 'customer').unread).toBe(2);
  });
});

describe('withMessage', () => {
  it('advances the summary; only the other side adds to unread', () => {
    const s = summary({ lastSeq: 1, unread: 0 });
    const fromAgent = message(s.id, 2, agent, { createdAt: '2026-01-05T00:00:00.000Z' });
    expect(withMessage(s, fromAgent, 'customer')).toMatchObject({
      lastSeq: 2,
      unread: 1,
      lastMessage: { seq: 2, text: 'message 2', senderRole: 'agent' },
      updatedAt: '2026-01-05T00:00:00.000Z',
    });
    expect(withMessage(s, fromAgent, 'agents').unread).toBe(0);
    expect(withMessage(s, message(s.id, 2, customer), 'customer').unread).toBe(0);
    expect(withMessage(s, message(s.id, 1, agent), 'customer')).toBe(s);
  });

  it('never counts a system line as unread, and marks its preview as a system one', () => {
    const s = summary({ lastSeq: 1, unread: 0 });
    for (const reader of ['customer', 'agents'] as const) {
      const next = withMessage(s, transferLine(s.id, 2), reader);
      expect(next).toMatchObject({ lastSeq: 2, unread: 0 });
      expect(next.lastMessage?.text).toBe('Transferred to Technical Support');
      expect(isSystemPreview(next.lastMessage)).toBe(true);
    }
    expect(isSystemPreview(withMessage(s, message(s.id, 2, agent), 'customer').lastMessage)).toBe(false);
    expect(isSystemPreview(null)).toBe(false);
  });
});
