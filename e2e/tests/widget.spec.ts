// The website widget (SPEC §10) in Chromium: the demo shop on http://localhost:<port> and the chat server on
// http://127.0.0.1:<port> (two sites, so the chat is a third-party frame). This Chromium blocks third-party cookies
// and storage by default (each test that relies on it checks that the frame really has no storage).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import AxeBuilder from '@axe-core/playwright';
import type { Browser, Frame, FrameLocator, Page } from '@playwright/test';
import { freePort } from '@support-chat/server/testkit';
import { makePng } from '../attachment-files';
import {
  agentSends,
  type ConnectedAgent,
  connectAgent,
  expect,
  recordMessages,
  screenshot,
  startServer,
  test,
} from '../fixtures';
import { createSite, identityToken, type Shop, startShop } from '../widget-shop';

const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];

test.describe.configure({ mode: 'serial' });

let shop: Shop;
let members: Shop;

test.beforeAll(async ({ server }) => {
  const [shopPort, membersPort] = [await freePort(), await freePort()];
  const secret = await createSite(server, {
    id: 'shop',
    origins: [`http://localhost:${shopPort}`],
    departments: ['billing', 'technical'],
    identity: 'optional',
  });
  shop = await startShop({ chatUrl: server.url, site: 'shop', secret, port: shopPort });
  const membersSecret = await createSite(server, {
    id: 'members',
    origins: [`http://localhost:${membersPort}`],
    departments: ['sales'],
    identity: 'required',
  });
  members = await startShop({
    chatUrl: server.url,
    site: 'members',
    secret: membersSecret,
    port: membersPort,
  });
});

test.afterAll(async () => {
  await shop?.stop();
  await members?.stop();
});

const launcher = (page: Page) => page.getByRole('button', { name: 'Chat with us', exact: true });
const panel = (page: Page): FrameLocator => page.frameLocator('iframe[title="Chat with us"]');
const widgetFrame = (page: Page): Frame => {
  const frame = page.frames().find((f) => f.url().includes('/widget/frame'));
  if (!frame) throw new Error('no widget frame');
  return frame;
};

/**
 * Page errors of the shop page (the loader must never throw into it), and Content-Security-Policy refusals in the
 * page or the frame (the demo shop has a strict policy, the frame the server's).
 */
function recordErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) errors.push(m.text());
  });
  return errors;
}

async function openChat(page: Page) {
  await launcher(page).click();
  await expect(panel(page).getByRole('button', { name: 'Close chat' })).toBeVisible();
}

async function startAnonymously(page: Page, details: { name?: string; email?: string } = {}) {
  const frame = panel(page);
  if (details.name) await frame.getByLabel('Name').fill(details.name);
  if (details.email) await frame.getByLabel('Email').fill(details.email);
  await frame.getByRole('button', { name: 'Start chat' }).click();
}

async function chooseDepartment(page: Page, name: string) {
  await panel(page).getByRole('button', { name, exact: true }).click();
  await expect(panel(page).getByRole('heading', { level: 1, name })).toBeVisible();
  await expect(panel(page).getByRole('textbox', { name: 'Message' })).toBeEnabled();
}

async function send(page: Page, text: string) {
  const box = panel(page).getByRole('textbox', { name: 'Message' });
  await box.fill(text);
  await box.press('Enter');
  await expect(panel(page).getByRole('log', { name: 'Messages' })).toContainText(text);
}

/** The agent's view of the conversation whose last message is `text`. */
async function agentConversationWith(agent: ConnectedAgent, department: string, text: string) {
  let id = '';
  await expect
    .poll(async () => {
      const list = await agent.client.conversations();
      const found = list.ok
        ? list.data.find((c) => c.department === department && c.lastMessage?.text === text)
        : undefined;
      id = found?.id ?? '';
      return id !== '';
    })
    .toBe(true);
  return id;
}

const frameHasStorage = (page: Page) =>
  widgetFrame(page).evaluate(() => {
    try {
      return window.localStorage !== null;
    } catch {
      return false;
    }
  });

