// Satisfaction (SPEC §12) on the customer's side: once an agent resolves the conversation, the customer page and the
// widget's panel ask for a rating (1-5 stars, an optional comment); it is sent once, and the agent hears it.
import AxeBuilder from '@axe-core/playwright';
import type { FrameLocator, Page } from '@playwright/test';
import type { Rating } from '@support-chat/protocol';
import { freePort } from '@support-chat/server/testkit';
import {
  type ConnectedAgent,
  connectAgent,
  conversationOf,
  expect,
  openDepartment,
  registerCustomer,
  screenshot,
  sendFromPage,
  test,
} from '../fixtures';
import { createSite, type Shop, startShop } from '../widget-shop';

const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];

test.describe.configure({ mode: 'serial' });

let agent: ConnectedAgent;
let shop: Shop;
const heard: Rating[] = [];

test.beforeAll(async ({ server }) => {
  agent = await connectAgent(server, { departments: ['sales', 'hr'] });
  agent.client.on('rated', (r) => heard.push(r));
  const port = await freePort();
  const secret = await createSite(server, {
    id: 'ratings',
    origins: [`http://localhost:${port}`],
    departments: ['hr'],
    identity: 'optional',
  });
  shop = await startShop({ chatUrl: server.url, site: 'ratings', secret, port });
});

test.afterAll(async () => {
  await shop?.stop();
  await agent?.close();
});

async function resolve(conversationId: string) {
  const r = await agent.client.resolve(conversationId);
  if (!r.ok) throw new Error(`resolve: ${r.error.message}`);
}

async function rate(scope: Page | FrameLocator, stars: number, comment: string) {
  const prompt = scope.getByRole('form', { name: /How did .* do\?/ });
  await expect(prompt).toBeVisible();
  await prompt.getByRole('radio', { name: new RegExp(`^${stars} stars?`) }).check();
  await prompt.getByLabel('Comment (optional)').fill(comment);
  return prompt;
}

test('the customer page asks for a rating after resolve, sends it once, and the agent hears it', async ({
  page,
  server,
}) => {
  const { username } = await registerCustomer(page, server);
  await openDepartment(page, 'Sales');
  const form = page.getByRole('form', { name: 'How did Sales do?' });
  await expect(form).toHaveCount(0);
  await sendFromPage(page, 'Do you ship to Norway?');
  const conv = await conversationOf(agent, username, 'sales');
  await expect(page.getByRole('log', { name: 'Messages' })).toContainText('Do you ship to Norway?');
  await expect(form).toHaveCount(0);

  await resolve(conv.id);
  const prompt = await rate(page, 5, 'Fast and friendly');
  // Keyboard: the stars are one radio group.
  await prompt.getByRole('radio', { name: /^4 stars/ }).focus();
  await page.keyboard.press('ArrowRight');
  await expect(prompt.getByRole('radio', { name: /^5 stars/ })).toBeChecked();
  await screenshot(page, 'rating-page');
  const violations = (await new AxeBuilder({ page }).withTags(TAGS).analyze()).violations;
  expect(violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
  await page.setViewportSize({ width: 360, height: 740 });
  await screenshot(page, 'rating-page-360');
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);

  await prompt.getByRole('button', { name: 'Send rating' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Thanks for your feedback!' })).toBeVisible();
  await expect
    .poll(() => heard.find((r) => r.conversationId === conv.id))
    .toMatchObject({
      rating: 5,
      comment: 'Fast and friendly',
    });

  // Once per resolution: after a reload nothing is asked again.
  await page.reload();
  await expect(page.getByRole('log', { name: 'Messages' })).toContainText('Do you ship to Norway?');
  await expect(page.getByRole('form', { name: 'How did Sales do?' })).toHaveCount(0);

  // A new question and a new resolve: asked again.
  await sendFromPage(page, 'And to Iceland?');
  await expect
    .poll(async () => {
      const list = await agent.client.conversations();
      return list.ok ? list.data.find((c) => c.id === conv.id)?.status : undefined;
    })
    .toBe('open');
  await resolve(conv.id);
  await expect(page.getByRole('form', { name: 'How did Sales do?' })).toBeVisible();
});

test('the widget’s panel asks for a rating after resolve', async ({ page }) => {
  await page.goto(shop.url);
  await page.getByRole('button', { name: 'Chat with us', exact: true }).click();
  const panel = page.frameLocator('iframe[title="Chat with us"]');
  await expect(panel.getByRole('button', { name: 'Close chat' })).toBeVisible();
  await panel.getByRole('button', { name: 'Start chat' }).click();
  const box = panel.getByRole('textbox', { name: 'Message' });
  await expect(box).toBeEnabled();
  await box.fill('Where do I send my sick note?');
  await box.press('Enter');
  await expect(panel.getByRole('log', { name: 'Messages' })).toContainText('Where do I send my sick note?');
  let id = '';
  await expect
    .poll(async () => {
      const list = await agent.client.conversations();
      id =
        (list.ok
          ? list.data.find(
              (c) => c.department === 'hr' && c.lastMessage?.text === 'Where do I send my sick note?',
            )?.id
          : undefined) ?? '';
      return id !== '';
    })
    .toBe(true);
  await resolve(id);
  const prompt = await rate(panel, 3, '');
  await screenshot(page, 'rating-widget');
  await prompt.getByRole('button', { name: 'Send rating' }).click();
  await expect(panel.getByRole('status').filter({ hasText: 'Thanks for your feedback!' })).toBeVisible();
  await expect
    .poll(() => heard.find((r) => r.conversationId === id))
    .toMatchObject({ rating: 3, comment: null });
});
