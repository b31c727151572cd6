// Agent tools in the desktop renderer (SPEC §12), in Chromium against the real server: internal notes in the
// conversation pane (a colleague sees them live, the customer never), the `/` canned reply picker (keyboard first,
// placeholders filled), personal replies, and the customer's rating on the conversation.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import type { ConversationSummary, Message, Note } from '@support-chat/protocol';
import { ChatClient } from '@support-chat/protocol/client';
import { contentSecurityPolicy } from '../../desktop/src/main/window';
import { installDesktopStandIn, serveRenderer } from '../desktop-standin';
import {
  type AgentAccount,
  type ConnectedAgent,
  connectAgent,
  createAgent,
  expect,
  type RunningServer,
  runAdmin,
  startServer,
  test,
  uniqueName,
} from '../fixtures';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const screenshots = path.join(repoRoot, 'e2e/screenshots');

let chat: RunningServer;
let renderer: Awaited<ReturnType<typeof serveRenderer>>;
let page: Page;
let agent: AgentAccount;
let colleague: ConnectedAgent;
let customer: { username: string; client: ChatClient; conversation: ConversationSummary; events: string[] };
let customerMessages: Message[];

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
  chat = await startChat();
  agent = await createAgent(chat, { departments: ['billing'] });
  colleague = await connectAgent(chat, { departments: ['billing'] });
  await runAdmin(
    chat,
    [
      'create-canned-reply',
      '--department',
      'billing',
      '--shortcut',
      'refund',
      '--title',
      'Refund on its way',
      '--text-stdin',
    ],
    'Hi {customer.name}, your refund is on its way. — {agent.name}\n',
  );
  await runAdmin(
    chat,
    [
      'create-canned-reply',
      '--department',
      'billing',
      '--shortcut',
      'invoice',
      '--title',
      'Invoice copy',
      '--text-stdin',
    ],
    'I have sent a copy of the invoice to your email.\n',
  );
  customer = await newCustomer();
  page = await browser.newPage();
  await page.addInitScript(installDesktopStandIn, { serverUrl: chat.url, keychain: 'available' as const });
  await page.goto(`${renderer.origin}/index.html`);
  await logInAndOpen();
});

