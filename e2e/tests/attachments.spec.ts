// Attachments on the customer page (SPEC §11): by button, paste and drop; progress and cancel; thumbnails that
// open full size; file rows that download; refusals explained before and after upload. Real server and database.
import { Buffer } from 'node:buffer';
import { dropFiles, makePdf, makePng, pasteFiles, throttleUploads } from '../attachment-files';
import {
  connectAgent,
  conversationOf,
  expect,
  openDepartment,
  recordMessages,
  registerCustomer,
  screenshot,
  test,
} from '../fixtures';

test.describe('attachments on the customer page', () => {
  test('attach by button, paste and drop; thumbnails open full size; files download', async ({
    page,
    server,
  }) => {
    const violations: string[] = [];
    page.on('console', (msg) => {
      if (/Content Security Policy/i.test(msg.text())) violations.push(msg.text());
    });
    const agent = await connectAgent(server, { departments: ['billing'] });
    const inbox = recordMessages(agent.client);
    try {
      const { username } = await registerCustomer(page, server);
      await openDepartment(page, 'Billing Support');
      const composer = page.locator('form.composer');
      const box = page.getByRole('textbox', { name: 'Message' });

      // By button: the file chooser, two files at once.
      const chooser = page.waitForEvent('filechooser');
      await page.getByRole('button', { name: 'Attach files' }).click();
      await (await chooser).setFiles([
        { name: 'parcel.png', mimeType: 'image/png', buffer: makePng(900, 600) },
        { name: 'invoice.pdf', mimeType: 'application/pdf', buffer: makePdf(40_000) },
      ]);
      // By paste: a screenshot from the clipboard.
      await pasteFiles(page, box, [
        { name: 'image.png', mimeType: 'image/png', buffer: makePng(400, 300, [200, 60, 60]) },
      ]);
      // By drop.
      await dropFiles(page, composer, [
        { name: 'receipt.pdf', mimeType: 'application/pdf', buffer: makePdf(5_000) },
      ]);

      const uploads = page.getByRole('list', { name: 'Files to send' }).getByTestId('upload');
      await expect(uploads).toHaveCount(4);
      await expect(uploads.filter({ hasText: 'parcel.png' })).toHaveAttribute('data-status', 'done');
      for (const name of ['invoice.pdf', 'image.png', 'receipt.pdf'])
        await expect(uploads.filter({ hasText: name })).toHaveAttribute('data-status', 'done');
      await screenshot(page, 'attachments-composer');

      await box.fill('Here is the damaged parcel and the invoice');
      await box.press('Enter');
      await expect(uploads).toHaveCount(0);
      const log = page.getByRole('log', { name: 'Messages' });
      const message = log.getByTestId('message').filter({ hasText: 'damaged parcel' });
      await expect(message.getByTestId('receipt')).toHaveText(/Sent/);
      const thumbs = message.getByTestId('attachment-thumb');
      await expect(thumbs).toHaveCount(2);
      await expect(message.getByTestId('attachment-file')).toHaveCount(2);
      await expect(message.getByTestId('attachment-file').first()).toContainText('invoice.pdf');
      // Thumbnails are fetched with the token into blob: URLs (no token in any URL).
      const src = await thumbs.first().locator('img').getAttribute('src');
      expect(src).toMatch(/^blob:/);
      await expect
        .poll(() =>
          thumbs
            .first()
            .locator('img')
            .evaluate((img: HTMLImageElement) => img.naturalWidth),
        )
        .toBeGreaterThan(0);

      // The agent got one message with the four files, in order.
      await expect.poll(() => inbox.length).toBe(1);
      expect(inbox[0]?.attachments?.map((a) => a.name)).toEqual([
        'parcel.png',
        'invoice.pdf',
        'image.png',
        'receipt.pdf',
      ]);
      expect(inbox[0]?.attachments?.[0]).toMatchObject({ contentType: 'image/png', width: 900, height: 600 });
      await conversationOf(agent, username, 'billing');

      // A thumbnail opens the full image in a dialog.
      await thumbs.first().click();
      const viewer = page.getByRole('dialog', { name: 'parcel.png' });
      await expect(viewer).toBeVisible();
      const full = viewer.getByTestId('attachment-full');
      await expect.poll(() => full.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(900);
      await screenshot(page, 'attachments-viewer');
      await page.keyboard.press('Escape');
      await expect(viewer).toHaveCount(0);

      // A file row downloads the file, byte for byte.
      const download = page.waitForEvent('download');
      await message.getByRole('button', { name: 'Download invoice.pdf' }).click();
      const saved = await download;
      expect(saved.suggestedFilename()).toBe('invoice.pdf');
      const stream = await saved.createReadStream();
      const parts: Buffer[] = [];
      for await (const p of stream) parts.push(p as Buffer);
      expect(Buffer.concat(parts).equals(makePdf(40_000))).toBe(true);

      await screenshot(page, 'attachments-message');
      await page.setViewportSize({ width: 360, height: 740 });
      await screenshot(page, 'attachments-message-360');
      expect(violations).toEqual([]);
    } finally {
      await agent.close();
    }
  });

  test('progress and cancel; refusals explained before and after upload', async ({ page, server }) => {
    await registerCustomer(page, server);
    await openDepartment(page, 'Billing Support');
    const uploads = page.getByTestId('upload');
    const attach = async (files: { name: string; mimeType: string; buffer: Buffer }[]) => {
      const chooser = page.waitForEvent('filechooser');
      await page.getByRole('button', { name: 'Attach files' }).click();
      await (await chooser).setFiles(files);
    };

    // Refused before upload: too big, a kind that is not taken.
    await attach([
      { name: 'huge.pdf', mimeType: 'application/pdf', buffer: Buffer.alloc(11 * 1024 * 1024, 0x25) },
      { name: 'setup.exe', mimeType: 'application/octet-stream', buffer: Buffer.from('MZ....') },
    ]);
    await expect(uploads.filter({ hasText: 'huge.pdf' }).getByRole('alert')).toHaveText(
      'huge.pdf is too big (12 MB; the limit is 10 MB).',
    );
    await expect(uploads.filter({ hasText: 'setup.exe' }).getByRole('alert')).toContainText(
      'this type of file cannot be sent',
    );
    // Refused after upload: the server reads the content (text with NUL is not plain text).
    await attach([{ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('abc\u0000def') }]);
    await expect(uploads.filter({ hasText: 'notes.txt' }).getByRole('alert')).toHaveText(
      'notes.txt: This file is neither plain text nor a kind of file that can be sent here (allowed: PNG, JPEG, GIF, WEBP, PDF or plain text)',
    );
    await expect(page.getByRole('button', { name: 'Send' })).toBeDisabled();
    await screenshot(page, 'attachments-refused');
    for (const name of ['huge.pdf', 'setup.exe', 'notes.txt'])
      await page.getByRole('button', { name: `Remove ${name}` }).click();
    await expect(uploads).toHaveCount(0);

    // Progress: a slow upload shows its bar moving; Cancel stops it and leaves nothing to send.
    await throttleUploads(page, 400 * 1024);
    await attach([{ name: 'scan.pdf', mimeType: 'application/pdf', buffer: makePdf(4 * 1024 * 1024) }]);
    const bar = page.getByRole('progressbar', { name: 'Uploading scan.pdf' });
    await expect(bar).toBeVisible();
    await expect.poll(async () => Number(await bar.getAttribute('value'))).toBeGreaterThan(0);
    expect(Number(await bar.getAttribute('value'))).toBeLessThan(100);
    await screenshot(page, 'attachments-progress');
    await page.getByRole('button', { name: 'Cancel scan.pdf' }).click();
    await expect(uploads).toHaveCount(0);
    await expect(page.getByRole('button', { name: 'Send' })).toBeDisabled();
    await throttleUploads(page, null);

    // After all that, a normal photo still goes through, and the conversation list previews it.
    await attach([{ name: 'ok.png', mimeType: 'image/png', buffer: makePng(50, 50) }]);
    await expect(uploads.filter({ hasText: 'ok.png' })).toHaveAttribute('data-status', 'done');
    await page.getByRole('button', { name: 'Send' }).click();
    await expect(page.getByRole('log', { name: 'Messages' }).getByTestId('attachment-thumb')).toHaveCount(1);
  });
});
