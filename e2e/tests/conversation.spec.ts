import {
  agentSends,
  connectAgent,
  conversationOf,
  expect,
  openDepartment,
  recordMessages,
  registerCustomer,
  sendFromPage,
  test,
} from '../fixtures';

test.describe('conversation with a department', () => {
  test('send and receive, typing indicator, read receipts', async ({ page, server }) => {
    const agent = await connectAgent(server, { departments: ['billing'] });
    const agentInbox = recordMessages(agent.client);
    try {
      const { username } = await registerCustomer(page, server);
      await openDepartment(page, 'Billing Support');
      const log = page.getByRole('log', { name: 'Messages' });
      await expect(log).toContainText('No messages yet');

      await sendFromPage(page, 'Hello, I was charged twice');
      const own = log.getByTestId('message').filter({ hasText: 'Hello, I was charged twice' });
      await expect(own).toHaveCount(1);
      await expect(own.getByTestId('receipt')).toHaveText(/Sent/);
      await expect(page.getByRole('textbox', { name: 'Message' })).toHaveValue('');

      // The agent receives it exactly once.
      await expect.poll(() => agentInbox.map((m) => m.text)).toEqual(['Hello, I was charged twice']);
      const conversation = await conversationOf(agent, username, 'billing');

      // Typing indicator appears and goes away.
      agent.client.setTyping(conversation.id, true);
      const typing = page.getByTestId('typing-indicator');
      await expect(typing).toHaveText(`${agent.account.username} is typing…`);

      // Read receipt: sent -> read once the agent reads it.
      const read = await agent.client.markRead(conversation.id, 1);
      expect(read.ok).toBe(true);
      await expect(own.getByTestId('receipt')).toHaveText(/Read/);

      // The agent's reply shows live and ends the typing indicator.
      await agentSends(agent, conversation.id, 'Sorry about that, refunding now.');
      await expect(log.getByText('Sorry about that, refunding now.')).toBeVisible();
      await expect(typing).toHaveText('');

      // Shift+Enter is a new line; Enter sends.
      const box = page.getByRole('textbox', { name: 'Message' });
      await box.fill('Line one');
      await box.press('Shift+Enter');
      await box.pressSequentially('line two');
      await box.press('Enter');
      await expect.poll(() => agentInbox.map((m) => m.text)).toContain('Line one\nline two');

      // A reload keeps the session, the open conversation and every message, once each.
      await page.reload();
      await expect(page.getByRole('heading', { level: 1, name: 'Billing Support' })).toBeVisible();
      const texts = page.getByRole('log', { name: 'Messages' }).getByTestId('message-text');
      await expect(texts).toHaveText([
        'Hello, I was charged twice',
        'Sorry about that, refunding now.',
        'Line one\nline two',
      ]);
    } finally {
      await agent.close();
    }
  });

  test('unread badge on another department and in the page title', async ({ page, server }) => {
    const agent = await connectAgent(server, { departments: ['technical'] });
    try {
      const { username } = await registerCustomer(page, server);
      await openDepartment(page, 'Technical Support');
      await sendFromPage(page, 'Is the API down?');
      await expect(page.getByRole('log', { name: 'Messages' }).getByTestId('message')).toHaveCount(1);
      const conversation = await conversationOf(agent, username, 'technical');

      await openDepartment(page, 'Billing Support');
      await agentSends(agent, conversation.id, 'Checking now');
      await agentSends(agent, conversation.id, 'It is back up.');

      const technical = page.getByRole('button', { name: 'Technical Support', exact: true });
      await expect(technical.getByTestId('unread-badge')).toHaveText('2');
      await expect(technical).toHaveAccessibleDescription(/2 unread messages/);
      await expect(page).toHaveTitle('(2) Support chat');

      await technical.click();
      await expect(page.getByRole('log', { name: 'Messages' })).toContainText('It is back up.');
      await expect(technical.getByTestId('unread-badge')).toHaveCount(0);
      await expect(page).toHaveTitle('Support chat');
      // Read on the server too: the agent sees the customer's read receipt.
      await expect
        .poll(async () => (await conversationOf(agent, username, 'technical')).readSeq.customer)
        .toBe(3);
    } finally {
      await agent.close();
    }
  });

  test('scrolling up loads older pages of history', async ({ page, server }) => {
    const agent = await connectAgent(server, { departments: ['sales'] });
    try {
      const { username } = await registerCustomer(page, server);
      await openDepartment(page, 'Sales');
      await sendFromPage(page, 'message 1');
      const conversation = await conversationOf(agent, username, 'sales');
      for (let i = 2; i <= 120; i++) await agentSends(agent, conversation.id, `message ${i}`);

      await page.reload();
      const log = page.getByRole('log', { name: 'Messages' });
      await expect(log.getByText('message 120', { exact: true })).toBeVisible();
      // First page only: the newest 50.
      await expect(log.getByTestId('message')).toHaveCount(50);

      // Scroll to the top until the start of the conversation is there.
      await expect
        .poll(
          async () => {
            await log.evaluate((el) => {
              el.scrollTop = 0;
            });
            return log.getByTestId('message').count();
          },
          { intervals: [200] },
        )
        .toBe(120);
      await expect(log).toContainText('This is the start of your conversation with Sales.');
      const texts = await log.getByTestId('message-text').allTextContents();
      expect(texts).toEqual(Array.from({ length: 120 }, (_, i) => `message ${i + 1}`));
    } finally {
      await agent.close();
    }
  });
});
