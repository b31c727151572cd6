// What the agent's console shows of a website's customer (SPEC §10): the site, "Visitor" or "Verified", the name and
// email, and the page the chat started from. The desktop renderer runs in Chromium with the preload stand-in; the
// visitor chats through the demo shop's widget.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { contentSecurityPolicy } from '../../desktop/src/main/window';
import { installDesktopStandIn, serveRenderer } from '../desktop-standin';
import { createAgent, expect, type RunningServer, startServer, test } from '../fixtures';
import { createSite, type Shop, startShop } from '../widget-shop';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const screenshots = path.join(repoRoot, 'e2e/screenshots');

let chat: RunningServer;
let renderer: Awaited<ReturnType<typeof serveRenderer>>;
let shop: Shop;

test.beforeAll(async () => {
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
  const { freePort } = await import('@support-chat/server/testkit');
  const port = await freePort();
  const secret = await createSite(chat, {
    id: 'outdoor',
    origins: [`http://localhost:${port}`],
    departments: ['billing'],
    identity: 'optional',
  });
  shop = await startShop({ chatUrl: chat.url, site: 'outdoor', secret, port });
});

test.afterAll(async () => {
  await shop?.stop();
  await chat?.stop();
  await renderer?.close();
});

test('the agent sees the site, visitor or verified, name, email and the page the chat started from', async ({
  browser,
}) => {
  const agent = await createAgent(chat, { departments: ['billing'] });

  // A visitor on a product page writes through the widget (one department: straight into it).
  const visitorPage = await browser.newPage();
  await visitorPage.goto(`${shop.url}/products/2`);
  await visitorPage.getByRole('button', { name: 'Chat with us', exact: true }).click();
  const panel = visitorPage.frameLocator('iframe[title="Chat with us"]');
  await panel.getByLabel('Name').fill('Vera Visitor');
  await panel.getByLabel('Email').fill('vera@example.test');
  await panel.getByRole('button', { name: 'Start chat' }).click();
  const box = panel.getByRole('textbox', { name: 'Message' });
  await expect(box).toBeEnabled();
  await box.fill('Do the socks shrink in the wash?');
  await box.press('Enter');
  await expect(panel.getByRole('log', { name: 'Messages' })).toContainText('shrink');

  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  try {
    await page.addInitScript(installDesktopStandIn, { serverUrl: chat.url, keychain: 'available' as const });
    await page.goto(`${renderer.origin}/index.html`);
    await page.getByLabel('Server').fill(chat.url);
    await page.getByLabel('Username').fill(agent.username);
    await page.getByLabel('Password').fill(agent.password);
    const row = page.locator('[data-conversation-id]').filter({ hasText: 'Do the socks shrink' });
    await page.getByRole('button', { name: 'Log in' }).click();
    await row.click();
    const card = page.getByRole('region', { name: 'Customer details' });
    await expect(card).toContainText('Visitor');
    await expect(card).toContainText('Vera Visitor');
    await expect(card).toContainText('vera@example.test');
    await expect(card).toContainText('Shop outdoor');
    await expect(card).toContainText(`${shop.url}/products/2`);
    // The pane's header names the customer by the name they gave, their generated username beside it.
    const heading = page.getByRole('heading', { level: 2 });
    await expect(heading).toContainText('Vera Visitor');
    await expect(heading).toContainText('outdoor-');
    for (const width of [1280, 720]) {
      await page.setViewportSize({ width, height: 800 });
      await page.screenshot({ path: path.join(screenshots, `desktop-widget-visitor-${width}.png`) });
    }

    // The visitor signs in on the shop: the same conversation, now verified, with the shop's name and email, live
    // (the summary's conversation:updated; the pane is not opened again).
    await visitorPage.goto(`${shop.url}/login?user=alice`);
    await expect(card).toContainText('Verified');
    await expect(heading).toContainText('Alice Martin');
    await expect(card).toContainText('Alice Martin');
    await expect(card).toContainText('alice@example.test');
    await page.screenshot({ path: path.join(screenshots, 'desktop-widget-verified-1280.png') });
  } finally {
    await page.close();
    await visitorPage.close();
  }
});
