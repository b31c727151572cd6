// Transfer between departments (SPEC §12), end to end: an agent of Billing transfers from the desktop renderer
// (Chromium with the preload stand-in) and the customer's page and the widget follow. When the customer has no
// conversation with the target, the same conversation moves (the page shows the new department, the same thread,
// a "Transferred to …" line that survives a reload); when they have one, the page switches to it.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import AxeBuilder from '@axe-core/playwright';
import type { BrowserContext, Page } from '@playwright/test';
import type { Note } from '@support-chat/protocol';
import { contentSecurityPolicy } from '../../desktop/src/main/window';
import { installDesktopStandIn, serveRenderer } from '../desktop-standin';
import {
  type AgentAccount,
  type ConnectedAgent,
  connectAgent,
  conversationOf,
  createAgent,
  expect,
  openDepartment,
  type RunningServer,
  registerCustomer,
  sendFromPage,
  startServer,
  test,
} from '../fixtures';
import { createSite, type Shop, startShop } from '../widget-shop';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const screenshots = path.join(repoRoot, 'e2e/screenshots');

let chat: RunningServer;
let renderer: Awaited<ReturnType<typeof serveRenderer>>;
let shop: Shop;
let deskContext: BrowserContext;
let desk: Page;
/** Billing only: a conversation transferred to Technical Support leaves their inbox. */
let billingAgent: AgentAccount;
let technical: ConnectedAgent;

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
  billingAgent = await createAgent(chat, { departments: ['billing'] });
  technical = await connectAgent(chat, { departments: ['technical'] });
  const { freePort } = await import('@support-chat/server/testkit');
  const port = await freePort();
  const secret = await createSite(chat, {
    id: 'gear',
    origins: [`http://localhost:${port}`],
    departments: ['billing', 'technical'],
    identity: 'optional',
  });
  shop = await startShop({ chatUrl: chat.url, site: 'gear', secret, port });

  // A page of its own context: axe-core's Playwright runner needs one.
  deskContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  desk = await deskContext.newPage();
  await desk.addInitScript(installDesktopStandIn, { serverUrl: chat.url, keychain: 'available' as const });
  await desk.goto(`${renderer.origin}/index.html`);
  await desk.getByLabel('Server').fill(chat.url);
  await desk.getByLabel('Username').fill(billingAgent.username);
  await desk.getByLabel('Password').fill(billingAgent.password);
  await desk.getByRole('button', { name: 'Log in' }).click();
  await expect(desk.getByRole('status').filter({ hasText: 'Connected' })).toBeVisible();
});

test.afterAll(async () => {
  await deskContext?.close();
  await technical?.close();
  await shop?.stop();
  await chat?.stop();
  await renderer?.close();
});

/** axe-core at WCAG 2.x A/AA (as a11y.spec.ts). */
async function expectAccessible(on: Page, screen: string) {
  const tags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];
  const { violations } = await new AxeBuilder({ page: on }).withTags(tags).analyze();
  const found = violations.map((v) => ({
    id: v.id,
    nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5),
  }));
  expect(found, `axe violations on ${screen}`).toEqual([]);
}

/** Opens the conversation whose row shows `text` in the desktop inbox. */
async function openRow(text: string) {
  const row = desk.locator('[data-conversation-id]').filter({ hasText: text });
  await row.click();
  await expect(desk.getByRole('log', { name: 'Messages' })).toContainText(text);
  // By id from here on: its preview changes with the transfer line.
  return desk.locator(`[data-conversation-id="${await row.getAttribute('data-conversation-id')}"]`);
}

/** Transfers the open conversation from the desktop's dialog; `shot` names a screenshot of the filled dialog. */
async function transferTo(department: string, note: string, shot?: string) {
  await desk.getByRole('button', { name: 'Transfer', exact: true }).click();
  const dialog = desk.getByRole('dialog', { name: 'Transfer conversation' });
  await expect(dialog).toBeVisible();
  const select = dialog.getByLabel('Department');
  // The conversation's own department is not offered.
  await expect(select.locator('option', { hasText: 'Billing Support' })).toHaveCount(0);
  await select.selectOption({ label: department });
  if (note) await dialog.getByLabel('Note for the next agent').fill(note);
  if (shot) {
    await desk.screenshot({ path: path.join(screenshots, `${shot}.png`) });
    await expectAccessible(desk, 'the transfer dialog');
  }
  await dialog.getByRole('button', { name: 'Transfer', exact: true }).click();
  await expect(dialog).toBeHidden();
}

