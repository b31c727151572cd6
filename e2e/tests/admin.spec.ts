// The owner console at /admin in Chromium against a real server: an owner made with `create-owner` logs in with the
// keyboard only, creates an agent who then logs in and chats, disables them (their socket ends), creates a site and
// rotates its secret, reads the charts; axe A/AA on every screen at 360 and 1280 px, no CSP refusal, and a
// screenshot of every screen (e2e/screenshots/admin-*) for a person to look at.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { ChatClient } from '@support-chat/protocol/client';
import { connectAgent, expect, runAdmin, startServer, test, uniqueName } from '../fixtures';

const screenshots = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'screenshots');
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];

async function check(page: Page, screen: string) {
  for (const width of [360, 1280]) {
    await page.setViewportSize({ width, height: width === 360 ? 760 : 900 });
    const { violations } = await new AxeBuilder({ page }).withTags(TAGS).analyze();
    expect(
      violations.map((v) => ({ id: v.id, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) })),
      `axe violations on ${screen} at ${width} px`,
    ).toEqual([]);
    // Nothing wider than the window at 360 px: no sideways scrolling of the page.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `${screen} overflows at ${width} px`).toBeLessThanOrEqual(0);
    await page.screenshot({ path: path.join(screenshots, `admin-${screen}-${width}.png`), fullPage: true });
  }
}

/** Follows a navigation link with the keyboard. */
async function go(page: Page, link: string) {
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: link }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1, name: link })).toBeFocused();
}