test('the loader stays under 6 KiB and the frame’s first load under 100 KiB, gzipped', async ({ server }) => {
  const gzipped = async (url: string) => gzipSync(Buffer.from(await (await fetch(url)).arrayBuffer())).length;
  const loader = await gzipped(`${server.url}/widget.js`);
  const html = await (await fetch(`${server.url}/widget/frame?site=shop`)).text();
  const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1] as string);
  expect(assets.length).toBeGreaterThanOrEqual(2);
  let frame = gzipSync(Buffer.from(html)).length;
  for (const asset of assets) frame += await gzipped(`${server.url}${asset}`);
  console.log(`widget sizes (gzip): loader ${loader} B, frame first load ${frame} B`);
  expect(loader).toBeLessThanOrEqual(6 * 1024);
  expect(frame).toBeLessThanOrEqual(100 * 1024);
});

test('an anonymous visitor chats with an agent; reload and a second tab keep it, with third-party cookies blocked', async ({
  page,
  context,
  server,
}) => {
  const errors = recordErrors(page);
  const agent = await connectAgent(server, { departments: ['billing'] });
  try {
    await page.goto(`${shop.url}/products/1`);
    await openChat(page);
    await startAnonymously(page, { name: 'Ada', email: 'ada@example.test' });
    await chooseDepartment(page, 'Billing Support');
    // An agent is online: no "nobody available" notice.
    await expect(panel(page).getByText('is available right now')).toHaveCount(0);
    await send(page, 'Hello from the shop');
    expect(await frameHasStorage(page)).toBe(false);

    const conversationId = await agentConversationWith(agent, 'billing', 'Hello from the shop');
    await agentSends(agent, conversationId, 'Hi Ada, how can I help?');
    await expect(panel(page).getByRole('log', { name: 'Messages' })).toContainText('Hi Ada, how can I help?');

    // Where the chat started and who it is, for the agent.
    const profile = await fetch(`${server.url}/api/conversations/${conversationId}/visitor`, {
      headers: { authorization: `Bearer ${agent.client.accessToken}` },
    });
    expect(await profile.json()).toMatchObject({
      visitor: {
        site: { id: 'shop' },
        verified: false,
        name: 'Ada',
        email: 'ada@example.test',
        pageUrl: `${shop.url}/products/1`,
      },
    });

    // Closed: Escape, focus back on the launcher; a new agent message shows on the launcher's badge.
    await panel(page).getByRole('textbox', { name: 'Message' }).press('Escape');
    await expect(panel(page).getByRole('button', { name: 'Close chat' })).toBeHidden();
    await expect(launcher(page)).toBeFocused();
    await agentSends(agent, conversationId, 'Are you still there?');
    await expect(page.locator('[data-support-chat] .badge')).toHaveText('1');
    await expect(launcher(page)).toHaveAccessibleDescription('1 unread message');

    // Reload: the same conversation, straight away.
    await page.reload();
    await openChat(page);
    const log = panel(page).getByRole('log', { name: 'Messages' });
    await expect(log).toContainText('Hello from the shop');
    await expect(log).toContainText('Are you still there?');
    expect(await frameHasStorage(page)).toBe(false);
    await expect(page.locator('[data-support-chat] .badge')).toBeHidden();

    // Another tab of the shop: the same visitor.
    const tab = await context.newPage();
    await tab.goto(shop.url);
    await openChat(tab);
    await expect(panel(tab).getByRole('log', { name: 'Messages' })).toContainText('Hi Ada, how can I help?');
    await send(tab, 'Writing from another tab');
    await expect(log).toContainText('Writing from another tab');
    await tab.close();
    expect(errors).toEqual([]);
  } finally {
    await agent.close();
  }
});

test('a visitor sends a photo from the widget; the agent gets it and the panel shows its thumbnail', async ({
  page,
  server,
}) => {
  const agent = await connectAgent(server, { departments: ['billing'] });
  const inbox = recordMessages(agent.client);
  try {
    await page.goto(`${shop.url}/products/2`);
    await openChat(page);
    await startAnonymously(page, { name: 'Grace' });
    await chooseDepartment(page, 'Billing Support');
    const chooser = page.waitForEvent('filechooser');
    await panel(page).getByRole('button', { name: 'Attach files' }).click();
    await (await chooser).setFiles([
      { name: 'torn-box.png', mimeType: 'image/png', buffer: makePng(640, 480) },
    ]);
    await expect(panel(page).getByTestId('upload')).toHaveAttribute('data-status', 'done');
    await panel(page).getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => inbox.at(-1)?.attachments?.[0]?.name).toBe('torn-box.png');
    const thumb = panel(page).getByRole('log', { name: 'Messages' }).getByTestId('attachment-thumb');
    await expect
      .poll(() => thumb.locator('img').evaluate((img: HTMLImageElement) => img.naturalWidth))
      .toBe(320);
    await screenshot(page, 'widget-attachment');
  } finally {
    await agent.close();
  }
});

