import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'protocol', root: 'protocol', include: ['src/**/*.test.ts'] } },
      { test: { name: 'gateway', root: 'gateway', include: ['src/**/*.test.ts'] } },
      { test: { name: 'server', root: 'server', include: ['src/**/*.test.ts'] } },
      { test: { name: 'simulators', root: 'simulators', include: ['src/**/*.test.ts'] } },
      { test: { name: 'dashboard', root: 'dashboard', include: ['src/**/*.test.ts'] } },
      {
        test: {
          name: 'e2e',
          root: 'tests',
          include: ['**/*.test.ts'],
          exclude: ['node_modules/**'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
