import { defineConfig } from 'vitest/config';

const ignored = ['**/node_modules/**', '**/dist/**', 'e2e/**', 'bench/**'];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{protocol,client-ui,server,web,desktop,scripts}/**/*.test.{ts,tsx}'],
          exclude: [...ignored, '**/*.int.test.{ts,tsx}'],
          // Unit tests first (fast feedback), then integration tests with their own worker limit.
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'int',
          include: ['{protocol,server,web,desktop}/**/*.int.test.{ts,tsx}'],
          exclude: ignored,
          // One embedded database for the whole run; each test file uses its own database name.
          globalSetup: ['server/test/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Two cores: integration files start real servers and processes; do not oversubscribe.
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
