// The desktop renderer in Chromium against the real server and database, with a stand-in of the preload API.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from '@playwright/test';
import type { ConversationSummary, Message } from '@support-chat/protocol';
import { ChatClient } from '@support-chat/protocol/client';
import type { NotifyRequest } from '../../desktop/src/common/ipc';
import { notificationTitle, toNotificationText } from '../../desktop/src/common/notification-policy';
import { contentSecurityPolicy } from '../../desktop/src/main/window';
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

/** The screen at 1280 px and at the window's minimum width (720 px: main.ts), for a person to look at. */
async function screenshotsAtBothWidths(page: Page, name: string) {
  const size = page.viewportSize() ?? { width: 1280, height: 800 };
  for (const width of [1280, 720]) {
    await page.setViewportSize({ width, height: size.height });
    await page.screenshot({ path: path.join(screenshots, `${name}-${width}.png`) });
  }
  await page.setViewportSize(size);
}

interface Customer {
  username: string;
  client: ChatClient;
  conversation: ConversationSummary;
  received: Message[];
}

let chat: RunningServer;
let renderer: Awaited<ReturnType<typeof serveRenderer>>;
let agent: AgentAccount;
let page: Page;
let alice: Customer;
let bob: Customer;

const standIn = (p: Page) => p.evaluate(() => (window as unknown as { __desktop: StandInRecord }).__desktop);
const notificationsFor = async (p: Page, conversationId: string): Promise<NotifyRequest[]> =>
  (await standIn(p)).notifications.filter((n) => n.conversationId === conversationId);
const lastBadge = async (p: Page) => (await standIn(p)).badge.at(-1);
const setFocused = (p: Page, focused: boolean) =>
  p.evaluate((f) => {
    (window as unknown as { __desktop: StandInRecord }).__desktop.focused = f;
    window.dispatchEvent(new Event(f ? 'focus' : 'blur'));
  }, focused);

async function newCustomer(department: string, firstMessage: string): Promise<Customer> {
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
  const opened = await client.openConversation(department);
  if (!opened.ok) throw new Error(`open: ${opened.error.message}`);
  const received: Message[] = [];
  client.on('message', (m) => received.push(m));
  client.track(opened.data.id, 0);
  const sent = await client.send(opened.data.id, firstMessage).done;
  if (!sent.ok) throw new Error(`send: ${sent.error.message}`);
  return { username, client, conversation: opened.data, received };
}

const customerSends = async (customer: Customer, text: string) => {
  const sent = await customer.client.send(customer.conversation.id, text).done;
  if (!sent.ok) throw new Error(`send: ${sent.error.message}`);
  return sent.data;
};

const customerView = async (customer: Customer) => {
  const list = await customer.client.conversations();
  if (!list.ok) throw new Error(list.error.message);
  return list.data.find((c) => c.id === customer.conversation.id)!;
};

const openStandInPage = async (browser: Browser, keychain: 'available' | 'unavailable') => {
  const p = await browser.newPage();
  await p.addInitScript(installDesktopStandIn, { serverUrl: chat.url, keychain });
  await p.goto(`${renderer.origin}/index.html`);
  return p;
};

const row = (customer: Customer) => page.locator(`[data-conversation-id="${customer.conversation.id}"]`);

test.describe.configure({ mode: 'serial' });

