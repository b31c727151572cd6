import {
  agentSends,
  connectAgent,
  conversationOf,
  expect,
  openDepartment,
  type RunningServer,
  recordMessages,
  registerCustomer,
  screenshot,
  sendFromPage,
  startServer,
  test,
} from '../fixtures';

test.describe('server killed and restarted while the page is open', () => {
  let server: RunningServer;
  test.beforeAll(async () => {
    server = await startServer();
  });
  test.afterAll(async () => {
    await server?.stop();
  });

  test('the page reconnects and every message arrives exactly once, in order', async ({ page }) => {
    test.setTimeout(180_000);
    const agent = await connectAgent(server, { departments: ['account'] });
    const agentInbox = recordMessages(agent.client);
    try {
      const { username } = await registerCustomer(page, server);
      await openDepartment(page, 'Account Manager');
      const connection = page.getByTestId('connection-state');
      await expect(connection).toHaveText('Connected');
      await sendFromPage(page, 'before the crash');
      const conversation = await conversationOf(agent, username, 'account');
      const agentMessage = await agentSends(agent, conversation.id, 'agent before the crash');
      // As the desktop app does for the conversations it shows: re-synced by the client after a reconnect.
      agent.client.track(conversation.id, agentMessage.seq);
      const log = page.getByRole('log', { name: 'Messages' });
      await expect(log.getByText('agent before the crash')).toBeVisible();

      const oldPid = server.pid;
      await server.kill('SIGKILL');
      await expect(connection).toHaveText(/Reconnecting…|Offline/);

      // Written while the server is down: shown as queued, in order.
      for (const text of ['offline one', 'offline two', 'offline three']) await sendFromPage(page, text);
      const queued = log.locator('[data-testid="message"][data-status="queued"]');
      await expect(queued).toHaveCount(3);
      await expect(queued.first()).toContainText('Queued');
      await screenshot(page, 'conversation-reconnecting-1280');

      await server.restart();
      expect(server.pid).not.toBe(oldPid);
      await expect(connection).toHaveText('Connected', { timeout: 30_000 });
      // All three stored (no queued or sending bubble left) before the agent writes again.
      await expect(log.locator('[data-testid="message"][data-status]')).toHaveCount(0);

      // The agent (reconnected by its own client) replies after the restart.
      await expect.poll(() => agent.client.state, { timeout: 30_000 }).toBe('connected');
      await agentSends(agent, conversation.id, 'agent after the restart');

      const expected = [
        'before the crash',
        'agent before the crash',
        'offline one',
        'offline two',
        'offline three',
        'agent after the restart',
      ];
      await expect(log.getByTestId('message-text')).toHaveText(expected);
      // Stored once each, in this order, on the server.
      const stored = await agent.client.history(conversation.id, { limit: 200 });
      expect(stored.ok && stored.data.map((m) => m.text)).toEqual(expected);
      expect(stored.ok && stored.data.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6]);
      // The agent saw each customer message once. Its client emits live messages as they come and fills the gap
      // its own reconnect left by sync, so arrival order may differ; a timeline (what the screens use) is by seq.
      await expect
        .poll(() =>
          agentInbox
            .filter((m) => m.sender.role === 'customer')
            .sort((a, b) => a.seq - b.seq)
            .map((m) => m.text),
        )
        .toEqual(['before the crash', 'offline one', 'offline two', 'offline three']);

      // And a reload shows the same, once each.
      await page.reload();
      await expect(page.getByRole('log', { name: 'Messages' }).getByTestId('message-text')).toHaveText(
        expected,
      );
    } finally {
      await agent.close();
    }
  });

  test('logging in while the server is down says so, and works once it is back', async ({
    page,
    browser,
  }) => {
    const setup = await browser.newPage();
    const { username, password } = await registerCustomer(setup, server);
    await setup.close();

    await page.goto(server.url);
    await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
    await server.kill('SIGKILL');
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByRole('alert')).toHaveText(/can't reach the support server/);

    await server.restart();
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByRole('button', { name: 'Billing Support', exact: true })).toBeVisible();
    await expect(page.getByTestId('connection-state')).toHaveText('Connected');
  });
});