test('an owner manages the team, a site and reads the reports in the console', async ({ page }) => {
  // A server of its own: the figures of the reports are this test's history only.
  const server = await startServer();
  try {
    const problems: string[] = [];
    page.on('console', (m) => {
      // The console first asks for a session through the refresh cookie: without one that is an expected 401.
      const expected = m.location().url.endsWith('/api/auth/refresh') && m.text().includes('401');
      if (m.type() === 'error' && !expected) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));

    // Some history for the charts: a customer writes, an agent answers and resolves.
    const helper = await connectAgent(server, { departments: ['billing'] });
    const customer = new ChatClient({ baseUrl: server.url, extraHeaders: { Origin: server.url } });
    const custName = uniqueName('cust');
    expect(
      (
        await customer.register({
          username: custName,
          email: `${custName}@e.test`,
          password: 'customer pw 1',
        })
      ).ok,
    ).toBe(true);
    customer.connect();
    expect(await customer.whenConnected(15_000)).toBe(true);
    const opened = await customer.openConversation('billing');
    if (!opened.ok) throw new Error(opened.error.message);
    customer.send(opened.data.id, 'Where is my invoice?');
    const stored = async () => {
      const r = await helper.client.sync(opened.data.id, 0);
      return r.ok ? r.data.length : -1;
    };
    await expect.poll(stored).toBe(1);
    helper.client.send(opened.data.id, 'Here it is.');
    await expect.poll(stored).toBe(2);
    expect((await helper.client.claim(opened.data.id)).ok).toBe(true);
    expect((await helper.client.resolve(opened.data.id)).ok).toBe(true);
    expect((await customer.rate(opened.data.id, 4, 'Thanks')).ok).toBe(true);

    const owner = uniqueName('owner');
    const ownerPassword = `pw-${randomBytes(8).toString('hex')}`;
    await runAdmin(
      server,
      ['create-owner', '--username', owner, '--email', `${owner}@example.test`, '--password-stdin'],
      `${ownerPassword}\n`,
    );

    // Log in, keyboard only.
    await page.goto(`${server.url}/admin`);
    await expect(page.getByRole('button', { name: 'Log in' })).toBeVisible();
    await check(page, 'login');
    await page.keyboard.press('Tab');
    await expect(page.getByLabel('Username')).toBeFocused();
    await page.keyboard.type(owner);
    await page.keyboard.press('Tab');
    await page.keyboard.type(ownerPassword);
    await page.keyboard.press('Enter');

    // Reports first: totals and the five charts, each with an accessible name.
    await expect(page.getByRole('heading', { level: 1, name: 'Reports' })).toBeVisible();
    await expect(
      page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Reports' }),
    ).toBeVisible();
    for (const name of [
      'Episodes per day',
      'Messages per day',
      'First response time',
      'Resolution time',
      'Satisfaction per day',
    ])
      await expect(page.getByRole('img', { name: new RegExp(`^${name}`) })).toBeVisible();
    await expect(
      page.getByRole('img', { name: /^Episodes per day\. 1 started and 1 resolved/ }),
    ).toBeVisible();
    await expect(
      page.getByRole('img', { name: /^Satisfaction per day\. Average 4 of 5 over 1 rating:/ }),
    ).toBeVisible();
    await expect(page.getByRole('row', { name: new RegExp(helper.account.username) })).toBeVisible();
    await expect(page.getByRole('row', { name: new RegExp(helper.account.username) })).toContainText('4 (1)');
    const ratingsCsv = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download CSV: Satisfaction per day' }).click();
    const ratingsFile = await (await ratingsCsv).path();
    expect(readFileSync(ratingsFile, 'utf8')).toMatch(
      /^day,ratings,average,ones,twos,threes,fours,fives\r?\n/,
    );
    expect(readFileSync(ratingsFile, 'utf8')).toMatch(/,1,4,0,0,0,1,0\r?\n/);
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download CSV: Messages per day' }).click();
    const csv = await download;
    expect(csv.suggestedFilename()).toMatch(/^messages-all-.*\.csv$/);
    await check(page, 'reports');

    // Agents: the form refuses what the API refuses, with its messages; then an agent is created and logs in.
    await go(page, 'Agents');
    await page.getByRole('button', { name: 'Create agent' }).click();
    await expect(page.getByText('must be at least 3 characters')).toBeVisible();
    await expect(page.getByText('must be an email address')).toBeVisible();
    await check(page, 'agents-errors');
    const agentName = uniqueName('ann');
    const agentPassword = 'agent password 1';
    await page.getByLabel('Username').fill(agentName);
    await page.getByLabel('Email').fill(`${agentName}@example.test`);
    await page.getByLabel('Password', { exact: true }).fill(agentPassword);
    await page.getByRole('checkbox', { name: 'Billing Support' }).check();
    await page.getByRole('button', { name: 'Create agent' }).click();
    await expect(page.getByText(`Agent ${agentName} created.`)).toBeVisible();
    const agent = await connectAgent(server, {
      departments: ['billing'],
      account: { username: agentName, password: agentPassword, departments: ['billing'] },
    });
    expect(agent.client.state).toBe('connected');
    await check(page, 'agents');

    // Disabling them ends their socket and their logins.
    const left = new Promise<void>((resolve) => {
      const off = agent.client.on('state', (s) => {
        if (s !== 'connected') {
          off();
          resolve();
        }
      });
    });
    await page.getByRole('button', { name: `Disable ${agentName}` }).click();
    await expect(page.getByText(`${agentName} is disabled`)).toBeVisible();
    await left;
    const relogin = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: agentName, password: agentPassword }),
    });
    expect(relogin.status).toBe(401);
    await expect(page.getByRole('listitem', { name: agentName }).getByText('Disabled')).toBeVisible();

    // Sites: create one (the secret is shown once), rotate its secret.
    await go(page, 'Sites');
    await page.getByLabel('Site id').fill('shop');
    await page.getByLabel('Site name').fill('Demo shop');
    await page.getByLabel('Origins').fill('https://shop.example');
    await page.getByLabel('Identity').selectOption('required');
    await page.getByRole('button', { name: 'Create site' }).click();
    const secretBox = page.getByLabel('Signing secret', { exact: true });
    await expect(secretBox).toHaveValue(/^[A-Za-z0-9_-]{40,}$/);
    const first = await secretBox.inputValue();
    await page.getByRole('button', { name: 'Rotate secret of shop' }).click();
    await expect(page.getByText('New secret for shop')).toBeVisible();
    await expect(secretBox).not.toHaveValue(first);
    // Edit its origins and identity in place: the API's message for a bad origin, then saved.
    await page.getByRole('button', { name: 'Edit shop' }).click();
    const origins = page.getByLabel('Origins of shop');
    await origins.fill('https://shop.example\nhttp://www.shop.example');
    await page.getByLabel('Identity of shop').selectOption('optional');
    await page.getByRole('button', { name: 'Save shop' }).click();
    await expect(
      page
        .getByRole('listitem', { name: 'Demo shop' })
        .getByText('"http://www.shop.example" is not an origin like https://shop.example'),
    ).toBeVisible();
    await expect(origins).toHaveAttribute('aria-invalid', 'true');
    // One check of the screen with everything on it (the secret shown once, the edit form with its error): axe on
    // each screen at two widths is most of this test's time on a loaded machine.
    await check(page, 'sites');
    await page.getByRole('button', { name: 'I have saved it' }).click();
    await origins.fill('https://shop.example\nhttps://www.shop.example');
    await page.getByRole('button', { name: 'Save shop' }).click();
    await expect(page.getByText('Site Demo shop saved.')).toBeVisible();
    const card = page.getByRole('listitem', { name: 'Demo shop' });
    await expect(card).toContainText('https://shop.example, https://www.shop.example');
    await expect(card).toContainText('Identity optional');

    // Departments and canned replies.
    await go(page, 'Departments');
    await page.getByLabel('Id', { exact: true }).fill('returns');
    await page.getByLabel('Name', { exact: true }).fill('Returns');
    await page.getByRole('button', { name: 'Create department' }).click();
    await expect(page.getByText('Department Returns created.')).toBeVisible();
    await check(page, 'departments');
    await go(page, 'Canned replies');
    await page.getByLabel('Shortcut').fill('invoice');
    await page.getByLabel('Title').fill('Where is my invoice');
    await page.getByLabel('Text').fill('Hi {customer.name}, your invoices are under Account → Billing.');
    await page.getByRole('button', { name: 'Add reply' }).click();
    await expect(page.getByRole('listitem', { name: '/invoice' })).toBeVisible();
    await check(page, 'canned');

    // The audit log shows what was done, by whom.
    await go(page, 'Audit log');
    for (const action of [
      'owner.create',
      'agent.create',
      'user.disable',
      'site.create',
      'site.rotate_secret',
      'site.update',
      'department.create',
      'canned_reply.create',
    ])
      await expect(page.getByRole('cell', { name: action, exact: true }).first()).toBeVisible();
    await check(page, 'audit');

    expect(problems, 'console errors (CSP refusals included)').toEqual([]);
    await agent.close();
    await helper.close();
    customer.disconnect();
  } finally {
    await server.stop();
  }
});
