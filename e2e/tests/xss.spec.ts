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

const payloads = [
  '<img src=x onerror=alert(1)>',
  'javascript:alert(1)',
  '[click me](javascript:alert(1))',
  '<a href="javascript:alert(1)">click</a>',
  '<script>alert(1)</script>',
];

test('message text is plain text: markup and javascript: links never run', async ({ page, server }) => {
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  const agent = await connectAgent(server, { departments: ['hr'] });
  try {
    const { username } = await registerCustomer(page, server);
    await openDepartment(page, 'HR');
    const log = page.getByRole('log', { name: 'Messages' });

    for (const text of payloads) await sendFromPage(page, text);
    const conversation = await conversationOf(agent, username, 'hr');
    for (const text of payloads) await agentSends(agent, conversation.id, text);
    await agentSends(agent, conversation.id, 'Details: https://example.com/help?a=1&b=2. Thanks');

    const texts = log.getByTestId('message-text');
    await expect(texts).toHaveCount(payloads.length * 2 + 1);
    await expect(texts).toHaveText([
      ...payloads,
      ...payloads,
      'Details: https://example.com/help?a=1&b=2. Thanks',
    ]);

    // Nothing was turned into markup: no images, scripts, or links other than the one https: URL.
    expect(await log.locator('img, script, iframe, [onerror]').count()).toBe(0);
    const links = log.getByRole('link');
    await expect(links).toHaveCount(1);
    await expect(links).toHaveAttribute('href', 'https://example.com/help?a=1&b=2');
    await expect(links).toHaveAttribute('rel', 'noopener noreferrer');
    await expect(links).toHaveAttribute('target', '_blank');
    expect(await page.locator('a[href^="javascript:" i]').count()).toBe(0);

    // Clicking the would-be link text does nothing either.
    await log.getByText('javascript:alert(1)', { exact: true }).first().click();
    expect(dialogs).toEqual([]);
  } finally {
    await agent.close();
  }
});
