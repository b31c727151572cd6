// Availability in the desktop renderer (SPEC §12), in Chromium against the real server: the header's status control
// and auto-away (played by the stand-in of main's AvailabilityService) change what the server counts online.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import { contentSecurityPolicy } from '../../desktop/src/main/window';
import { installDesktopStandIn, serveRenderer } from '../desktop-standin';
import {
  type AgentAccount,
  createAgent,
  expect,
  type RunningServer,
  runAdmin,
  startServer,
  test,
  uniqueName,
} from '../fixtures';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const screenshots = path.join(repoRoot, 'e2e/screenshots');

let chat: RunningServer;
let renderer: Awaited<ReturnType<typeof serveRenderer>>;
let page: Page;
let agent: AgentAccount;
const department = uniqueName('avail')
  .replace(/[^a-z0-9]/g, '')
  .slice(0, 24);

test.beforeAll(async ({ browser }) => {
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
  await runAdmin(chat, ['create-department', '--id', department, '--name', 'Availability Desk']);
  agent = await createAgent(chat, { departments: [department] });
  page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  await page.addInitScript(installDesktopStandIn, { serverUrl: chat.url, keychain: 'available' as const });
  await page.goto(`${renderer.origin}/index.html`);
});

test.afterAll(async () => {
  await page?.close();
  await chat?.stop();
  await renderer?.close();
});

const agentsOnline = async () => {
  const res = await fetch(`${chat.url}/api/departments`);
  const body = (await res.json()) as { departments: { id: string; agentsOnline: number }[] };
  return body.departments.find((d) => d.id === department)?.agentsOnline;
};

test('the header status and auto-away decide whether the server counts the agent online', async () => {
  await page.getByLabel('Server').fill(chat.url);
  await page.getByLabel('Username').fill(agent.username);
  await page.getByLabel('Password').fill(agent.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Connected' })).toBeVisible();
  await expect.poll(agentsOnline).toBe(1);

  const status = page.getByRole('combobox', { name: 'Status' });
  await expect(status).toHaveValue('available');
  await status.selectOption('away');
  await expect.poll(agentsOnline).toBe(0);
  await page.screenshot({ path: path.join(screenshots, 'desktop-status-away.png') });
  await status.selectOption('available');
  await expect.poll(agentsOnline).toBe(1);

  // Main reports the system idle (auto-away): the header says why, the server counts the agent out, and back.
  await page.evaluate(() =>
    (window as unknown as { __autoAway: (r: string | null) => void }).__autoAway('idle'),
  );
  await expect(page.getByRole('status').filter({ hasText: 'Away: idle' })).toBeVisible();
  await expect.poll(agentsOnline).toBe(0);
  await page.screenshot({ path: path.join(screenshots, 'desktop-status-auto-away.png') });
  await page.evaluate(() =>
    (window as unknown as { __autoAway: (r: string | null) => void }).__autoAway(null),
  );
  await expect(page.getByRole('status').filter({ hasText: 'Away: idle' })).toHaveCount(0);
  await expect.poll(agentsOnline).toBe(1);

  // The auto-away time is a setting.
  const autoAway = page.getByRole('combobox', { name: 'Auto-away' });
  await autoAway.selectOption('5');
  await expect(autoAway).toHaveValue('5');
});
