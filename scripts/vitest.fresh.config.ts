// `npm run test:fresh-clone`: the README's commands in a fresh clone (scripts/fresh-clone.int.test.ts), alone.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['scripts/fresh-clone.int.test.ts'],
    testTimeout: 60 * 60_000,
    // Removing the clone's node_modules takes a while.
    hookTimeout: 5 * 60_000,
  },
});
