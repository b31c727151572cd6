// Measured and printed, never asserted (timings depend on the machine): first-load JavaScript of the page
// (gzipped) and the time from the login click to a usable conversation, from the page's performance marks.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { expect, registerCustomer, test } from '../fixtures';

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'web', 'dist');

test('first-load JavaScript size', async ({ page, server }) => {
  const scripts: string[] = [];
  page.on('response', (res) => {
    if (res.request().resourceType() === 'script' && res.url().startsWith(server.url))
      scripts.push(res.url());
  });
  await page.goto(server.url);
  await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
  expect(scripts.length).toBeGreaterThan(0);
  let raw = 0;
  let gzipped = 0;
  for (const url of scripts) {
    const file = readFileSync(path.join(dist, new URL(url).pathname));
    raw += file.length;
    gzipped += gzipSync(file, { level: 9 }).length;
  }
  console.log(
    `[perf] first-load JS: ${scripts.length} file(s), ${(raw / 1024).toFixed(1)} KiB raw, ${(gzipped / 1024).toFixed(1)} KiB gzipped`,
  );
});

test('time from the login click to a usable conversation', async ({ page, browser, server }) => {
  const setup = await browser.newPage();
  const { username, password } = await registerCustomer(setup, server);
  await setup.close();

  type Run = Record<'toDepartments' | 'toConversation' | 'login' | 'conversations' | 'history', number>;
  const runs: Run[] = [];
  for (let i = 0; i < 3; i++) {
    // The conversation to open is in the address (#/billing), as after a bookmark or a reload. The first run
    // opens it (socket), later runs find it in the list and load its history over HTTP.
    await page.goto(`${server.url}/#/billing`);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByRole('textbox', { name: 'Message' })).toBeEnabled();
    await expect(page.getByRole('log', { name: 'Messages' })).toContainText('No messages yet');
    runs.push(
      await page.evaluate(() => {
        const mark = (name: string) =>
          performance.getEntriesByName(name, 'mark').at(-1)?.startTime ?? Number.NaN;
        const request = (pattern: RegExp) =>
          performance
            .getEntriesByType('resource')
            .filter((e) => pattern.test(e.name))
            .at(-1)?.duration ?? Number.NaN;
        const submit = mark('auth:submit');
        return {
          toDepartments: mark('departments:ready') - submit,
          toConversation: mark('conversation:ready') - submit,
          login: request(/\/api\/auth\/login$/),
          conversations: request(/\/api\/conversations$/),
          history: request(/\/messages\?/),
        };
      }),
    );
    await page.getByRole('button', { name: 'Log out' }).click();
    await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
  }
  const fmt = (ms: number) => `${Number.isNaN(ms) ? '-' : ms.toFixed(0)} ms`;
  for (const [i, r] of runs.entries()) {
    console.log(
      `[perf] run ${i + 1}: login click -> departments ${fmt(r.toDepartments)}, -> conversation usable ` +
        `${fmt(r.toConversation)} (requests: login ${fmt(r.login)}, conversations ${fmt(r.conversations)}, ` +
        `history ${fmt(r.history)})`,
    );
  }
});