test('two tabs that keep rotating the credential both stay signed in past the grace period', async ({
  context,
}) => {
  test.setTimeout(180_000);
  // Every use rotates the credential and access tokens live 8 s, so both tabs refresh every few seconds; a replaced
  // credential is accepted 60 s more. A frame without storage keeps only its page's copy: once that is refused it
  // must fall back to the partitioned cookie, which holds the current one.
  const chat = await startServer({ env: { WIDGET_CREDENTIAL_ROTATE_SEC: '0', ACCESS_TOKEN_TTL_SEC: '8' } });
  const port = await freePort();
  const secret = await createSite(chat, {
    id: 'rotating',
    origins: [`http://localhost:${port}`],
    identity: 'off',
  });
  const rotating = await startShop({ chatUrl: chat.url, site: 'rotating', secret, port });
  try {
    const a = await context.newPage();
    await a.goto(rotating.url);
    await openChat(a);
    await startAnonymously(a);
    await chooseDepartment(a, 'Billing Support');
    await send(a, 'First tab');
    const b = await context.newPage();
    await b.goto(rotating.url);
    await openChat(b);
    await expect(panel(b).getByRole('log', { name: 'Messages' })).toContainText('First tab');
    expect(await frameHasStorage(b)).toBe(false);
    // Wait until a tab's own copy was refused (grace over) and the cookie took over.
    await a.waitForResponse((r) => r.url().endsWith('/api/widget/token') && r.status() === 401, {
      timeout: 120_000,
    });
    await send(a, 'Still here after the grace');
    await send(b, 'Me too');
    await expect(panel(a).getByRole('log', { name: 'Messages' })).toContainText('Me too');
  } finally {
    await rotating.stop();
    await chat.stop();
  }
});

test('a visitor who signs in keeps the conversation; the customer sees one history in two browsers', async ({
  page,
  browser,
}) => {
  await page.goto(shop.url);
  await openChat(page);
  await startAnonymously(page);
  await chooseDepartment(page, 'Technical Support');
  // Nobody of Technical Support is online: the panel says so before the visitor writes, and takes the message.
  await expect(panel(page).getByRole('status').filter({ hasText: 'is available right now' })).toBeVisible();
  await send(page, 'Question before signing in');

  await page.goto(`${shop.url}/login?user=alice`);
  await openChat(page);
  await expect(panel(page).getByRole('log', { name: 'Messages' })).toContainText(
    'Question before signing in',
  );
  await send(page, 'Now signed in');

  const other = await (browser as Browser).newContext();
  try {
    const page2 = await other.newPage();
    await page2.goto(`${shop.url}/login?user=alice`);
    await openChat(page2);
    const log2 = panel(page2).getByRole('log', { name: 'Messages' });
    await expect(log2).toContainText('Question before signing in');
    await expect(log2).toContainText('Now signed in');
  } finally {
    await other.close();
  }
});

test('the shop can open the panel on a department of its own choosing', async ({ page }) => {
  await page.goto(shop.url);
  const call = (command: string, arg?: string) =>
    page.evaluate(
      ([c, a]) =>
        (window as unknown as { SupportChat: (c: string, a?: string) => void }).SupportChat(c as string, a),
      [command, arg] as const,
    );
  // A department the site does not offer is ignored: the visitor chooses among the site's own.
  await call('department', 'hr');
  await call('open');
  await startAnonymously(page);
  await expect(panel(page).getByRole('button', { name: 'Billing Support', exact: true })).toBeVisible();
  await expect(panel(page).getByRole('button', { name: 'HR', exact: true })).toHaveCount(0);
  // One it offers is opened.
  await call('department', 'technical');
  await expect(panel(page).getByRole('heading', { level: 1, name: 'Technical Support' })).toBeVisible();
  await call('close');
  await expect(panel(page).getByRole('button', { name: 'Close chat' })).toBeHidden();
});