test('moved: the customer page shows Technical Support, the same thread and the transfer line, after a reload too', async ({
  page,
}) => {
  const notes: Note[] = [];
  technical.client.on('note', (n) => notes.push(n));
  const { username } = await registerCustomer(page, chat);
  await openDepartment(page, 'Billing Support');
  await sendFromPage(page, 'My router drops the connection every hour');
  const log = page.getByRole('log', { name: 'Messages' });
  await expect(log.locator('[data-status]')).toHaveCount(0);

  const row = await openRow('My router drops the connection');
  await transferTo(
    'Technical Support',
    'Not a billing question: the router restarts hourly.',
    'transfer-desktop-dialog',
  );

  // The agent is not in Technical Support: the conversation leaves their inbox and the pane.
  await expect(row).toHaveCount(0);
  await expect(
    desk.getByRole('status').filter({ hasText: 'transferred to Technical Support' }),
  ).toBeVisible();
  await desk.screenshot({ path: path.join(screenshots, 'transfer-desktop-after.png') });

  // The customer: the same thread, now with Technical Support, and the line in the timeline.
  await expect(page.getByRole('heading', { level: 1, name: 'Technical Support' })).toBeVisible();
  await expect(page).toHaveURL(/#\/technical$/);
  const line = log.getByTestId('system-message');
  await expect(line).toHaveCount(1);
  await expect(line).toContainText('Transferred to Technical Support');
  await expect(log).toContainText('My router drops the connection every hour');
  await page.screenshot({ path: path.join(screenshots, 'transfer-page-line.png') });

  // Technical Support has it, with the note, and the customer keeps writing in the same conversation.
  const moved = await conversationOf(technical, username, 'technical');
  await expect
    .poll(() => notes.map((n) => n.text))
    .toContain('Not a billing question: the router restarts hourly.');
  await sendFromPage(page, 'Thanks, it happened again just now');
  await expect(log.locator('[data-status]')).toHaveCount(0);
  const history = await technical.client.history(moved.id, { limit: 50 });
  expect(history.ok && history.data.map((m) => m.text)).toEqual([
    'My router drops the connection every hour',
    'Transferred to Technical Support',
    'Thanks, it happened again just now',
  ]);
  // Never counted unread: the customer's badge for the conversation stays clear.
  await expect(
    page.getByRole('button', { name: 'Technical Support', exact: true }).getByTestId('unread-badge'),
  ).toHaveCount(0);

  await page.reload();
  await expect(page.getByRole('heading', { level: 1, name: 'Technical Support' })).toBeVisible();
  await expect(log.getByTestId('system-message')).toContainText('Transferred to Technical Support');
  await expect(log).toContainText('Thanks, it happened again just now');
  // It started with Billing Support, and says so at its start.
  await expect(log).toContainText('This is the start of your conversation with Billing Support.');
  for (const width of [1280, 360]) {
    await page.setViewportSize({ width, height: 800 });
    await page.screenshot({ path: path.join(screenshots, `transfer-page-reloaded-${width}.png`) });
    await expectAccessible(page, `the page with a transfer line at ${width} px`);
  }
});

test('nothing moves when the customer has a conversation with the target: the page switches to it', async ({
  page,
}) => {
  await registerCustomer(page, chat);
  await openDepartment(page, 'Technical Support');
  await sendFromPage(page, 'Earlier: my modem lights blink red');
  const log = page.getByRole('log', { name: 'Messages' });
  await expect(log.locator('[data-status]')).toHaveCount(0);
  await openDepartment(page, 'Billing Support');
  await sendFromPage(page, 'Is the modem rental on my invoice?');
  await expect(log.locator('[data-status]')).toHaveCount(0);

  const row = await openRow('Is the modem rental on my invoice?');
  await transferTo('Technical Support', '');
  // Billing keeps its conversation, resolved, with the line; the agent still has it open.
  const pane = desk.getByRole('log', { name: 'Messages' });
  await expect(pane.getByTestId('system-message')).toContainText('Transferred to Technical Support');
  await expect(desk.locator('.pane-header')).toContainText('Resolved');
  await expect(row).toHaveCount(1);
  await desk.screenshot({ path: path.join(screenshots, 'transfer-desktop-line.png') });

  // The page is now on the customer's Technical Support conversation, its earlier messages and the line "from".
  await expect(page.getByRole('heading', { level: 1, name: 'Technical Support' })).toBeVisible();
  await expect(log).toContainText('Earlier: my modem lights blink red');
  await expect(log.getByTestId('system-message')).toContainText('Transferred from Billing Support');
  await expect(log).not.toContainText('Is the modem rental on my invoice?');
  await page.screenshot({ path: path.join(screenshots, 'transfer-page-switched.png') });

  // Billing's conversation keeps its history and the line "to"; going back there on purpose stays there.
  await openDepartment(page, 'Billing Support');
  await expect(log).toContainText('Is the modem rental on my invoice?');
  await expect(log.getByTestId('system-message')).toContainText('Transferred to Technical Support');
  await expect(page.getByRole('heading', { level: 1, name: 'Billing Support' })).toBeVisible();
});

test('the widget shows the transfer line and follows the conversation', async ({ page }) => {
  await page.goto(shop.url);
  await page.getByRole('button', { name: 'Chat with us', exact: true }).click();
  const panel = page.frameLocator('iframe[title="Chat with us"]');
  await panel.getByLabel('Name').fill('Walt Widget');
  await panel.getByRole('button', { name: 'Start chat' }).click();
  await panel.getByRole('button', { name: 'Billing Support', exact: true }).click();
  const box = panel.getByRole('textbox', { name: 'Message' });
  await expect(box).toBeEnabled();
  await box.fill('The tent I bought has a broken pole');
  await box.press('Enter');
  const log = panel.getByRole('log', { name: 'Messages' });
  await expect(log.locator('[data-status]')).toHaveCount(0);

  await openRow('The tent I bought has a broken pole');
  await transferTo('Technical Support', 'Warranty case, pole replacement.');

  await expect(panel.getByRole('heading', { level: 1, name: 'Technical Support' })).toBeVisible();
  await expect(log.getByTestId('system-message')).toContainText('Transferred to Technical Support');
  await expect(log).toContainText('The tent I bought has a broken pole');
  await page.screenshot({ path: path.join(screenshots, 'transfer-widget-line.png') });
});