test.beforeAll(async ({ browser }) => {
  test.setTimeout(180_000);
  const build = spawnSync('npm', ['run', 'build:renderer', '-w', 'desktop'], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  if (build.status !== 0) throw new Error(`renderer build failed:\n${build.stdout}\n${build.stderr}`);
  // The page gets the same CSP header main sends, naming the chat server once it is known.
  renderer = await serveRenderer(path.join(repoRoot, 'desktop/dist/renderer'), () =>
    contentSecurityPolicy(chat?.url ?? null),
  );
  chat = await startServer({
    env: { ALLOWED_ORIGINS: renderer.origin, MESSAGE_RATE_PER_SECOND: '500', MESSAGE_BURST: '500' },
  });
  agent = await createAgent(chat, { departments: ['billing', 'technical'] });
  // Both conversations exist and wait in the queue before the agent comes online.
  alice = await newCustomer('billing', 'Hello from Alice: my invoice is wrong');
  bob = await newCustomer('technical', 'Hi, Bob here. The app crashes on start.');
  page = await openStandInPage(browser, 'available');
});

test.afterAll(async () => {
  await page?.close();
  for (const c of [alice, bob]) await c?.client.logout();
  await chat?.stop();
  await renderer?.close();
});

test('without a keychain the login view says so', async ({ browser }) => {
  const p = await openStandInPage(browser, 'unavailable');
  await expect(p.getByRole('status').filter({ hasText: 'No keychain available' })).toBeVisible();
  await p.close();
});

test('the agent logs in and sees the inbox of their departments with unread counts', async () => {
  await expect(page.getByRole('heading', { name: 'Support Chat' })).toBeVisible();
  await page.getByLabel('Server').fill(chat.url);
  await page.getByLabel('Username').fill(agent.username);
  await page.getByLabel('Password').fill('wrong password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('alert')).toHaveText('Wrong username or password.');
  await page.screenshot({ path: path.join(screenshots, 'desktop-login.png') });

  await page.getByLabel('Password').fill(agent.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Connected' })).toBeVisible();
  await expect(row(alice)).toContainText(alice.username);
  await expect(row(alice)).toContainText('Billing Support');
  await expect(row(alice)).toContainText('my invoice is wrong');
  // Waiting conversations are handed out when an agent comes online: both are now ours.
  await expect(row(alice)).toContainText('You');
  await expect(row(bob)).toContainText('You');
  await expect(row(bob)).toContainText('Technical Support');
  await expect(row(bob).locator('.unread')).toHaveText('1 unread');
  await expect.poll(() => lastBadge(page)).toBe(2);

  // Newest activity first: Bob wrote last.
  const order = await page
    .locator('[data-conversation-id]')
    .evaluateAll((els) => els.map((e) => e.getAttribute('data-conversation-id')));
  expect(order).toEqual([bob.conversation.id, alice.conversation.id]);

  // The department filter and the mine / waiting / all filter.
  await page.getByLabel('Department').selectOption('technical');
  await expect(row(alice)).toHaveCount(0);
  await expect(row(bob)).toBeVisible();
  await page.getByLabel('Department').selectOption('');
  await page.getByRole('button', { name: /^Waiting/ }).click();
  await expect(page.getByText('Nobody is waiting. Nice work!')).toBeVisible();
  await page.getByRole('button', { name: /^Mine/ }).click();
  await expect(row(alice)).toBeVisible();
  await expect(row(bob)).toBeVisible();
  await page.getByRole('button', { name: /^All/ }).click();
  await screenshotsAtBothWidths(page, 'desktop-inbox');

  // The renderer never stores a token where page scripts could find it later.
  expect(await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }))).toBe('{}');
});

test('a customer message to another conversation asks for a notification; the open one does not', async () => {
  await row(alice).click();
  await expect(page.getByRole('heading', { level: 2, name: alice.username })).toBeVisible();
  await expect(page.getByRole('log', { name: 'Messages' })).toContainText('Hello from Alice');
  await expect.poll(() => lastBadge(page)).toBe(1);

  // Bob writes while Alice's conversation is open: notification requested, with title and body.
  const text = `Still broken <b>bold</b> ${'and more words '.repeat(12)}`;
  await customerSends(bob, text);
  await expect(row(bob)).toContainText('Still broken <b>bold</b>');
  await expect.poll(async () => (await notificationsFor(page, bob.conversation.id)).length).toBe(1);
  const [request] = await notificationsFor(page, bob.conversation.id);
  expect(request).toMatchObject({
    customerName: bob.username,
    departmentName: 'Technical Support',
    senderRole: 'customer',
    text: text.trim(),
    openConversationId: alice.conversation.id,
  });
  // What main shows for it: "<customer> — <department>", the text on one line, at most 120 characters.
  expect(notificationTitle(request!.customerName, request!.departmentName)).toBe(
    `${bob.username} — Technical Support`,
  );
  const body = toNotificationText(request!.text);
  expect(Array.from(body).length).toBeLessThanOrEqual(120);
  expect(body.endsWith('…')).toBe(true);
  expect(body.startsWith('Still broken <b>bold</b> and more words')).toBe(true);
  await expect.poll(() => lastBadge(page)).toBe(2);

  // Alice writes into the open, focused conversation: shown at once, read at once, no notification.
  await customerSends(alice, 'Are you there?');
  await expect(page.getByRole('log', { name: 'Messages' })).toContainText('Are you there?');
  await expect.poll(async () => (await customerView(alice)).readSeq.agents).toBe(2);
  expect(await notificationsFor(page, alice.conversation.id)).toEqual([]);
  // Only Bob's two messages are unread.
  await expect.poll(() => lastBadge(page)).toBe(2);

  // The same conversation while the window is not focused: notification requested, not read yet.
  await setFocused(page, false);
  await customerSends(alice, 'Hello?');
  await expect.poll(async () => (await notificationsFor(page, alice.conversation.id)).length).toBe(1);
  await expect.poll(() => lastBadge(page)).toBe(3);
  // Back in focus: the open conversation is read, the badge follows.
  await setFocused(page, true);
  await expect.poll(() => lastBadge(page)).toBe(2);
  await expect.poll(async () => (await customerView(alice)).readSeq.agents).toBe(3);
});

