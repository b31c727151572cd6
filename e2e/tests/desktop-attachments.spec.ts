// Attachments in the desktop renderer (SPEC §11), in Chromium with the stand-in of the preload API, against the real
// server and database: a customer's photo and PDF arrive (thumbnail opens full size, the PDF downloads, the
// notification says "sent a photo"); the agent attaches by button, paste and drop, sees progress, cancels, is told
// why a file is refused, and sends; the customer gets the files.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import type { Attachment, ConversationSummary, Message } from '@support-chat/protocol';
import { ChatClient } from '@support-chat/protocol/client';
import type { NotifyRequest } from '../../desktop/src/common/ipc';
import { contentSecurityPolicy } from '../../desktop/src/main/window';
import { dropFiles, makePdf, makePng, pasteFiles, throttleUploads } from '../attachment-files';
import { installDesktopStandIn, type StandInRecord, serveRenderer } from '../desktop-standin';
import {
  type AgentAccount,
  createAgent,
  expect,
  type RunningServer,
  startServer,
  test,
  uniqueName,
} from '../fixtures';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const screenshots = path.join(repoRoot, 'e2e/screenshots');

let chat: RunningServer;
let renderer: Awaited<ReturnType<typeof serveRenderer>>;
let agent: AgentAccount;
let page: Page;
let customer: {
  client: ChatClient;
  conversation: ConversationSummary;
  received: Message[];
  token: () => string;
};

const standIn = (p: Page) => p.evaluate(() => (window as unknown as { __desktop: StandInRecord }).__desktop);

