// Browser tests in Debian's Chromium (`npx playwright install` cannot download browsers here). One embedded
// database for the run (global-setup.ts); each test file starts its own real server on it through
// fixtures.ts, serving the built web/dist (`npm run test:e2e` builds it first).
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: './tests',
  // Overridable so that two runs at once (web and desktop helpers) do not clean each other's results.
  outputDir: process.env.E2E_OUTPUT_DIR ?? '../test-results/e2e',
  globalSetup: './global-setup.ts',
  // Two shared cores: every worker runs a server and a browser.
  workers: Number(process.env.E2E_WORKERS ?? 1),
  fullyParallel: false,
  forbidOnly: true,
  retries: 0,
  timeout: 90_000,
  expect: { timeout: 15_000 },
  reporter: process.env.CI
    ? [['list'], ['html', { open: 'never', outputFolder: '../playwright-report' }]]
    : 'list',
  use: {
    browserName: 'chromium',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
    viewport: { width: 1280, height: 800 },
    actionTimeout: 15_000,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
  },
});