test('clicking the notification opens that conversation', async () => {
  await page.evaluate(
    (id) => (window as unknown as { __openConversation: (id: string) => void }).__openConversation(id),
    bob.conversation.id,
  );
  await expect(page.getByRole('heading', { level: 2, name: bob.username })).toBeVisible();
  await expect(page.getByRole('log', { name: 'Messages' })).toContainText('The app crashes on start.');
  await expect(row(bob)).toHaveAttribute('aria-current', 'true');
  await expect.poll(() => lastBadge(page)).toBe(0);
});

test('customer typing shows; the reply reaches the customer; read receipts update', async () => {
  bob.client.setTyping(bob.conversation.id, true);
  await expect(page.getByText(`${bob.username} is typing…`)).toBeVisible();
  bob.client.setTyping(bob.conversation.id, false);
  await expect(page.getByText(`${bob.username} is typing…`)).toHaveCount(0);

  const box = page.getByRole('textbox', { name: 'Message' });
  await box.fill('Thanks Bob, looking into it.');
  await box.press('Shift+Enter');
  await box.pressSequentially('Which version do you use?');
  await box.press('Enter');
  await expect(box).toHaveValue('');
  await expect
    .poll(() => bob.received.filter((m) => m.sender.role === 'agent').map((m) => m.text))
    .toEqual(['Thanks Bob, looking into it.\nWhich version do you use?']);

  const log = page.getByRole('log', { name: 'Messages' });
  const reply = log.locator('.message.from-agent').last();
  await expect(reply.locator('.receipt')).toHaveText('Sent');
  const agentMessage = bob.received.find((m) => m.sender.role === 'agent')!;
  await bob.client.markRead(bob.conversation.id, agentMessage.seq);
  await expect(reply.locator('.receipt')).toHaveText('Read');
});

test('claim, release, resolve and reopen change the conversation on the server', async () => {
  const header = page.locator('.pane-header');
  await expect(header).toContainText('Assignee: You');
  await header.getByRole('button', { name: 'Release to queue' }).click();
  await expect(header).toContainText('Assignee: Waiting');
  await expect.poll(async () => (await customerView(bob)).assigneeId).toBeNull();
  await page.getByRole('button', { name: /^Waiting/ }).click();
  await expect(row(bob)).toBeVisible();
  await expect(row(alice)).toHaveCount(0);

  await header.getByRole('button', { name: 'Claim' }).click();
  await expect(header).toContainText('Assignee: You');
  await expect(page.getByText('Nobody is waiting. Nice work!')).toBeVisible();
  await page.getByRole('button', { name: /^Mine/ }).click();
  await expect(row(bob)).toContainText('You');
  await expect.poll(async () => (await customerView(bob)).assigneeId).toMatch(/^[a-f0-9]{24}$/);
  await page.getByRole('button', { name: /^All/ }).click();

  await header.getByRole('button', { name: 'Resolve' }).click();
  await expect(header).toContainText('Resolved');
  await expect.poll(async () => (await customerView(bob)).status).toBe('resolved');
  await header.getByRole('button', { name: 'Reopen' }).click();
  await expect(header.getByRole('button', { name: 'Resolve' })).toBeVisible();
  await expect.poll(async () => (await customerView(bob)).status).toBe('open');
  await screenshotsAtBothWidths(page, 'desktop-conversation');
});