test('with identity required, every bad token is refused and nothing can be sent', async ({
  page,
  server,
}) => {
  const agent = await connectAgent(server, { departments: ['sales'] });
  try {
    await page.goto(members.url);
    await openChat(page);
    const frame = panel(page);
    await expect(frame.getByRole('heading', { name: 'Sign in to chat with us' })).toBeVisible();
    await expect(frame.getByRole('button', { name: 'Start chat' })).toHaveCount(0);
    await expect(frame.getByRole('textbox', { name: 'Message' })).toHaveCount(0);

    const now = Math.floor(Date.now() / 1000);
    const bad = {
      forged: identityToken('not-the-secret', { sub: 'x' }),
      otherSite: identityToken(shop.secret, { sub: 'x' }),
      expired: identityToken(members.secret, { sub: 'x' }, { iat: now - 1200, exp: now - 600 }),
      overLongLived: identityToken(members.secret, { sub: 'x' }, { iat: now, exp: now + 3601 }),
      algNone: identityToken(members.secret, { sub: 'x' }, { alg: 'none' }),
      otherAlgorithm: identityToken(members.secret, { sub: 'x' }, { alg: 'HS512' }),
    };
    for (const [kind, token] of Object.entries(bad)) {
      const refused = page.waitForResponse((r) => r.url().endsWith('/api/widget/identify'));
      await page.evaluate(
        (t) =>
          (window as unknown as { SupportChat: (c: string, a: string) => void }).SupportChat('identify', t),
        token,
      );
      expect((await refused).status(), kind).toBe(401);
      await expect(frame.getByRole('alert'), kind).toContainText('could not confirm your sign-in');
      await expect(frame.getByRole('textbox', { name: 'Message' }), kind).toHaveCount(0);
    }
    // The worker's server is shared with other spec files: only this site's customers count.
    const list = await agent.client.conversations();
    expect(list.ok && list.data.filter((c) => c.customer.username.startsWith('members-')).length).toBe(0);

    // A real sign-in on the shop: the chat opens for the customer.
    await page.goto(`${members.url}/login?user=bob`);
    await openChat(page);
    await expect(panel(page).getByRole('heading', { level: 1, name: 'Sales' })).toBeVisible();
    await send(page, 'Bob here');
    await agentConversationWith(agent, 'sales', 'Bob here');
  } finally {
    await agent.close();
  }
});

test('another origin cannot frame the chat, and its page keeps working', async ({ page, server }) => {
  // The same snippet on an origin the site does not list.
  const evil = await startShop({ chatUrl: server.url, site: 'shop', secret: shop.secret });
  try {
    // Its page throws nothing (the frame's refusal is the one policy message expected here).
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    const refusals: string[] = [];
    page.on('console', (m) => {
      if (m.text().includes('frame-ancestors')) refusals.push(m.text());
    });
    await page.goto(evil.url);
    await launcher(page).click();
    await expect.poll(() => refusals.length).toBeGreaterThan(0);
    await expect(panel(page).getByRole('button', { name: 'Close chat' })).toHaveCount(0);
    await expect(page.getByRole('heading', { name: 'Outdoor gear' })).toBeVisible();
    expect(errors).toEqual([]);
  } finally {
    await evil.stop();
  }
});

test('with the chat server down, the shop works as before: nothing thrown, no layout shift', async ({
  page,
}) => {
  const offline = await startShop({
    chatUrl: `http://127.0.0.1:${await freePort()}`,
    site: 'shop',
    secret: shop.secret,
  });
  try {
    const errors = recordErrors(page);
    await page.addInitScript(() => {
      const w = window as unknown as { layoutShift: number };
      w.layoutShift = 0;
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) w.layoutShift += (entry as unknown as { value: number }).value;
      }).observe({ type: 'layout-shift', buffered: true });
    });
    await page.goto(offline.url);
    await expect(page.getByRole('heading', { name: 'Outdoor gear' })).toBeVisible();
    // Calls made by the shop queue up harmlessly.
    await page.evaluate(() =>
      (window as unknown as { SupportChat: (c: string) => void }).SupportChat('open'),
    );
    await page.getByRole('link', { name: 'Rain jacket' }).click();
    await expect(page.getByRole('heading', { name: 'Rain jacket' })).toBeVisible();
    await page.getByRole('button', { name: 'Add to cart' }).click();
    expect(await page.evaluate(() => (window as unknown as { layoutShift: number }).layoutShift)).toBe(0);
    expect(errors).toEqual([]);
  } finally {
    await offline.stop();
  }
});

