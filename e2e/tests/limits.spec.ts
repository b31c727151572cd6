import {
  expect,
  openDepartment,
  type RunningServer,
  registerCustomer,
  screenshot,
  sendFromPage,
  startServer,
  test,
} from '../fixtures';

test.describe('sending too fast', () => {
  let server: RunningServer;
  test.beforeAll(async () => {
    // A tight limit so that the fourth quick message is held back.
    server = await startServer({ env: { MESSAGE_RATE_PER_SECOND: '0.5', MESSAGE_BURST: '2' } });
  });
  test.afterAll(async () => {
    await server?.stop();
  });

  test('says how long to wait, then sends everything once, in order', async ({ page }) => {
    await registerCustomer(page, server);
    await openDepartment(page, 'Sales');
    const texts = ['one', 'two', 'three', 'four'];
    for (const text of texts) await sendFromPage(page, text);

    await expect(page.getByTestId('rate-limited')).toHaveText(
      /You're sending messages too fast, wait \d+ s\./,
    );
    await screenshot(page, 'conversation-rate-limited-1280');
    await page.setViewportSize({ width: 360, height: 740 });
    await screenshot(page, 'conversation-rate-limited-360');
    const log = page.getByRole('log', { name: 'Messages' });
    await expect(log.locator('[data-testid="message"][data-status="waiting"]').first()).toContainText(
      'Waiting to send',
    );
    await expect(log.locator('[data-testid="message"][data-status]')).toHaveCount(0, { timeout: 30_000 });
    await expect(log.getByTestId('message-text')).toHaveText(texts);
    await expect(page.getByTestId('rate-limited')).toHaveCount(0);
  });
});
