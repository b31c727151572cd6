// axe-core at WCAG 2.x A/AA on each screen, at phone and desktop widths, and screenshots of each screen for a
// person to look at (e2e/screenshots/, not committed).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import {
  agentSends,
  connectAgent,
  conversationOf,
  expect,
  openDepartment,
  registerCustomer,
  sendFromPage,
  test,
} from '../fixtures';

const screenshots = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'screenshots');
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];

async function expectNoViolations(page: Page, screen: string) {
  const { violations } = await new AxeBuilder({ page }).withTags(TAGS).analyze();
  const summary = violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5),
  }));
  expect(summary, `axe violations on ${screen}`).toEqual([]);
}

const shoot = (page: Page, name: string) => page.screenshot({ path: path.join(screenshots, `${name}.png`) });

for (const width of [360, 1280]) {
  test.describe(`at ${width} px`, () => {
    test.use({ viewport: { width, height: width === 360 ? 740 : 800 } });

    test('login and register screens', async ({ page, server }) => {
      await page.goto(server.url);
      await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
      await expectNoViolations(page, 'login');
      await shoot(page, `login-${width}`);

      await page.getByRole('button', { name: 'Create an account' }).click();
      await page.getByLabel('Username').fill('x');
      await page.getByLabel('Email').fill('nope');
      await page.getByLabel('Password').fill('short');
      await page.getByRole('button', { name: 'Create an account' }).click();
      await expect(page.getByRole('alert')).toBeVisible();
      await expectNoViolations(page, 'register with errors');
      await shoot(page, `register-errors-${width}`);
    });

    test('department list and conversation', async ({ page, server }) => {
      const agent = await connectAgent(server, { departments: ['billing', 'technical'] });
      try {
        const { username } = await registerCustomer(page, server);
        await expect(page.getByTestId('connection-state')).toHaveText('Connected');
        await expectNoViolations(page, 'department list');
        await shoot(page, `departments-${width}`);

        await openDepartment(page, 'Technical Support');
        await sendFromPage(page, 'Hi! Is the status page up to date?');
        const technical = await conversationOf(agent, username, 'technical');
        if (width === 360) await page.getByRole('button', { name: 'Back to departments' }).click();
        await openDepartment(page, 'Billing Support');
        await expectNoViolations(page, 'empty conversation');
        await sendFromPage(page, 'Hello! I was charged twice for my subscription this month.');
        const billing = await conversationOf(agent, username, 'billing');
        await agent.client.markRead(billing.id, 1);
        await agentSends(agent, billing.id, 'Hi, sorry about that. Let me check your account.');
        await agentSends(
          agent,
          billing.id,
          'I refunded the duplicate charge, see https://example.com/refunds/123 for the details.',
        );
        await agentSends(agent, technical.id, 'Yes, it is.');
        await sendFromPage(page, 'Thank you!\nThat was quick.');
        agent.client.setTyping(billing.id, true);
        const log = page.getByRole('log', { name: 'Messages' });
        await expect(log.getByTestId('message')).toHaveCount(4);
        await expect(page.getByTestId('typing-indicator')).toContainText('is typing');
        await expect(log.getByTestId('receipt').last()).toHaveText(/Sent/);
        await expectNoViolations(page, 'conversation');
        await shoot(page, `conversation-${width}`);

        if (width === 360) {
          await page.getByRole('button', { name: 'Back to departments' }).click();
          await expect(
            page.getByRole('button', { name: 'Technical Support', exact: true }).getByTestId('unread-badge'),
          ).toHaveText('1');
          await shoot(page, `departments-unread-${width}`);
        }
      } finally {
        await agent.close();
      }
    });
  });
}

test('keyboard only: log in, pick a department, send', async ({ page, browser, server }) => {
  const first = await browser.newPage();
  const { username, password } = await registerCustomer(first, server);
  await first.close();

  await page.goto(server.url);
  await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Username')).toBeFocused();
  await page.keyboard.type(username);
  await page.keyboard.press('Tab');
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
  const billing = page.getByRole('button', { name: 'Billing Support', exact: true });
  await expect(billing).toBeVisible();

  // Tab until the department button has focus, then open it with Enter.
  for (let i = 0; i < 10 && !(await billing.evaluate((el) => el === document.activeElement)); i++) {
    await page.keyboard.press('Tab');
  }
  await expect(billing).toBeFocused();
  await page.keyboard.press('Enter');
  const box = page.getByRole('textbox', { name: 'Message' });
  await expect(box).toBeFocused();
  await page.keyboard.type('Sent with the keyboard only');
  await page.keyboard.press('Enter');
  await expect(
    page.getByRole('log', { name: 'Messages' }).getByText('Sent with the keyboard only'),
  ).toBeVisible();
});