test('assign hands the conversation to a colleague of its department, shown by name', async () => {
  const colleague = await createAgent(chat, { departments: ['technical'] });
  // Opening a conversation loads the agents of its department.
  await row(alice).click();
  await row(bob).click();
  const header = page.locator('.pane-header');
  await header.getByRole('combobox', { name: 'Assign to' }).selectOption({ label: colleague.username });
  await expect(header).toContainText(`Assignee: ${colleague.username}`);
  await expect(row(bob)).toContainText(colleague.username);
  const login = (await fetch(`${chat.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: colleague.username, password: colleague.password }),
  }).then((r) => r.json())) as { user: { id: string } };
  await expect.poll(async () => (await customerView(bob)).assigneeId).toBe(login.user.id);

  await header.getByRole('button', { name: 'Assign to me' }).click();
  await expect(header).toContainText('Assignee: You');
});

test('Alt+Up / Alt+Down move between conversations; links go to the OS browser', async () => {
  await page.keyboard.press('Alt+ArrowDown');
  await expect(page.getByRole('heading', { level: 2, name: alice.username })).toBeVisible();
  await page.keyboard.press('Alt+ArrowUp');
  await expect(page.getByRole('heading', { level: 2, name: bob.username })).toBeVisible();

  await customerSends(bob, 'See https://example.com/help and javascript:alert(1)');
  const link = page.getByRole('link', { name: 'https://example.com/help' });
  await link.click();
  await expect.poll(async () => (await standIn(page)).external).toEqual(['https://example.com/help']);
  await expect(page.getByRole('link', { name: /javascript/ })).toHaveCount(0);
  expect(page.url()).toBe(`${renderer.origin}/index.html`);
});

test('a new conversation appears live, and its history pages back to the first message', async () => {
  const carol = await newCustomer('billing', 'Message 1');
  const sends = Array.from(
    { length: 59 },
    (_, i) => carol.client.send(carol.conversation.id, `Message ${i + 2}`).done,
  );
  expect((await Promise.all(sends)).every((r) => r.ok)).toBe(true);
  await expect(row(carol)).toContainText('Message 60');
  await row(carol).click();
  const log = page.getByRole('log', { name: 'Messages' });
  await expect(log).toContainText('Message 60');
  await expect(log.locator('.message')).toHaveCount(50);
  await expect(log.getByText('Message 1', { exact: true })).toHaveCount(0);
  // Scrolling to the top loads the older page (as the button does): the agent scrolls up.
  await log.evaluate((el) => {
    el.scrollTop = 0;
  });
  await expect(log.getByText('Message 1', { exact: true })).toBeVisible();
  await expect(log.locator('.message')).toHaveCount(60);
  await expect(log.getByRole('button', { name: 'Load older messages' })).toHaveCount(0);
  await carol.client.logout();
});

test('a server outage shows as reconnecting, and the console catches up afterwards', async () => {
  await chat.kill('SIGKILL');
  await expect(page.getByRole('status').filter({ hasText: /Reconnecting|Offline/ })).toBeVisible();
  await chat.restart();
  await expect(page.getByRole('status').filter({ hasText: 'Connected' })).toBeVisible({ timeout: 30_000 });
  await expect.poll(() => alice.client.whenConnected(1000), { timeout: 30_000 }).toBe(true);
  await customerSends(alice, 'Back after the outage');
  await expect(row(alice)).toContainText('Back after the outage');
});

test('logout asks main to log out (revoke + keychain delete) and returns to the login view', async () => {
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page.getByRole('button', { name: 'Log in' })).toBeVisible();
  expect((await standIn(page)).calls).toContain('logout');
  // The whole session ran under the strict CSP main sends, without a single violation.
  expect((await standIn(page)).cspViolations).toEqual([]);
});