test('with the chat server hanging, the shop is usable as soon as its own page is', async ({ page }) => {
  // Accepts connections and never answers: the loader's request just stays pending.
  const sockets = new Set<import('node:net').Socket>();
  const hanging = http.createServer(() => {});
  hanging.on('connection', (socket) => sockets.add(socket));
  await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
  const port = (hanging.address() as AddressInfo).port;
  const slow = await startShop({ chatUrl: `http://127.0.0.1:${port}`, site: 'shop', secret: shop.secret });
  try {
    const errors = recordErrors(page);
    await page.goto(slow.url, { waitUntil: 'domcontentloaded' });
    await expect(page.getByRole('heading', { name: 'Outdoor gear' })).toBeVisible();
    await page.getByRole('link', { name: 'Merino wool socks' }).click();
    await expect(page.getByRole('heading', { name: 'Merino wool socks' })).toBeVisible();
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await expect(launcher(page)).toHaveCount(0);
    expect(errors).toEqual([]);
  } finally {
    await slow.stop();
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => hanging.close(() => resolve()));
  }
});

async function expectNoViolations(page: Page, screen: string) {
  const { violations } = await new AxeBuilder({ page }).withTags(TAGS).analyze();
  const summary = violations.map((v) => ({
    id: v.id,
    help: v.help,
    nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5),
  }));
  expect(summary, `axe violations on ${screen}`).toEqual([]);
}

for (const width of [360, 1280]) {
  test(`keyboard, axe and screenshots at ${width} px`, async ({ browser, server }) => {
    const context = await browser.newContext({ viewport: { width, height: width === 360 ? 740 : 800 } });
    const agent = await connectAgent(server, { departments: ['billing'] });
    try {
      const page = await context.newPage();
      await page.goto(`${shop.url}/products/3`);
      await expect(launcher(page)).toBeVisible();
      // The frame is made while the browser is idle; wait for it so that axe sees the page as visitors do.
      await expect.poll(() => page.frames().length).toBe(2);
      await expectNoViolations(page, 'shop page with the launcher');
      await screenshot(page, `widget-${width}-launcher`);

      // Keyboard only: Enter on the launcher opens the panel with the focus in its first field.
      await launcher(page).focus();
      await page.keyboard.press('Enter');
      await expect(panel(page).getByLabel('Name')).toBeFocused();
      await expectNoViolations(page, 'start form');
      await screenshot(page, `widget-${width}-start`);

      await startAnonymously(page, { name: 'Sam' });
      await expect(panel(page).getByRole('button', { name: 'Billing Support', exact: true })).toBeVisible();
      await expectNoViolations(page, 'departments');
      await screenshot(page, `widget-${width}-departments`);

      await chooseDepartment(page, 'Billing Support');
      await send(page, 'Hello, does the rain jacket come in blue?');
      const id = await agentConversationWith(agent, 'billing', 'Hello, does the rain jacket come in blue?');
      await agentSends(agent, id, 'Hi Sam! Yes, in blue and in green, all sizes.');
      await expect(panel(page).getByRole('log', { name: 'Messages' })).toContainText('all sizes');
      await expectNoViolations(page, 'conversation');
      await screenshot(page, `widget-${width}-conversation`);

      await panel(page).getByRole('button', { name: 'Back to departments' }).click();
      await chooseDepartment(page, 'Technical Support');
      await expect(
        panel(page).getByRole('status').filter({ hasText: 'is available right now' }),
      ).toBeVisible();
      await expectNoViolations(page, 'no agent available');
      await screenshot(page, `widget-${width}-no-agent`);

      await panel(page).getByRole('button', { name: 'Close chat' }).click();
      await expect(launcher(page)).toBeFocused();
    } finally {
      await agent.close();
      await context.close();
    }
  });
}