/** The customer uploads over HTTP as any client does, then sends the files by id. */
async function customerSendsFiles(files: { name: string; type: string; bytes: Buffer }[], text = '') {
  const attachments: Attachment[] = [];
  for (const f of files) {
    const res = await fetch(`${chat.url}/api/conversations/${customer.conversation.id}/attachments`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${customer.token()}`,
        'x-filename': encodeURIComponent(f.name),
        'content-type': f.type,
      },
      body: new Uint8Array(f.bytes),
    });
    if (res.status !== 201) throw new Error(`upload ${res.status}: ${await res.text()}`);
    attachments.push(((await res.json()) as { attachment: Attachment }).attachment);
  }
  const sent = await customer.client.send(customer.conversation.id, text, attachments).done;
  if (!sent.ok) throw new Error(`send: ${sent.error.message}`);
  return sent.data;
}

test.describe.configure({ mode: 'serial' });

test.beforeAll(async ({ browser }) => {
  test.setTimeout(180_000);
  const build = spawnSync('npm', ['run', 'build:renderer', '-w', 'desktop'], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  if (build.status !== 0) throw new Error(`renderer build failed:\n${build.stdout}\n${build.stderr}`);
  renderer = await serveRenderer(path.join(repoRoot, 'desktop/dist/renderer'), () =>
    contentSecurityPolicy(chat?.url ?? null),
  );
  chat = await startServer({ env: { ALLOWED_ORIGINS: renderer.origin } });
  agent = await createAgent(chat, { departments: ['billing'] });
  const username = uniqueName('cust');
  const client = new ChatClient({ baseUrl: chat.url, extraHeaders: { Origin: chat.url } });
  const registered = await client.register({
    username,
    email: `${username}@example.test`,
    password: 'correct horse battery staple',
  });
  if (!registered.ok) throw new Error(registered.error.message);
  client.connect();
  if (!(await client.whenConnected(15_000))) throw new Error('customer socket did not connect');
  const opened = await client.openConversation('billing');
  if (!opened.ok) throw new Error(opened.error.message);
  const received: Message[] = [];
  client.on('message', (m) => received.push(m));
  client.track(opened.data.id, 0);
  customer = { client, conversation: opened.data, received, token: () => client.accessToken ?? '' };
  const first = await client.send(opened.data.id, 'Hello, my parcel arrived broken').done;
  if (!first.ok) throw new Error(first.error.message);

  page = await browser.newPage();
  await page.addInitScript(installDesktopStandIn, { serverUrl: chat.url, keychain: 'available' as const });
  await page.goto(`${renderer.origin}/index.html`);
  await page.getByLabel('Server').fill(chat.url);
  await page.getByLabel('Username').fill(agent.username);
  await page.getByLabel('Password').fill(agent.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Connected' })).toBeVisible();
});

test.afterAll(async () => {
  await page?.close();
  await customer?.client.logout();
  await chat?.stop();
  await renderer?.close();
});

test("a customer's photo and PDF: notification, thumbnail opens full size, the PDF downloads", async () => {
  // Another conversation is open (none): the photo asks for a notification that says what it is.
  await customerSendsFiles([{ name: 'broken.png', type: 'image/png', bytes: makePng(1200, 900) }]);
  await expect
    .poll(async () =>
      (await standIn(page)).notifications.filter(
        (n: NotifyRequest) => n.conversationId === customer.conversation.id,
      ),
    )
    .toEqual([expect.objectContaining({ text: 'sent a photo' })]);
  const row = page.locator(`[data-conversation-id="${customer.conversation.id}"]`);
  await expect(row).toContainText('sent a photo');
  await row.click();

  const log = page.getByRole('log', { name: 'Messages' });
  const thumb = log.getByTestId('attachment-thumb');
  await expect(thumb).toHaveCount(1);
  await expect
    .poll(() => thumb.locator('img').evaluate((img: HTMLImageElement) => img.naturalWidth))
    .toBe(320);
  await thumb.click();
  const viewer = page.getByRole('dialog', { name: 'broken.png' });
  await expect
    .poll(() => viewer.getByTestId('attachment-full').evaluate((i: HTMLImageElement) => i.naturalWidth))
    .toBe(1200);
  await page.screenshot({ path: path.join(screenshots, 'desktop-attachment-viewer.png') });
  await viewer.getByRole('button', { name: 'Close' }).click();
  await expect(viewer).toHaveCount(0);

  const pdf = makePdf(120_000);
  await customerSendsFiles(
    [{ name: 'invoice 2026-11.pdf', type: 'application/pdf', bytes: pdf }],
    'And the invoice',
  );
  const file = log.getByTestId('attachment-file').filter({ hasText: 'invoice 2026-11.pdf' });
  await expect(file).toContainText('120 kB');
  const download = page.waitForEvent('download');
  await file.getByRole('button', { name: 'Download invoice 2026-11.pdf' }).click();
  expect((await download).suggestedFilename()).toBe('invoice 2026-11.pdf');
  expect((await standIn(page)).cspViolations).toEqual([]);
});

test('the agent attaches by button, paste and drop, sees progress, cancels, is told about refusals, sends', async () => {
  const uploads = page.getByTestId('upload');
  const attach = async (files: { name: string; mimeType: string; buffer: Buffer }[]) => {
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Attach files' }).click();
    await (await chooser).setFiles(files);
  };
  // Progress and cancel on a slow upload.
  await throttleUploads(page, 300 * 1024);
  await attach([{ name: 'big-manual.pdf', mimeType: 'application/pdf', buffer: makePdf(3 * 1024 * 1024) }]);
  const bar = page.getByRole('progressbar', { name: 'Uploading big-manual.pdf' });
  await expect.poll(async () => Number(await bar.getAttribute('value'))).toBeGreaterThan(0);
  await page.screenshot({ path: path.join(screenshots, 'desktop-attachment-progress.png') });
  await page.getByRole('button', { name: 'Cancel big-manual.pdf' }).click();
  await expect(uploads).toHaveCount(0);
  await throttleUploads(page, null);

  // Refused, and why.
  await attach([{ name: 'tool.exe', mimeType: 'application/octet-stream', buffer: Buffer.from('MZ') }]);
  await expect(uploads.getByRole('alert')).toContainText('tool.exe: this type of file cannot be sent');
  await page.getByRole('button', { name: 'Remove tool.exe' }).click();

  // Button, paste and drop.
  await attach([{ name: 'label.png', mimeType: 'image/png', buffer: makePng(600, 400) }]);
  const box = page.getByRole('textbox', { name: 'Message' });
  await pasteFiles(page, box, [
    { name: 'image.png', mimeType: 'image/png', buffer: makePng(300, 200, [20, 160, 90]) },
  ]);
  await dropFiles(page, page.locator('form.composer'), [
    { name: 'return-form.pdf', mimeType: 'application/pdf', buffer: makePdf(8000) },
  ]);
  await expect(uploads).toHaveCount(3);
  for (const name of ['label.png', 'image.png', 'return-form.pdf'])
    await expect(uploads.filter({ hasText: name })).toHaveAttribute('data-status', 'done');
  await page.screenshot({ path: path.join(screenshots, 'desktop-attachment-composer.png') });
  await box.fill('Print this label and the return form, please');
  await box.press('Enter');

  await expect
    .poll(() =>
      customer.received.find((m) => m.text.startsWith('Print this label'))?.attachments?.map((a) => a.name),
    )
    .toEqual(['label.png', 'image.png', 'return-form.pdf']);
  const own = page
    .getByRole('log', { name: 'Messages' })
    .getByTestId('message')
    .filter({ hasText: 'Print this label' });
  await expect(own.getByTestId('attachment-thumb')).toHaveCount(2);
  await expect(own.getByTestId('attachment-file')).toHaveCount(1);
  await page.screenshot({ path: path.join(screenshots, 'desktop-attachment-conversation.png') });
  expect((await standIn(page)).cspViolations).toEqual([]);
});