/** Logs the agent in (the stand-in keeps no login across reloads) and opens the customer's conversation. */
async function logInAndOpen() {
  await page.getByLabel('Server').fill(chat.url);
  await page.getByLabel('Username').fill(agent.username);
  await page.getByLabel('Password').fill(agent.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Connected' })).toBeVisible();
  await page.locator(`[data-conversation-id="${customer.conversation.id}"]`).click();
  await expect(page.getByRole('log', { name: 'Messages' })).toContainText('my card was charged twice');
}

test.afterAll(async () => {
  await page?.close();
  await customer?.client.logout();
  await colleague?.close();
  await chat?.stop();
  await renderer?.close();
});

async function startChat() {
  return startServer({ env: { ALLOWED_ORIGINS: renderer.origin } });
}

async function newCustomer() {
  const username = uniqueName('cust');
  const client = new ChatClient({ baseUrl: chat.url, extraHeaders: { Origin: chat.url } });
  const registered = await client.register({
    username,
    email: `${username}@example.test`,
    password: 'correct horse battery staple',
  });
  if (!registered.ok) throw new Error(`register: ${registered.error.message}`);
  client.connect();
  if (!(await client.whenConnected(15_000))) throw new Error('customer socket did not connect');
  const opened = await client.openConversation('billing');
  if (!opened.ok) throw new Error(`open: ${opened.error.message}`);
  customerMessages = [];
  client.on('message', (m) => customerMessages.push(m));
  const events: string[] = [];
  client.on('note', (n) => events.push(`note ${n.text}`));
  client.on('conversation', (c) => events.push(JSON.stringify(c)));
  client.track(opened.data.id, 0);
  const sent = await client.send(opened.data.id, 'Hello, my card was charged twice').done;
  if (!sent.ok) throw new Error(`send: ${sent.error.message}`);
  return { username, client, conversation: opened.data, events };
}

test('notes: written in note mode, shown apart, seen by a colleague live, never by the customer', async () => {
  const colleagueNotes: Note[] = [];
  colleague.client.on('note', (n) => colleagueNotes.push(n));
  colleague.client.trackNotes(customer.conversation.id, 0);

  await page.getByRole('button', { name: 'Internal note' }).click();
  await expect(page.getByRole('button', { name: 'Internal note' })).toHaveAttribute('aria-pressed', 'true');
  const box = page.getByRole('textbox', { name: 'Internal note' });
  await box.fill('Charged twice: checked the PSP, refund approved by finance.');
  await box.press('Enter');
  const log = page.getByRole('log', { name: 'Messages' });
  const note = log.getByTestId('note').filter({ hasText: 'refund approved by finance' });
  await expect(note).toContainText('Note — only agents see this');
  await expect(note).toHaveAttribute('data-note-seq', '1');
  await expect
    .poll(() => colleagueNotes.map((n) => n.text))
    .toEqual(['Charged twice: checked the PSP, refund approved by finance.']);

  // A colleague's note arrives live in the pane.
  const added = await colleague.client.addNote(customer.conversation.id, 'FYI the customer called as well.')
    .done;
  expect(added.ok).toBe(true);
  await expect(log.getByTestId('note').filter({ hasText: 'called as well' })).toContainText(
    colleague.account.username,
  );

  // Back to replies: a reply reaches the customer with seq 2; nothing of the notes does.
  await page.getByRole('button', { name: 'Reply', exact: true }).click();
  const reply = page.getByRole('textbox', { name: 'Message' });
  await reply.fill('We are on it.');
  await reply.press('Enter');
  await expect.poll(() => customerMessages.map((m) => [m.seq, m.text])).toContainEqual([2, 'We are on it.']);
  const history = await customer.client.history(customer.conversation.id);
  expect(history.ok && history.data.map((m) => m.text)).toEqual([
    'Hello, my card was charged twice',
    'We are on it.',
  ]);
  expect(customer.events.join('\n')).not.toContain('refund approved');
  expect(customer.events.join('\n')).not.toContain('called as well');
  await page.screenshot({ path: path.join(screenshots, 'desktop-notes.png') });
});

test('the / picker: searchable, arrows and Enter insert with placeholders filled, Escape closes', async () => {
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.fill('');
  await box.press('/');
  const picker = page.getByRole('listbox', { name: 'Canned replies' });
  await expect(picker.getByRole('option')).toHaveCount(2);
  await page.screenshot({ path: path.join(screenshots, 'desktop-canned-picker.png') });
  await box.pressSequentially('ref');
  await expect(picker.getByRole('option')).toHaveCount(1);
  await expect(picker.getByRole('option', { selected: true })).toContainText('Refund on its way');
  await box.press('Escape');
  await expect(picker).toHaveCount(0);
  await expect(box).toHaveValue('/ref');

  await box.fill('/');
  await expect(picker.getByRole('option')).toHaveCount(2);
  await box.press('ArrowDown');
  await expect(picker.getByRole('option', { selected: true })).toContainText('/refund');
  await box.press('ArrowUp');
  await expect(picker.getByRole('option', { selected: true })).toContainText('/invoice');
  await box.press('ArrowDown');
  await box.press('Enter');
  await expect(picker).toHaveCount(0);
  const agentName = await page.locator('.who').textContent();
  await expect(box).toHaveValue(`Hi ${customer.username}, your refund is on its way. — ${agentName}`);
  await box.press('Enter');
  await expect
    .poll(() => customerMessages.map((m) => m.text))
    .toContain(`Hi ${customer.username}, your refund is on its way. — ${agentName}`);

  await box.fill('/nothing-like-this');
  await expect(page.getByText('No canned reply matches “/nothing-like-this”')).toBeVisible();
  await box.fill('');
});

test('personal replies: created in the app, offered by the picker, deleted', async () => {
  await page.getByRole('button', { name: 'Canned replies' }).click();
  const dialog = page.getByRole('dialog', { name: 'Canned replies' });
  await expect(dialog.getByRole('list', { name: 'Department replies' })).toContainText('/refund');
  await dialog.getByLabel('Shortcut').fill('thanks');
  await dialog.getByLabel('Title').fill('Thanks for waiting');
  await dialog.getByLabel('Text').fill('Thanks for waiting, {customer.name}!');
  await dialog.getByRole('button', { name: 'Add reply' }).click();
  await expect(dialog.getByRole('list', { name: 'Your replies' })).toContainText('/thanks');
  await page.screenshot({ path: path.join(screenshots, 'desktop-canned-replies.png') });
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toHaveCount(0);

  const box = page.getByRole('textbox', { name: 'Message' });
  await box.fill('/than');
  const picker = page.getByRole('listbox', { name: 'Canned replies' });
  await expect(picker.getByRole('option', { selected: true })).toContainText('Mine');
  await box.press('Enter');
  await expect(box).toHaveValue(`Thanks for waiting, ${customer.username}!`);
  await box.fill('');

  await page.getByRole('button', { name: 'Canned replies' }).click();
  await dialog.getByRole('button', { name: 'Delete /thanks' }).click();
  await expect(dialog.getByRole('list', { name: 'Your replies' })).not.toContainText('/thanks');
  await dialog.getByRole('button', { name: 'Close' }).click();
});

test('the customer’s rating shows on the conversation once given', async () => {
  await page.getByRole('button', { name: 'Resolve' }).click();
  await expect(page.locator('.pane-sub .status-resolved')).toBeVisible();
  const rated = await customer.client.rate(customer.conversation.id, 4, 'Quick refund, thanks!');
  expect(rated.ok).toBe(true);
  const card = page.getByRole('region', { name: 'Customer rating' });
  await expect(card).toContainText('Rated 4 of 5');
  await expect(card).toContainText('Quick refund, thanks!');
  await page.screenshot({ path: path.join(screenshots, 'desktop-rating.png') });
  // Shown again after a reload (asked for when the conversation opens).
  await page.reload();
  await logInAndOpen();
  await expect(page.getByRole('region', { name: 'Customer rating' })).toContainText('Rated 4 of 5');
  // The notes are back too, from the server.
  await expect(page.getByRole('log', { name: 'Messages' }).getByTestId('note')).toHaveCount(2);
});
