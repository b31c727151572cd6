import { describe, expect, it } from 'vitest';
import { attachmentsPreview, formatBytes, messagePreview, precheckFile } from './attachments';

const limits = { maxBytes: 10 * 1024 * 1024, types: ['png', 'jpeg', 'gif', 'webp', 'pdf', 'text'] };

describe('attachments', () => {
  it('refuses before upload what is too big, empty or of a kind the server does not take', () => {
    expect(precheckFile({ name: 'a.pdf', size: 11 * 1024 * 1024 }, limits)).toMatch(
      /too big \(12 MB; the limit is 10 MB\)/,
    );
    expect(precheckFile({ name: 'a.pdf', size: 0 }, limits)).toMatch(/empty/);
    expect(precheckFile({ name: 'setup.exe', size: 10 }, limits)).toMatch(/cannot be sent.*PNG/);
    expect(precheckFile({ name: 'page.svg', size: 10, type: 'image/svg+xml' }, limits)).toMatch(/cannot/);
    expect(precheckFile({ name: 'a.pdf', size: 10 }, { ...limits, types: ['png'] })).toMatch(
      /allowed: PNG\)/,
    );
    expect(precheckFile({ name: 'a.pdf', size: 10 }, limits)).toBeNull();
    expect(precheckFile({ name: 'IMG.JPG', size: 10 }, limits)).toBeNull();
    expect(precheckFile({ name: 'notes', size: 10 }, limits)).toBeNull();
    expect(precheckFile({ name: 'image', size: 10, type: 'image/png' }, limits)).toBeNull();
  });

  it('previews files sent without text', () => {
    const png = { name: 'a.png', contentType: 'image/png' };
    const pdf = { name: 'invoice.pdf', contentType: 'application/pdf' };
    expect(attachmentsPreview([png])).toBe('sent a photo');
    expect(attachmentsPreview([png, png, png])).toBe('sent 3 photos');
    expect(attachmentsPreview([pdf])).toBe('sent a file: invoice.pdf');
    expect(attachmentsPreview([png, pdf])).toBe('sent 2 files');
    expect(messagePreview({ text: 'look', attachments: [] })).toBe('look');
    expect(
      messagePreview({ text: '', attachments: [pdf].map((a, i) => ({ ...a, id: String(i), size: 1 })) }),
    ).toBe('sent a file: invoice.pdf');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(2_400_000)).toBe('2.4 MB');
  });
});
